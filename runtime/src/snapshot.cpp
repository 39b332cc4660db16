#include "eddy/runtime/snapshot.hpp"

#include <capnp/message.h>
#include <capnp/orphan.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

#include "snapshot.capnp.h"

namespace eddy {

namespace {
constexpr char magic[4] = {'E', 'D', 'S', '1'};
constexpr std::size_t frame_header = 4 + 4 + 8;

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}
}  // namespace

std::uint32_t crc32_of(std::string_view bytes) noexcept {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large inputs in chunks.
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  std::size_t left = bytes.size();
  while (left > 0) {
    const uInt n = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

namespace {
/// Appends what Cap'n Proto writes to a std::string.
class string_sink final : public kj::OutputStream {
 public:
  explicit string_sink(std::string& out) noexcept : out_(out) {}
  void write(const void* buffer, size_t size) override {
    out_.append(static_cast<const char*>(buffer), size);
  }

 private:
  std::string& out_;
};

/// Entries at least this large are referenced by the message instead of copied into it.
constexpr std::size_t reference_threshold = 4096;

/// Whether entry data `d` can become a segment of the message as it is: word aligned, and the
/// bytes up to the next word boundary are part of the data or (`tail_zeroed`) zeros we own.
bool referable(const std::string& d, bool tail_zeroed) {
  return d.size() >= reference_threshold &&
         reinterpret_cast<std::uintptr_t>(d.data()) % sizeof(capnp::word) == 0 &&
         (tail_zeroed || d.size() % sizeof(capnp::word) == 0);
}

/// The blob: header, then the message written straight into it (large entries are copied once,
/// from the entry into the blob).
std::string encode(const operator_snapshot& s, const std::vector<std::size_t>& sizes,
                   bool tails_zeroed) {
  capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<eddy::schema::OperatorSnapshot>();
  root.setFormatVersion(snapshot_format_version);
  root.setCheckpointId(s.header.checkpoint_id);
  root.setOperatorUid(s.header.operator_uid);
  root.setOperatorName(s.header.operator_name);
  root.setSubtask(static_cast<std::uint32_t>(s.header.subtask));
  root.setParallelism(static_cast<std::uint32_t>(s.header.parallelism));
  root.setMaxParallelism(static_cast<std::uint32_t>(s.header.max_parallelism));
  auto entries = root.initEntries(static_cast<unsigned>(s.entries.size()));
  auto orphanage = capnp::Orphanage::getForMessageContaining(root);
  for (std::size_t i = 0; i < s.entries.size(); ++i) {
    const auto& e = s.entries[i];
    auto out = entries[static_cast<unsigned>(i)];
    out.setName(e.name);
    out.setKeyGroup(e.key_group);
    out.setType(e.type);
    const capnp::Data::Reader data(reinterpret_cast<const kj::byte*>(e.data.data()), sizes[i]);
    if (referable(e.data, tails_zeroed))
      out.adoptData(orphanage.referenceExternalData(data));
    else
      out.setData(data);
  }
  const std::size_t payload = capnp::computeSerializedSizeInWords(mb) * sizeof(capnp::word);
  std::string blob;
  blob.reserve(frame_header + payload);
  blob.append(magic, 4);
  put_le(blob, 0, 4);  // the checksum, below
  put_le(blob, payload, 8);
  string_sink sink(blob);
  capnp::writeMessage(sink, mb);
  const auto crc = crc32_of(std::string_view(blob).substr(frame_header));
  for (int i = 0; i < 4; ++i) blob[4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return blob;
}
}  // namespace

std::string encode_snapshot(const operator_snapshot& s) {
  std::vector<std::size_t> sizes;
  for (const auto& e : s.entries) sizes.push_back(e.data.size());
  return encode(s, sizes, false);
}

std::string encode_snapshot(operator_snapshot&& s) {
  std::vector<std::size_t> sizes;
  for (auto& e : s.entries) {
    sizes.push_back(e.data.size());
    if (e.data.size() >= reference_threshold && e.data.size() % sizeof(capnp::word) != 0)
      e.data.append(sizeof(capnp::word) - e.data.size() % sizeof(capnp::word), '\0');
  }
  return encode(s, sizes, true);
}

expected<operator_snapshot> decode_snapshot(std::string_view blob, const std::string& location) {
  auto fail = [&](const std::string& what) {
    return eddy::error{errc::corrupt_data, "corrupt snapshot (" + location + "): " + what};
  };
  if (blob.size() < frame_header || std::memcmp(blob.data(), magic, 4) != 0)
    return fail("not a snapshot blob (bad magic or shorter than its header)");
  const auto crc = static_cast<std::uint32_t>(get_le(blob, 4, 4));
  const auto len = get_le(blob, 8, 8);
  if (len != blob.size() - frame_header)
    return fail("length " + std::to_string(blob.size() - frame_header) + " but header says " +
                std::to_string(len));
  const auto payload = blob.substr(frame_header);
  if (crc32_of(payload) != crc) return fail("checksum mismatch");
  if (payload.size() % sizeof(capnp::word) != 0) return fail("payload not word aligned");
  // Copy into word-aligned memory (LMDB values and std::string data need not be aligned).
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  operator_snapshot s;
  try {
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = words.size() + 1024;
    capnp::FlatArrayMessageReader reader(words.asPtr(), opts);
    auto root = reader.getRoot<eddy::schema::OperatorSnapshot>();
    if (root.getFormatVersion() == 0 || root.getFormatVersion() > snapshot_format_version)
      return fail("format version " + std::to_string(root.getFormatVersion()) +
                  " (this build reads up to " + std::to_string(snapshot_format_version) + ")");
    s.header.checkpoint_id = root.getCheckpointId();
    s.header.operator_uid = root.getOperatorUid();
    s.header.operator_name = root.getOperatorName();
    s.header.subtask = static_cast<int>(root.getSubtask());
    s.header.parallelism = static_cast<int>(root.getParallelism());
    s.header.max_parallelism = static_cast<int>(root.getMaxParallelism());
    for (auto e : root.getEntries()) {
      state_entry out;
      out.name = e.getName();
      out.key_group = e.getKeyGroup();
      out.type = e.getType();
      auto d = e.getData();
      out.data.assign(reinterpret_cast<const char*>(d.begin()), d.size());
      s.entries.push_back(std::move(out));
    }
  } catch (const kj::Exception& e) {
    return fail(std::string("malformed message: ") + e.getDescription().cStr());
  }
  return s;
}

}  // namespace eddy
