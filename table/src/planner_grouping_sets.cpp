// GROUP BY with grouping sets (GROUPING SETS, ROLLUP, CUBE; the parser expands the last two) and
// the GROUPING / GROUPING_ID functions.
//
// Flink (Calcite) plans grouping sets as an Expand (each row copied once per set, the keys not in
// the set nulled, a set id added) below one aggregate. Eddy plans one aggregate per grouping set
// over the same input and a UNION ALL of their results: in each, the select list and HAVING see
// the grouping expressions not in the set as typed NULLs and GROUPING(...) as a constant. The
// rows are the same; the state is one aggregate's per set, as Flink's is one group per set.
#include <algorithm>

#include "eddy/sql/printer.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

constexpr std::size_t max_grouping_sets = 1024;

bool is_grouping_call(const sql::function_call& f) {
  if (f.over || f.name.size() != 1) return false;
  const auto name = planning::upper(f.name.front().value);
  return name == "GROUPING" || name == "GROUPING_ID";
}

bool has_grouping_call(const sql::expr& e) {
  bool found = false;
  const auto visit = [&](const sql::expr& x, const auto& self) -> void {
    if (found) return;
    if (const auto* f = x.as<sql::function_call>(); f && is_grouping_call(*f)) {
      found = true;
      return;
    }
    planning::for_each_child(x, [&](const sql::expr& child) { self(child, self); });
  };
  visit(e, visit);
  return found;
}

// A legacy group window in GROUP BY: TUMBLE(ts, size), HOP(...), SESSION(...).
bool is_group_window(const sql::expr& e) {
  const auto* f = e.as<sql::function_call>();
  if (!f || f->over || f->name.size() != 1) return false;
  const auto name = planning::upper(f->name.front().value);
  return name == "TUMBLE" || name == "HOP" || name == "SESSION";
}

sql::expr bigint_constant(std::uint64_t v) {
  return planning::cast_to(planning::literal_expr(sql::literal_kind::number, std::to_string(v)),
                           rows::bigint_type().with_nullable(false));
}

sql::expr typed_null(const rows::logical_type& t) {
  sql::expr e;
  e.node = sql::literal{};  // NULL
  return planning::cast_to(std::move(e), t.with_nullable(true));
}

/// Rewrites one grouping set's select items and HAVING: a grouping expression outside the set
/// becomes a NULL of its type, GROUPING(...) a constant. Aggregate calls' arguments are left as
/// they are (they see the input rows).
class grouping_set_rewriter {
 public:
  grouping_set_rewriter(const std::vector<sql::expr>& all,
                        const std::vector<rows::logical_type>& types,
                        const std::vector<bool>& in_set, const sql::scope& input)
      : all_(all), types_(types), in_set_(in_set), input_(input) {}

  std::optional<sql::parse_error> rewrite(sql::expr& e) {
    if (auto* f = e.as<sql::function_call>()) {
      if (is_grouping_call(*f)) return grouping(e, *f);
      if (planning::is_aggregate_call(*f)) return std::nullopt;
    }
    const int j = find(e);
    if (j >= 0) {
      if (!in_set_[static_cast<std::size_t>(j)]) {
        const auto loc = e.loc;
        e = typed_null(types_[static_cast<std::size_t>(j)]);
        e.loc = loc;
      }
      return std::nullopt;
    }
    std::optional<sql::parse_error> err;
    planning::for_each_child(e, [&](sql::expr& child) {
      if (!err) err = rewrite(child);
    });
    return err;
  }

 private:
  // GROUPING(a, b, ...) and GROUPING_ID(a, b, ...): a bit per argument, the first the highest,
  // 1 where the argument is not grouped by in this set.
  std::optional<sql::parse_error> grouping(sql::expr& e, const sql::function_call& f) {
    const std::string name = planning::upper(f.name.front().value);
    if (f.args.empty() || f.star || f.distinct || f.filter)
      return error_at(e.loc, name + " takes one or more grouping expressions");
    if (f.args.size() > 63) return error_at(e.loc, name + " takes at most 63 arguments");
    std::uint64_t bits = 0;
    for (const auto& a : f.args) {
      const int j = find(*a.value);
      if (j < 0 || a.name)
        return error_at(a.value->loc, "The arguments of " + name +
                                          " must be grouping expressions: '" +
                                          sql::to_sql(*a.value) + "' is not one");
      bits = bits << 1 | (in_set_[static_cast<std::size_t>(j)] ? 0 : 1);
    }
    const auto loc = e.loc;
    e = bigint_constant(bits);
    e.loc = loc;
    return std::nullopt;
  }

