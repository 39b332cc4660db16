#include "eddy/rows/column_vector.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>

namespace eddy::rows {

namespace {

column_vector::storage make_storage(const logical_type& t) {
  switch (t.physical()) {
    case physical_kind::boolean:
      return std::vector<std::uint8_t>{};
    case physical_kind::int32:
      return std::vector<std::int32_t>{};
    case physical_kind::int64:
      return std::vector<std::int64_t>{};
    case physical_kind::float64:
      return std::vector<double>{};
    case physical_kind::string:
      return std::vector<std::string>{};
    case physical_kind::nested:
      break;
  }
  throw std::invalid_argument("columns of type " + t.to_string() + " are not supported yet");
}

const char* kind_name(std::size_t index) {
  static const char* names[] = {"uint8_t (BOOLEAN)", "int32_t", "int64_t", "double", "std::string"};
  return index < 5 ? names[index] : "?";
}

}  // namespace

column_vector::column_vector(logical_type t) : type_(std::move(t)), data_(make_storage(type_)) {}

void column_vector::throw_wrong_access(const char* wanted) const {
  throw std::logic_error(std::string("column of type ") + type_.to_string() + " holds " +
                         kind_name(data_.index()) + " values, not " + wanted);
}

void column_vector::set_null(std::size_t row, bool null) {
  if (!null && valid_.empty()) return;
  validity_for_write()[row] = null ? 0 : 1;
}

std::vector<std::uint8_t>& column_vector::validity_for_write() {
  if (valid_.empty()) valid_.assign(size_, 1);
  return valid_;
}

void column_vector::resize(std::size_t n) {
  std::visit([n](auto& v) { v.resize(n); }, data_);
  if (!valid_.empty()) valid_.resize(n, 1);
  size_ = n;
}

void column_vector::reserve(std::size_t n) {
  std::visit([n](auto& v) { v.reserve(n); }, data_);
}

void column_vector::clear() {
  std::visit([](auto& v) { v.clear(); }, data_);
  valid_.clear();
  size_ = 0;
}

void column_vector::append_null() {
  std::visit([](auto& v) { v.emplace_back(); }, data_);
  validity_for_write().push_back(0);
  ++size_;
}

void column_vector::append(const value& v) {
  if (v.is_null()) {
    append_null();
    return;
  }
  const bool ok = std::visit(
      [&](auto& vec) {
        using P = typename std::decay_t<decltype(vec)>::value_type;
        if constexpr (std::is_same_v<P, std::uint8_t>) {
          if (const auto* b = std::get_if<bool>(&v.data)) {
            vec.push_back(*b ? 1 : 0);
            return true;
          }
        } else {
          if (const auto* x = std::get_if<P>(&v.data)) {
            vec.push_back(*x);
            return true;
          }
        }
        return false;
      },
      data_);
  if (!ok)
    throw std::logic_error("a value of representation " + std::to_string(v.data.index()) +
                           " cannot be appended to a column of type " + type_.to_string());
  if (!valid_.empty()) valid_.push_back(1);
  ++size_;
}

void column_vector::append_from(const column_vector& other, std::size_t row) {
  if (other.data_.index() != data_.index())
    throw std::logic_error("cannot append a " + other.type_.to_string() + " value to a " +
                           type_.to_string() + " column");
  std::visit(
      [&](auto& vec) {
        using V = std::decay_t<decltype(vec)>;
        vec.push_back(std::get<V>(other.data_)[row]);
      },
      data_);
  if (other.is_null(row))
    validity_for_write().push_back(0);
  else if (!valid_.empty())
    valid_.push_back(1);
  ++size_;
}

value column_vector::get(std::size_t row) const {
  if (is_null(row)) return value{};
  return std::visit(
      [&](const auto& vec) -> value {
        using P = typename std::decay_t<decltype(vec)>::value_type;
        if constexpr (std::is_same_v<P, std::uint8_t>)
          return value(vec[row] != 0);
        else
          return value(vec[row]);
      },
      data_);
}

bool operator==(const column_vector& a, const column_vector& b) {
  if (!(a.type_ == b.type_) || a.size_ != b.size_) return false;
  for (std::size_t i = 0; i < a.size_; ++i)
    if (!(a.get(i) == b.get(i))) return false;
  return true;
}

}  // namespace eddy::rows
