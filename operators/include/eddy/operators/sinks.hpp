#pragma once
/// Built-in sinks: a user function (add_sink), print() to stdout, write_text_file() to a
/// directory of part files, and collect() for tests.
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/to_text.hpp"
#include "eddy/runtime/operator.hpp"

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
/// of input.
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

 private:
  F f_;
};

namespace detail {
/// Writes text to stdout atomically per call (one lock per batch).
void write_stdout(const std::string& text);

/// A part file in an output directory: written as ".part-<name>.inprogress" and renamed to
/// "part-<name>" when committed, so readers of the directory only ever see complete files.
class part_file_writer {
 public:
  part_file_writer() = default;
  ~part_file_writer();
  part_file_writer(const part_file_writer&) = delete;
  part_file_writer& operator=(const part_file_writer&) = delete;
  /// Creates the directory (and parents) if missing and opens the in-progress file. Throws
  /// std::runtime_error naming the path on failure.
  void open(const std::string& dir, const std::string& part_name);
  void write(const std::string& data);  ///< throws on write errors
  void commit();                        ///< flushes, closes and renames into place
 private:
  std::FILE* file_ = nullptr;
  std::string tmp_path_;
  std::string final_path_;
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

/// Writes one line per record into `<dir>/part-<operator id>-<subtask>`.
template <class T, class Fmt>
class text_file_sink_op final : public input_op<T> {
 public:
  text_file_sink_op(std::string dir, int node_id, Fmt fmt)
      : dir_(std::move(dir)), node_id_(node_id), fmt_(std::move(fmt)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded(
        [&] { writer_.open(dir_, std::to_string(node_id_) + "-" + std::to_string(info.index)); });
  }
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
    this->guarded([&] { writer_.commit(); });
  }

 private:
  std::string dir_;
  int node_id_;
  Fmt fmt_;
  std::string text_;
  detail::part_file_writer writer_;
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

 private:
  struct state {
    std::mutex mtx;
    std::vector<T> values;
  };
  std::shared_ptr<state> state_;
};

template <class T>
class collect_sink_op final : public input_op<T> {
 public:
  explicit collect_sink_op(collected<T> target) : target_(std::move(target)) {}
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    target_.append(records);
  }
  void finish() override {}

 private:
  collected<T> target_;
};

}  // namespace eddy
