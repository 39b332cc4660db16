// Fuzz target: typed_batch_codec<T>::decode (the Cap'n Proto envelope of batches between nodes
// plus the records in it) on arbitrary messages.
// Input: a selector byte (bits 0-6: record type from fuzz_types.hpp; bit 7: decode from a
// misaligned address), then the message.
// Checks: decode never crashes or throws, never allocates beyond what the message backs, and
// reports errors with a message; a decoded batch re-encodes to a message that decodes to the same
// records and timestamps.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/runtime/batch_codec.hpp"
#include "fuzz_types.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "batch_codec_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

struct check_type {
  std::string_view message;

  template <class Entry>
  void operator()() const {
    using T = typename Entry::type;
    const auto codec = eddy::make_batch_codec<T>();
    auto decoded = codec->decode(message);
    if (!decoded) {
      if (decoded.error().message.empty()) fail("decoding failed without a message", "");
      return;
    }
    const auto& b = static_cast<const eddy::batch<T>&>(**decoded);
    if (!b.timestamps.empty() && b.timestamps.size() != b.records.size())
      fail("timestamps do not match the records", std::to_string(b.timestamps.size()));
    const std::string again = codec->encode(b);
    auto second = codec->decode(again);
    if (!second) fail("own encoding does not decode", second.error().message);
    const auto& c = static_cast<const eddy::batch<T>&>(**second);
    if (c.records.size() != b.records.size() || c.timestamps != b.timestamps)
      fail("re-encoded batch differs", "");
    if (Entry::canonical && codec->encode(c) != again) fail("encoding is not stable", "");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using types = eddy::fuzz::batch_record_types;
  const std::size_t offset = (data[0] & 0x80) != 0 ? 1 : 0;
  // An exact-size heap copy (new[] is 16-byte aligned, so ASan sees any read past the end),
  // starting at an odd address when asked, to take the decoder's realigning path.
  const std::unique_ptr<char[]> buffer(new char[size - 1 + offset]);
  char* begin = buffer.get() + offset;
  if (size > 1) std::memcpy(begin, data + 1, size - 1);
  eddy::fuzz::with_entry(types{}, (data[0] & 0x7f) % types::size,
                         check_type{std::string_view(begin, size - 1)});
  return 0;
}
