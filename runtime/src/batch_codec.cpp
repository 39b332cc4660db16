// The Cap'n Proto envelope of batches sent between nodes (see batch_codec.hpp).
#include "eddy/runtime/batch_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cxxabi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <kj/io.h>

#include "batch.capnp.h"

namespace eddy {

namespace {
constexpr std::uint32_t wire_format_version = 1;
}

std::string type_name_of(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name ? name : t.name();
  std::free(name);
  return out;
}

std::string encode_wire_batch(std::uint32_t count, std::string_view records,
                              std::span<const std::int64_t> timestamps) {
  // One segment big enough for the whole batch: no reallocation, one flat copy out.
  const auto words_needed = 16 + (records.size() + 7) / 8 + timestamps.size();
  capnp::MallocMessageBuilder mb(static_cast<unsigned>(words_needed));
  auto root = mb.initRoot<schema::Batch>();
  root.setFormatVersion(wire_format_version);
  root.setCount(count);
  root.setRecords(kj::arrayPtr(reinterpret_cast<const kj::byte*>(records.data()), records.size()));
  if (!timestamps.empty()) {
    auto ts = root.initTimestamps(static_cast<unsigned>(timestamps.size()));
    for (unsigned i = 0; i < timestamps.size(); ++i) ts.set(i, timestamps[i]);
  }
  // Written straight into the string that travels (no intermediate flat array).
  std::string out(capnp::computeSerializedSizeInWords(mb) * sizeof(capnp::word), '\0');
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size()));
  capnp::writeMessage(stream, mb);
  return out;
}

expected<wire_batch_view> decode_wire_batch(std::string_view message) {
  auto fail = [](const std::string& what) {
    return error{errc::corrupt_data, "malformed batch from another node: " + what};
  };
  if (message.size() % sizeof(capnp::word) != 0 || message.empty())
    return fail("size " + std::to_string(message.size()) + " is not a whole number of words");
  wire_batch_view out;
  const capnp::word* begin = reinterpret_cast<const capnp::word*>(message.data());
  if (reinterpret_cast<std::uintptr_t>(message.data()) % alignof(capnp::word) != 0) {
    // Cap'n Proto reads words in place: copy a misaligned message once.
    auto copy = std::make_shared<std::vector<capnp::word>>(message.size() / sizeof(capnp::word));
    std::memcpy(copy->data(), message.data(), message.size());
    begin = copy->data();
    out.keep = copy;
  }
  const kj::ArrayPtr<const capnp::word> words(begin, message.size() / sizeof(capnp::word));
  try {
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = words.size() + 1024;
    capnp::FlatArrayMessageReader reader(words, opts);
    auto root = reader.getRoot<schema::Batch>();
    if (root.getFormatVersion() == 0 || root.getFormatVersion() > wire_format_version)
      return fail("format version " + std::to_string(root.getFormatVersion()) +
                  " (this build reads up to " + std::to_string(wire_format_version) + ")");
    out.count = root.getCount();
    auto d = root.getRecords();
    out.records = std::string_view(reinterpret_cast<const char*>(d.begin()), d.size());
    auto ts = root.getTimestamps();
    out.timestamps.resize(ts.size());
    for (unsigned i = 0; i < ts.size(); ++i) out.timestamps[i] = ts[i];
  } catch (const kj::Exception& e) {
    return fail(std::string(e.getDescription().cStr()));
  }
  return out;
}

}  // namespace eddy
