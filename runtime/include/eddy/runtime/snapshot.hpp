#pragma once
/// Snapshots of operator state: what an operator subtask writes at a checkpoint and reads back on
/// restore, and their encoding into checksummed blobs.
///
/// An operator describes its state as entries: a name, the key group it belongs to (-1 for
/// operator state that is not keyed), a type tag checked on restore, and the data, encoded with
/// Eddy's serializer (serializer.hpp). Keyed state is written per key group so that a job can be
/// restored at another parallelism: each new subtask takes the key groups of its range from the
/// blobs of all old subtasks.
///
/// Blob format: "EDS1" magic, a CRC-32 of the payload (4 bytes, little endian), the payload length
/// (8 bytes, little endian), then the payload: a Cap'n Proto OperatorSnapshot message
/// (runtime/schema/snapshot.capnp, versioned). A flipped byte anywhere is detected.
///
/// Thread-safety: plain values and free functions; use from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/error.hpp"

namespace eddy {

/// One piece of an operator's state (see above).
struct state_entry {
  std::string name;
  int key_group = -1;  ///< -1: operator state
  std::string type;    ///< e.g. "value<long>"; a restore with another type is refused
  std::string data;    ///< serializer-encoded values
};

/// Who wrote a snapshot.
struct snapshot_header {
  std::uint64_t checkpoint_id = 0;
  std::string operator_uid;
  std::string operator_name;
  int subtask = 0;
  int parallelism = 1;
  int max_parallelism = 128;
};

struct operator_snapshot {
  snapshot_header header;
  std::vector<state_entry> entries;
};

/// The current blob format version (OperatorSnapshot.formatVersion).
inline constexpr std::uint32_t snapshot_format_version = 1;

/// Encodes a snapshot into a checksummed blob.
[[nodiscard]] std::string encode_snapshot(const operator_snapshot& s);
/// The same blob; consumes `s` (its large entries are copied once, straight into the blob).
[[nodiscard]] std::string encode_snapshot(operator_snapshot&& s);

/// Decodes a blob. `location` names where it came from (e.g. "checkpoint 7, operator 'sum',
/// subtask 2 in /data/chk") and appears in every error: a wrong magic, a checksum mismatch
/// (corruption), a truncated blob, an unknown format version, or a malformed message.
[[nodiscard]] expected<operator_snapshot> decode_snapshot(std::string_view blob,
                                                          const std::string& location);

/// CRC-32 (zlib's) of some bytes.
[[nodiscard]] std::uint32_t crc32_of(std::string_view bytes) noexcept;

}  // namespace eddy