  [[nodiscard]] int find(const sql::expr& e) const {
    for (std::size_t j = 0; j < all_.size(); ++j)
      if (planning::same_grouping_expression(e, all_[j], input_)) return static_cast<int>(j);
    return -1;
  }

  const std::vector<sql::expr>& all_;
  const std::vector<rows::logical_type>& types_;
  const std::vector<bool>& in_set_;
  const sql::scope& input_;
};

}  // namespace

namespace planning {

bool uses_grouping_sets(const sql::select_core& s) {
  for (const auto& g : s.group_by)
    if (g.as<sql::grouping_sets>()) return true;
  for (const auto& item : s.items)
    if (item.value && has_grouping_call(*item.value)) return true;
  return s.having && has_grouping_call(*s.having);
}

}  // namespace planning

sql::result<relation> planner::grouping_sets_aggregate(relation in, const sql::select_core& s,
                                                       sql::location at) {
  // 1. The grouping sets: GROUP BY's elements crossed (`GROUP BY a, ROLLUP (b)` is (a, b), (a)).
  std::vector<std::vector<sql::expr>> sets{{}};
  for (const auto& g : s.group_by) {
    std::vector<std::vector<sql::expr>> crossed;
    const auto* gs = g.as<sql::grouping_sets>();
    for (const auto& x : sets) {
      if (!gs) {
        crossed.push_back(x);
        crossed.back().push_back(g);
        continue;
      }
      for (const auto& y : gs->sets) {
        crossed.push_back(x);
        crossed.back().insert(crossed.back().end(), y.begin(), y.end());
      }
      if (crossed.size() > max_grouping_sets) break;
    }
    if (crossed.size() > max_grouping_sets)
      return error_at(
          g.loc, "GROUP BY has more than " + std::to_string(max_grouping_sets) + " grouping sets");
    sets = std::move(crossed);
  }
  // 2. Every expression some set groups by, once, with its type.
  const auto same = [&](const sql::expr& a, const sql::expr& b) {
    return planning::same_grouping_expression(a, b, in.columns);
  };
  std::vector<sql::expr> all;
  for (const auto& set : sets)
    for (const auto& e : set)
      if (std::none_of(all.begin(), all.end(), [&](const auto& x) { return same(x, e); }))
        all.push_back(e);
  std::vector<rows::logical_type> types;
  for (const auto& e : all) {
    if (const auto* f = e.as<sql::function_call>(); f && is_grouping_call(*f))
      return error_at(e.loc, "GROUPING cannot be grouped by");
    if (is_group_window(e)) {  // not a value: in every set (checked below), never nulled
      types.push_back(rows::bigint_type());
      continue;
    }
    auto compiled = sql::compile_expression(e, in.columns, o_.functions);
    if (!compiled) return compiled.error();
    types.push_back((*compiled)->type());
  }
  // 3. One aggregate per set, in a UNION ALL.
  std::optional<relation> out;
  const auto first_input = in.explain;
  for (std::size_t k = 0; k < sets.size(); ++k) {
    std::vector<bool> in_set(all.size(), false);
    sql::select_core one = s;
    one.group_by.clear();
    for (const auto& e : sets[k])
      for (std::size_t j = 0; j < all.size(); ++j)
        if (!in_set[j] && same(e, all[j])) {
          in_set[j] = true;
          one.group_by.push_back(all[j]);
        }
    for (std::size_t j = 0; j < all.size(); ++j)
      if (!in_set[j] && is_group_window(all[j]))
        return error_at(all[j].loc, "A group window (" + sql::to_sql(all[j]) +
                                        ") must be in every grouping set");
    grouping_set_rewriter rw(all, types, in_set, in.columns);
    for (std::size_t i = 0; i < one.items.size(); ++i) {
      auto& item = one.items[i];
      if (!item.value) continue;
      if (!item.alias) {  // the name the item has without the rewrite
        sql::ident alias;
        alias.value = planning::output_name(s.items[i], i);
        item.alias = alias;
      }
      if (auto err = rw.rewrite(*item.value)) return *err;
    }
    if (one.having)
      if (auto err = rw.rewrite(*one.having)) return *err;
    relation input = in;
    // EXPLAIN shows the shared input once, as for a reused sub-plan.
    if (k > 0 && !first_input.empty()) input.explain = {"Reused(" + first_input.front() + ")"};
    auto r = aggregate(std::move(input), one, at);
    if (!r) return r.error();
    if (!out) {
      out = std::move(*r);
      continue;
    }
    auto u = union_all(std::move(*out), std::move(*r), at);
    if (!u) return u.error();
    out = std::move(*u);
  }
  return std::move(*out);
}

}  // namespace eddy::table
