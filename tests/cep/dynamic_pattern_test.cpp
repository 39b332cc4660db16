// Dynamic patterns (dynamic.hpp): definitions added, replaced, removed and refused while records
// flow; partial matches of a replaced version are dropped; in a job, matches equal those of the
// same patterns applied statically.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "eddy/cep/dynamic.hpp"
#include "nfa_driver.hpp"
#include "support/recording_sink.hpp"

using namespace eddy;
using cep::pattern_definition;
using eddy::cep_test::ev;
using eddy::testing::recording_sink;

namespace {

struct key_of {
  std::int64_t operator()(const ev& x) const { return x.value; }
};
struct no_key {
  std::int64_t operator()(const pattern_definition&) const { return 0; }
};

struct to_text {
  void process_match(const std::string& id, const cep::match<ev>& m,
                     cep::match_context<std::int64_t>& ctx, collector<std::string>& out) {
    out.collect(id + "/" + std::to_string(ctx.current_key()) + ":" + cep_test::text(m));
  }
  void process_timed_out_match(const std::string& id, const cep::match<ev>& m,
                               cep::match_context<std::int64_t>& ctx) {
    timeouts->push_back(id + "/" + std::to_string(ctx.current_key()) + ":" + cep_test::text(m));
  }
  std::shared_ptr<std::vector<std::string>> timeouts = std::make_shared<std::vector<std::string>>();
};

using fn_t = cep::detail::dynamic_cep_function<ev, std::int64_t, std::string, to_text>;
using op_t = keyed_two_input_op<ev, pattern_definition, std::int64_t, key_of, no_key, std::string,
                                fn_t, true>;

struct harness {
  recording_sink<std::string> sink;
  to_text fn;
  op_t op{key_of{}, no_key{}, fn_t(fn, true, {}, std::nullopt, std::nullopt), &sink};
  harness() {
    subtask_info i;
    i.batch_size = 1024;
    op.open(i);
  }
  void events(std::vector<ev> records) {
    std::vector<std::int64_t> ts;
    for (const auto& r : records) ts.push_back(r.ts);
    op.process1(records, ts);
  }
  void define(std::string id, std::int64_t version, std::string text) {
    std::vector<pattern_definition> d{{std::move(id), version, std::move(text)}};
    std::vector<std::int64_t> ts;
    op.process2(d, ts);
  }
  std::vector<std::string> take() {
    auto r = sink.records();
    sink.events.clear();
    std::sort(r.begin(), r.end());
    return r;
  }
};

ev x(std::string name, std::int64_t ts, int key = 1) {
  auto e = cep_test::e(std::move(name), ts);
  e.value = key;
  return e;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE(
    "patterns are added, replaced and removed while records flow, and a replaced version's "
    "partial matches are dropped") {
  harness h;
  h.define("p", 1, "s(sym = 's') followed_by l(sym = 'l') within 100ms");
  h.events({x("s1", 10)});
  h.op.on_watermark(15);  // s1 is now a partial match of version 1
  h.define("p", 2, "s(sym = 's') followed_by m(sym = 'm') within 100ms");
  h.events({x("l1", 20), x("s2", 21), x("m1", 22)});
  h.op.on_watermark(30);
  CHECK(h.take() == V{"p/1:s2 m1"});  // {s1} was dropped with version 1: l1 completes nothing
  h.define("p", 1, "s(sym = 's') followed_by l(sym = 'l')");  // older: ignored
  h.define("q", 1, "l(sym = 'l')");
  h.events({x("s3", 40), x("l2", 41), x("m2", 42)});
  h.op.on_watermark(50);
  CHECK(h.take() == V{"p/1:s3 m2", "q/1:l2"});
  h.define("p", 3, "");  // removed
  h.events({x("s4", 60), x("m3", 61), x("l3", 62)});
  h.op.on_watermark(max_watermark);
  CHECK(h.take() == V{"q/1:l3"});
  CHECK(h.fn.timeouts->empty());
  CHECK(h.op.state_backend()->entry_count() == 0);
}

TEST_CASE("a definition that does not compile is refused and the current version stays") {
  harness h;
  h.define("p", 1, "s(sym = 's') next l(sym = 'l')");
  h.define("p", 2, "s(sym = 's') next l(nosuchfield = 1)");
  h.events({x("s1", 1), x("l1", 2)});
  h.op.on_watermark(max_watermark);
  CHECK(h.take() == V{"p/1:s1 l1"});
}

TEST_CASE("dynamic patterns in a job match as the same patterns applied statically") {
  std::mt19937 rng(3);
  std::vector<ev> in;
  for (int i = 0; i < 2000; ++i) {
    const char sym = "abcd"[rng() % 4];
    in.push_back({std::string(1, sym) + std::to_string(i), sym, i, static_cast<int>(rng() % 7)});
  }
  const std::vector<pattern_definition> defs{
      {"abc", 1, "a(sym = 'a') followed_by b(sym = 'b')+ followed_by c(sym = 'c') within 30ms"},
      {"dd", 1, "skip past_last_event d(sym = 'd') next e(sym = 'd')"},
      {"bad", 1, "x(sym = "},
  };
  auto run = [&](bool dynamic) {
    StreamEnvironment env;
    env.set_parallelism(2);
    auto keyed = env.from_collection(in)
                     .set_parallelism(1)
                     .assign_timestamps_and_watermarks(
                         WatermarkStrategy<ev>::for_monotonous_timestamps().with_timestamp_assigner(
                             [](const ev& e) { return e.ts; }))
                     .set_parallelism(1)
                     .key_by([](const ev& e) { return e.value; });
    std::vector<collected<std::string>> outs;
    output_tag<std::string> rejected("rejected");
    std::optional<collected<std::string>> refused;
    if (dynamic) {
      auto m = CEP::dynamic_patterns(keyed, env.from_collection(defs).set_parallelism(1))
                   .side_output_rejected(rejected)
                   .select([](const std::string& id, const cep::match<ev>& m) {
                     return id + ":" + cep_test::text(m);
                   });
      outs.push_back(m.collect());
      refused = m.get_side_output(rejected).collect();
    } else {
      for (int i = 0; i < 2; ++i) {
        auto p = cep::parse_pattern<ev>(defs[static_cast<std::size_t>(i)].text);
        const auto id = defs[static_cast<std::size_t>(i)].id;
        outs.push_back(
            CEP::pattern(keyed, p)
                .select([id](const cep::match<ev>& m) { return id + ":" + cep_test::text(m); })
                .collect());
      }
    }
    REQUIRE(env.execute("cep dynamic").ok());
    std::vector<std::string> all;
    for (auto& o : outs) {
      const auto v = o.values();
      all.insert(all.end(), v.begin(), v.end());
    }
    std::sort(all.begin(), all.end());
    if (refused) {
      const auto r = refused->values();
      REQUIRE(r.size() == 2);  // one per subtask: every subtask receives every definition
      CHECK(r[0] == r[1]);
      CHECK(r[0].rfind("pattern 'bad' version 1: pattern text, column", 0) == 0);
    }
    return all;
  };
  const auto dynamic = run(true);
  CHECK(dynamic.size() > 100);
  CHECK(dynamic == run(false));
}
