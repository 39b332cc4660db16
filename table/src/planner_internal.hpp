#pragma once
// Helpers shared by the planner's files (planner.cpp, planner_aggregate.cpp,
// planner_window.cpp). Internal to eddy_table.
#include <string>
#include <vector>

#include "eddy/sql/ast.hpp"
#include "eddy/sql/vector_expr.hpp"

namespace eddy::table::planning {

/// An identifier expression naming column `name`.
sql::expr column_expr(const std::string& name);
/// "a, b, c": the column names of a scope.
std::string join_names(const sql::scope& s);
/// The plan of an input below its consumer: "+- " before its first line, "   " before the rest.
void indent(std::vector<std::string>& lines);
/// The position in `s` of the column an identifier names (`c` or `t.c`), or -1 if none or more
/// than one match.
int column_index(const sql::scope& s, const sql::identifier& id);
/// Whether a select list calls an aggregate function (COUNT, SUM, AVG, MIN, MAX) outside OVER.
bool has_aggregate_call(const std::vector<sql::select_item>& items);

}  // namespace eddy::table::planning
