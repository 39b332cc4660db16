#pragma once
// The MQTT source's write-ahead log (mqtt_source.hpp): the messages a source subtask received,
// in order, in an LMDB store, written before libmosquitto acknowledges them. Thread-safe:
// the MQTT thread appends while the subtask's actor reads and truncates (LMDB serialises the
// writers; readers never block).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eddy::mqtt::detail {

struct wal_record {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  std::uint16_t mid = 0;  ///< the broker's message id (QoS 1/2); a redelivery has the same
};

/// Encodes / decodes a record as the log stores it (also the fuzz target's input).
std::string encode(const wal_record& r);
/// False if `data` is not a record.
bool decode(const void* data, std::size_t size, wal_record& out);

/// Records are keyed by their sequence number; beside each QoS 1/2 record the log keeps its
/// redelivery fingerprint (mqtt_redelivery.hpp) under the key 2^63 + sequence number, written in
/// the record's transaction and kept longer than the record (forget_fingerprints).
class mqtt_wal {
 public:
  /// Opens (creating) the log in directory `dir`. `sync`: fsync every append. Throws
  /// std::runtime_error naming the directory.
  mqtt_wal(const std::string& dir, bool sync);
  ~mqtt_wal();
  mqtt_wal(const mqtt_wal&) = delete;
  mqtt_wal& operator=(const mqtt_wal&) = delete;

  /// Appends `r` (and its fingerprint, if given) durably (against a process crash; with sync
  /// also an OS crash); returns its sequence number. Throws std::runtime_error.
  std::uint64_t append(const wal_record& r, std::optional<std::uint64_t> fingerprint = {});
  /// Appends to `out` the records with sequence numbers in [from, from + max) that exist.
  void read(std::uint64_t from, std::size_t max, std::vector<wal_record>& out) const;
  /// Appends to `out` the fingerprints kept for records numbered from `from` on, in order.
  void fingerprints(std::uint64_t from, std::vector<std::uint64_t>& out) const;
  /// The sequence number the next append gets.
  [[nodiscard]] std::uint64_t end() const;
  /// The oldest sequence number kept (end() if the log is empty).
  [[nodiscard]] std::uint64_t begin() const;
  /// Deletes the records before `upto`, except the newest (it keeps end() across reopening).
  void truncate(std::uint64_t upto);
  /// Deletes the fingerprints of the records before `upto`.
  void forget_fingerprints(std::uint64_t upto);
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  struct impl;
  impl* impl_;
  std::string dir_;
};

}  // namespace eddy::mqtt::detail
