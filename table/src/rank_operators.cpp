#include "eddy/table/rank_operators.hpp"

#include <algorithm>

#include "eddy/runtime/log.hpp"

namespace eddy::table {

bool rank_fn::before(const std::vector<rows::value>& a, const std::vector<rows::value>& b) const {
  for (const auto& k : plan_->order) {
    const auto& x = a[k.position];
    const auto& y = b[k.position];
    if (x.is_null() || y.is_null()) {
      if (x.is_null() == y.is_null()) continue;
      return x.is_null() == k.nulls_first;
    }
    if (x.data == y.data) continue;
    return k.ascending ? x.data < y.data : y.data < x.data;
  }
  return false;
}

void rank_fn::emit(rows::row_kind kind, const std::vector<rows::value>& row, std::int64_t rank,
                   collector<changelog_row>& out) const {
  changelog_row c;
  c.kind = kind;
  const auto begin = row.begin() + static_cast<std::ptrdiff_t>(plan_->key_count);
  c.values.assign(begin, begin + static_cast<std::ptrdiff_t>(plan_->width));
  if (plan_->rank_number) c.values.emplace_back(rank);
  out.collect(std::move(c));
}

void rank_fn::process_element(const aggregate_row& r, aggregate_context& ctx,
                              collector<changelog_row>& out) {
  const auto& plan = *plan_;
  if (plan.window_end >= 0) {
    process_windowed(r, ctx);
    return;
  }
  auto state = plan.ttl ? ctx.value_state<std::vector<std::vector<rows::value>>>("top-n", *plan.ttl)
                        : ctx.value_state<std::vector<std::vector<rows::value>>>("top-n");
  auto& list = state.value_for_update();
  if (r.kind == rows::row_kind::update_before || r.kind == rows::row_kind::delete_) {
    retract(list, r.values, out);
    if (list.empty()) state.clear();
    return;
  }
  // After every row that does not sort after the new one (equal keys: arrival order), or
  // (keep_last) before every row that does not sort before it.
  const auto at =
      plan.keep_last ? std::lower_bound(list.begin(), list.end(), r.values,
                                        [&](const auto& a, const auto& b) { return before(a, b); })
                     : std::upper_bound(list.begin(), list.end(), r.values,
                                        [&](const auto& a, const auto& b) { return before(a, b); });
  const auto pos = static_cast<std::int64_t>(at - list.begin());
  const std::int64_t first = plan.first - 1;  // 0-based range [first, last]
  const std::int64_t last = plan.last - 1;
  if (pos > last) {
    if (list.empty()) state.clear();
    return;
  }
  const auto old_size = static_cast<std::int64_t>(list.size());
  list.insert(at, r.values);
  // Rows at indices >= pos moved one down; the one at `last` (if any) leaves the range.
  if (!plan.rank_number) {
    if (old_size > last) emit(rows::row_kind::delete_, list[last + 1], last + 1, out);
    const std::int64_t entering = std::max(pos, first);
    if (entering <= last && entering < static_cast<std::int64_t>(list.size()))
      emit(rows::row_kind::insert, list[entering], entering + 1, out);
  } else {
    const auto size = static_cast<std::int64_t>(list.size());
    for (std::int64_t i = std::max(pos, first); i <= last && i < size; ++i) {
      if (i == pos) {
        emit(rows::row_kind::insert, list[i], i + 1, out);
      } else if (i - 1 >= first) {
        emit(rows::row_kind::update_before, list[i], i, out);
        emit(rows::row_kind::update_after, list[i], i + 1, out);
      } else {
        emit(rows::row_kind::insert, list[i], i + 1, out);
      }
    }
    if (old_size > last) emit(rows::row_kind::delete_, list[last + 1], last + 1, out);
  }
  // Over an updating input every row is kept: a retraction lets a lower one move up.
  if (!plan.retracting && static_cast<std::int64_t>(list.size()) > last + 1) list.resize(last + 1);
}

void rank_fn::process_windowed(const aggregate_row& r, aggregate_context& ctx) {
  const auto& plan = *plan_;
  const std::int64_t end = r.values[static_cast<std::size_t>(plan.window_end)].as_int64();
  if (!plan.processing_time && end - 1 <= ctx.current_watermark()) {
    ++late_;
    if ((late_ & (late_ - 1)) == 0)
      log().warn(
          "{}: {} late row(s) dropped so far (their window had ended; the last one for the "
          "window ending at {} ms, watermark {} ms)",
          plan.name, late_, end, ctx.current_watermark());
    return;
  }
  auto state = ctx.value_state<std::vector<std::vector<rows::value>>>("window-top-n");
  auto& list = state.value_for_update();
  if (list.empty()) {
    if (plan.processing_time)
      ctx.register_processing_time_timer(end - 1);
    else
      ctx.register_event_time_timer(end - 1);
  }
  // Ranked as rank_fn ranks; rows below `last` can never come back (no retractions).
  const auto at =
      plan.keep_last ? std::lower_bound(list.begin(), list.end(), r.values,
                                        [&](const auto& a, const auto& b) { return before(a, b); })
                     : std::upper_bound(list.begin(), list.end(), r.values,
                                        [&](const auto& a, const auto& b) { return before(a, b); });
  if (at - list.begin() > plan.last - 1) return;
  list.insert(at, r.values);
  if (static_cast<std::int64_t>(list.size()) > plan.last) list.resize(plan.last);
}

void rank_fn::on_timer(std::int64_t, aggregate_context& ctx, collector<changelog_row>& out) {
  auto state = ctx.value_state<std::vector<std::vector<rows::value>>>("window-top-n");
  const auto& list = state.value();
  if (!list) return;
  for (std::int64_t i = plan_->first - 1; i < static_cast<std::int64_t>(list->size()); ++i)
    emit(rows::row_kind::insert, (*list)[static_cast<std::size_t>(i)], i + 1, out);
  state.clear();
}

void rank_fn::retract(std::vector<std::vector<rows::value>>& list,
                      const std::vector<rows::value>& row, collector<changelog_row>& out) const {
  const auto& plan = *plan_;
  // The first equal row among those with equal sort keys (a row never stored, or expired by
  // the TTL, has nothing to retract).
  auto it = std::lower_bound(list.begin(), list.end(), row,
                             [&](const auto& a, const auto& b) { return before(a, b); });
  while (it != list.end() && !before(row, *it) && *it != row) ++it;
  if (it == list.end() || *it != row) return;
  const auto pos = static_cast<std::int64_t>(it - list.begin());
  const std::int64_t first = plan.first - 1;  // 0-based range [first, last]
  const std::int64_t last = plan.last - 1;
  if (pos > last) {
    list.erase(it);
    return;
  }
  // What changes, emitted from the list before the row leaves it (rows below `pos` move up one).
  const auto size = static_cast<std::int64_t>(list.size());  // before the erase
  if (!plan.rank_number) {
    const auto leaving = std::max(pos, first);
    if (leaving < size) {
      emit(rows::row_kind::delete_, list[leaving], 0, out);
      if (size > last + 1) emit(rows::row_kind::insert, list[last + 1], 0, out);
    }
  } else {
    for (std::int64_t i = std::max(pos, first); i <= last && i < size; ++i) {
      if (i + 1 < size) {
        emit(rows::row_kind::update_before, list[i], i + 1, out);
        emit(rows::row_kind::update_after, list[i + 1], i + 1, out);
      } else {
        emit(rows::row_kind::delete_, list[i], i + 1, out);
      }
    }
  }
  list.erase(it);
}

}  // namespace eddy::table
