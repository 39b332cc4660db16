#pragma once
/// The fraud sample (`eddy run fraud`): per card, a small transaction (amount < 1.00) followed by
/// a large one (amount > 500.00) within 60 s, found with a CEP pattern in event time.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/runtime/serializer.hpp"

namespace eddy {
class StreamEnvironment;
}

namespace eddy::samples {

struct fraud_options {
  std::string input;        ///< CSV: card_id,ts_ms,amount (optional header line)
  std::string output;       ///< matches: card_id,small_ts,large_ts,large_amount
  std::string timeouts;     ///< timed-out partial matches: card_id,small_ts
  std::string dead_letter;  ///< optional: malformed (and late) lines with line number and reason
  int parallelism = 1;
};

/// One card transaction.
struct transaction {
  std::int64_t card_id = 0;
  std::int64_t ts_ms = 0;
  std::string amount;             ///< as in the input
  bool small = false;             ///< amount < 1.00 (exactly, as a decimal)
  bool large = false;             ///< amount > 500.00
  std::uint64_t line_number = 0;  ///< orders transactions of one card with equal timestamps
};
EDDY_FIELDS(transaction, card_id, ts_ms, amount, small, large, line_number)

/// One input line after parsing: a transaction, or why it is malformed.
struct parsed_transaction {
  std::optional<transaction> txn;
  std::string error;  ///< "line N: reason: text" when malformed
};
EDDY_FIELDS(parsed_transaction, txn, error)

/// Parses line `line_number` (1-based); nullopt for the header line. Independent of the job, so a
/// fuzz target can use it alone.
std::optional<parsed_transaction> parse_transaction(std::string_view line,
                                                    std::uint64_t line_number);

/// Adds the fraud job to `env`.
void build_fraud(StreamEnvironment& env, const fraud_options& opts);

}  // namespace eddy::samples
