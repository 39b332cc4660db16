// The printer, part 2: queries, FROM items, MATCH_RECOGNIZE and statements.
#include "eddy/sql/printer.hpp"
#include "printer_internal.hpp"

namespace eddy::sql {

namespace detail {

namespace {

using detail::print;  // the overloads of printer_internal.hpp, next to this file's own
void print(std::string& out, const table_with_joins& t);
void print(std::string& out, const set_expr& s);

void print(std::string& out, const pattern_quantifier& q) {
  switch (q.kind) {
    case pattern_quantifier::form::star:
      out += '*';
      break;
    case pattern_quantifier::form::plus:
      out += '+';
      break;
    case pattern_quantifier::form::question:
      out += '?';
      break;
    case pattern_quantifier::form::exact:
      out += "{" + std::to_string(q.min.value_or(0)) + "}";
      break;
    case pattern_quantifier::form::range:
      out += '{';
      if (q.min) out += std::to_string(*q.min);
      out += ',';
      if (q.max) out += std::to_string(*q.max);
      out += '}';
      break;
  }
  if (q.reluctant) out += '?';
}

void print(std::string& out, const row_pattern& p) {
  auto items = [&](const char* separator) {
    for (std::size_t i = 0; i < p.items.size(); ++i) {
      if (i > 0) out += separator;
      print(out, p.items[i]);
    }
  };
  switch (p.what) {
    case row_pattern::kind::symbol:
      out += quote_ident(p.symbol);
      return;
    case row_pattern::kind::start_anchor:
      out += '^';
      return;
    case row_pattern::kind::end_anchor:
      out += '$';
      return;
    case row_pattern::kind::exclude:
      out += "{- ";
      items(" ");
      out += " -}";
      return;
    case row_pattern::kind::permute:
      out += "PERMUTE(";
      items(", ");
      out += ')';
      return;
    case row_pattern::kind::concat:
      items(" ");
      return;
    case row_pattern::kind::alternation:
      items(" | ");
      return;
    case row_pattern::kind::group:
      out += '(';
      items(" ");
      out += ')';
      return;
    case row_pattern::kind::repetition:
      items(" ");
      print(out, p.quantifier);
      return;
  }
}

void print(std::string& out, const match_recognize_spec& m) {
  out += "MATCH_RECOGNIZE (";
  if (!m.partition_by.empty()) {
    out += "PARTITION BY ";
    print_list(out, m.partition_by);
    out += ' ';
  }
  if (!m.order_by.empty()) {
    out += "ORDER BY ";
    print(out, m.order_by);
    out += ' ';
  }
  if (!m.measures.empty()) {
    out += "MEASURES ";
    for (std::size_t i = 0; i < m.measures.size(); ++i) {
      if (i > 0) out += ", ";
      print(out, m.measures[i].value);
      out += " AS " + quote_ident(m.measures[i].alias);
    }
    out += ' ';
  }
  if (m.rows) {
    out += *m.rows == rows_per_match::one_row ? "ONE ROW PER MATCH " : "ALL ROWS PER MATCH ";
  }
  if (m.skip) {
    out += "AFTER MATCH SKIP ";
    switch (m.skip->kind) {
      case skip_kind::to_next_row:
        out += "TO NEXT ROW ";
        break;
      case skip_kind::past_last_row:
        out += "PAST LAST ROW ";
        break;
      case skip_kind::to_first:
        out += "TO FIRST " + quote_ident(m.skip->variable) + " ";
        break;
      case skip_kind::to_last:
        out += "TO LAST " + quote_ident(m.skip->variable) + " ";
        break;
      case skip_kind::to_variable:
        out += "TO " + quote_ident(m.skip->variable) + " ";
        break;
    }
  }
  out += "PATTERN (";
  print(out, m.pattern);
  out += ')';
  if (m.within) {
    out += " WITHIN ";
    print(out, *m.within);
  }
  if (!m.subsets.empty()) {
    out += " SUBSET ";
    for (std::size_t i = 0; i < m.subsets.size(); ++i) {
      if (i > 0) out += ", ";
      out += quote_ident(m.subsets[i].name) + " = ";
      print_ident_list(out, m.subsets[i].variables);
    }
  }
  out += " DEFINE ";
  for (std::size_t i = 0; i < m.definitions.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_ident(m.definitions[i].variable) + " AS ";
    print(out, m.definitions[i].condition);
  }
  out += ')';
}

void print(std::string& out, const table_factor& f) {
  struct visitor {
    std::string& out;
    void operator()(const named_table& t) {
      print(out, t.name);
      if (t.system_time) {
        out += " FOR SYSTEM_TIME AS OF ";
        print(out, *t.system_time);
      }
    }
    void operator()(const derived_table& t) {
      if (t.lateral) out += "LATERAL ";
      out += '(';
      print(out, *t.subquery);
      out += ')';
    }
    void operator()(const table_function& t) {
      if (t.lateral) out += "LATERAL ";
      out += "TABLE(";
      print(out, t.call);
      out += ')';
    }
    void operator()(const unnest& t) {
      out += "UNNEST(";
      print_list(out, t.arrays);
      out += ')';
      if (t.with_ordinality) out += " WITH ORDINALITY";
    }
    void operator()(const nested_join& t) {
      out += '(';
      print(out, *t.inner);
      out += ')';
    }
    void operator()(const match_recognize& t) {
      print(out, *t.input);
      out += ' ';
      print(out, t.spec);
    }
  };
  std::visit(visitor{out}, f.node);
  if (f.alias) {
    out += " AS " + quote_ident(f.alias->name);
    if (!f.alias->columns.empty()) print_ident_list(out, f.alias->columns);
  }
}

void print(std::string& out, const table_with_joins& t) {
  print(out, t.relation);
  for (const auto& j : t.joins) {
    switch (j.kind) {
      case join_kind::inner:
        out += " JOIN ";
        break;
      case join_kind::left:
        out += " LEFT JOIN ";
        break;
      case join_kind::right:
        out += " RIGHT JOIN ";
        break;
      case join_kind::full:
        out += " FULL JOIN ";
        break;
      case join_kind::cross:
        out += " CROSS JOIN ";
        break;
    }
    print(out, j.relation);
    if (j.on) {
      out += " ON ";
      print(out, *j.on);
    } else if (!j.using_columns.empty()) {
      out += " USING ";
      print_ident_list(out, j.using_columns);
    }
  }
}

void print(std::string& out, const select_core& s) {
  out += s.distinct ? "SELECT DISTINCT " : "SELECT ";
  for (std::size_t i = 0; i < s.items.size(); ++i) {
    if (i > 0) out += ", ";
    const auto& item = s.items[i];
    switch (item.what) {
      case select_item::kind::wildcard:
        out += '*';
        break;
      case select_item::kind::qualified_wildcard:
        print(out, item.qualifier);
        out += ".*";
        break;
      case select_item::kind::value:
        if (item.value) print(out, *item.value);
        if (item.alias) out += " AS " + quote_ident(*item.alias);
        break;
    }
  }
  if (!s.from.empty()) {
    out += " FROM ";
    for (std::size_t i = 0; i < s.from.size(); ++i) {
      if (i > 0) out += ", ";
      print(out, s.from[i]);
    }
  }
  if (s.where) {
    out += " WHERE ";
    print(out, *s.where);
  }
  if (!s.group_by.empty()) {
    out += " GROUP BY ";
    print_list(out, s.group_by);
  }
  if (s.having) {
    out += " HAVING ";
    print(out, *s.having);
  }
  if (!s.windows.empty()) {
    out += " WINDOW ";
    for (std::size_t i = 0; i < s.windows.size(); ++i) {
      if (i > 0) out += ", ";
      out += quote_ident(s.windows[i].name) + " AS ";
      print(out, s.windows[i].spec);
    }
  }
}

void print(std::string& out, const set_expr& s) {
  if (const auto* sel = std::get_if<select_core>(&s.node)) {
    print(out, *sel);
  } else if (const auto* q = std::get_if<box<query>>(&s.node)) {
    out += '(';
    print(out, **q);
    out += ')';
  } else if (const auto* op = std::get_if<set_operation>(&s.node)) {
    print(out, *op->left);
    out += op->op == set_operator::union_      ? " UNION "
           : op->op == set_operator::intersect ? " INTERSECT "
                                               : " EXCEPT ";
    if (op->all) out += "ALL ";
    print(out, *op->right);
  } else if (const auto* v = std::get_if<values>(&s.node)) {
    out += "VALUES ";
    for (std::size_t i = 0; i < v->rows.size(); ++i) {
      if (i > 0) out += ", ";
      out += '(';
      print_list(out, v->rows[i]);
      out += ')';
    }
  }
}

void print(std::string& out, const insert& i) {
  out += i.overwrite ? "INSERT OVERWRITE " : "INSERT INTO ";
  print(out, i.table);
  if (!i.columns.empty()) {
    out += ' ';
    print_ident_list(out, i.columns);
  }
  out += ' ';
  print(out, i.source);
}

void print_options(std::string& out, const std::vector<table_option>& options) {
  out += '(';
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_string(options[i].key) + " = " + quote_string(options[i].value);
  }
  out += ')';
}

void print(std::string& out, const column_def& c) {
  out += quote_ident(c.name) + " ";
  switch (c.what) {
    case column_def::kind::physical:
      print(out, c.type);
      if (c.primary_key) out += " PRIMARY KEY NOT ENFORCED";
      break;
    case column_def::kind::computed:
      out += "AS ";
      if (c.computed) print(out, *c.computed);
      break;
    case column_def::kind::metadata:
      print(out, c.type);
      out += " METADATA";
      if (c.metadata_key) out += " FROM " + quote_string(*c.metadata_key);
      if (c.is_virtual) out += " VIRTUAL";
      break;
  }
  if (c.comment) out += " COMMENT " + quote_string(*c.comment);
}

void print(std::string& out, const create_table& t) {
  out += t.temporary ? "CREATE TEMPORARY TABLE " : "CREATE TABLE ";
  if (t.if_not_exists) out += "IF NOT EXISTS ";
  print(out, t.name);
  if (!t.columns.empty() || t.watermark || t.primary_key) {
    out += " (";
    bool first = true;
    auto sep = [&] {
      if (!first) out += ", ";
      first = false;
    };
    for (const auto& c : t.columns) {
      sep();
      print(out, c);
    }
    if (t.watermark) {
      sep();
      out += "WATERMARK FOR ";
      print(out, t.watermark->column);
      out += " AS ";
      print(out, t.watermark->strategy);
    }
    if (t.primary_key) {
      sep();
      if (t.primary_key->constraint_name) {
        out += "CONSTRAINT " + quote_ident(*t.primary_key->constraint_name) + " ";
      }
      out += "PRIMARY KEY ";
      print_ident_list(out, t.primary_key->columns);
      if (t.primary_key->not_enforced) out += " NOT ENFORCED";
    }
    out += ')';
  }
  if (t.comment) out += " COMMENT " + quote_string(*t.comment);
  if (!t.partitioned_by.empty()) {
    out += " PARTITIONED BY ";
    print_ident_list(out, t.partitioned_by);
  }
  if (!t.options.empty()) {
    out += " WITH ";
    print_options(out, t.options);
  }
  if (t.as_query) {
    out += " AS ";
    print(out, *t.as_query);
  }
}

void print_statement(std::string& out, const statement& s);

struct statement_printer {
  std::string& out;
  void operator()(const query& q) { print(out, q); }
  void operator()(const insert& i) { print(out, i); }
  void operator()(const statement_set& s) {
    out += "EXECUTE STATEMENT SET BEGIN ";
    for (const auto& i : s.inserts) {
      print(out, i);
      out += "; ";
    }
    out += "END";
  }
  void operator()(const create_table& t) { print(out, t); }
  void operator()(const create_view& v) {
    out += v.temporary ? "CREATE TEMPORARY VIEW " : "CREATE VIEW ";
    if (v.if_not_exists) out += "IF NOT EXISTS ";
    print(out, v.name);
    if (!v.columns.empty()) {
      out += ' ';
      print_ident_list(out, v.columns);
    }
    if (v.comment) out += " COMMENT " + quote_string(*v.comment);
    out += " AS ";
    print(out, v.body);
  }
  void operator()(const create_function& f) {
    out += "CREATE ";
    if (f.temporary) out += f.system ? "TEMPORARY SYSTEM " : "TEMPORARY ";
    out += "FUNCTION ";
    if (f.if_not_exists) out += "IF NOT EXISTS ";
    print(out, f.name);
    out += " AS " + quote_string(f.class_name);
    if (!f.language.empty()) out += " LANGUAGE " + f.language;
  }
  void operator()(const drop& d) {
    out += "DROP ";
    if (d.temporary) out += d.system ? "TEMPORARY SYSTEM " : "TEMPORARY ";
    out += d.what == object_kind::table  ? "TABLE "
           : d.what == object_kind::view ? "VIEW "
                                         : "FUNCTION ";
    if (d.if_exists) out += "IF EXISTS ";
    print(out, d.name);
  }
  void operator()(const show& s) {
    out += "SHOW " + s.what;
    if (!s.name.empty()) {
      out += ' ';
      print(out, s.name);
    }
  }
  void operator()(const describe& d) {
    out += "DESCRIBE ";
    print(out, d.name);
  }
  void operator()(const set_option& s) {
    out += "SET";
    if (s.option) out += " " + quote_string(s.option->key) + " = " + quote_string(s.option->value);
  }
  void operator()(const reset_option& r) {
    out += "RESET";
    if (r.key) out += " " + quote_string(*r.key);
  }
  void operator()(const use& u) {
    out += u.catalog ? "USE CATALOG " : "USE ";
    print(out, u.name);
  }
  void operator()(const stop_job& j) {
    out += "STOP JOB " + quote_string(j.id);
    if (j.with_savepoint) out += " WITH SAVEPOINT";
    if (j.with_drain) out += " WITH DRAIN";
  }
  void operator()(const explain& e) {
    out += "EXPLAIN ";
    for (std::size_t i = 0; i < e.details.size(); ++i) {
      out += e.details[i];
      out += i + 1 < e.details.size() ? ", " : " ";
    }
    if (e.target) print_statement(out, *e.target);
  }
};

void print_statement(std::string& out, const statement& s) {
  std::visit(statement_printer{out}, s.node);
}

}  // namespace

void print(std::string& out, const query& q) {
  if (!q.with.empty()) {
    out += "WITH ";
    for (std::size_t i = 0; i < q.with.size(); ++i) {
      if (i > 0) out += ", ";
      out += quote_ident(q.with[i].name);
      if (!q.with[i].columns.empty()) {
        out += ' ';
        print_ident_list(out, q.with[i].columns);
      }
      out += " AS (";
      print(out, *q.with[i].body);
      out += ')';
    }
    out += ' ';
  }
  print(out, q.body);
  if (!q.order_by.empty()) {
    out += " ORDER BY ";
    print(out, q.order_by);
  }
  if (q.limit) {
    out += " LIMIT ";
    print(out, *q.limit);
  }
  if (q.offset) {
    out += " OFFSET ";
    print(out, *q.offset);
  }
}

}  // namespace detail

std::string to_sql(const query& q) {
  std::string out;
  detail::print(out, q);
  return out;
}

std::string to_sql(const statement& s) {
  std::string out;
  detail::print_statement(out, s);
  return out;
}

}  // namespace eddy::sql
