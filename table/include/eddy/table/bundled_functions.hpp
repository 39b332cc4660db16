#pragma once
/// The user-defined functions Eddy ships, by the identifier a CREATE FUNCTION names (see
/// sql_session.hpp): C++ ports of the Nexmark benchmark's UDFs, so that its queries run as the
/// nexmark repository writes them.
///
/// - `com.github.nexmark.flink.udf.CountChar`: `count_char(s STRING, c STRING) -> BIGINT NOT
///   NULL`, the number of bytes of `s` equal to the first byte of `c` (0 when `s` is NULL; a NULL
///   or empty `c` fails the job, where Nexmark's Java code fails too).
///
/// Pure functions, thread-safe.
#include <map>
#include <string>
#include <vector>

#include "eddy/sql/function_registry.hpp"

namespace eddy::table {

/// Identifier -> overloads (named after the identifier's last part; CREATE FUNCTION renames).
[[nodiscard]] std::map<std::string, std::vector<sql::scalar_function>> bundled_functions();

}  // namespace eddy::table
