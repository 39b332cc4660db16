#include "eddy/rows/row_batch.hpp"

#include <stdexcept>
#include <utility>

namespace eddy::rows {

const char* short_string(row_kind k) noexcept {
  switch (k) {
    case row_kind::insert:
      return "+I";
    case row_kind::update_before:
      return "-U";
    case row_kind::update_after:
      return "+U";
    case row_kind::delete_:
      return "-D";
  }
  return "?";
}

row_batch::row_batch(const std::vector<logical_type>& types) {
  columns_.reserve(types.size());
  for (const auto& t : types) columns_.emplace_back(t);
}

void row_batch::set_selection(std::vector<std::uint32_t> rows) {
  const auto n = physical_size();
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i] >= n || (i > 0 && rows[i] <= rows[i - 1]))
      throw std::invalid_argument("selection vector: row " + std::to_string(rows[i]) +
                                  " is out of order or beyond the " + std::to_string(n) +
                                  " rows of the batch");
  selection_ = std::move(rows);
  has_selection_ = true;
}

void row_batch::compact() {
  if (!has_selection_) return;
  row_batch dense;
  dense.columns_.reserve(columns_.size());
  for (const auto& c : columns_) dense.columns_.emplace_back(c.type());
  for (std::size_t i = 0; i < size(); ++i) dense.append_row_from(*this, i);
  dense.rows_without_columns_ = size();
  *this = std::move(dense);
}

void row_batch::set_kind(std::size_t physical_row, row_kind k) {
  if (kinds_.empty()) {
    if (k == row_kind::insert) return;
    kinds_.assign(physical_size(), row_kind::insert);
  }
  kinds_.at(physical_row) = k;
}

void row_batch::append_row(std::span<const value> values, row_kind k) {
  if (values.size() != columns_.size())
    throw std::invalid_argument("a row of " + std::to_string(values.size()) +
                                " values for a batch of " + std::to_string(columns_.size()) +
                                " columns");
  if (has_selection_) throw std::logic_error("append_row on a batch with a selection");
  const auto at = physical_size();
  for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].append(values[c]);
  if (columns_.empty()) ++rows_without_columns_;
  if (!kinds_.empty())
    kinds_.push_back(k);
  else if (k != row_kind::insert)
    set_kind(at, k);
}

void row_batch::append_row_from(const row_batch& other, std::size_t i) {
  if (other.columns_.size() != columns_.size())
    throw std::invalid_argument("append_row_from: batches of " +
                                std::to_string(other.columns_.size()) + " and " +
                                std::to_string(columns_.size()) + " columns");
  if (has_selection_) throw std::logic_error("append_row_from on a batch with a selection");
  const auto at = physical_size();
  const auto src = other.row(i);
  for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].append_from(other.columns_[c], src);
  if (columns_.empty()) ++rows_without_columns_;
  const auto k = other.kind(i);
  if (!kinds_.empty())
    kinds_.push_back(k);
  else if (k != row_kind::insert)
    set_kind(at, k);
}

std::vector<value> row_batch::row_values(std::size_t i) const {
  std::vector<value> out;
  out.reserve(columns_.size());
  const auto r = row(i);
  for (const auto& c : columns_) out.push_back(c.get(r));
  return out;
}

void row_batch::clear() {
  for (auto& c : columns_) c.clear();
  selection_.clear();
  has_selection_ = false;
  kinds_.clear();
  rows_without_columns_ = 0;
}

bool operator==(const row_batch& a, const row_batch& b) {
  if (a.columns_.size() != b.columns_.size() || a.size() != b.size()) return false;
  for (std::size_t c = 0; c < a.columns_.size(); ++c)
    if (!(a.columns_[c].type() == b.columns_[c].type())) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.kind(i) != b.kind(i)) return false;
    if (a.row_values(i) != b.row_values(i)) return false;
  }
  return true;
}

}  // namespace eddy::rows
