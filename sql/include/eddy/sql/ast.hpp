#pragma once
/// The SQL AST: expressions and types (ast_expr.hpp), queries (ast_query.hpp), statements
/// (ast_statement.hpp).
#include "eddy/sql/ast_expr.hpp"
#include "eddy/sql/ast_query.hpp"
#include "eddy/sql/ast_statement.hpp"
