#pragma once
/// Errors across module boundaries: a code plus a message naming what failed and where.
/// `expected<T>` holds either a value or an `error` (C++23's std::expected is not available with
/// g++ 12). Functions returning them are [[nodiscard]].
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace eddy {

enum class errc {
  invalid_argument = 1,  ///< a bad parameter or flag (the message names it)
  invalid_graph,       ///< the job graph cannot be executed (e.g. forward edge across parallelism)
  io_error,            ///< a file could not be opened, read or written (the message names it)
  job_failed,          ///< a subtask failed; the message names operator, subtask and cause
  job_canceled,        ///< the job was canceled
  runtime_error,       ///< the actor runtime failed (e.g. could not start)
  corrupt_data,        ///< stored data failed its checksum or does not decode (names where)
  incompatible_state,  ///< a snapshot does not fit the job restoring it (names what differs)
};

[[nodiscard]] inline const char* to_string(errc c) noexcept {
  switch (c) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::invalid_graph:
      return "invalid_graph";
    case errc::io_error:
      return "io_error";
    case errc::job_failed:
      return "job_failed";
    case errc::job_canceled:
      return "job_canceled";
    case errc::runtime_error:
      return "runtime_error";
    case errc::corrupt_data:
      return "corrupt_data";
    case errc::incompatible_state:
      return "incompatible_state";
  }
  return "unknown";
}

struct error {
  errc code;
  std::string message;
};

template <class T>
class [[nodiscard]] expected {
 public:
  expected(T value) : v_(std::move(value)) {}
  expected(eddy::error e) : v_(std::move(e)) {}
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const eddy::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, eddy::error> v_;
};

/// Success or an error, for operations without a result.
template <>
class [[nodiscard]] expected<void> {
 public:
  expected() = default;
  expected(eddy::error e) : e_(std::move(e)), failed_(true) {}
  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  [[nodiscard]] const eddy::error& error() const { return e_; }

 private:
  eddy::error e_{errc::runtime_error, {}};
  bool failed_ = false;
};

}  // namespace eddy
