#pragma once
/// Built-in sinks: a user function (add_sink), print() to stdout, write_text_file() to a
/// directory of part files, and collect() for tests.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/checkpointed_function.hpp"
#include "eddy/operators/to_text.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

namespace detail {
template <class F, class = void>
struct has_open : std::false_type {};
template <class F>
struct has_open<F,
                std::void_t<decltype(std::declval<F&>().open(std::declval<const subtask_info&>()))>>
    : std::true_type {};
template <class F, class = void>
struct has_close : std::false_type {};
template <class F>
struct has_close<F, std::void_t<decltype(std::declval<F&>().close())>> : std::true_type {};
}  // namespace detail

/// Calls a copy of the user's function per subtask for every record. If the function object has
/// `open(const subtask_info&)` and/or `close()` members they are called at start and at the end
/// of input; snapshot_state/restore_state members checkpoint its state
/// (checkpointed_function.hpp).
template <class T, class F>
class function_sink_op final : public input_op<T> {
 public:
  explicit function_sink_op(F f) : f_(std::move(f)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    if constexpr (detail::has_open<F>::value) this->guarded([&] { f_.open(info); });
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      for (const auto& r : records) f_(r);
    });
  }
  void finish() override {
    if constexpr (detail::has_close<F>::value) this->guarded([&] { f_.close(); });
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    this->guarded([&] { detail::snapshot_function(f_, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { detail::restore_function(f_, entries); });
  }

 private:
  F f_;
};

/// When a file sink starts a new part file before the next checkpoint (Flink's
/// DefaultRollingPolicy for row formats; the defaults are Flink's). A file also ends at every
/// checkpoint and at the end of input. Rolled files stay hidden (pending) until the next
/// checkpoint completes, or the job ends, so rolling never changes what is committed when.
struct rolling_policy {
  /// A file rolls once it holds this many bytes; lines are never split (a file holds at least
  /// one line even if that line is longer). 0: no size limit.
  std::uint64_t max_part_size = 128ull << 20;
  /// A file rolls when a record arrives for it this long after it was opened. 0: no limit.
  std::chrono::milliseconds rollover_interval{std::chrono::seconds(60)};
};

namespace detail {
/// Writes `text` to stdout and flushes it (one lock: lines of concurrent subtasks never mix).
void write_stdout(const std::string& text);

/// The part files of one file sink subtask, committed in two phases (Flink's FileSink):
/// records go to the in-progress file ".part-<node>-<subtask>-<n>.inprogress"; at a checkpoint
/// the file is closed and becomes pending for that checkpoint (the next one starts with n = the
/// checkpoint id); when the checkpoint completes its pending files are renamed to
/// "part-<node>-<subtask>-<n>", and at the end of a successful job the rest are. A file the
/// rolling policy ends between checkpoints is pending for the next one; the files after it in
/// the same interval are numbered "<n>-<k>" (k = 1, 2, ...). So readers of
/// the directory only see committed output, and a job resumed from a checkpoint neither repeats
/// nor loses a line: on restore, the files the checkpoint had pending are committed, committed
/// files numbered from the checkpoint on (output after it, committed when an earlier run
/// finished) are deleted, and before the first write stray in-progress files of this subtask
/// (written after the checkpoint) are deleted. The name prefix is part of the state: a restored
/// sink takes the prefix of the run it restores. Used only on the subtask's actor; errors throw
/// std::runtime_error naming the path.
class part_files {
 public:
  part_files() = default;
  ~part_files();
  part_files(const part_files&) = delete;
  part_files& operator=(const part_files&) = delete;
  /// Creates the directory if missing.
  /// `name_prefix`: put after "part-" in every name (several jobs writing one directory each
  /// give their own, so that their files never share a name).
  void open(const std::string& dir, int node_id, int subtask, int parallelism,
            rolling_policy policy = {}, std::string name_prefix = {});
  void write(const std::string& data);
  void snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out);
  void commit_up_to(std::uint64_t checkpoint_id);
  void restore(const std::vector<state_entry>& entries);
  /// End of input: closes the current file; the returned action commits every pending file
  /// (on failure it removes the last one unless `checkpointing`: then the subtask's final
  /// snapshot may reference it).
  std::function<void(bool)> finish(bool checkpointing);

 private:
  /// `checkpoint`: the checkpoint whose completion commits the file; 0 until the next snapshot
  /// (a rolled file); ~0 at the end of input.
  struct pending_file {
    std::uint64_t checkpoint;
    std::string tmp, final;
  };
  /// "<n>" or "<n>-<k>": what follows "part-<node>-<subtask>-" in a file's name.
  [[nodiscard]] static std::string file_number(std::uint64_t n, std::uint64_t k);
  [[nodiscard]] std::string tmp_path(int subtask, const std::string& number) const;
  [[nodiscard]] std::string final_path(int subtask, const std::string& number) const;
  [[nodiscard]] std::string current_number() const { return file_number(n_, k_); }
  void open_current();
  void close_current();
  /// Ends the current file (pending until the next snapshot) and starts numbering the next.
  void roll();
  /// Removes this subtask's (and, on subtask 0, higher subtasks') committed or in-progress files
  /// numbered `from` or higher.
  void remove_matching(bool committed, std::uint64_t from);
  void remove_stray_in_progress();  // once, before this subtask writes
  bool cleaned_ = false;
  std::string dir_;
  std::string prefix_;  // name_prefix
  int node_ = 0, subtask_ = 0, parallelism_ = 1;
  rolling_policy policy_;
  std::FILE* file_ = nullptr;
  std::uint64_t n_ = 0;      // number of the current/next file: the last checkpoint's id
  std::uint64_t k_ = 0;      // files rolled since that checkpoint
  std::uint64_t bytes_ = 0;  // in the current file
  std::chrono::steady_clock::time_point opened_at_;
  std::vector<pending_file> pending_;
};
}  // namespace detail

