#include "eddy/table/bundled_functions.hpp"

#include <cstdint>

#include "eddy/sql/vector_expr.hpp"

namespace eddy::table {

std::map<std::string, std::vector<sql::scalar_function>> bundled_functions() {
  std::map<std::string, std::vector<sql::scalar_function>> out;
  {
    sql::scalar_function f;
    f.name = "count_char";
    f.parameters = {rows::string_type(), rows::string_type()};
    f.result = rows::bigint_type().with_nullable(false);
    f.null_on_null = false;  // a NULL string counts 0, as Nexmark's CountChar
    f.per_row = [](std::span<const rows::value> args) {
      if (args[1].is_null() || args[1].as_string().empty())
        throw sql::eval_error("count_char: the character argument is NULL or empty");
      if (args[0].is_null()) return rows::value(std::int64_t{0});
      const char c = args[1].as_string()[0];
      std::int64_t n = 0;
      for (char b : args[0].as_string()) n += b == c ? 1 : 0;
      return rows::value(n);
    };
    out["com.github.nexmark.flink.udf.CountChar"].push_back(std::move(f));
  }
  return out;
}

}  // namespace eddy::table
