#pragma once
/// Rows as the `print` connector and the SQL client show them: Flink's `+I[1, abc, null]` (the
/// row kind, then the fields as Flink's RowData prints them: NULL as `null`, timestamps as
/// Java's LocalDateTime (`2020-01-01T12:00`, `2020-01-01T12:00:01.500`), decimals with their
/// scale, doubles as Java's Double.toString). Pure functions, thread-safe.
#include <string>
#include <vector>

#include "eddy/rows/row_batch.hpp"

namespace eddy::table {

/// One field as Flink's RowData toString shows it (`null` for NULL).
[[nodiscard]] std::string print_value(const rows::value& v, const rows::logical_type& t);
/// Logical row `i` of `b` as `+I[...]`.
[[nodiscard]] std::string print_row(const rows::row_batch& b, std::size_t i,
                                    const std::vector<rows::logical_type>& types);

}  // namespace eddy::table