/// Flink's print(): one line per record on stdout, prefixed with "<subtask>> " (1-based) when the
/// sink runs with parallelism > 1.
template <class T, class Fmt>
class print_sink_op final : public input_op<T> {
 public:
  explicit print_sink_op(Fmt fmt) : fmt_(std::move(fmt)) {}
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      text_.clear();
      for (const auto& r : records) {
        if (this->info_.parallelism > 1) {
          append_text(text_, this->info_.index + 1);
          text_.append("> ");
        }
        fmt_(text_, r);
        text_.push_back('\n');
      }
      detail::write_stdout(text_);
    });
  }
  void finish() override {}

 private:
  Fmt fmt_;
  std::string text_;
};

/// Writes one line per record into part files in `dir` (see detail::part_files: exactly-once
/// with checkpoints, visible once committed), rolled by `policy`.
template <class T, class Fmt>
class text_file_sink_op final : public input_op<T> {
 public:
  text_file_sink_op(std::string dir, int node_id, Fmt fmt, rolling_policy policy = {},
                    std::string name_prefix = {})
      : dir_(std::move(dir)),
        node_id_(node_id),
        fmt_(std::move(fmt)),
        policy_(policy),
        name_prefix_(std::move(name_prefix)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded(
        [&] { writer_.open(dir_, node_id_, info.index, info.parallelism, policy_, name_prefix_); });
  }
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    writer_.snapshot(id, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override { writer_.restore(entries); }
  void notify_checkpoint_complete(std::uint64_t id) override {
    this->guarded([&] { writer_.commit_up_to(id); });
  }
  std::function<void(bool)> take_job_finished_action() override { return std::move(action_); }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      text_.clear();
      for (const auto& r : records) {
        fmt_(text_, r);
        text_.push_back('\n');
      }
      writer_.write(text_);
    });
  }
  void finish() override {
    this->guarded([&] { action_ = writer_.finish(this->info_.checkpointing); });
  }

 private:
  std::string dir_;
  int node_id_;
  Fmt fmt_;
  rolling_policy policy_;
  std::string name_prefix_;
  std::string text_;
  detail::part_files writer_;
  std::function<void(bool)> action_;
};

