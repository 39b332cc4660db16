#pragma once
/// Exactly-once sinks to external systems (Flink's TwoPhaseCommitSinkFunction).
///
/// A user sink derives from two_phase_commit_sink<T, Txn>: records go into a transaction; at a
/// checkpoint the transaction is pre-committed (flushed, so that a later commit cannot fail for
/// lack of data) and a new one begins; when the checkpoint completes, the transactions it covers
/// are committed. Pending transactions are part of the checkpoint (Txn needs a Serializer: an
/// id, a file name, a list of staged records...), so after a restore those of the restored
/// checkpoint are committed again (recover_and_commit: commit must be idempotent) and the one
/// that was open at that checkpoint is aborted (recover_and_abort). When the job finishes, the
/// open transaction and every pending one are committed; when it fails for good, the open one is
/// aborted and pending ones are left for a resume to commit. Transactions of checkpoints that
/// never completed are neither committed nor aborted (as in Flink): the external system should
/// expire them.
///
/// Threads: every method is called on the sink subtask's actor, except the final commit/abort
/// after the job ended, which runs on the supervisor's thread once the subtask is gone (the sink
/// object is kept alive for it). Exceptions fail the job naming the sink and subtask.
///
///     struct staged_sink : eddy::two_phase_commit_sink<std::string, std::uint64_t> {
///       std::uint64_t begin_transaction() override { return db->new_staging_table(); }
///       void invoke(std::uint64_t& txn, const std::string& r) override { db->stage(txn, r); }
///       void pre_commit(std::uint64_t& txn) override { db->flush(txn); }
///       void commit(const std::uint64_t& txn) override { db->publish_once(txn); }
///       void abort(const std::uint64_t& txn) override { db->drop(txn); }
///     };
///     stream.add_two_phase_commit_sink([](const eddy::subtask_info&) {
///       return std::make_unique<staged_sink>();
///     });
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

namespace detail {
/// Logs a warning (spdlog stays out of this header); defined in sinks.cpp.
void warn_sink_problem(const std::string& message);
}  // namespace detail

template <class T, class Txn>
class two_phase_commit_sink {
 public:
  using record_type = T;
  using transaction_type = Txn;
  virtual ~two_phase_commit_sink() = default;
  /// Called once before any other method.
  virtual void open(const subtask_info& info) { (void)info; }
  virtual Txn begin_transaction() = 0;
  virtual void invoke(Txn& txn, const T& record) = 0;
  /// Flushes `txn`; it is committed or aborted later.
  virtual void pre_commit(Txn& txn) = 0;
  /// Makes `txn` visible. Must be idempotent: after a restore it may be called again.
  virtual void commit(const Txn& txn) = 0;
  virtual void abort(const Txn& txn) = 0;
  /// After a restore: a transaction the restored checkpoint covers.
  virtual void recover_and_commit(const Txn& txn) { commit(txn); }
  /// After a restore: the transaction that was open at the restored checkpoint.
  virtual void recover_and_abort(const Txn& txn) { abort(txn); }
};

/// The operator running a two_phase_commit_sink (one sink object per subtask, from a factory).
template <class T, class Txn>
class two_phase_commit_sink_op final : public input_op<T> {
 public:
  using sink_type = two_phase_commit_sink<T, Txn>;
  using factory = std::function<std::unique_ptr<sink_type>(const subtask_info&)>;

  explicit two_phase_commit_sink_op(factory f) : factory_(std::move(f)) {}
  ~two_phase_commit_sink_op() override {
    // Ended without finishing (a failure, a cancel, a stop at a savepoint): the open
    // transaction holds records after the last checkpoint, which a restore replays.
    if (sink_ && open_txn_) {
      try {
        sink_->abort(*current_);
      } catch (const std::exception& e) {
        detail::warn_sink_problem("sink '" + this->name_ + "' (subtask " +
                                  std::to_string(this->info_.index + 1) +
                                  "): aborting a transaction failed: " + e.what());
      }
    }
  }

  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded([&] {
      sink_ = std::shared_ptr<sink_type>(factory_(info));
      if (!sink_) throw std::runtime_error("the sink factory returned no sink");
      sink_->open(info);
      current_ = std::make_unique<Txn>(sink_->begin_transaction());
      open_txn_ = true;
    });
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      for (const auto& r : records) sink_->invoke(*current_, r);
    });
  }
  void finish() override {
    this->guarded([&] { sink_->pre_commit(*current_); });
  }

  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    if constexpr (checkpointable_v<Txn>) {
      this->guarded([&] {
        sink_->pre_commit(*current_);
        pending_.emplace_back(id, std::move(*current_));
        current_ = std::make_unique<Txn>(sink_->begin_transaction());
      });
      state st{this->info_.index, pending_, *current_};
      out.push_back(state_entry{"__union:transactions", -1, state_type_tag<Txn>("transactions"),
                                serialize(st)});
    } else {
      throw_not_checkpointable<Txn>("the transactions of sink '" + this->name_ + "'");
    }
  }
  void notify_checkpoint_complete(std::uint64_t id) override {
    this->guarded([&] {
      std::size_t n = 0;
      for (; n < pending_.size() && pending_[n].first <= id; ++n) sink_->commit(pending_[n].second);
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    });
  }
  /// Each old subtask's transactions are recovered by exactly one new subtask (old index modulo
  /// the new parallelism).
  void restore_state(const std::vector<state_entry>& entries) override {
    if constexpr (checkpointable_v<Txn>) {
      this->guarded([&] {
        for (const auto& e : entries) {
          if (e.name != "__union:transactions") continue;
          detail::check_type(e, state_type_tag<Txn>("transactions"));
          auto [old, pending, open] = detail::decode_state<state>(e);
          if (old % this->info_.parallelism != this->info_.index) continue;
          for (const auto& [chk, txn] : pending) sink_->recover_and_commit(txn);
          sink_->recover_and_abort(open);
        }
      });
    }
  }
  std::function<void(bool)> take_job_finished_action() override {
    open_txn_ = false;  // the action owns it now
    return [sink = sink_, pending = std::move(pending_),
            current = std::shared_ptr<Txn>(std::move(current_))](bool succeeded) {
      if (!sink || !current) return;
      if (!succeeded) {
        sink->abort(*current);
        return;
      }
      for (const auto& [chk, txn] : pending) sink->commit(txn);
      sink->commit(*current);
    };
  }

 private:
  using state = std::tuple<std::int32_t, std::vector<std::pair<std::uint64_t, Txn>>, Txn>;
  factory factory_;
  std::shared_ptr<sink_type> sink_;
  std::unique_ptr<Txn> current_;  // the open transaction
  bool open_txn_ = false;         // current_ is ours to abort if we end without finishing
  std::vector<std::pair<std::uint64_t, Txn>> pending_;  // pre-committed, by checkpoint
};

}  // namespace eddy
