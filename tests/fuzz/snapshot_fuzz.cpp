// Fuzz target: what a restore does with a checkpoint's blob - decode_snapshot, then the split of
// its entries among new subtasks (restore_for), then the state helpers of state_snapshot.hpp
// decoding the entries' data.
// Input: a mode byte, then the blob.
//   bit 0 set: the rest is the payload; the target frames it (magic, CRC-32, length) so that
//              mutations reach the Cap'n Proto message and the state data behind the checksum.
//   bits 1-3:  the parallelism the snapshot was written at, minus 1.
//   bits 4-6:  the subtask index the blob belongs to (modulo that parallelism).
// Checks: a corrupt snapshot gives an error value (decode) or std::runtime_error (the state
// helpers, as documented), never a crash, leak or undefined behaviour; a decoded snapshot
// re-encodes to a blob that decodes to the same snapshot.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state_snapshot.hpp"
#include "restore.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "snapshot_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::string frame(std::string_view payload) {
  std::string blob = "EDS1";
  const std::uint32_t crc = eddy::crc32_of(payload);
  for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  const std::uint64_t n = payload.size();
  for (int i = 0; i < 8; ++i) blob.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  blob.append(payload);
  return blob;
}

bool same(const eddy::operator_snapshot& a, const eddy::operator_snapshot& b) {
  if (a.header.checkpoint_id != b.header.checkpoint_id ||
      a.header.operator_uid != b.header.operator_uid ||
      a.header.operator_name != b.header.operator_name || a.header.subtask != b.header.subtask ||
      a.header.parallelism != b.header.parallelism ||
      a.header.max_parallelism != b.header.max_parallelism || a.entries.size() != b.entries.size())
    return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const auto& x = a.entries[i];
    const auto& y = b.entries[i];
    if (x.name != y.name || x.key_group != y.key_group || x.type != y.type || x.data != y.data)
      return false;
  }
  return true;
}

/// Runs one state helper; std::runtime_error is its documented error (type mismatch, bad data).
template <class F>
void try_state(F&& f) {
  try {
    f();
  } catch (const std::runtime_error&) {
  }
}

/// Decodes the restored entries the way operators do (operator values, watermarks, keyed maps).
void decode_entries(const std::vector<eddy::state_entry>& entries) {
  for (const auto& e : entries) {
    if (e.key_group < 0) {
      if (e.name.rfind("__union:", 0) == 0)
        try_state([&] { (void)eddy::get_watermark(entries, e.name.substr(8)); });
      try_state([&] { (void)eddy::get_operator_value<std::int64_t>(entries, e.name); });
      try_state([&] { (void)eddy::get_operator_value<std::uint64_t>(entries, e.name); });
      try_state([&] { (void)eddy::get_operator_value<std::vector<std::string>>(entries, e.name); });
    } else {
      try_state([&] {
        std::unordered_map<std::string, std::int64_t> m;
        eddy::get_keyed_entries<std::string, std::int64_t>(entries, e.name, m);
      });
      try_state([&] {
        std::map<std::int64_t, std::vector<double>> m;
        eddy::get_keyed_entries<std::int64_t, std::vector<double>>(entries, e.name, m);
      });
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string blob = (mode & 1) != 0 ? frame(rest) : std::string(rest);

  auto decoded = eddy::decode_snapshot(blob, "fuzz input");
  if (!decoded) {
    if (decoded.error().message.find("fuzz input") == std::string::npos)
      fail("error does not name the location", decoded.error().message);
    return 0;
  }
  const auto& snap = *decoded;
  // Both encoders (the one consuming its argument lays large entries out differently).
  auto copy = snap;
  for (const std::string& again :
       {eddy::encode_snapshot(snap), eddy::encode_snapshot(std::move(copy))}) {
    auto second = eddy::decode_snapshot(again, "re-encoded");
    if (!second) fail("own encoding does not decode", second.error().message);
    if (!same(snap, *second)) fail("re-encoded snapshot differs", "");
  }

  // Restore it as one subtask's blob of a checkpoint, at the same and at other parallelisms.
  const int old_parallelism = static_cast<int>((mode >> 1) & 7) + 1;
  const auto old_index = static_cast<std::size_t>(((mode >> 4) & 7) % old_parallelism);
  eddy::detail::restore_set rs;
  rs.location = "fuzz";
  rs.max_parallelism = 128;
  auto& op = rs.operators[snap.header.operator_uid];
  op.parallelism = old_parallelism;
  op.subtasks.resize(static_cast<std::size_t>(old_parallelism));
  op.subtasks[old_index] = snap;
  for (const int parallelism : {old_parallelism, 1, 3}) {
    for (int index = 0; index < parallelism; ++index) {
      try {
        auto r =
            eddy::detail::restore_for(rs, snap.header.operator_uid, "fuzzed", index, parallelism);
        decode_entries(r.entries);
      } catch (const std::runtime_error&) {
        // non-keyed state that cannot be split for another parallelism: a documented error
      }
    }
  }
  return 0;
}
