#pragma once
// Internal: the printer's pieces, appending to `out` (printer_expr.cpp, printer_query.cpp).
#include <string>

#include "eddy/sql/ast.hpp"

namespace eddy::sql::detail {

void print(std::string& out, const expr& e);
void print(std::string& out, const data_type& t);
void print(std::string& out, const window_spec& w);
void print(std::string& out, const std::vector<order_item>& items);
void print(std::string& out, const query& q);
void print(std::string& out, const object_name& name);
void print_list(std::string& out, const std::vector<expr>& items);
void print_ident_list(std::string& out, const std::vector<ident>& items);  // (a, b)

}  // namespace eddy::sql::detail
