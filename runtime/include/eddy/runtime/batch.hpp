#pragma once
/// Batches: the unit in which records travel between subtasks.
///
/// A batch is created by the sending subtask's record writer, handed by pointer to the receiving
/// subtask (never copied per record inside a process) and destroyed by whoever drops the last
/// reference. A batch is not thread-safe; it is owned by one actor at a time. A batch shared by
/// several receivers (broadcast) must be treated as read-only: receivers copy it before mutating
/// (see `batch_base::use_count` at the input adapter).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace eddy {

/// Type-erased batch. The runtime moves `batch_ptr`s around without knowing the record type; the
/// typed operator at either end casts back to `batch<T>` (the job graph guarantees the type).
class batch_base {
 public:
  batch_base() noexcept { live_.fetch_add(1, std::memory_order_relaxed); }
  batch_base(const batch_base&) noexcept { live_.fetch_add(1, std::memory_order_relaxed); }
  batch_base& operator=(const batch_base&) = default;
  virtual ~batch_base() { live_.fetch_sub(1, std::memory_order_relaxed); }

  /// Number of records in the batch.
  [[nodiscard]] virtual std::size_t size() const noexcept = 0;

  /// Number of batch objects alive in this process (all jobs). Used by tests to prove that memory
  /// stays bounded under backpressure, and by metrics.
  [[nodiscard]] static std::int64_t live_count() noexcept {
    return live_.load(std::memory_order_relaxed);
  }

 private:
  static inline std::atomic<std::int64_t> live_{0};
};

/// A batch of records of type T, stored contiguously.
template <class T>
class batch final : public batch_base {
 public:
  batch() = default;
  explicit batch(std::vector<T> records) : records(std::move(records)) {}
  [[nodiscard]] std::size_t size() const noexcept override { return records.size(); }
  std::vector<T> records;
  /// Event-time timestamps (ms): empty, or one per record.
  std::vector<std::int64_t> timestamps;
};

/// Shared so that one batch can be broadcast to several local receivers without copying.
using batch_ptr = std::shared_ptr<batch_base>;

}  // namespace eddy
