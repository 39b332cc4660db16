// Fuzz target: eddy::deserialize<T> of every built-in Serializer kind on arbitrary bytes.
// Input: a selector byte naming the type (fuzz_types.hpp), then the encoding.
// Checks: decoding never crashes, reads out of bounds or allocates beyond what the input backs
// (ASan, libFuzzer's malloc limit); a failure always has a message; a value that decodes
// re-encodes to bytes that decode again to the same encoding, and for canonical types to exactly
// the input bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "eddy/runtime/serializer.hpp"
#include "fuzz_types.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "serializer_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <class T>
constexpr bool is_unordered = false;
template <class K, class V, class H, class E, class A>
constexpr bool is_unordered<std::unordered_map<K, V, H, E, A>> = true;
template <class K, class H, class E, class A>
constexpr bool is_unordered<std::unordered_set<K, H, E, A>> = true;

struct check_type {
  std::string_view bytes;

  template <class Entry>
  void operator()() const {
    using T = typename Entry::type;
    T value{};
    std::string error;
    if (!eddy::deserialize(bytes, value, &error)) {
      if (error.empty()) fail("decoding failed without a message", std::string(bytes.size(), '?'));
      return;
    }
    const std::string again = eddy::serialize(value);
    if (Entry::canonical && again != bytes) fail("canonical type re-encodes differently", error);
    T second{};
    if (!eddy::deserialize(again, second, &error)) fail("own encoding does not decode", error);
    // Two equal unordered containers may iterate (and so encode) in different orders.
    if constexpr (!is_unordered<T>) {
      if (eddy::serialize(second) != again) fail("encoding is not stable", "");
    } else {
      if (second.size() != value.size()) fail("unordered container changed size", "");
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using types = eddy::fuzz::serializer_types;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  eddy::fuzz::with_entry(types{}, data[0] % types::size, check_type{bytes});
  return 0;
}
