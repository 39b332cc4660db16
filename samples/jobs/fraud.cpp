// [fraud]
#include "fraud.hpp"

#include <chrono>
#include <cstdio>

#include "csv_line.hpp"
#include "eddy/cep/cep.hpp"
#include "eddy/operators/datastream.hpp"
#include "endpoints.hpp"

namespace eddy::samples {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// Compares a decimal amount with the thresholds exactly (no binary floating point): `amount` is
/// [+|-]DIGITS[.DIGITS]; false if it is not.
bool classify_amount(std::string_view amount, bool& small, bool& large) {
  bool negative = false;
  if (!amount.empty() && (amount[0] == '-' || amount[0] == '+')) {
    negative = amount[0] == '-';
    amount.remove_prefix(1);
  }
  const auto dot = amount.find('.');
  auto whole = amount.substr(0, dot);
  const auto frac = dot == std::string_view::npos ? std::string_view{} : amount.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(frac))) return false;
  while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
  const bool frac_zero = frac.find_first_not_of('0') == std::string_view::npos;
  const bool zero = whole == "0" && frac_zero;
  // < 1.00: negative, or a whole part of 0.
  small = (negative && !zero) || whole == "0";
  // > 500.00: positive and a whole part above 500, or 500 with a fraction that is not zero.
  const int vs500 = whole.size() != 3 ? (whole.size() > 3 ? 1 : -1) : whole.compare("500");
  large = !negative && (vs500 > 0 || (vs500 == 0 && !frac_zero));
  return true;
}

std::string format_match(const cep::match<transaction>& m) {
  const auto& s = m["small"].front();
  const auto& l = m["large"].front();
  return std::to_string(s.card_id) + "," + std::to_string(s.ts_ms) + "," + std::to_string(l.ts_ms) +
         "," + l.amount;
}

/// Matches to the main output, timed-out partial matches (a small transaction that no large one
/// followed within 60 s) to a side output.
struct fraud_alerts {
  output_tag<std::string> timeouts{"timeouts"};
  void process_match(const cep::match<transaction>& m, cep::match_context<std::int64_t>&,
                     collector<std::string>& out) {
    out.collect(format_match(m));
  }
  void process_timed_out_match(const cep::match<transaction>& m,
                               cep::match_context<std::int64_t>& ctx) {
    const auto& s = m["small"].front();
    ctx.output(timeouts, std::to_string(s.card_id) + "," + std::to_string(s.ts_ms));
  }
};

}  // namespace

std::optional<parsed_transaction> parse_transaction(std::string_view line,
                                                    std::uint64_t line_number) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line_number == 1 && line == "card_id,ts_ms,amount") return std::nullopt;
  parsed_transaction p;
  auto fail = [&](const std::string& reason) {
    p.error = "line " + std::to_string(line_number) + ": " + reason + ": " + std::string(line);
    return p;
  };
  const auto f = csv_line::three_fields(line);
  if (!f) return fail("expected 3 comma-separated fields (card_id,ts_ms,amount)");
  transaction t;
  t.line_number = line_number;
  if (!csv_line::parse_int((*f)[0], t.card_id)) return fail("card_id is not an integer");
  if (!csv_line::parse_int((*f)[1], t.ts_ms)) return fail("ts_ms is not an integer");
  if (t.ts_ms > csv_line::max_abs_ts_ms || t.ts_ms < -csv_line::max_abs_ts_ms)
    return fail("ts_ms is out of range (more than 2^53 ms from 1970)");
  t.amount = std::string((*f)[2]);
  if (!classify_amount(t.amount, t.small, t.large))
    return fail("amount is not a decimal number (like 12.34)");
  p.txn = std::move(t);
  return p;
}

void build_fraud(StreamEnvironment& env, const fraud_options& opts) {
  using namespace std::chrono_literals;
  env.set_parallelism(opts.parallelism);

  // One reader keeps line numbers exact (they order a card's transactions of equal timestamp).
  struct numbered_parser {
    std::uint64_t line_number = 0;
    void operator()(const std::string& input, collector<parsed_transaction>& out) {
      ++line_number;
      std::string_view line = input;
      if (const auto sep = input.find(topic_separator); sep != std::string::npos)
        line = line.substr(sep + 1);  // an MQTT message: TOPIC, separator, PAYLOAD
      if (auto p = parse_transaction(line, line_number)) out.collect(std::move(*p));
    }
    std::uint64_t snapshot_state() const { return line_number; }  // checkpointed
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
                          .emit_on_every_record()  // lateness decided per record, deterministic
                          .with_timestamp_assigner([](const transaction& t) { return t.ts_ms; }))
                  .set_parallelism(1);

  // [pattern]
  auto pattern = cep::pattern<transaction>::begin("small", cep::skip::past_last_event())
                     .where([](const transaction& t) { return t.small; })
                     .followed_by("large")
                     .where([](const transaction& t) { return t.large; })
                     .within(60s);
  output_tag<transaction> late("late");
  fraud_alerts alerts;
  auto matches = CEP::pattern(txns.key_by([](const transaction& t) { return t.card_id; }), pattern)
                     .with_comparator([](const transaction& a, const transaction& b) {
                       return a.line_number < b.line_number;
                     })
                     .side_output_late_data(late)
                     .process<std::string>(alerts, "small then large");
  // [pattern]

  write_lines(matches, opts.output).name("write matches");
  write_lines(matches.get_side_output(alerts.timeouts), opts.timeouts).name("write timeouts");

  // Malformed and late lines: never dropped silently; counted by the "dead letters" sink
  // (as_dead_letters: the job's dead-letter count in the REST API and /metrics).
  auto malformed = parsed.filter([](const parsed_transaction& p) { return !p.txn; })
                       .name("malformed")
                       .set_parallelism(1)
                       .map([](const parsed_transaction& p) { return p.error; })
                       .name("reason")
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
              std::fprintf(stderr, "eddy fraud: skipped %s\n", e.c_str());
            },
            "dead letters")
        .set_parallelism(1)
        .as_dead_letters();
  }
}

}  // namespace eddy::samples
// [fraud]
