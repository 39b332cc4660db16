#pragma once
/// Forward declarations of the SQL front end's types (eddy/sql/*.hpp).

namespace eddy::sql {

template <class T>
class box;
struct location;
struct ident;
struct data_type;
struct expr;
struct window_spec;
struct query;
struct set_expr;
struct select_core;
struct table_factor;
struct match_recognize;
struct statement;
struct parse_error;
struct parse_options;
struct token;

}  // namespace eddy::sql
