// Complex event processing (docs/cep.md): patterns over temperature readings per sensor, in
// event time: a skip strategy, a loop with an iterative condition and `until`, `not_followed_by`
// with a window, and timed-out partial matches. The program prints what each pattern found and
// exits non-zero if a result differs from the one the documentation shows.
#include <eddy/cep/cep.hpp>
#include <eddy/operators/datastream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace cep = eddy::cep;

// [types]
struct reading {
  std::string sensor;
  std::int64_t ts_ms = 0;  // event time
  int celsius = 0;
};
EDDY_FIELDS(reading, sensor, ts_ms, celsius)  // CEP keeps readings in checkpointed state

/// "s1 warm[40 60] critical[85]": the sensor, then each stage's readings in order.
std::string describe(const cep::match<reading>& m) {
  std::string out;
  for (const auto& [stage, readings] : m.stages()) {
    if (out.empty()) out = readings.front().sensor;
    out += " " + stage + "[";
    for (std::size_t i = 0; i < readings.size(); ++i)
      out += (i ? " " : "") + std::to_string(readings[i].celsius);
    out += "]";
  }
  return out;
}

const auto hot = [](const reading& r) { return r.celsius > 30; };
const auto critical = [](const reading& r) { return r.celsius > 80; };
const auto cool = [](const reading& r) { return r.celsius < 50; };
// [types]

namespace {
int failures = 0;
void expect(const char* what, eddy::collected<std::string> got_values,
            std::vector<std::string> want) {
  auto got = got_values.values();
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  std::printf("%s:\n", what);
  for (const auto& g : got) std::printf("  %s\n", g.c_str());
  if (got != want) {
    ++failures;
    std::fprintf(stderr, "cep_patterns: %s: unexpected result\n", what);
  }
}
}  // namespace

int main() {
  // [input]
  // Arrival order; s1's readings at 2000 and 3000 arrive swapped (event time sorts them).
  const std::vector<reading> readings = {
      {"s1", 1000, 35}, {"s1", 3000, 40}, {"s1", 2000, 45}, {"s2", 1500, 20}, {"s2", 2500, 95},
      {"s1", 4000, 60}, {"s1", 5000, 85}, {"s1", 6000, 90}, {"s1", 7000, 25}, {"s2", 30000, 20},
  };
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto by_sensor = env.from_collection(readings)
                       .set_parallelism(1)
                       .assign_timestamps_and_watermarks(
                           eddy::WatermarkStrategy<reading>::for_bounded_out_of_orderness(2s)
                               .with_timestamp_assigner([](const reading& r) { return r.ts_ms; }))
                       .set_parallelism(1)
                       .key_by([](const reading& r) { return r.sensor; });
  // [input]

  // [skip]
  // Three hot readings in a row: every such run, or runs that do not overlap.
  auto three_hot = [](cep::skip s) {
    return cep::pattern<reading>::begin("hot", s).where(hot).times(3).consecutive();
  };
  auto every_run =
      eddy::CEP::pattern(by_sensor, three_hot(cep::skip::no_skip())).select(describe).collect();
  auto separate_runs = eddy::CEP::pattern(by_sensor, three_hot(cep::skip::past_last_event()))
                           .select(describe)
                           .collect();
  // [skip]

  // [until]
  // Warm readings, each warmer than the one before, directly followed by a critical one; a
  // critical reading ends the warm loop instead of joining it.
  auto warming = cep::pattern<reading>::begin("warm")
                     .where(hot)
                     .where([](const reading& r, const cep::context<reading>& ctx) {
                       const auto& before = ctx.events("warm");  // taken so far by this match
                       return before.empty() || r.celsius > before.back()->celsius;
                     })
                     .one_or_more()
                     .consecutive()
                     .until(critical)
                     .next("critical")
                     .where(critical);
  auto overheating = eddy::CEP::pattern(by_sensor, warming).select(describe).collect();
  // [until]

  // [not_followed_by]
  // A critical reading not followed by a cool one within 10 s: emitted when the 10 s are over.
  auto no_cool_down = cep::pattern<reading>::begin("critical")
                          .where(critical)
                          .not_followed_by("cool")
                          .where(cool)
                          .within(10s);
  auto alarms = eddy::CEP::pattern(by_sensor, no_cool_down).select(describe).collect();
  // [not_followed_by]

  // [timeouts]
  // The same question the other way round: cool-downs are matches, critical readings that no
  // cool one followed within 10 s are timed-out partial matches, sent to a side output.
  auto cool_down = cep::pattern<reading>::begin("critical")
                       .where(critical)
                       .followed_by("cool")
                       .where(cool)
                       .within(10s);
  eddy::output_tag<std::string> timed_out("not cooled down");
  auto cooled = eddy::CEP::pattern(by_sensor, cool_down)
                    .select(
                        timed_out,
                        [](const cep::match<reading>& m, std::int64_t timeout_ts) {
                          return describe(m) + " timed out at " + std::to_string(timeout_ts);
                        },
                        describe);
  auto cool_downs = cooled.collect();
  auto not_cooled = cooled.get_side_output(timed_out).collect();
  // [timeouts]

  env.execute("cep patterns");

  expect("three hot readings in a row, no_skip", every_run,
         {"s1 hot[35 45 40]", "s1 hot[45 40 60]", "s1 hot[40 60 85]", "s1 hot[60 85 90]"});
  expect("three hot readings in a row, past_last_event", separate_runs,
         {"s1 hot[35 45 40]", "s1 hot[60 85 90]"});
  expect("rising warm readings until a critical one", overheating,
         {"s1 warm[40 60] critical[85]", "s1 warm[60] critical[85]"});
  expect("critical, not followed by cool within 10 s", alarms, {"s2 critical[95]"});
  expect("critical, followed by cool within 10 s", cool_downs,
         {"s1 critical[85] cool[25]", "s1 critical[90] cool[25]"});
  expect("timed out", not_cooled, {"s2 critical[95] timed out at 12500"});
  if (failures == 0) std::printf("ok: cep patterns\n");
  return failures == 0 ? 0 : 1;
}
