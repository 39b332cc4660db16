#pragma once
/// The columns of a table or of a row batch: names and types, in order (Flink's
/// `ResolvedSchema` physical part). Names are case-sensitive, as in Flink.
///
/// A plain value; `add` throws std::invalid_argument if the name is already used (naming it).
/// Thread-safe as any const value.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/rows/logical_type.hpp"

namespace eddy::rows {

struct field {
  std::string name;
  logical_type type;
  bool operator==(const field&) const = default;
};

class schema {
 public:
  schema() = default;
  /// Throws std::invalid_argument if two fields share a name.
  explicit schema(std::vector<field> fields);

  /// Appends a column. Throws std::invalid_argument if `name` is already a column.
  schema& add(std::string name, logical_type type);

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] const field& operator[](std::size_t i) const { return fields_[i]; }
  [[nodiscard]] const std::vector<field>& fields() const noexcept { return fields_; }
  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }

  /// The position of column `name` (exact, case-sensitive), or nullopt.
  [[nodiscard]] std::optional<std::size_t> index_of(std::string_view name) const;
  /// The column types in order.
  [[nodiscard]] std::vector<logical_type> types() const;
  /// `(`a` INT, `b` STRING NOT NULL)`.
  [[nodiscard]] std::string to_string() const;

  bool operator==(const schema&) const = default;

 private:
  std::vector<field> fields_;
};

}  // namespace eddy::rows
