// Data types (Flink's DataTypes in SQL form), aliases normalised (see data_type in ast_expr.hpp).
#include "parser.hpp"

namespace eddy::sql {

namespace {

struct simple_type {
  std::string_view written;
  std::string_view canonical;
  int max_params;  // how many ( ) parameters it takes
};

constexpr simple_type simple_types[] = {
    {"BOOLEAN", "BOOLEAN", 0},
    {"TINYINT", "TINYINT", 0},
    {"SMALLINT", "SMALLINT", 0},
    {"INT", "INT", 0},
    {"INTEGER", "INT", 0},
    {"BIGINT", "BIGINT", 0},
    {"FLOAT", "FLOAT", 0},
    {"REAL", "FLOAT", 0},
    {"DOUBLE", "DOUBLE", 0},
    {"DECIMAL", "DECIMAL", 2},
    {"DEC", "DECIMAL", 2},
    {"NUMERIC", "DECIMAL", 2},
    {"CHAR", "CHAR", 1},
    {"CHARACTER", "CHAR", 1},
    {"VARCHAR", "VARCHAR", 1},
    {"STRING", "STRING", 0},
    {"BINARY", "BINARY", 1},
    {"VARBINARY", "VARBINARY", 1},
    {"BYTES", "BYTES", 0},
    {"DATE", "DATE", 0},
    {"TIME", "TIME", 1},
    {"TIMESTAMP", "TIMESTAMP", 1},
    {"TIMESTAMP_LTZ", "TIMESTAMP_LTZ", 1},
};

constexpr std::string_view interval_units[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};

}  // namespace

data_type parser::parse_data_type() {
  depth_guard guard(*this);
  data_type t;
  const token& first = peek();
  if (first.kind != token_kind::word && first.kind != token_kind::quoted_ident) {
    expected("<data type>");
    unexpected();
  }
  const std::string up = first.kind == token_kind::word ? to_upper(first.text) : std::string();
  const simple_type* simple = nullptr;
  for (const auto& s : simple_types) {
    if (up == s.written) simple = &s;
  }
  if (simple != nullptr) {
    next();
    t.name = std::string(simple->canonical);
    if (t.name == "DOUBLE") accept_keyword("PRECISION");
    if (t.name == "CHAR" && accept_keyword("VARYING")) t.name = "VARCHAR";
    if (simple->max_params > 0 && accept_symbol("(")) {
      t.params.push_back(expect_integer());
      if (simple->max_params > 1 && accept_symbol(",")) t.params.push_back(expect_integer());
      expect_symbol(")");
    }
    if (t.name == "TIMESTAMP" || t.name == "TIME") {
      if (accept_keywords({"WITHOUT", "TIME", "ZONE"})) {
        // the default
      } else if (t.name == "TIMESTAMP" && accept_keywords({"WITH", "LOCAL", "TIME", "ZONE"})) {
        t.name = "TIMESTAMP_LTZ";
      }
    }
  } else if (up == "ARRAY" || up == "MULTISET") {
    next();
    t.name = up;
    expect_symbol("<");
    t.children.push_back(parse_data_type());
    expect_symbol(">");
  } else if (up == "MAP") {
    next();
    t.name = up;
    expect_symbol("<");
    t.children.push_back(parse_data_type());
    expect_symbol(",");
    t.children.push_back(parse_data_type());
    expect_symbol(">");
  } else if (up == "ROW") {
    next();
    t.name = up;
    const bool angle = peek().is_symbol("<");
    if (!angle && !peek().is_symbol("(")) {
      expected("\"<\"");
      expected("\"(\"");
      unexpected();
    }
    next();
    const std::string_view close = angle ? ">" : ")";
    if (!accept_symbol(close)) {
      do {
        row_field f;
        f.name = expect_field_name();
        f.type = parse_data_type();
        if (peek().kind == token_kind::string) f.description = next().text;
        t.fields.push_back(std::move(f));
      } while (accept_symbol(","));
      expect_symbol(close);
    }
  } else if (up == "INTERVAL") {
    next();
    t.name = up;
    for (auto u : interval_units) {
      if (peek().is_word(u)) t.interval_from = u;
    }
    if (t.interval_from.empty()) {
      expected("<time unit>");
      unexpected();
    }
    next();
    if (accept_keyword("TO")) {
      for (auto u : interval_units) {
        if (peek().is_word(u)) t.interval_to = u;
      }
      if (t.interval_to.empty()) {
        expected("<time unit>");
        unexpected();
      }
      next();
    }
  } else {
    // A user-defined (or not yet known) type, by name.
    const object_name name = expect_object_name();
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (i > 0) t.name += '.';
      t.name += name[i].value;
    }
  }
  // Postfix collection types: INT ARRAY, STRING MULTISET (NOT NULL applies to the element).
  for (;;) {
    if (accept_keywords({"NOT", "NULL"})) {
      t.not_null = true;
    } else if (accept_keyword("NULL")) {
      t.not_null = false;
    }
    const bool array = peek().is_word("ARRAY");
    if (!array && !peek().is_word("MULTISET")) break;
    next();
    data_type outer;
    outer.name = array ? "ARRAY" : "MULTISET";
    outer.children.push_back(std::move(t));
    t = std::move(outer);
  }
  return t;
}

}  // namespace eddy::sql
