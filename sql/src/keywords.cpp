// SQL keywords (eddy/sql/keywords.hpp).
#include "eddy/sql/keywords.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace eddy::sql {

namespace {

// Every word the parser gives a meaning to somewhere, sorted.
constexpr std::string_view all_keywords[] = {"AFTER",
                                             "ALL",
                                             "AND",
                                             "ARRAY",
                                             "AS",
                                             "ASC",
                                             "ASYMMETRIC",
                                             "BEGIN",
                                             "BETWEEN",
                                             "BIGINT",
                                             "BINARY",
                                             "BOOLEAN",
                                             "BY",
                                             "BYTES",
                                             "CASE",
                                             "CAST",
                                             "CATALOG",
                                             "CATALOGS",
                                             "CHANGELOG_MODE",
                                             "CHAR",
                                             "CHARACTER",
                                             "COMMENT",
                                             "CONSTRAINT",
                                             "CREATE",
                                             "CROSS",
                                             "CUBE",
                                             "CURRENT",
                                             "CURRENT_DATE",
                                             "CURRENT_TIME",
                                             "CURRENT_TIMESTAMP",
                                             "DATABASES",
                                             "DATE",
                                             "DAY",
                                             "DEC",
                                             "DECIMAL",
                                             "DEFINE",
                                             "DESC",
                                             "DESCRIBE",
                                             "DESCRIPTOR",
                                             "DISTINCT",
                                             "DOUBLE",
                                             "DROP",
                                             "ELSE",
                                             "END",
                                             "ENFORCED",
                                             "ESCAPE",
                                             "ESTIMATED_COST",
                                             "EXCEPT",
                                             "EXECUTE",
                                             "EXISTS",
                                             "EXPLAIN",
                                             "EXTRACT",
                                             "FALSE",
                                             "FETCH",
                                             "FILTER",
                                             "FIRST",
                                             "FLOAT",
                                             "FOLLOWING",
                                             "FOR",
                                             "FROM",
                                             "FULL",
                                             "FUNCTION",
                                             "FUNCTIONS",
                                             "GROUP",
                                             "HAVING",
                                             "HOUR",
                                             "IF",
                                             "IN",
                                             "INNER",
                                             "INSERT",
                                             "INT",
                                             "INTEGER",
                                             "INTERSECT",
                                             "INTERVAL",
                                             "INTO",
                                             "IS",
                                             "JOBS",
                                             "JOIN",
                                             "JSON_EXECUTION_PLAN",
                                             "KEY",
                                             "LANGUAGE",
                                             "LAST",
                                             "LATERAL",
                                             "LEFT",
                                             "LIKE",
                                             "LIMIT",
                                             "LOCAL",
                                             "LOCALTIME",
                                             "LOCALTIMESTAMP",
                                             "MAP",
                                             "MATCH",
                                             "MATCH_RECOGNIZE",
                                             "MEASURES",
                                             "METADATA",
                                             "MILLISECOND",
                                             "MINUTE",
                                             "MODULES",
                                             "MONTH",
                                             "MULTISET",
                                             "NATURAL",
                                             "NEXT",
                                             "NOT",
                                             "NULL",
                                             "NULLS",
                                             "NUMERIC",
                                             "OF",
                                             "OFFSET",
                                             "ON",
                                             "ONE",
                                             "ONLY",
                                             "OR",
                                             "ORDER",
                                             "ORDINALITY",
                                             "OUTER",
                                             "OVER",
                                             "OVERWRITE",
                                             "PARTITION",
                                             "PARTITIONED",
                                             "PAST",
                                             "PATTERN",
                                             "PER",
                                             "PERMUTE",
                                             "PLAN",
                                             "PLAN_ADVICE",
                                             "PRECEDING",
                                             "PRECISION",
                                             "PRIMARY",
                                             "QUARTER",
                                             "RANGE",
                                             "RAW",
                                             "RESET",
                                             "RIGHT",
                                             "ROLLUP",
                                             "ROW",
                                             "ROWS",
                                             "SECOND",
                                             "SELECT",
                                             "SET",
                                             "SHOW",
                                             "SIMILAR",
                                             "SKIP",
                                             "SMALLINT",
                                             "STATEMENT",
                                             "STRING",
                                             "SUBSET",
                                             "SYMMETRIC",
                                             "SYSTEM",
                                             "SYSTEM_TIME",
                                             "TABLE",
                                             "TABLES",
                                             "TEMPORARY",
                                             "THEN",
                                             "TIME",
                                             "TIMESTAMP",
                                             "TIMESTAMP_LTZ",
                                             "TINYINT",
                                             "TO",
                                             "TRUE",
                                             "TRY_CAST",
                                             "UNBOUNDED",
                                             "UNION",
                                             "UNKNOWN",
                                             "UNNEST",
                                             "USE",
                                             "USING",
                                             "VALUE",
                                             "VALUES",
                                             "VARBINARY",
                                             "VARCHAR",
                                             "VARYING",
                                             "VIEW",
                                             "VIEWS",
                                             "VIRTUAL",
                                             "WATERMARK",
                                             "WEEK",
                                             "WHEN",
                                             "WHERE",
                                             "WINDOW",
                                             "WITH",
                                             "WITHIN",
                                             "WITHOUT",
                                             "YEAR",
                                             "ZONE",
                                             "BOTH",
                                             "GROUPING",
                                             "LEADING",
                                             "PLACING",
                                             "SETS",
                                             "TRAILING"};

// The reserved subset: words that would make a name ambiguous with a clause or an operator.
constexpr std::string_view reserved_words[] = {"ALL",
                                               "AND",
                                               "ARRAY",
                                               "AS",
                                               "ASYMMETRIC",
                                               "BETWEEN",
                                               "BY",
                                               "CASE",
                                               "CAST",
                                               "CREATE",
                                               "CROSS",
                                               "CURRENT",
                                               "CURRENT_DATE",
                                               "CURRENT_TIME",
                                               "CURRENT_TIMESTAMP",
                                               "DATE",
                                               "DAY",
                                               "DESCRIBE",
                                               "DISTINCT",
                                               "DROP",
                                               "ELSE",
                                               "END",
                                               "ESCAPE",
                                               "EXCEPT",
                                               "EXISTS",
                                               "EXPLAIN",
                                               "EXTRACT",
                                               "FALSE",
                                               "FETCH",
                                               "FILTER",
                                               "FOR",
                                               "FROM",
                                               "FULL",
                                               "GROUP",
                                               "HAVING",
                                               "HOUR",
                                               "IN",
                                               "INNER",
                                               "INSERT",
                                               "INTERSECT",
                                               "INTERVAL",
                                               "INTO",
                                               "IS",
                                               "JOIN",
                                               "LATERAL",
                                               "LEFT",
                                               "LIKE",
                                               "LIMIT",
                                               "LOCALTIME",
                                               "LOCALTIMESTAMP",
                                               "MAP",
                                               "MATCH_RECOGNIZE",
                                               "MINUTE",
                                               "MONTH",
                                               "MULTISET",
                                               "NATURAL",
                                               "NOT",
                                               "NULL",
                                               "OFFSET",
                                               "ON",
                                               "OR",
                                               "ORDER",
                                               "OUTER",
                                               "OVER",
                                               "RIGHT",
                                               "ROW",
                                               "SECOND",
                                               "SELECT",
                                               "SET",
                                               "SIMILAR",
                                               "SYMMETRIC",
                                               "TABLE",
                                               "THEN",
                                               "TIME",
                                               "TIMESTAMP",
                                               "TRUE",
                                               "UNION",
                                               "UNKNOWN",
                                               "UNNEST",
                                               "USING",
                                               "VALUE",
                                               "VALUES",
                                               "WHEN",
                                               "WHERE",
                                               "WINDOW",
                                               "WITH",
                                               "WITHIN",
                                               "YEAR"};

const std::vector<std::string_view>& keyword_list() {
  static const std::vector<std::string_view> list = [] {
    std::vector<std::string_view> v;
    for (auto k : all_keywords) v.push_back(k);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return list;
}

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

}  // namespace

std::span<const std::string_view> keywords() {
  return keyword_list();
}

bool is_reserved(std::string_view word) {
  for (auto r : reserved_words) {
    if (iequal(r, word)) return true;
  }
  return false;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: insertions, deletions, substitutions and transpositions
  // of two adjacent letters (FORM -> FROM is 1), the typos people make.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = upper(a[i - 1]) == upper(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && upper(a[i - 1]) == upper(b[j - 2]) &&
          upper(a[i - 2]) == upper(b[j - 1])) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(n, m);
}

std::string nearest_keyword(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.empty() || word.size() > 64) return {};
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  std::string best;
  std::size_t best_distance = limit + 1;
  for (auto c : candidates) {
    if (iequal(c, word)) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace eddy::sql
