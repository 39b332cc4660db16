#include "eddy/table/match_operators.hpp"

#include <chrono>
#include <span>
#include <stdexcept>
#include <unordered_map>

#include "eddy/cep/nfa.hpp"
#include "eddy/cep/pattern.hpp"

namespace eddy::table {

namespace {

/// The rows of a (partial) match: per variable, and all of them in match order (the variables
/// of a pattern follow each other, so that order is the variables' rows one after another).
struct match_rows {
  std::vector<std::vector<const aggregate_row*>> by_variable;
  std::vector<const aggregate_row*> all;

  const std::vector<const aggregate_row*>& of(int variable) const {
    return variable < 0 ? all : by_variable[static_cast<std::size_t>(variable)];
  }
  void finish() {
    all.clear();
    for (const auto& v : by_variable) all.insert(all.end(), v.begin(), v.end());
  }
};

std::span<const rows::value> columns_of(const aggregate_row& r, std::size_t key_count) {
  return std::span<const rows::value>(r.values).subspan(key_count);
}

/// A one-row batch and an output column per expression and thread, reused from call to call
/// (conditions run once per row and partial match: allocating them each time dominated).
struct eval_scratch {
  rows::row_batch batch;
  rows::column_vector out;
};

eval_scratch& scratch_for(const sql::vector_expr& e, const std::vector<rows::logical_type>& types) {
  // Keyed by the expression (kept alive by the plan while it runs); a new plan's expression at
  // a freed one's address finds the old batch, so the types are compared when it is taken.
  thread_local std::unordered_map<const sql::vector_expr*, eval_scratch> cache;
  auto it = cache.find(&e);
  if (it != cache.end() && it->second.batch.column_count() == types.size()) {
    bool same = true;
    for (std::size_t c = 0; c < types.size() && same; ++c)
      same = it->second.batch.column(c).type() == types[c];
    if (same) {
      it->second.batch.clear();
      return it->second;
    }
  }
  if (cache.size() > 1024) cache.clear();  // plans come and go in a long-lived process
  auto& s = cache[&e];
  s.batch = rows::row_batch(types);
  return s;
}

/// `e` over one row of `types`.
rows::value eval_row(const sql::vector_expr& e, const std::vector<rows::logical_type>& types,
                     std::span<const rows::value> values, const std::string& op) {
  auto& s = scratch_for(e, types);
  s.batch.append_row(values);
  sql::eval_context ctx;
  ctx.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  try {
    e.eval(s.batch, s.out, ctx);
  } catch (const sql::eval_error& err) {
    throw std::runtime_error(op + ": " + err.what());
  }
  return s.out.get(0);
}

rows::value nav_value(const match_nav& n, const match_rows& rows, const match_plan& plan,
                      std::int64_t now) {
  const auto on = [&](const aggregate_row* r) {
    return eval_row(*n.argument, plan.input_types, columns_of(*r, plan.key_count), plan.name);
  };
  const auto& of = rows.of(n.variable);
  switch (n.kind) {
    case match_nav_kind::first:
    case match_nav_kind::last: {
      if (n.offset < 0 || static_cast<std::size_t>(n.offset) >= of.size()) return {};
      const std::size_t i = n.kind == match_nav_kind::first
                                ? static_cast<std::size_t>(n.offset)
                                : of.size() - 1 - static_cast<std::size_t>(n.offset);
      return on(of[i]);
    }
    case match_nav_kind::prev: {
      if (of.empty()) return {};
      const aggregate_row* ref = of.back();
      std::size_t p = 0;
      while (p < rows.all.size() && rows.all[p] != ref) ++p;
      if (p == rows.all.size() || static_cast<std::size_t>(n.offset) > p) return {};
      return on(rows.all[p - static_cast<std::size_t>(n.offset)]);
    }
    case match_nav_kind::aggregate: {
      accumulator acc;
      std::vector<rows::value> one(1);
      for (const auto* r : of) {
        if (n.argument) one[0] = on(r);
        accumulate(n.call, acc, one);
      }
      return aggregate_result(n.call, acc);
    }
    case match_nav_kind::rowtime:
      if (rows.all.empty() || plan.time_value < 0) return {};
      return rows.all.back()->values[static_cast<std::size_t>(plan.time_value)];
    case match_nav_kind::proctime:
      return rows::value(now);
  }
  return {};
}

/// `e`'s value with `current` as its plain columns.
rows::value evaluate(const match_expr& e, const aggregate_row& current, const match_rows& rows,
                     const match_plan& plan, std::int64_t now) {
  const auto cols = columns_of(current, plan.key_count);
  if (e.navs.empty()) return eval_row(*e.expr, e.types, cols, plan.name);
  std::vector<rows::value> values(cols.begin(), cols.end());
  values.reserve(values.size() + e.navs.size());
  for (const auto& n : e.navs) values.push_back(nav_value(n, rows, plan, now));
  return eval_row(*e.expr, e.types, values, plan.name);
}

}  // namespace

bool match_condition::operator()(const aggregate_row& r,
                                 const cep::context<aggregate_row>& ctx) const {
  const auto& define = plan_->defines[variable_];
  if (!define) return true;
  match_rows rows;
  if (!define->navs.empty()) {
    rows.by_variable.resize(plan_->variables.size());
    for (std::size_t v = 0; v <= variable_; ++v)
      for (const auto* e : ctx.events(plan_->variables[v])) rows.by_variable[v].push_back(e);
    rows.by_variable[variable_].push_back(&r);
    rows.finish();
  }
  const auto v = evaluate(*define, r, rows, *plan_, 0);
  return !v.is_null() && v.as_bool();
}

changelog_row match_measures::evaluate(const cep::match<aggregate_row>& m, std::int64_t now) const {
  match_rows rows;
  rows.by_variable.resize(plan_->variables.size());
  for (std::size_t v = 0; v < plan_->variables.size(); ++v)
    for (const auto& e : m[plan_->variables[v]]) rows.by_variable[v].push_back(&e);
  rows.finish();
  changelog_row out;
  const aggregate_row& last = *rows.all.back();  // a match has at least one row
  out.values.assign(last.values.begin(),
                    last.values.begin() + static_cast<std::ptrdiff_t>(plan_->key_count));
  for (const auto& me : plan_->measures)
    out.values.push_back(table::evaluate(me, last, rows, *plan_, now));
  return out;
}

void row_time_op::process(std::vector<aggregate_row>& in, std::vector<std::int64_t>&) {
  counters_.records_in += in.size();
  guarded([&] {
    ts_.clear();
    ts_.reserve(in.size());
    for (const auto& r : in) {
      const auto& t = r.values[time_value_];
      if (t.is_null()) throw std::runtime_error(name_ + ": a row's time attribute is NULL");
      ts_.push_back(t.as_int64());
    }
    counters_.records_out += in.size();
    next_->process(in, ts_);
  });
}

}  // namespace eddy::table
