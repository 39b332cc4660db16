// libFuzzer target: the CSV format (connectors/formats/csv.hpp) on arbitrary lines must either
// decode or say why, never crash, and a decoded record re-encoded field by field decodes the
// same (quoting round trip).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/connectors/formats/csv.hpp"

namespace {
struct row {
  std::string a;
  std::int64_t b = 0;
  double c = 0;
  std::optional<bool> d;
  std::string e;
};
EDDY_FIELDS(row, a, b, c, d, e)

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  static eddy::formats::csv_decoder<row> dec;
  row r;
  std::string why;
  if (!dec.decode(line, r, why)) {
    if (why.empty()) __builtin_trap();  // only the header (off here) may fail without a reason
    return 0;
  }
  // Fields holding no line break re-encode to a line that decodes to the same strings.
  if (r.a.find('\n') != std::string::npos || r.e.find('\n') != std::string::npos) return 0;
  std::string b = std::to_string(r.b);
  const std::string again =
      quote(r.a) + "," + b + ",1," + (r.d ? (*r.d ? "true" : "false") : "") + "," + quote(r.e);
  row r2;
  if (!dec.decode(again, r2, why) || r2.a != r.a || r2.e != r.e || r2.b != r.b || r2.d != r.d)
    __builtin_trap();
  return 0;
}
