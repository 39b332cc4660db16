// The librdkafka side of the Kafka sink's exactly-once mode (kafka_txn_sink.hpp): a pool of
// transactional producers per sink subtask, and the recovery of transactions after a restore.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include "eddy/connectors/kafka/kafka_txn_sink.hpp"
#include "eddy/runtime/log.hpp"
#include "kafka_client.hpp"

namespace eddy::kafka::detail {

namespace {
using clock_type = std::chrono::steady_clock;
constexpr int pool_size = 5;
constexpr const char* marker_header = "eddy-txn";

std::string describe(rd_kafka_error_t* e) {
  std::string s = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return s;
}

std::uint64_t fresh_nonce() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t n = 0;
  while (n == 0) n = rng();
  return n;
}

std::string marker(const std::string& id, std::uint64_t nonce) {
  return id + ":" + std::to_string(nonce);
}
}  // namespace

struct txn_core::impl {
  /// One transactional producer (one transactional.id).
  struct producer {
    std::string id;
    rd_kafka_t* rk = nullptr;
    bool busy = false;        // a kafka_txn of this run uses the id
    std::uint64_t nonce = 0;  // the Kafka transaction open on it (0: none)
    std::mutex mu;            // delivery reports (on the thread calling poll/flush: ours)
    std::string failure;
    std::map<std::int32_t, std::int64_t> first;  // first offset per partition, this transaction
    std::vector<std::int32_t> partitions;        // where each record of it went

    ~producer() {
      if (!rk) return;
      rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(rk, 0);
      rd_kafka_destroy(rk);
    }
  };

  sink_options o;
  std::string name;
  subtask_info info;
  std::map<std::string, std::unique_ptr<producer>> producers;

  [[nodiscard]] std::string what() const {
    return "kafka sink '" + name + "' (subtask " + std::to_string(info.index + 1) + "/" +
           std::to_string(info.parallelism) + ", topic " + o.topic + " on " + o.bootstrap_servers +
           ", exactly-once)";
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* p = static_cast<producer*>(opaque);
    std::lock_guard<std::mutex> lock(p->mu);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (p->failure.empty()) p->failure = rd_kafka_err2str(m->err);
      return;
    }
    auto [it, inserted] = p->first.emplace(m->partition, m->offset);
    if (!inserted) it->second = std::min(it->second, m->offset);
    const auto index = reinterpret_cast<std::uintptr_t>(m->_private);
    if (index < p->partitions.size()) p->partitions[index] = m->partition;
  }

  void check(producer& p) {
    std::lock_guard<std::mutex> lock(p.mu);
    if (!p.failure.empty())
      throw std::runtime_error(what() + ": a message of transaction " + p.id +
                               " could not be delivered: " + p.failure);
  }

  producer& get(const std::string& id) {
    auto& p = producers[id];
    if (!p) {
      p = std::make_unique<producer>();
      p->id = id;
    }
    return *p;
  }

  /// Creates the producer's client and initialises its transactions, which aborts whatever an
  /// earlier producer with the same id left open.
  void ensure_client(producer& p) {
    if (p.rk) return;
    auto conf = make_conf(
        what(), o.bootstrap_servers,
        {{"transactional.id", p.id}, {"transaction.timeout.ms", "900000"}, {"linger.ms", "5"}},
        o.properties);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &on_delivery);
    rd_kafka_conf_set_opaque(conf.get(), &p);
    p.rk = make_client(what(), RD_KAFKA_PRODUCER, std::move(conf));
    const auto timeout = static_cast<int>(o.flush_timeout.count());
    if (auto* e = rd_kafka_init_transactions(p.rk, timeout))
      throw std::runtime_error(what() + ": cannot initialise transactions for id " + p.id + ": " +
                               describe(e));
  }

  void begin(producer& p, std::uint64_t nonce) {
    ensure_client(p);
    if (auto* e = rd_kafka_begin_transaction(p.rk))
      throw std::runtime_error(what() + ": cannot begin a transaction (id " + p.id +
                               "): " + describe(e));
    p.nonce = nonce;
    std::lock_guard<std::mutex> lock(p.mu);
    p.first.clear();
    p.partitions.clear();
    p.failure.clear();
  }

  /// Queues record `index` of the open transaction.
  void produce(producer& p, std::size_t index, bool has_key, std::string_view key,
               std::string_view value, std::int32_t partition, const std::string& mark) {
    {
      std::lock_guard<std::mutex> lock(p.mu);
      if (p.partitions.size() <= index) p.partitions.resize(index + 1, -1);
    }
    clock_type::time_point since{};
    for (;;) {
      const auto err = rd_kafka_producev(
          p.rk, RD_KAFKA_V_TOPIC(o.topic.c_str()),
          RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, has_key ? key.size() : 0),
          RD_KAFKA_V_HEADER(marker_header, mark.data(), static_cast<ssize_t>(mark.size())),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(index))),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw std::runtime_error(what() + ": " + rd_kafka_err2str(err));
      const auto now = clock_type::now();
      if (since == clock_type::time_point{})
        since = now;
      else if (now - since >= std::chrono::seconds(10)) {
        eddy::log().warn("{}: waiting for the brokers to take {} queued message(s)", what(),
                         rd_kafka_outq_len(p.rk));
        since = now;
      }
      rd_kafka_poll(p.rk, 100);
      check(p);
    }
  }

  void flush(producer& p) {
    const auto start = clock_type::now();
    while (rd_kafka_outq_len(p.rk) > 0) {
      rd_kafka_flush(p.rk, 500);
      check(p);
      if (clock_type::now() - start >= o.flush_timeout)
        throw std::runtime_error(what() + ": " + std::to_string(rd_kafka_outq_len(p.rk)) +
                                 " message(s) not acknowledged after " +
                                 std::to_string(o.flush_timeout.count()) +
                                 " ms (flush-timeout); are the brokers reachable?");
    }
    check(p);
  }

  void commit(producer& p) {
    const auto timeout = static_cast<int>(o.flush_timeout.count());
    for (;;) {
      auto* e = rd_kafka_commit_transaction(p.rk, timeout);
      if (!e) break;
      if (rd_kafka_error_is_retriable(e)) {
        eddy::log().warn("{}: committing transaction {}: {} (trying again)", what(), p.id,
                         rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        continue;
      }
      // Not committed: the job fails, and the restore produces the transaction's records again
      // (they are in the checkpoint).
      throw std::runtime_error(what() + ": cannot commit transaction " + p.id + ": " + describe(e));
    }
    p.nonce = 0;
  }
};

