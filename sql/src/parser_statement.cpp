// Statements: queries, INSERT, EXECUTE STATEMENT SET, CREATE TABLE / VIEW / FUNCTION, DROP,
// SHOW, DESCRIBE, SET, RESET, USE, EXPLAIN.
#include "parser.hpp"

namespace eddy::sql {

statement parser::parse_statement() {
  depth_guard guard(*this);
  statement s;
  s.loc = peek().loc;
  if (peek_query_start()) {
    s.node = parse_query();
    return s;
  }
  for (const char* start : {"\"SELECT\"", "\"WITH\"", "\"VALUES\"", "\"(\""}) expected(start);
  if (peek_keyword("INSERT")) {
    s.node = parse_insert();
    return s;
  }
  if (peek().is_word("BEGIN") && peek(1).is_word("STATEMENT")) {
    // The SQL client's form: BEGIN STATEMENT SET; insert; ... END
    next();
    next();
    expect_keyword("SET");
    expect_symbol(";");
    statement_set set;
    do {
      set.inserts.push_back(parse_insert());
      expect_symbol(";");
    } while (!accept_keyword("END"));
    s.node = std::move(set);
    return s;
  }
  if (accept_keyword("EXECUTE")) {
    expect_keyword("STATEMENT");
    expect_keyword("SET");
    expect_keyword("BEGIN");
    statement_set set;
    do {
      set.inserts.push_back(parse_insert());
      expect_symbol(";");
    } while (!accept_keyword("END"));
    s.node = std::move(set);
    return s;
  }
  if (accept_keyword("CREATE")) {
    const bool temporary = accept_keyword("TEMPORARY");
    const bool system = temporary && accept_keyword("SYSTEM");
    if (!system && accept_keyword("TABLE")) {
      s.node = parse_create_table(temporary);
      return s;
    }
    if (!system && accept_keyword("VIEW")) {
      create_view v;
      v.temporary = temporary;
      v.if_not_exists = accept_keywords({"IF", "NOT", "EXISTS"});
      v.name = expect_object_name();
      if (peek().is_symbol("(")) v.columns = parse_ident_list();
      if (accept_keyword("COMMENT")) v.comment = expect_string();
      expect_keyword("AS");
      v.body = parse_query();
      s.node = std::move(v);
      return s;
    }
    expect_keyword("FUNCTION");
    create_function f;
    f.temporary = temporary;
    f.system = system;
    f.if_not_exists = accept_keywords({"IF", "NOT", "EXISTS"});
    f.name = expect_object_name();
    expect_keyword("AS");
    f.class_name = expect_string();
    if (accept_keyword("LANGUAGE")) {
      if (peek().kind != token_kind::word) {
        expected("<language>");
        unexpected();
      }
      f.language = to_upper(next().text);
    }
    s.node = std::move(f);
    return s;
  }
  if (accept_keyword("DROP")) {
    drop d;
    d.temporary = accept_keyword("TEMPORARY");
    d.system = d.temporary && accept_keyword("SYSTEM");
    if (!d.system && accept_keyword("TABLE")) {
      d.what = object_kind::table;
    } else if (!d.system && accept_keyword("VIEW")) {
      d.what = object_kind::view;
    } else {
      expect_keyword("FUNCTION");
      d.what = object_kind::function;
    }
    d.if_exists = accept_keywords({"IF", "EXISTS"});
    d.name = expect_object_name();
    s.node = std::move(d);
    return s;
  }
  if (accept_keyword("SHOW")) {
    show sh;
    static constexpr std::string_view lists[] = {"TABLES",   "VIEWS",   "FUNCTIONS", "DATABASES",
                                                 "CATALOGS", "MODULES", "JOBS"};
    for (auto l : lists) {
      if (accept_keyword(l)) {
        sh.what = std::string(l);
        s.node = std::move(sh);
        return s;
      }
    }
    expect_keyword("CREATE");
    if (accept_keyword("TABLE")) {
      sh.what = "CREATE TABLE";
    } else {
      expect_keyword("VIEW");
      sh.what = "CREATE VIEW";
    }
    sh.name = expect_object_name();
    s.node = std::move(sh);
    return s;
  }
  if (accept_keyword("DESCRIBE") || accept_keyword("DESC")) {
    s.node = describe{expect_object_name()};
    return s;
  }
  if (accept_keyword("SET")) {
    set_option o;
    if (peek().kind == token_kind::string) {
      table_option kv;
      kv.key = next().text;
      expect_symbol("=");
      kv.value = expect_string();
      o.option = std::move(kv);
    }
    s.node = std::move(o);
    return s;
  }
  if (accept_keyword("RESET")) {
    reset_option r;
    if (peek().kind == token_kind::string) r.key = next().text;
    s.node = std::move(r);
    return s;
  }
  if (accept_keywords({"STOP", "JOB"})) {
    stop_job j;
    j.id = expect_string();
    // Flink writes WITH SAVEPOINT before WITH DRAIN.
    while (!j.with_drain && accept_keyword("WITH")) {
      if (!j.with_savepoint && accept_keyword("SAVEPOINT")) {
        j.with_savepoint = true;
      } else {
        expect_keyword("DRAIN");
        j.with_drain = true;
      }
    }
    s.node = std::move(j);
    return s;
  }
  if (accept_keyword("USE")) {
    use u;
    u.catalog = accept_keyword("CATALOG");
    u.name = expect_object_name();
    s.node = std::move(u);
    return s;
  }
  if (accept_keyword("EXPLAIN")) {
    explain e;
    if (accept_keywords({"PLAN", "FOR"})) {
      // the default
    } else {
      static constexpr std::string_view details[] = {"ESTIMATED_COST", "CHANGELOG_MODE",
                                                     "JSON_EXECUTION_PLAN", "PLAN_ADVICE"};
      for (bool more = true; more;) {
        more = false;
        for (auto d : details) {
          if (accept_keyword(d)) {
            e.details.emplace_back(d);
            more = accept_symbol(",");
            break;
          }
        }
      }
    }
    statement target = parse_statement();
    if (!target.as<query>() && !target.as<insert>() && !target.as<statement_set>()) {
      throw_error(target.loc, "EXPLAIN takes a query, an INSERT or a statement set, at line " +
                                  std::to_string(target.loc.line) + ", column " +
                                  std::to_string(target.loc.column));
    }
    e.target = std::move(target);
    s.node = std::move(e);
    return s;
  }
  unexpected();
}

insert parser::parse_insert() {
  expect_keyword("INSERT");
  insert i;
  if (accept_keyword("OVERWRITE")) {
    i.overwrite = true;
  } else {
    expect_keyword("INTO");
  }
  i.table = expect_object_name();
  if (peek().is_symbol("(") && !peek_query_start()) i.columns = parse_ident_list();
  i.source = parse_query();
  return i;
}

create_table parser::parse_create_table(bool temporary) {
  create_table t;
  t.temporary = temporary;
  t.if_not_exists = accept_keywords({"IF", "NOT", "EXISTS"});
  t.name = expect_object_name();
  if (accept_symbol("(")) {
    do {
      if (peek().is_word("WATERMARK") && peek(1).is_word("FOR")) {
        next();
        if (t.watermark)
          fail_here("A table has one WATERMARK; a second one at line " +
                    std::to_string(peek().loc.line));
        expect_keyword("FOR");
        object_name column = expect_object_name();
        expect_keyword("AS");
        t.watermark = watermark_def{std::move(column), parse_expr()};
      } else if ((peek().is_word("PRIMARY") && peek(1).is_word("KEY")) ||
                 (peek().is_word("CONSTRAINT") && peek_ident(1))) {
        primary_key_def pk;
        if (accept_keyword("CONSTRAINT")) pk.constraint_name = expect_ident();
        expect_keyword("PRIMARY");
        expect_keyword("KEY");
        pk.columns = parse_ident_list();
        pk.not_enforced = accept_keywords({"NOT", "ENFORCED"});
        t.primary_key = std::move(pk);
      } else {
        ident name = expect_ident();
        t.columns.push_back(parse_column(std::move(name)));
      }
    } while (accept_symbol(","));
    expect_symbol(")");
  }
  if (accept_keyword("COMMENT")) t.comment = expect_string();
  if (accept_keywords({"PARTITIONED", "BY"})) t.partitioned_by = parse_ident_list();
  if (accept_keyword("WITH")) t.options = parse_options_list();
  if (accept_keyword("AS")) t.as_query = parse_query();
  return t;
}

column_def parser::parse_column(ident name) {
  column_def c;
  c.name = std::move(name);
  if (accept_keyword("AS")) {
    c.what = column_def::kind::computed;
    c.computed = parse_expr();
  } else {
    c.type = parse_data_type();
    if (accept_keyword("METADATA")) {
      c.what = column_def::kind::metadata;
      if (accept_keyword("FROM")) c.metadata_key = expect_string();
      c.is_virtual = accept_keyword("VIRTUAL");
    } else if (accept_keywords({"PRIMARY", "KEY"})) {
      expect_keyword("NOT");
      expect_keyword("ENFORCED");
      c.primary_key = true;
    }
  }
  if (accept_keyword("COMMENT")) c.comment = expect_string();
  return c;
}

std::vector<table_option> parser::parse_options_list() {
  expect_symbol("(");
  std::vector<table_option> out;
  if (accept_symbol(")")) return out;
  do {
    table_option o;
    o.key = expect_string();
    expect_symbol("=");
    o.value = expect_string();
    out.push_back(std::move(o));
  } while (accept_symbol(","));
  expect_symbol(")");
  return out;
}

}  // namespace eddy::sql
