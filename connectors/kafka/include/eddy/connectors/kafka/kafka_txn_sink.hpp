#pragma once
/// The Kafka sink's exactly-once mode (sink_options::guarantee = exactly_once, URI
/// `guarantee=exactly-once&transactional-id-prefix=P`): one Kafka transaction per checkpoint
/// interval, committed when the checkpoint completes (two_phase_commit_sink.hpp).
///
/// librdkafka cannot commit, after a restart, a transaction another producer prepared (Flink's
/// Java client resumes it through the producer id and epoch). So each transaction's records are
/// also kept in the checkpoint, and every message carries the header `eddy-txn: <id>:<nonce>`.
/// After a restore, a transaction the checkpoint covers is looked up in the topic: a
/// read_committed consumer fetches the transaction's first message at the offset its delivery
/// report gave; if it is there with that header the transaction was committed, otherwise
/// (aborted: read_committed skips it) its records are produced again in a new transaction.
/// Initialising a producer with a transactional id aborts what an earlier producer left open
/// under it (Kafka's fencing), so lingering transactions do not block read_committed readers.
///
/// Transactional ids: "<prefix>-<subtask>-<k>", k < 5 (a transaction per checkpoint in flight;
/// more pending checkpoints than that fail the job). Checkpoints must complete within
/// transaction.timeout.ms (default here 15 min, Kafka's usual broker maximum).
///
/// What librdkafka 2.0.2's mock cluster cannot show (docs/connectors.md): it keeps aborted
/// records visible (no read_committed), does not fence, and ignores transaction timeouts; the
/// tests check the protocol as far as it goes. Every method runs on the sink subtask's actor,
/// except the final commit after the job ended (the supervisor's thread, the subtask gone).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/connectors/kafka/kafka_options.hpp"
#include "eddy/operators/two_phase_commit_sink.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::kafka {

/// One transaction of the exactly-once sink, as a checkpoint keeps it.
struct kafka_txn {
  std::string id;           ///< transactional.id
  std::uint64_t nonce = 0;  ///< 0: nothing produced yet (no Kafka transaction begun)
  /// has key, key, value, partition (-1: the partitioner's): every record, to produce again.
  std::vector<std::tuple<bool, std::string, std::string, std::int32_t>> records;
  /// The offset of the transaction's first message in each partition it wrote.
  std::vector<std::pair<std::int32_t, std::int64_t>> first_offsets;
};
EDDY_FIELDS(kafka_txn, id, nonce, records, first_offsets)

namespace detail {

/// The librdkafka side (kafka_txn_writer.cpp): a pool of transactional producers.
class txn_core {
 public:
  txn_core(sink_options options, std::string name);
  ~txn_core();
  txn_core(const txn_core&) = delete;
  txn_core& operator=(const txn_core&) = delete;
  void open(const subtask_info& info);
  kafka_txn begin();
  void write(kafka_txn& txn, std::optional<std::string_view> key, std::string_view value,
             std::int32_t partition);
  void pre_commit(kafka_txn& txn);
  void commit(const kafka_txn& txn);
  void abort(const kafka_txn& txn);
  void recover_and_commit(const kafka_txn& txn);
  void recover_and_abort(const kafka_txn& txn);
  /// Whether `txn` was committed (its first message is visible to read_committed readers).
  [[nodiscard]] bool committed(const kafka_txn& txn);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The two-phase-commit sink over txn_core.
template <class T>
class txn_sink final : public two_phase_commit_sink<T, kafka_txn> {
 public:
  using value_fn = std::function<std::string(const T&)>;
  using key_fn = std::function<std::optional<std::string>(const T&)>;
  using partition_fn = std::function<std::optional<std::int32_t>(const T&)>;
  txn_sink(sink_options o, value_fn v, key_fn k, partition_fn p)
      : core_(std::move(o), "kafka sink"),
        value_(std::move(v)),
        key_(std::move(k)),
        partition_(std::move(p)) {}
  void open(const subtask_info& info) override { core_.open(info); }
  kafka_txn begin_transaction() override { return core_.begin(); }
  void invoke(kafka_txn& txn, const T& r) override {
    std::int32_t p = -1;
    if (partition_) {
      if (auto chosen = partition_(r)) p = *chosen;
    }
    std::optional<std::string> k;
    if (key_) k = key_(r);
    core_.write(txn, k ? std::optional<std::string_view>(*k) : std::nullopt, value_(r), p);
  }
  void pre_commit(kafka_txn& txn) override { core_.pre_commit(txn); }
  void commit(const kafka_txn& txn) override { core_.commit(txn); }
  void abort(const kafka_txn& txn) override { core_.abort(txn); }
  void recover_and_commit(const kafka_txn& txn) override { core_.recover_and_commit(txn); }
  void recover_and_abort(const kafka_txn& txn) override { core_.recover_and_abort(txn); }

 private:
  txn_core core_;
  value_fn value_;
  key_fn key_;
  partition_fn partition_;
};

}  // namespace detail
}  // namespace eddy::kafka
