// Fuzz target: the CEP pattern text language (cep/include/eddy/cep/pattern_text.hpp), which reads
// dynamic pattern definitions from a stream (untrusted input). The input is a pattern text;
// checks: parse_pattern either returns a pattern or throws cep::malformed_pattern (nothing else,
// no crash, no undefined behaviour), and a pattern it returns compiles and runs over a few events
// (including its conditions' arithmetic on extreme values) and releases every event it buffered.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/cep/nfa.hpp"
#include "eddy/cep/pattern_text.hpp"

namespace {

struct txn {
  std::int64_t card_id = 0;
  std::int64_t ts_ms = 0;
  std::string amount;
  double score = 0;
  bool flagged = false;
  char kind = 'a';
};
EDDY_FIELDS(txn, card_id, ts_ms, amount, score, flagged, kind)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<eddy::cep::pattern<txn>> p;
  try {
    p = eddy::cep::parse_pattern<txn>(text);
  } catch (const eddy::cep::malformed_pattern&) {
    return 0;
  }
  std::shared_ptr<eddy::cep::compiled_pattern<txn>> compiled;
  try {
    compiled = std::make_shared<eddy::cep::compiled_pattern<txn>>(eddy::cep::compile(*p));
  } catch (const eddy::cep::malformed_pattern&) {
    return 0;  // e.g. a trailing not_followed_by without a window
  }
  // Many states can match even six events in combinatorially many ways (`(m*){64}`: C(69, 63)
  // partial matches), in Flink as here: such patterns are parsed and compiled, not run.
  if (compiled->states.size() > 32) return 0;
  eddy::cep::nfa<txn> n(compiled);
  eddy::cep::key_state<txn> s;
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::vector<txn> events{
      {1, 0, "0.50", 0.5, false, 'a'},  {1, 1, "600.00", 1e300, true, 'b'},
      {1, 1, "abc", -0.0, false, 'c'},  {big, 2, "-99999999999999999999.5", -1e308, true, 'a'},
      {-big - 1, 3, "", 0, false, 'b'}, {1, 4, "1e3", 3.25, false, 'd'},
  };
  auto ignore = [](auto&&...) {};
  try {
    for (const auto& e : events) {
      n.advance_time(s, e.ts_ms, ignore, ignore);
      n.process(s, e, e.ts_ms, ignore);
    }
    n.advance_time(s, big, ignore, ignore);
  } catch (const std::runtime_error&) {
    return 0;  // skip to_first/to_last ... throw_on_miss: a job failure by design
  }
  if (n.window_ms() > 0 && !s.buffer.empty()) {
    std::fprintf(stderr, "cep_pattern_text_fuzz: events left after the window passed\n");
    std::abort();
  }
  return 0;
}
