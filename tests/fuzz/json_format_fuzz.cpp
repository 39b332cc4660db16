// libFuzzer target: the JSON lines format (connectors/formats/json.hpp, simdjson) on arbitrary
// lines must either decode or say why, never crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/connectors/formats/json.hpp"

namespace {
struct row {
  std::string a;
  std::int64_t b = 0;
  double c = 0;
  std::optional<bool> d;
  std::optional<std::uint32_t> e;
};
EDDY_FIELDS(row, a, b, c, d, e)
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  static eddy::formats::json_decoder<row> dec;
  row r;
  std::string why;
  if (!dec.decode(line, r, why) && why.empty()) __builtin_trap();  // a failure says why
  return 0;
}
