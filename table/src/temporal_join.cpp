#include "eddy/table/temporal_join.hpp"

#include <algorithm>
#include <stdexcept>

#include "eddy/table/over_operators.hpp"  // over_row: a row with its time

namespace eddy::table {

namespace {

std::int64_t time_of(const aggregate_row& r, std::size_t at, const std::string& op) {
  const auto& v = r.values[at];
  if (v.is_null()) throw std::runtime_error(op + ": a row's event time is NULL");
  return v.as_int64();
}

/// Inserts `row` after the rows of times not after its own.
void insert_by_time(std::vector<over_row>& rows, over_row row) {
  const auto at = std::upper_bound(rows.begin(), rows.end(), row.ts,
                                   [](std::int64_t t, const over_row& x) { return t < x.ts; });
  rows.insert(at, std::move(row));
}

}  // namespace

void temporal_join_fn::process_element1(const aggregate_row& r, keyed_co_context<std::string>& ctx,
                                        collector<changelog_row>&) {
  const auto ts = time_of(r, plan_->left_time, plan_->name);
  auto state = ctx.value_state<std::vector<over_row>>("temporal-left");
  insert_by_time(state.value_for_update(), over_row{ts, r.values});
  ctx.register_event_time_timer(ts);
}

void temporal_join_fn::process_element2(const aggregate_row& r, keyed_co_context<std::string>& ctx,
                                        collector<changelog_row>&) {
  const auto ts = time_of(r, plan_->right_time, plan_->name);
  auto state = ctx.value_state<std::vector<over_row>>("temporal-versions");
  auto& versions = state.value_for_update();
  const auto same =
      std::find_if(versions.begin(), versions.end(), [&](const over_row& v) { return v.ts == ts; });
  if (same != versions.end())
    same->values = r.values;  // the later row of one time is the version
  else
    insert_by_time(versions, over_row{ts, r.values});
}

void temporal_join_fn::on_timer(std::int64_t t, keyed_co_context<std::string>& ctx,
                                collector<changelog_row>& out) {
  const auto& p = *plan_;
  auto left_state = ctx.value_state<std::vector<over_row>>("temporal-left");
  auto version_state = ctx.value_state<std::vector<over_row>>("temporal-versions");
  if (!left_state.value()) return;
  auto& left = left_state.value_for_update();
  const auto* versions = version_state.value() ? &*version_state.value() : nullptr;
  std::size_t done = 0;
  for (; done < left.size() && left[done].ts <= t; ++done) {
    const auto& row = left[done];
    const over_row* version = nullptr;
    if (versions) {
      const auto after =
          std::upper_bound(versions->begin(), versions->end(), row.ts,
                           [](std::int64_t x, const over_row& v) { return x < v.ts; });
      if (after != versions->begin()) version = &*(after - 1);
    }
    if (!version && !p.left_outer) continue;
    changelog_row o;
    const auto lb = row.values.begin() + static_cast<std::ptrdiff_t>(p.key_count);
    o.values.assign(lb, lb + static_cast<std::ptrdiff_t>(p.left_width));
    if (version) {
      const auto rb = version->values.begin() + static_cast<std::ptrdiff_t>(p.key_count);
      o.values.insert(o.values.end(), rb, rb + static_cast<std::ptrdiff_t>(p.right_width));
    } else {
      o.values.resize(p.left_width + p.right_width);  // NULLs
    }
    out.collect(std::move(o));
  }
  left.erase(left.begin(), left.begin() + static_cast<std::ptrdiff_t>(done));
  if (left.empty()) left_state.clear();
  // Versions before the latest one valid at t can serve no row that is not late.
  if (versions) {
    auto& v = version_state.value_for_update();
    const auto after = std::upper_bound(v.begin(), v.end(), t,
                                        [](std::int64_t x, const over_row& r) { return x < r.ts; });
    if (after - v.begin() > 1) v.erase(v.begin(), after - 1);
  }
}

}  // namespace eddy::table
