// [alerts]
#include "alerts.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "eddy/cep/pattern_definition_json.hpp"
#include "eddy/operators/control_channel.hpp"
#include "eddy/operators/datastream.hpp"
#include "endpoints.hpp"
#include "fraud.hpp"

namespace eddy::samples {

namespace {

/// A definition line from the control channel, parsed, or why it is refused.
struct parsed_definition {
  std::optional<cep::pattern_definition> def;
  std::string error;
};
EDDY_FIELDS(parsed_definition, def, error)

/// pattern_id,card_id,first_ts,last_ts,last_amount
std::string format_alert(const std::string& id, const cep::match<transaction>& m) {
  const auto& stages = m.stages();
  const auto& first = stages.front().second.front();
  const auto& last = stages.back().second.back();
  return id + "," + std::to_string(first.card_id) + "," + std::to_string(first.ts_ms) + "," +
         std::to_string(last.ts_ms) + "," + last.amount;
}

}  // namespace

std::vector<cep::pattern_definition> read_alert_patterns(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--patterns: cannot read '" + path + "'");
  std::vector<cep::pattern_definition> out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const std::string where = "--patterns " + path + " line " + std::to_string(n) + ": ";
    try {
      auto d = cep::parse_definition(line);
      if (!d.text.empty()) (void)cep::parse_pattern<transaction>(d.text);  // refuse it now
      out.push_back(std::move(d));
    } catch (const std::exception& e) {
      throw std::invalid_argument(where + e.what());
    }
  }
  return out;
}

void build_alerts(StreamEnvironment& env, const alerts_options& opts) {
  using namespace std::chrono_literals;
  auto initial = opts.patterns.empty() ? std::vector<cep::pattern_definition>{}
                                       : read_alert_patterns(opts.patterns);
  env.set_parallelism(opts.parallelism);

  // Transactions as in the fraud job: one reader, line numbers, event time 2 s out of order.
  struct numbered_parser {
    std::uint64_t line_number = 0;
    void operator()(const std::string& input, collector<parsed_transaction>& out) {
      ++line_number;
      std::string_view line = input;
      if (const auto sep = input.find(topic_separator); sep != std::string::npos)
        line = line.substr(sep + 1);
      if (auto p = parse_transaction(line, line_number)) out.collect(std::move(*p));
    }
    std::uint64_t snapshot_state() const { return line_number; }
    void restore_state(std::uint64_t n) { line_number = n; }
  };
  auto parsed = read_lines(env, opts.input, /*with_topics=*/true)
                    .set_parallelism(1)
                    .flat_map(numbered_parser{})
                    .name("parse")
                    .set_parallelism(1);
  auto txns = parsed.filter([](const parsed_transaction& p) { return p.txn.has_value(); })
                  .name("valid")
                  .set_parallelism(1)
                  .map([](parsed_transaction p) { return std::move(*p.txn); })
                  .name("transaction")
                  .set_parallelism(1)
                  .assign_timestamps_and_watermarks(
                      WatermarkStrategy<transaction>::for_bounded_out_of_orderness(2000ms)
                          .emit_on_every_record()
                          .with_timestamp_assigner([](const transaction& t) { return t.ts_ms; }))
                  .set_parallelism(1);

  // Definitions: the file's, then whatever arrives on the control channel "patterns" (a line
  // without a version gets 0: it adds a pattern but replaces none).
  auto sent = from_control_channel(env, "patterns")
                  .map([](const std::string& line) {
                    parsed_definition p;
                    try {
                      p.def = cep::parse_definition(line);
                    } catch (const std::exception& e) {
                      p.error = std::string(e.what()) + ": " + line;
                    }
                    return p;
                  })
                  .name("parse definition")
                  .set_parallelism(1);
  auto from_channel = sent.filter([](const parsed_definition& p) { return p.def.has_value(); })
                          .name("definition")
                          .set_parallelism(1)
                          .map([](parsed_definition p) { return std::move(*p.def); })
                          .name("to definition")
                          .set_parallelism(1);
  auto definitions =
      initial.empty()
          ? from_channel
          : env.from_collection(std::move(initial)).name("--patterns").union_with(from_channel);

  output_tag<transaction> late("late");
  output_tag<std::string> refused("refused definitions");
  auto matches = CEP::dynamic_patterns(txns.key_by([](const transaction& t) { return t.card_id; }),
                                       definitions)
                     .with_comparator([](const transaction& a, const transaction& b) {
                       return a.line_number < b.line_number;
                     })
                     .side_output_late_data(late)
                     .side_output_rejected(refused)
                     .select(format_alert, "alerts");
  write_lines(matches, opts.output).name("write alerts");

  // Refused definitions: malformed lines and texts that do not compile (the operator reports
  // those once per subtask).
  auto bad_lines = sent.filter([](const parsed_definition& p) { return !p.def; })
                       .name("malformed definition")
                       .set_parallelism(1)
                       .map([](const parsed_definition& p) { return p.error; })
                       .name("reason")
                       .set_parallelism(1);
  auto rejected = bad_lines.union_with(matches.get_side_output(refused));
  if (!opts.rejected.empty()) {
    write_lines(rejected, opts.rejected).name("write refused definitions").set_parallelism(1);
  } else {
    rejected
        .add_sink(
            [](const std::string& e) {
              std::fprintf(stderr, "eddy alerts: refused definition: %s\n", e.c_str());
            },
            "refused definitions")
        .set_parallelism(1);
  }

  auto malformed = parsed.filter([](const parsed_transaction& p) { return !p.txn; })
                       .name("malformed")
                       .set_parallelism(1)
                       .map([](const parsed_transaction& p) { return p.error; })
                       .name("why")
                       .set_parallelism(1);
  auto late_lines = matches.get_side_output(late).map([](const transaction& t) {
    return "line " + std::to_string(t.line_number) +
           ": late: more than 2000 ms behind the latest timestamp: " + std::to_string(t.card_id) +
           "," + std::to_string(t.ts_ms) + "," + t.amount;
  });
  auto dead = malformed.union_with(late_lines);
  if (!opts.dead_letter.empty()) {
    write_lines(dead, opts.dead_letter).name("dead letters").set_parallelism(1).as_dead_letters();
  } else {
    dead.add_sink(
            [](const std::string& e) {
              std::fprintf(stderr, "eddy alerts: skipped %s\n", e.c_str());
            },
            "dead letters")
        .set_parallelism(1)
        .as_dead_letters();
  }
}

}  // namespace eddy::samples
// [alerts]
