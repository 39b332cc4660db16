// VALUES and SELECT without FROM: constant rows. A one-column source (`$row`: 0..n-1, one
// batch) and a Calc computing each column as `CASE $row WHEN 0 THEN <row 0's cell> ... ELSE
// <last row's cell> END`, so the binder derives each column's type from all its cells (Flink's
// least restrictive type) and casts the cells to it.
#include <memory>
#include <string>
#include <vector>

#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

using planning::column_expr;

namespace {

sql::expr number(std::size_t n) {
  return planning::literal_expr(sql::literal_kind::number, std::to_string(n));
}

}  // namespace

sql::expr planning::literal_expr(sql::literal_kind kind, std::string text) {
  sql::literal l;
  l.kind = kind;
  l.text = std::move(text);
  sql::expr e;
  e.node = std::move(l);
  return e;
}

relation planner::constant_rows(std::size_t n) {
  const auto type = rows::int_type().with_nullable(false);
  rows::row_batch b({type});
  for (std::size_t i = 0; i < n; ++i) b.append_row({rows::value(static_cast<std::int32_t>(i))});
  relation r;
  r.columns.push_back(sql::scope_column{"", "$row", type});
  r.stream = env_.from_collection(std::vector<rows::row_batch>{std::move(b)});
  r.explain.push_back("Values(tuples=[" + std::to_string(n) + " row(s)])");
  return r;
}

sql::result<relation> planner::values(const sql::values& v, sql::location at) {
  if (v.rows.empty()) return error_at(at, "VALUES needs at least one row");
  const std::size_t width = v.rows.front().size();
  for (const auto& row : v.rows)
    if (row.size() != width)
      return error_at(row.empty() ? at : row.front().loc,
                      "The rows of VALUES have different numbers of columns (" +
                          std::to_string(width) + " and " + std::to_string(row.size()) + ")");
  std::vector<sql::select_item> items;
  for (std::size_t c = 0; c < width; ++c) {
    sql::expr cell;
    if (v.rows.size() == 1) {
      cell = v.rows.front()[c];
    } else {
      sql::case_expr e;
      e.operand = column_expr("$row");
      for (std::size_t r = 0; r + 1 < v.rows.size(); ++r)
        e.whens.push_back(sql::when_clause{number(r), v.rows[r][c]});
      e.else_result = v.rows.back()[c];
      cell.node = std::move(e);
      cell.loc = v.rows.front()[c].loc;
    }
    items.push_back(planning::aliased(std::move(cell), "EXPR$" + std::to_string(c)));
  }
  auto out = calc(constant_rows(v.rows.size()), nullptr, items, at);
  if (!out) {  // name what the user wrote, not the CASE it became
    auto e = out.error();
    const std::string prefix = "CASE results of types";
    if (e.message.rfind(prefix, 0) == 0)
      e.message = "The cells of a VALUES column have types" + e.message.substr(prefix.size());
    return e;
  }
  return out;
}

}  // namespace eddy::table
