#include "eddy/table/join_operators.hpp"

#include <algorithm>

namespace eddy::table {

namespace {

using side_rows = std::vector<std::vector<rows::value>>;

list_state<std::vector<rows::value>> rows_of(join_context& ctx, const char* name,
                                             const join_plan& plan) {
  if (plan.ttl) return ctx.list_state<std::vector<rows::value>>(name, *plan.ttl);
  return ctx.list_state<std::vector<rows::value>>(name);
}

changelog_row joined(rows::row_kind kind, const std::vector<rows::value>* left,
                     const std::vector<rows::value>* right, const join_plan& plan) {
  changelog_row out;
  out.kind = kind;
  out.values.reserve(plan.left_width + plan.right_width);
  if (left)
    out.values.insert(out.values.end(), left->begin(), left->end());
  else
    out.values.resize(plan.left_width);
  if (right)
    out.values.insert(out.values.end(), right->begin(), right->end());
  else
    out.values.resize(plan.left_width + plan.right_width);
  return out;
}

}  // namespace

void regular_join_fn::process_element1(const aggregate_row& r, join_context& ctx,
                                       collector<changelog_row>& out) {
  process(true, r, ctx, out);
}

void regular_join_fn::process_element2(const aggregate_row& r, join_context& ctx,
                                       collector<changelog_row>& out) {
  process(false, r, ctx, out);
}

void regular_join_fn::process(bool left, const aggregate_row& r, join_context& ctx,
                              collector<changelog_row>& out) {
  const auto& plan = *plan_;
  const bool mine_outer = left ? (plan.type == join_type::left || plan.type == join_type::full)
                               : (plan.type == join_type::right || plan.type == join_type::full);
  const bool other_outer = left ? (plan.type == join_type::right || plan.type == join_type::full)
                                : (plan.type == join_type::left || plan.type == join_type::full);
  const std::vector<rows::value> row(r.values.begin() + static_cast<std::ptrdiff_t>(plan.key_count),
                                     r.values.end());
  auto emit = [&](rows::row_kind kind, const std::vector<rows::value>* mine,
                  const std::vector<rows::value>* other) {
    out.collect(left ? joined(kind, mine, other, plan) : joined(kind, other, mine, plan));
  };
  const bool retraction =
      r.kind == rows::row_kind::update_before || r.kind == rows::row_kind::delete_;
  bool null_key = false;
  for (std::size_t k = 0; k < plan.key_count; ++k) null_key = null_key || r.values[k].is_null();
  if (null_key) {
    if (mine_outer)
      emit(retraction ? rows::row_kind::delete_ : rows::row_kind::insert, &row, nullptr);
    return;
  }
  auto mine = rows_of(ctx, left ? "left-rows" : "right-rows", plan);
  if (retraction) {
    retract(left, row, mine, ctx, out);
    return;
  }
  const bool first_of_mine = mine.get().empty();
  auto others = rows_of(ctx, left ? "right-rows" : "left-rows", plan);
  const side_rows& partners = others.get();
  if (partners.empty()) {
    if (mine_outer) emit(rows::row_kind::insert, &row, nullptr);
  } else {
    // The other side's rows were emitted padded while this key had no row of this side.
    if (other_outer && first_of_mine)
      for (const auto& p : partners) emit(rows::row_kind::delete_, nullptr, &p);
    for (const auto& p : partners) emit(rows::row_kind::insert, &row, &p);
  }
  mine.add(row);
}

void regular_join_fn::retract(bool left, const std::vector<rows::value>& row,
                              list_state<std::vector<rows::value>>& mine, join_context& ctx,
                              collector<changelog_row>& out) {
  const auto& plan = *plan_;
  const bool mine_outer = left ? (plan.type == join_type::left || plan.type == join_type::full)
                               : (plan.type == join_type::right || plan.type == join_type::full);
  const bool other_outer = left ? (plan.type == join_type::right || plan.type == join_type::full)
                                : (plan.type == join_type::left || plan.type == join_type::full);
  auto emit = [&](rows::row_kind kind, const std::vector<rows::value>* m,
                  const std::vector<rows::value>* other) {
    out.collect(left ? joined(kind, m, other, plan) : joined(kind, other, m, plan));
  };
  // Forget one row equal to the retracted one (a row never stored, or expired by the TTL, has
  // nothing to retract, as in Flink).
  side_rows kept = mine.get();
  const auto it = std::find(kept.begin(), kept.end(), row);
  if (it == kept.end()) return;
  kept.erase(it);
  const bool last_of_mine = kept.empty();
  mine.update(std::move(kept));
  auto others = rows_of(ctx, left ? "right-rows" : "left-rows", plan);
  const side_rows& partners = others.get();
  if (partners.empty()) {
    if (mine_outer) emit(rows::row_kind::delete_, &row, nullptr);
    return;
  }
  for (const auto& p : partners) emit(rows::row_kind::delete_, &row, &p);
  // The other side's rows lost their last partner: padded with NULLs again.
  if (other_outer && last_of_mine)
    for (const auto& p : partners) emit(rows::row_kind::insert, nullptr, &p);
}

}  // namespace eddy::table
