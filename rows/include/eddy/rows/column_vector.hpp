#pragma once
/// One column of a row batch (DuckDB's `Vector`, flat form): the values of one logical type in
/// a contiguous std::vector of its physical representation, plus a validity vector (one byte per
/// row, 1 = not NULL; empty when no row is NULL, so kernels over columns without NULLs skip it).
///
/// Physical representation per type: logical_type.hpp. Access `data<P>()` with P the physical
/// C++ type: std::uint8_t (boolean), std::int32_t, std::int64_t, double, std::string; another P
/// throws std::logic_error naming both. Columns of ARRAY, MAP, MULTISET and ROW cannot be built
/// yet (std::invalid_argument).
///
/// Owned by its row batch; not thread-safe; the kernels that fill it run on one thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/value.hpp"

namespace eddy::rows {

class column_vector {
 public:
  using storage =
      std::variant<std::vector<std::uint8_t>, std::vector<std::int32_t>, std::vector<std::int64_t>,
                   std::vector<double>, std::vector<std::string>>;

  column_vector() : column_vector(null_type()) {}
  /// An empty column of type `t`. Throws std::invalid_argument for nested types.
  explicit column_vector(logical_type t);

  [[nodiscard]] const logical_type& type() const noexcept { return type_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  template <class P>
  [[nodiscard]] std::vector<P>& data() {
    if (auto* v = std::get_if<std::vector<P>>(&data_)) return *v;
    throw_wrong_access(physical_name<P>());
  }
  template <class P>
  [[nodiscard]] const std::vector<P>& data() const {
    if (const auto* v = std::get_if<std::vector<P>>(&data_)) return *v;
    throw_wrong_access(physical_name<P>());
  }
  [[nodiscard]] const storage& raw() const noexcept { return data_; }

  // ---- validity ----
  /// Whether no row is NULL (the validity vector is empty).
  [[nodiscard]] bool all_valid() const noexcept { return valid_.empty(); }
  [[nodiscard]] bool is_null(std::size_t row) const noexcept {
    return !valid_.empty() && valid_[row] == 0;
  }
  /// Marks `row` NULL or not (the value slot keeps whatever it holds).
  void set_null(std::size_t row, bool null);
  /// The validity bytes (empty: all valid). Writable: materializes one byte per row.
  [[nodiscard]] std::vector<std::uint8_t>& validity_for_write();
  [[nodiscard]] const std::vector<std::uint8_t>& validity() const noexcept { return valid_; }

  // ---- rows ----
  /// Sets the number of rows: new rows hold the default value (0, "", false) and are valid.
  void resize(std::size_t n);
  void reserve(std::size_t n);
  void clear();
  /// Appends `v` (NULL or of this column's physical representation; another representation
  /// throws std::logic_error).
  void append(const value& v);
  void append_null();
  /// Appends a value (not NULL) given in the physical representation P of this column, without
  /// a rows::value in between (the fast path of decoders). Another P throws std::logic_error.
  template <class P, class V>
  void append_physical(V&& v) {
    data<P>().emplace_back(std::forward<V>(v));
    if (!valid_.empty()) valid_.push_back(1);
    ++size_;
  }
  /// Appends row `row` of `other` (same physical kind).
  void append_from(const column_vector& other, std::size_t row);
  /// Row `row` as a value (NULL if null).
  [[nodiscard]] value get(std::size_t row) const;

  /// Equal types, sizes, NULLs and values (values under NULLs are ignored).
  friend bool operator==(const column_vector& a, const column_vector& b);

 private:
  template <class P>
  static constexpr const char* physical_name() {
    if constexpr (std::is_same_v<P, std::uint8_t>) return "uint8_t (BOOLEAN)";
    if constexpr (std::is_same_v<P, std::int32_t>) return "int32_t";
    if constexpr (std::is_same_v<P, std::int64_t>) return "int64_t";
    if constexpr (std::is_same_v<P, double>) return "double";
    if constexpr (std::is_same_v<P, std::string>) return "std::string";
    return "?";
  }
  [[noreturn]] void throw_wrong_access(const char* wanted) const;

  logical_type type_;
  storage data_;
  std::vector<std::uint8_t> valid_;
  std::size_t size_ = 0;
};

}  // namespace eddy::rows
