#pragma once
/// The SQL printer: AST -> Flink SQL text that parses back to an equal AST
/// (parse(to_sql(x)) == x for every x the parser produces, and for expression trees built by
/// hand: it writes the parentheses operator precedence needs). Keywords upper case, identifiers
/// backquoted when reserved or not plain words, strings with '' escapes. One line per statement.
/// Pure functions; thread-safe.
#include <string>

#include "eddy/sql/ast.hpp"

namespace eddy::sql {

[[nodiscard]] std::string to_sql(const statement& s);
[[nodiscard]] std::string to_sql(const query& q);
[[nodiscard]] std::string to_sql(const expr& e);
[[nodiscard]] std::string to_sql(const data_type& t);
/// A binary operator as SQL writes it: `OR`, `=`, `<>`, `||`, `+`, ...
[[nodiscard]] const char* to_sql(binary_op op);

/// `name`, or `` `name` `` when it was written so, is a reserved word or is not a plain word
/// ([A-Za-z_][A-Za-z0-9_$]*).
[[nodiscard]] std::string quote_ident(const ident& name);

/// 'text' with every ' doubled.
[[nodiscard]] std::string quote_string(std::string_view text);

}  // namespace eddy::sql
