#pragma once
// Internal: the exception the lexer and parser throw to unwind to the public entry points,
// which turn it into a `result` holding the parse_error (no exception leaves the module).
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/sql/error.hpp"
#include "eddy/sql/lexer.hpp"

namespace eddy::sql {

struct parse_failure : std::exception {
  explicit parse_failure(parse_error e) : error(std::move(e)) {}
  [[nodiscard]] const char* what() const noexcept override { return error.message.c_str(); }
  parse_error error;
};

[[noreturn]] inline void throw_error(location where, std::string message) {
  parse_error e;
  e.message = std::move(message);
  e.where = where;
  throw parse_failure(std::move(e));
}

/// tokenize() for the parser: throws parse_failure.
std::vector<token> tokenize_or_throw(std::string_view sql);

}  // namespace eddy::sql
