#pragma once
/// Built-in sources. Each subtask reads its own share of the input: generator subtask k of p
/// emits the indices k, k + p, k + 2p, ... (so that subtasks advance through the index range,
/// and any event time derived from it, together), collections are split into contiguous parts,
/// text files are split by byte ranges (a line belongs to the subtask whose range holds its first
/// byte; a stream such as stdin or a pipe is read by subtask 0 alone). All are bounded except an
/// `unbounded` generator.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "eddy/operators/source_splits.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

/// Pass as the count to from_generator for a generator that never ends.
inline constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

namespace detail {
/// [begin, end) of part `index` of `n` items split into `parts`.
inline std::pair<std::uint64_t, std::uint64_t> split_range(std::uint64_t n, int index, int parts) {
  auto b = static_cast<std::uint64_t>((static_cast<unsigned __int128>(n) * index) / parts);
  auto e = static_cast<std::uint64_t>((static_cast<unsigned __int128>(n) * (index + 1)) / parts);
  return {b, e};
}
}  // namespace detail

namespace detail {
/// What a generator subtask has left to emit (see generator_source): its splits, checkpointed
/// so that a restore at another parallelism redistributes them. Shared by the fused generator
/// (fusion.hpp).
class generator_splits {
 public:
  void open(const subtask_info& info, std::uint64_t count) {
    splits_.clear();
    splits_.push_back({static_cast<std::uint64_t>(info.index),
                       count == unbounded ? split_unbounded : count,
                       static_cast<std::uint64_t>(info.parallelism), true});
  }
  /// Takes the next at most `max` indices, base + k * step for k < n; false if none are left.
  bool take(std::size_t max, std::uint64_t& base, std::uint64_t& step, std::size_t& n) {
    drop_empty();
    if (splits_.empty()) return false;
    auto& sp = splits_.front();
    const std::uint64_t left = sp.count();
    n = static_cast<std::size_t>(left < max ? left : max);
    base = sp.begin;
    step = sp.step;
    sp.begin += n * step;
    return true;
  }
  /// Whether every index has been taken.
  [[nodiscard]] bool done() {
    drop_empty();
    return splits_.empty();
  }
  void snapshot(const subtask_info& info, std::vector<state_entry>& out) const {
    put_splits(out, info, splits_);
  }
  void restore(const subtask_info& info, const std::vector<state_entry>& entries) {
    if (auto s = get_splits(entries, info)) splits_ = std::move(*s);
  }

 private:
  void drop_empty() {
    while (!splits_.empty() && splits_.front().count() == 0) splits_.erase(splits_.begin());
  }
  std::vector<source_split> splits_;  // front: the current one
};
}  // namespace detail

/// Emits fn(i) for i in [0, count) (or for ever if count == unbounded), subtask k of p emitting
/// k, k + p, k + 2p, ... in that order. Checkpoints hold the splits left (source_splits.hpp), so
/// a restore at another parallelism redistributes them.
template <class T, class F>
class generator_source final : public source_op<T> {
 public:
  generator_source(std::uint64_t count, F fn, input_op<T>* next)
      : source_op<T>(next), count_(count), fn_(std::move(fn)) {}

  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    splits_.open(info, count_);
    this->buffer_.reserve(info.batch_size);
  }

  source_status produce(std::size_t max_records) override {
    std::uint64_t base = 0, step = 1;
    std::size_t n = 0;
    if (!splits_.take(max_records, base, step, n)) return source_status::end;
    // The indices are taken before fn_ runs: a throwing fn_ fails the subtask anyway.
    this->guarded([&] {
      if constexpr (std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>) {
        // Fill by index: no capacity check per record, lets the compiler vectorise. The buffer
        // is not cleared after a batch: resize value-initialises only the records past what
        // the chain left in it (a filter shrinks it), not the whole batch again.
        if (n == 0) return;
        this->buffer_.resize(n);
        T* out = this->buffer_.data();
        if (step == 1) {
          for (std::size_t k = 0; k < n; ++k) out[k] = fn_(base + k);
        } else {
          for (std::size_t k = 0; k < n; ++k) out[k] = fn_(base + k * step);
        }
        this->counters_.records_out += n;
        this->next_->process(this->buffer_);
      } else {
        for (std::size_t k = 0; k < n; ++k) this->buffer_.push_back(fn_(base + k * step));
        this->emit_buffer();
      }
    });
    return splits_.done() ? source_status::end : source_status::more;
  }
  /// Checkpoints: the index ranges left (the generator replays from them).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    splits_.snapshot(this->info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    splits_.restore(this->info_, entries);
  }

 private:
  std::uint64_t count_;
  F fn_;
  detail::generator_splits splits_;
};

/// Emits the elements of a collection shared by all subtasks (each emits its contiguous part).
/// Checkpoints hold the index ranges left, redistributed on a restore at another parallelism.
template <class T>
class collection_source final : public source_op<T> {
 public:
  collection_source(std::shared_ptr<const std::vector<T>> data, input_op<T>* next)
      : source_op<T>(next), data_(std::move(data)) {}

  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    auto [b, e] = detail::split_range(data_->size(), info.index, info.parallelism);
    splits_ = {detail::source_split{b, e, 1, true}};
  }

  source_status produce(std::size_t max_records) override {
    while (!splits_.empty() && splits_.front().count() == 0) splits_.erase(splits_.begin());
    if (splits_.empty()) return source_status::end;
    auto& sp = splits_.front();
    if (sp.end > data_->size())
      throw operator_error(this->name_, this->info_.index, this->info_.parallelism,
                           "the restored position " + std::to_string(sp.end) +
                               " is beyond the collection's " + std::to_string(data_->size()) +
                               " elements (the job's input changed)");
    this->buffer_.clear();
    for (std::size_t k = 0; k < max_records && sp.count() > 0; ++k, sp.begin += sp.step)
      this->buffer_.push_back((*data_)[static_cast<std::size_t>(sp.begin)]);
    this->emit_buffer();
    while (!splits_.empty() && splits_.front().count() == 0) splits_.erase(splits_.begin());
    return splits_.empty() ? source_status::end : source_status::more;
  }
  /// Checkpoints: the index ranges left.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    detail::put_splits(out, this->info_, splits_);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if (auto s = detail::get_splits(entries, this->info_)) splits_ = std::move(*s);
  }

 private:
  std::shared_ptr<const std::vector<T>> data_;
  std::vector<detail::source_split> splits_;
};