txn_core::txn_core(sink_options options, std::string name) : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(options);
  impl_->name = std::move(name);
}

txn_core::~txn_core() = default;

void txn_core::open(const subtask_info& info) {
  impl_->info = info;
  if (impl_->o.transactional_id_prefix.empty())
    throw std::invalid_argument(impl_->what() + ": exactly-once needs a transactional-id-prefix");
  if (!info.checkpointing && info.index == 0)
    eddy::log().warn(
        "{}: checkpoints are off, so the transaction commits only when the job finishes; an "
        "unbounded job's output stays invisible to read_committed readers until its "
        "transaction times out (transaction.timeout.ms) and the job fails",
        impl_->what());
}

kafka_txn txn_core::begin() {
  auto& d = *impl_;
  for (int k = 0; k < pool_size; ++k) {
    const auto id =
        d.o.transactional_id_prefix + "-" + std::to_string(d.info.index) + "-" + std::to_string(k);
    auto& p = d.get(id);
    if (p.busy) continue;
    p.busy = true;
    return kafka_txn{id, 0, {}, {}};
  }
  throw std::runtime_error(d.what() + ": more than " + std::to_string(pool_size - 1) +
                           " checkpoints wait for completion, each holding a Kafka transaction; "
                           "are checkpoints failing?");
}

void txn_core::write(kafka_txn& txn, std::optional<std::string_view> key, std::string_view value,
                     std::int32_t partition) {
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  if (txn.nonce == 0) {
    txn.nonce = fresh_nonce();
    d.begin(p, txn.nonce);
  }
  d.produce(p, txn.records.size(), key.has_value(), key.value_or(std::string_view{}), value,
            partition, marker(txn.id, txn.nonce));
  txn.records.emplace_back(key.has_value(), std::string(key.value_or(std::string_view{})),
                           std::string(value), partition);
  rd_kafka_poll(p.rk, 0);
  d.check(p);
}

void txn_core::pre_commit(kafka_txn& txn) {
  if (txn.nonce == 0) return;
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  d.flush(p);
  std::lock_guard<std::mutex> lock(p.mu);
  txn.first_offsets.assign(p.first.begin(), p.first.end());
  // The partitions the records went to: produced again after a restore, they go to the same
  // ones, so the transaction's first partition holds its marker whichever copy was committed.
  for (std::size_t i = 0; i < txn.records.size() && i < p.partitions.size(); ++i)
    std::get<3>(txn.records[i]) = p.partitions[i];
}