/// The records a collect() sink gathered. Thread-safe; read it after the job ended.
template <class T>
class collected {
 public:
  collected() : state_(std::make_shared<state>()) {}
  /// A copy of everything collected so far (order: per subtask in arrival order).
  [[nodiscard]] std::vector<T> values() const {
    std::lock_guard<std::mutex> g(state_->mtx);
    return state_->values;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard<std::mutex> g(state_->mtx);
    return state_->values.size();
  }
  void append(std::vector<T>& records) const {
    std::lock_guard<std::mutex> g(state_->mtx);
    for (auto& r : records) state_->values.push_back(std::move(r));
  }
  /// Appends the records of one commit unless that commit (sink subtask, checkpoint) was applied
  /// already (a restore may repeat a commit whose notification arrived before a failure).
  void commit_once(int subtask, std::uint64_t checkpoint, std::vector<T>& records) const {
    std::lock_guard<std::mutex> g(state_->mtx);
    if (!state_->commits.emplace(subtask, checkpoint).second) return;
    for (auto& r : records) state_->values.push_back(std::move(r));
  }

 private:
  struct state {
    std::mutex mtx;
    std::vector<T> values;
    std::set<std::pair<int, std::uint64_t>> commits;
  };
  std::shared_ptr<state> state_;
};

/// collect(): in a job that cannot restart, records are appended as they arrive. Otherwise the
/// sink commits in two phases: records wait until the checkpoint after them completes (or the
/// job finishes), and are kept in the checkpoint, so a job restarted after a failure neither
/// repeats nor loses one (with checkpoints it needs a Serializer for T).
template <class T>
class collect_sink_op final : public input_op<T> {
 public:
  explicit collect_sink_op(collected<T> target) : target_(std::move(target)) {}
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    if (!this->info_.may_restart) {
      target_.append(records);
      return;
    }
    for (auto& r : records) buffer_.push_back(std::move(r));
  }
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    if constexpr (checkpointable_v<T>) {
      if (!buffer_.empty()) pending_.emplace_back(id, std::move(buffer_));
      buffer_.clear();
      std::vector<std::tuple<std::int32_t, std::uint64_t, std::vector<T>>> st;
      for (const auto& [chk, recs] : pending_) st.emplace_back(this->info_.index, chk, recs);
      out.push_back(
          state_entry{"__union:collect", -1, state_type_tag<T>("collect"), serialize(st)});
    } else {
      throw_not_checkpointable<T>("the records of collect sink '" + this->name_ + "'");
    }
  }
  void notify_checkpoint_complete(std::uint64_t id) override {
    std::size_t n = 0;
    for (; n < pending_.size() && pending_[n].first <= id; ++n)
      target_.commit_once(this->info_.index, pending_[n].first, pending_[n].second);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if constexpr (checkpointable_v<T>) {
      for (const auto& e : entries) {
        if (e.name != "__union:collect") continue;
        detail::check_type(e, state_type_tag<T>("collect"));
        for (auto& [subtask, chk, recs] : detail::decode_state<
                 std::vector<std::tuple<std::int32_t, std::uint64_t, std::vector<T>>>>(e))
          target_.commit_once(subtask, chk, recs);  // the restored checkpoint completed
      }
    }
  }
  void finish() override {}
  std::function<void(bool)> take_job_finished_action() override {
    if (!this->info_.may_restart) return {};
    auto rest = std::make_shared<std::vector<std::pair<std::uint64_t, std::vector<T>>>>(
        std::move(pending_));
    if (!buffer_.empty()) rest->emplace_back(~std::uint64_t{0}, std::move(buffer_));
    return [target = target_, rest, index = this->info_.index](bool succeeded) {
      if (!succeeded) return;
      for (auto& [chk, recs] : *rest) target.commit_once(index, chk, recs);
    };
  }

 private:
  collected<T> target_;
  std::vector<T> buffer_;                                          // since the last checkpoint
  std::vector<std::pair<std::uint64_t, std::vector<T>>> pending_;  // by checkpoint
};

}  // namespace eddy
