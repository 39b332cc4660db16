#pragma once
/// The alerts sample (`eddy run alerts`): CEP patterns over the fraud sample's card transactions
/// (fraud.hpp), given as text and changed while the job runs: the initial set from a file, later
/// definitions from the job's control channel "patterns" (`eddy shell`'s `pattern` command, or
/// `eddy send ID patterns ...`). Each match is a line naming the pattern.
#include <string>
#include <vector>

namespace eddy {
class StreamEnvironment;
namespace cep {
struct pattern_definition;
}
}  // namespace eddy

namespace eddy::samples {

struct alerts_options {
  std::string input;        ///< CSV transactions: card_id,ts_ms,amount (as for fraud)
  std::string output;       ///< matches: pattern_id,card_id,first_ts,last_ts,last_amount
  std::string patterns;     ///< optional: the initial definitions, one per line
  std::string rejected;     ///< optional: refused definitions (else stderr)
  std::string dead_letter;  ///< optional: malformed and late lines (else stderr)
  int parallelism = 1;
};

/// The definitions of a --patterns file: one per line (cep/pattern_definition_json.hpp: JSON or
/// `ID[@VERSION]: TEXT`), blank lines and lines starting with '#' skipped; each pattern text is
/// compiled against the transaction type. Throws std::invalid_argument naming the file, the line
/// and the column of the first bad one.
std::vector<cep::pattern_definition> read_alert_patterns(const std::string& path);

/// Adds the alerts job to `env`; reads opts.patterns (throws as read_alert_patterns).
void build_alerts(StreamEnvironment& env, const alerts_options& opts);

}  // namespace eddy::samples
