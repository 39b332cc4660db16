#include "eddy/table/interval_join.hpp"

#include <algorithm>
#include <stdexcept>

namespace eddy::table {

namespace {

const char* state_name(bool left) {
  return left ? "interval-left" : "interval-right";
}

}  // namespace

std::int64_t interval_join_plan::output_delay() const {
  return std::max<std::int64_t>({0, -lower, upper});
}

void interval_join_fn::process_element1(const aggregate_row& r, join_context& ctx,
                                        collector<changelog_row>& out) {
  process(true, r, ctx, out);
}

void interval_join_fn::process_element2(const aggregate_row& r, join_context& ctx,
                                        collector<changelog_row>& out) {
  process(false, r, ctx, out);
}

void interval_join_fn::emit(const std::vector<rows::value>* left,
                            const std::vector<rows::value>* right,
                            collector<changelog_row>& out) const {
  const auto& p = *plan_;
  changelog_row o;
  o.values.reserve(p.left_width + p.right_width);
  auto append = [&](const std::vector<rows::value>* row, std::size_t width) {
    if (!row) {
      o.values.resize(o.values.size() + width);  // NULLs
      return;
    }
    const auto first = row->begin() + static_cast<std::ptrdiff_t>(p.key_count);
    o.values.insert(o.values.end(), first, first + static_cast<std::ptrdiff_t>(width));
  };
  append(left, p.left_width);
  append(right, p.right_width);
  out.collect(std::move(o));
}

void interval_join_fn::process(bool left, const aggregate_row& r, join_context& ctx,
                               collector<changelog_row>& out) {
  const auto& p = *plan_;
  const auto& t = r.values[left ? p.left_time : p.right_time];
  if (t.is_null()) throw std::runtime_error(p.name + ": a row's event time is NULL");
  const std::int64_t ts = t.as_int64();
  bool matched = false;
  // The other side's kept rows in the interval.
  auto other = ctx.value_state<std::vector<interval_row>>(state_name(!left));
  if (other.value() && !other.value()->empty()) {
    bool changed = false;
    const auto& rows = *other.value();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::int64_t d = left ? ts - rows[i].ts : rows[i].ts - ts;  // left.ts - right.ts
      if (d < p.lower || d > p.upper) continue;
      matched = true;
      if (left)
        emit(&r.values, &rows[i].values, out);
      else
        emit(&rows[i].values, &r.values, out);
      if (!rows[i].matched) changed = true;
    }
    if (changed) {
      for (auto& o : other.value_for_update()) {
        const std::int64_t d = left ? ts - o.ts : o.ts - ts;
        if (d >= p.lower && d <= p.upper) o.matched = true;
      }
    }
  }
  // Kept while a future row of the other side (time after the watermark) can still match: the
  // last such time is ts - lower for a left row, ts + upper for a right row.
  const std::int64_t last = left ? ts - p.lower : ts + p.upper;
  if (last > ctx.current_watermark()) {
    auto mine = ctx.value_state<std::vector<interval_row>>(state_name(left));
    mine.value_for_update().push_back(interval_row{ts, matched, r.values});
    ctx.register_event_time_timer(last);
    return;
  }
  const bool outer = left ? (p.type == join_type::left || p.type == join_type::full)
                          : (p.type == join_type::right || p.type == join_type::full);
  if (outer && !matched) emit(left ? &r.values : nullptr, left ? nullptr : &r.values, out);
}

void interval_join_fn::expire(bool left, std::int64_t wm, join_context& ctx,
                              collector<changelog_row>& out) {
  const auto& p = *plan_;
  auto st = ctx.value_state<std::vector<interval_row>>(state_name(left));
  if (!st.value()) return;
  const bool outer = left ? (p.type == join_type::left || p.type == join_type::full)
                          : (p.type == join_type::right || p.type == join_type::full);
  auto& rows = st.value_for_update();
  std::vector<interval_row> kept;
  for (auto& row : rows) {
    const std::int64_t last = left ? row.ts - p.lower : row.ts + p.upper;
    if (last > wm) {
      kept.push_back(std::move(row));
      continue;
    }
    if (outer && !row.matched)
      emit(left ? &row.values : nullptr, left ? nullptr : &row.values, out);
  }
  if (kept.empty())
    st.clear();
  else
    rows = std::move(kept);
}

void interval_join_fn::on_timer(std::int64_t t, join_context& ctx, collector<changelog_row>& out) {
  const std::int64_t wm = std::max(t, ctx.current_watermark());
  expire(true, wm, ctx, out);
  expire(false, wm, ctx, out);
}

}  // namespace eddy::table
