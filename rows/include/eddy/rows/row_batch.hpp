#pragma once
/// A batch of rows in columns (DuckDB's `DataChunk`): one column_vector per schema column, all
/// of the same length, plus
/// - a selection vector: the physical rows that are in the batch, in order (a filter sets it
///   instead of copying columns); empty with `has_selection() == false` means all rows;
/// - the row kinds of Flink's changelog (+I insert, -U update before, +U update after,
///   -D delete); empty means all inserts (an append-only stream).
///
/// Row indices in `row()`, `size()` and `kind()` are logical (after selection); `column(i)`
/// holds physical rows. `compact()` applies the selection (copies the selected rows) for code
/// that wants dense columns.
///
/// A value type; one thread at a time. Throws std::invalid_argument on rows of the wrong width.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "eddy/rows/column_vector.hpp"
#include "eddy/rows/schema.hpp"
#include "eddy/rows/value.hpp"

namespace eddy::rows {

/// Flink's RowKind, with its short strings.
enum class row_kind : std::uint8_t { insert, update_before, update_after, delete_ };

/// "+I", "-U", "+U", "-D".
[[nodiscard]] const char* short_string(row_kind k) noexcept;

class row_batch {
 public:
  row_batch() = default;
  /// An empty batch with one column per type.
  explicit row_batch(const std::vector<logical_type>& types);
  explicit row_batch(const schema& s) : row_batch(s.types()) {}

  [[nodiscard]] std::size_t column_count() const noexcept { return columns_.size(); }
  [[nodiscard]] column_vector& column(std::size_t i) { return columns_[i]; }
  [[nodiscard]] const column_vector& column(std::size_t i) const { return columns_[i]; }
  [[nodiscard]] std::vector<column_vector>& columns() noexcept { return columns_; }

  /// Rows in the batch (selected rows when there is a selection).
  [[nodiscard]] std::size_t size() const noexcept {
    return has_selection_ ? selection_.size() : physical_size();
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Rows in the columns.
  [[nodiscard]] std::size_t physical_size() const noexcept {
    return columns_.empty() ? rows_without_columns_ : columns_.front().size();
  }
  /// The physical row of logical row `i`.
  [[nodiscard]] std::uint32_t row(std::size_t i) const noexcept {
    return has_selection_ ? selection_[i] : static_cast<std::uint32_t>(i);
  }

  // ---- selection ----
  [[nodiscard]] bool has_selection() const noexcept { return has_selection_; }
  [[nodiscard]] const std::vector<std::uint32_t>& selection() const noexcept { return selection_; }
  /// Keeps only the physical rows `rows` (ascending, each < physical_size()).
  void set_selection(std::vector<std::uint32_t> rows);
  void clear_selection() noexcept {
    has_selection_ = false;
    selection_.clear();
  }
  /// Copies the selected rows into dense columns and drops the selection.
  void compact();

  // ---- row kinds ----
  /// The kind of logical row `i`.
  [[nodiscard]] row_kind kind(std::size_t i) const noexcept {
    return kinds_.empty() ? row_kind::insert : kinds_[row(i)];
  }
  /// Whether every row is an insert.
  [[nodiscard]] bool insert_only() const noexcept { return kinds_.empty(); }
  /// Sets the kind of physical row `physical_row`.
  void set_kind(std::size_t physical_row, row_kind k);

  // ---- rows one at a time (tests, literals, slow paths) ----
  /// Appends a row of values (one per column). Throws std::invalid_argument if the width
  /// differs, std::logic_error if a value has another representation than its column.
  void append_row(std::span<const value> values, row_kind k = row_kind::insert);
  void append_row(std::initializer_list<value> values, row_kind k = row_kind::insert) {
    append_row(std::span<const value>(values.begin(), values.size()), k);
  }
  /// Appends logical row `i` of `other` (same column types).
  void append_row_from(const row_batch& other, std::size_t i);
  /// Logical row `i` as values.
  [[nodiscard]] std::vector<value> row_values(std::size_t i) const;
  /// Removes every row (keeps the columns' types and capacity).
  void clear();

  /// The same rows (logical rows compared, selections applied), kinds and column types.
  friend bool operator==(const row_batch& a, const row_batch& b);

 private:
  std::vector<column_vector> columns_;
  std::vector<std::uint32_t> selection_;
  bool has_selection_ = false;
  std::vector<row_kind> kinds_;
  std::size_t rows_without_columns_ = 0;  ///< a batch of zero columns still counts rows
};

}  // namespace eddy::rows
