#pragma once
/// `box<T>`: an owning, deep-copying pointer for the recursive parts of the SQL AST (an
/// expression inside an expression, a query inside an expression). Compares by value, so the
/// AST's defaulted `operator==` compares whole trees. Empty only when default-constructed or
/// moved from; comparing two empty boxes is equal, an empty and a full one unequal.
/// Not thread-safe beyond what `T` is; no allocation beyond one `T`.
#include <memory>
#include <utility>

namespace eddy::sql {

template <class T>
class box {
 public:
  box() = default;
  box(T value) : ptr_(std::make_unique<T>(std::move(value))) {}  // NOLINT: implicit by design
  box(const box& other) : ptr_(other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr) {}
  box(box&&) noexcept = default;
  box& operator=(const box& other) {
    if (this != &other) ptr_ = other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr;
    return *this;
  }
  box& operator=(box&&) noexcept = default;
  ~box() = default;

  [[nodiscard]] bool has_value() const { return ptr_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *ptr_; }
  const T& operator*() const { return *ptr_; }
  T* operator->() { return ptr_.get(); }
  const T* operator->() const { return ptr_.get(); }
  T* get() { return ptr_.get(); }
  const T* get() const { return ptr_.get(); }

  friend bool operator==(const box& a, const box& b) {
    if (!a.ptr_ || !b.ptr_) return !a.ptr_ && !b.ptr_;
    return *a.ptr_ == *b.ptr_;
  }

 private:
  std::unique_ptr<T> ptr_;
};

}  // namespace eddy::sql
