// [sensors]
#include "sensors.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "eddy/operators/datastream.hpp"
#include "endpoints.hpp"
#include "sensors_json.hpp"

namespace eddy::samples {

namespace {

/// Count, sum and maximum of a device's readings in one window.
struct window_stats {
  struct acc {
    std::int64_t count = 0;
    double sum = 0;
    double max = 0;
    std::string max_text;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const sensor_reading& r) const {
    if (a.count == 0 || r.temperature > a.max) {
      a.max = r.temperature;
      a.max_text = r.temperature_text;
    }
    ++a.count;
    a.sum += r.temperature;
  }
  acc get_result(const acc& a) const { return a; }
};
EDDY_FIELDS(window_stats::acc, count, sum, max, max_text)  // checkpointed with the windows

/// One window's result for one device.
struct window_result {
  std::string device;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t count = 0;
  double avg = 0;  // unrounded; written with 3 decimals
  std::string max_text;
};
EDDY_FIELDS(window_result, device, start, end, count, avg, max_text)  // crosses nodes

std::string format_result(const window_result& w) {
  char avg[64];
  std::snprintf(avg, sizeof avg, "%.3f", w.avg);
  return w.device + "," + std::to_string(w.start) + "," + std::to_string(w.end) + "," +
         std::to_string(w.count) + "," + avg + "," + w.max_text;
}

/// Alerts on the third and later window of an unbroken run of adjacent windows with avg > 80.
struct hot_run_detector {
  void process_element(const window_result& w,
                       keyed_context<std::string, window_result, std::string>& ctx,
                       collector<std::string>& out) {
    auto last_end = ctx.value_state<std::int64_t>("last_end");
    auto run = ctx.value_state<int>("run");
    int n = 0;
    if (w.avg > 80.0) n = (last_end.value() == w.start ? run.value().value_or(0) : 0) + 1;
    run.update(n);
    last_end.update(w.end);
    if (n >= 3) out.collect(w.device + "," + std::to_string(w.end) + ",ALERT");
  }
};

}  // namespace

void build_sensors(StreamEnvironment& env, const sensors_options& opts) {
  using namespace std::chrono_literals;
  env.set_parallelism(opts.parallelism);

  // One reader keeps line numbers exact; everything after it runs at the job's parallelism.
  struct numbered_parser {
    bool json = false;  // the input's format=json: one JSON object per line (sensors_json.hpp)
    std::uint64_t line_number = 0;
    sensor_json_parser json_parser;
    void operator()(const std::string& input, collector<parsed_line>& out) {
      ++line_number;
      // An MQTT message comes as TOPIC, separator, PAYLOAD: its dead letter names the topic.
      std::string_view line = input, topic;
      if (const auto sep = input.find(topic_separator); sep != std::string::npos) {
        topic = line.substr(0, sep);
        line = line.substr(sep + 1);
      }
      parsed_line p;
      if (json) {
        p = json_parser.parse(line, line_number);
      } else if (auto csv = parse_sensor_line(line, line_number)) {
        p = std::move(*csv);
      } else {
        return;  // the header line
      }
      if (!p.reading && !topic.empty()) p.error += " (topic " + std::string(topic) + ")";
      out.collect(std::move(p));
    }
    // Checkpointed, so line numbers stay right after a restore.
    std::uint64_t snapshot_state() const { return line_number; }
    void restore_state(std::uint64_t n) { line_number = n; }
  };
  auto parsed = read_lines(env, opts.input, /*with_topics=*/true)
                    .set_parallelism(1)
                    .flat_map(numbered_parser{input_format(opts.input) == "json"})
                    .name("parse")
                    .set_parallelism(1);

  // Malformed lines: never dropped silently; counted by the "dead letters" sink in the result
  // and in the job's metrics (as_dead_letters).
  auto malformed = parsed.filter([](const parsed_line& p) { return !p.reading; }).name("malformed");
  malformed.set_parallelism(1);
  if (!opts.dead_letter.empty()) {
    write_lines(malformed, opts.dead_letter, [](const parsed_line& p) { return p.error; })
        .name("dead letters")
        .set_parallelism(1)
        .as_dead_letters();
  } else {
    malformed
        .add_sink(
            [](const parsed_line& p) {
              std::fprintf(stderr, "eddy sensors: skipped %s\n", p.error.c_str());
            },
            "dead letters")
        .set_parallelism(1)
        .as_dead_letters();
  }

  output_tag<sensor_reading> late_tag("late");
  auto windows =
      parsed.filter([](const parsed_line& p) { return p.reading.has_value(); })
          .name("valid")
          .set_parallelism(1)
          .map([](parsed_line p) { return std::move(*p.reading); })
          .name("reading")
          .set_parallelism(1)
          .assign_timestamps_and_watermarks(
              WatermarkStrategy<sensor_reading>::for_bounded_out_of_orderness(2000ms)
                  .emit_on_every_record()  // lateness decided per record, deterministically
                  .with_timestamp_assigner([](const sensor_reading& r) { return r.ts_ms; }))
          .set_parallelism(1)
          .key_by([](const sensor_reading& r) { return r.device; })
          .window(TumblingEventTimeWindows::of(10s))
          .side_output_late_data(late_tag)
          .aggregate(window_stats{},
                     [](const std::string& device, const time_window& w, const window_stats::acc& a,
                        collector<window_result>& out) {
                       out.collect({device, w.start, w.end, a.count, a.sum / a.count, a.max_text});
                     })
          .name("10 s windows");

  // As a table (postgresql:// output): one row per device and window, upserted by that key.
  static const output_table windows_table{{{"device_id", "TEXT"},
                                           {"window_start", "BIGINT"},
                                           {"window_end", "BIGINT"},
                                           {"count", "BIGINT"},
                                           {"avg_temperature", "DOUBLE PRECISION"},
                                           {"max_temperature", "DOUBLE PRECISION"}},
                                          {"device_id", "window_start"}};
  write_lines(windows, opts.output, format_result, &windows_table).name("write windows");
  if (!opts.late.empty())
    write_lines(windows.get_side_output(late_tag), opts.late, [](const sensor_reading& r) {
      return r.line;
    }).name("write late");
  if (!opts.alerts.empty())
    write_lines(windows.key_by([](const window_result& w) { return w.device; })
                    .process(hot_run_detector{}, "alerts"),
                opts.alerts)
        .name("write alerts");
}

}  // namespace eddy::samples
// [sensors]