void txn_core::commit(const kafka_txn& txn) {
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  if (txn.nonce != 0) {
    if (p.rk && p.nonce == txn.nonce)
      d.commit(p);  // ours, open since this run began it
    else
      recover_and_commit(txn);
  }
  p.busy = false;
}

void txn_core::abort(const kafka_txn& txn) {
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  if (txn.nonce != 0 && p.rk && p.nonce == txn.nonce) {
    rd_kafka_purge(p.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (auto* e = rd_kafka_abort_transaction(p.rk, static_cast<int>(d.o.flush_timeout.count())))
      eddy::log().warn("{}: aborting transaction {}: {} (Kafka aborts it when it times out)",
                       d.what(), p.id, describe(e));
    p.nonce = 0;
  }
  p.busy = false;
}

bool txn_core::committed(const kafka_txn& txn) {
  auto& d = *impl_;
  if (txn.nonce == 0 || txn.first_offsets.empty()) return true;  // nothing was produced
  // Its marker in its first partition, from its first offset on: there if it was committed
  // (read_committed skips an aborted one), or if an earlier restore committed a copy.
  const auto [partition, offset] = txn.first_offsets.front();
  auto conf = make_conf(d.what(), d.o.bootstrap_servers,
                        {{"group.id", txn.id + "-check"},
                         {"isolation.level", "read_committed"},
                         {"enable.partition.eof", "true"},
                         {"enable.auto.commit", "false"}},
                        d.o.properties);
  rd_kafka_t* rk = make_client(d.what(), RD_KAFKA_CONSUMER, std::move(conf));
  struct closer {
    rd_kafka_t* rk;
    ~closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } close_at_end{rk};
  auto* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, d.o.topic.c_str(), partition)->offset = offset;
  const auto err = rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(d.what() + ": cannot read back transaction " + txn.id + ": " +
                             rd_kafka_err2str(err));
  // The deadline moves on while messages come (a long tail to scan is not a hang).
  auto deadline = clock_type::now() + d.o.flush_timeout;
  const std::string want = marker(txn.id, txn.nonce);
  while (clock_type::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    struct releaser {
      rd_kafka_message_t* m;
      ~releaser() { rd_kafka_message_destroy(m); }
    } release{m};
    deadline = clock_type::now() + d.o.flush_timeout;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return false;  // nothing at the offset
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (is_transient(m->err)) continue;
      throw std::runtime_error(d.what() + ": cannot read back transaction " + txn.id + ": " +
                               rd_kafka_message_errstr(m));
    }
    rd_kafka_headers_t* hdrs = nullptr;
    const void* v = nullptr;
    std::size_t size = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(hdrs, marker_header, &v, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        std::string_view(static_cast<const char*>(v), size) == want)
      return true;  // the transaction, or the copy an earlier restore committed
  }
  throw std::runtime_error(d.what() + ": cannot tell whether transaction " + txn.id +
                           " was committed: no answer from the brokers within " +
                           std::to_string(d.o.flush_timeout.count()) + " ms (flush-timeout)");
}

void txn_core::recover_and_commit(const kafka_txn& txn) {
  if (txn.nonce == 0) return;
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  if (p.nonce != 0) throw std::logic_error(d.what() + ": transaction id " + txn.id + " is in use");
  d.ensure_client(p);  // aborts what was left open under the id, so the check sees the truth
  if (committed(txn)) {
    eddy::log().info("{}: transaction {} was committed before the restore", d.what(), txn.id);
    return;
  }
  // A copy with the same marker, to the same partitions: a later restore from the same
  // checkpoint finds it and does not write it again.
  d.begin(p, txn.nonce);
  const auto mark = marker(txn.id, txn.nonce);
  std::size_t i = 0;
  for (const auto& [has_key, key, value, partition] : txn.records) {
    d.produce(p, i++, has_key, key, value, partition, mark);
    rd_kafka_poll(p.rk, 0);
  }
  d.flush(p);
  d.commit(p);
  eddy::log().info(
      "{}: transaction {} was not committed before the restore: produced its {} "
      "record(s) again",
      d.what(), txn.id, txn.records.size());
}

void txn_core::recover_and_abort(const kafka_txn& txn) {
  if (txn.nonce == 0) return;
  auto& d = *impl_;
  auto& p = d.get(txn.id);
  if (p.nonce == 0) d.ensure_client(p);  // initialising the id aborts the open transaction
}

}  // namespace eddy::kafka::detail