/// Runs a user-defined `source_function` (one instance per subtask, from a factory).
template <class T>
class function_source final : public source_op<T> {
 public:
  function_source(std::unique_ptr<source_function<T>> fn, input_op<T>* next)
      : source_op<T>(next), fn_(std::move(fn)) {}
  ~function_source() override { close(); }

  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    this->guarded([&] { fn_->open(info); });
  }

  source_status produce(std::size_t max_records) override {
    source_status st = source_status::end;
    this->guarded([&] { st = fn_->poll(this->buffer_, max_records); });
    this->emit_buffer();
    if (st == source_status::end) close();
    return st;
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    std::optional<std::string> pos;
    this->guarded([&] { pos = fn_->snapshot_position(); });
    if (!pos)
      throw operator_error(this->name_, this->info_.index, this->info_.parallelism,
                           "this source cannot be checkpointed: its source_function does not "
                           "implement snapshot_position()");
    put_operator_value(out, "position", *pos);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if (auto p = get_operator_value<std::string>(entries, "position"))
      this->guarded([&] { fn_->restore_position(*p); });
  }

 private:
  void close() {
    if (closed_) return;
    closed_ = true;
    fn_->close();
  }
  std::unique_ptr<source_function<T>> fn_;
  bool closed_ = false;
};

namespace detail {
/// What the reading subtask consumed of a stream input (see text_file_source), shared by every
/// attempt of one job (read_text_file's factory holds it): a restart after a failure finds the
/// bytes an earlier attempt took, which a stream cannot give again.
struct stream_input_progress {
  std::atomic<std::uint64_t> bytes_read{0};
};
}  // namespace detail

/// Reads lines of a text file (without the "\n" or "\r\n" terminator), in 1 MiB chunks, so
/// memory stays bounded whatever the file size (a single line must fit in memory).
///
/// A regular file is split by byte ranges over the subtasks. Any other input (`-` for stdin, a
/// pipe, a named pipe, /dev/stdin, /dev/fd/N, a character device) is a stream: subtask 0 reads
/// it from its start to its end, sequentially and without blocking (while nothing is available
/// the source waits, woken by a thread blocked in poll(2): nothing polls), the other subtasks
/// read nothing. A stream cannot be rewound: checkpoints record
/// how far it was read, but a restore that would resume it mid-way, or a restart after an
/// attempt that already read some of it (`progress`), fails naming the input.
/// Errors (missing file, read error) fail the job with the path and the system's reason.
namespace detail {
class fd_watcher;
}  // namespace detail

class text_file_source final : public source_op<std::string> {
 public:
  /// `progress`: shared by every attempt of the job (null: attempts are not told apart).
  text_file_source(std::string path, input_op<std::string>* next,
                   std::shared_ptr<detail::stream_input_progress> progress = nullptr);
  ~text_file_source() override;
  void open(const subtask_info& info) override;
  source_status produce(std::size_t max_records) override;
  /// Checkpoints: the byte ranges left, the first starting at the next line (redistributed on a
  /// restore at another parallelism, see source_splits.hpp); for a stream, how far it was read.
  void snapshot_state(std::uint64_t checkpoint_id, std::vector<state_entry>& out) override;
  void restore_state(const std::vector<state_entry>& entries) override;
  /// A regular file: bytes of this subtask's ranges read and in all (since it opened or
  /// restored them); a stream: nullopt (its size is unknown).
  [[nodiscard]] std::optional<input_progress> progress() const override;

 private:
  bool fill();         // reads the next chunk; false at end of file or (stream) nothing yet
  void start_split();  // positions the reader at the first line of splits_.front()
  void open_stream(const subtask_info& info);
  source_status produce_stream(std::size_t max_records);
  [[nodiscard]] std::string stream_error(const std::string& why) const;
  std::string path_;
  std::shared_ptr<detail::stream_input_progress> progress_;
  std::FILE* file_ = nullptr;
  bool stream_ = false;  // not a regular file: read sequentially by subtask 0
  int fd_ = -1;          // the stream (subtask 0)
  std::unique_ptr<detail::fd_watcher> watcher_;  // wakes the subtask when the stream has data
  bool waiting_ = false;                         // the stream has nothing to read right now
  bool restored_ = false;                        // restore_state found subtask 0's stream position
  bool checked_ = false;           // the first produce checked for an earlier attempt's reads
  std::uint64_t read_before_ = 0;  // bytes of the stream earlier attempts read
  std::vector<detail::source_split> splits_;  // byte ranges left; front: the current one
  std::uint64_t ranges_bytes_ = 0;            // the ranges' bytes when they were opened/restored
  std::uint64_t end_ = 0;                     // end of the current range
  std::uint64_t pos_ = 0;                     // file offset of buf_[off_]
  std::string buf_;
  std::size_t off_ = 0;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace eddy
