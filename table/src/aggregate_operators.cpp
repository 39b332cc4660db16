#include "eddy/table/aggregate_operators.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "eddy/runtime/log.hpp"

namespace eddy::table {

namespace {

/// The group's accumulators, one per aggregate call.
using group_state = std::vector<accumulator>;

void accumulate_row(const aggregate_plan& plan, group_state& accs,
                    const std::vector<rows::value>& values) {
  if (accs.size() != plan.calls.size()) accs.resize(plan.calls.size());
  for (std::size_t i = 0; i < plan.calls.size(); ++i) accumulate(plan.calls[i], accs[i], values);
}

bool is_retraction(rows::row_kind k) {
  return k == rows::row_kind::update_before || k == rows::row_kind::delete_;
}

/// A retracting group's state: one accumulator per call, then the group's row count.
void apply_retracting(const aggregate_plan& plan, group_state& accs, const aggregate_row& r) {
  if (accs.size() != plan.calls.size() + 1) accs.resize(plan.calls.size() + 1);
  const bool retraction = is_retraction(r.kind);
  for (std::size_t i = 0; i < plan.calls.size(); ++i) {
    if (retraction)
      retract(plan.calls[i], accs[i], r.values);
    else
      accumulate(plan.calls[i], accs[i], r.values, true);
  }
  accs.back().count += retraction ? -1 : 1;
}

/// Whether a window ending at `window_end` has fired; if so counts `rows` late rows (logged at
/// powers of two: Flink drops them, counting them in its numLateRecordsDropped metric).
template <class Ctx>
bool late_window(const aggregate_plan& plan, Ctx& ctx, std::int64_t window_end, std::uint64_t rows,
                 std::uint64_t& late) {
  if (window_end - 1 > ctx.current_watermark()) return false;
  const auto before = late;
  late += rows;
  if (std::bit_width(before) != std::bit_width(late))
    log().warn(
        "{}: {} late row(s) dropped so far (their window had fired; the last one for the "
        "window ending at {} ms, watermark {} ms)",
        plan.name, late, window_end, ctx.current_watermark());
  return true;
}

/// A window group's timer: its result row, then its state cleared.
template <class Ctx>
void fire_window_group(const aggregate_plan& plan, Ctx& ctx, collector<changelog_row>& out) {
  auto state = ctx.template value_state<group_state>("window-aggregates");
  const auto& accs = state.value();
  if (!accs) return;
  changelog_row row;
  row.values = aggregate_output(plan, ctx.current_key(), *accs);
  out.collect(std::move(row));
  state.clear();
}

}  // namespace

void explode_rows::operator()(rows::row_batch&& b, collector<aggregate_row>& out) const {
  const std::size_t width = b.column_count();
  std::vector<rows::value> key;
  key.reserve(key_count);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto row = b.row(i);
    aggregate_row r;
    r.values.reserve(width);
    for (std::size_t c = 0; c < width; ++c) r.values.push_back(b.column(c).get(row));
    key.assign(r.values.begin(), r.values.begin() + static_cast<std::ptrdiff_t>(key_count));
    r.key = serialize(key);
    r.kind = b.kind(i);
    out.collect(std::move(r));
  }
}

struct local_window_aggregate::scratch {
  absl::flat_hash_map<std::string, std::size_t> index;  // group key -> its partial
  std::vector<partial_row> partials;
  std::vector<rows::value> values, key;
  std::string key_bytes;
};

local_window_aggregate::local_window_aggregate(std::shared_ptr<const aggregate_plan> p)
    : plan_(std::move(p)) {}
local_window_aggregate::local_window_aggregate(const local_window_aggregate& o)
    : plan_(o.plan_) {}  // the scratch is not copied: each copy makes its own
local_window_aggregate::~local_window_aggregate() = default;

void local_window_aggregate::operator()(rows::row_batch&& b, collector<partial_row>& out) {
  if (!scratch_) scratch_ = std::make_unique<scratch>();
  auto& s = *scratch_;
  const auto& plan = *plan_;
  const std::size_t width = b.column_count();
  const auto end_at = static_cast<std::size_t>(plan.window_end);
  s.index.clear();
  s.partials.clear();
  s.values.resize(width);
  s.key.resize(plan.key_count);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto row = b.row(i);
    for (std::size_t c = 0; c < width; ++c) s.values[c] = b.column(c).get(row);
    for (std::size_t c = 0; c < plan.key_count; ++c) s.key[c] = s.values[c];
    s.key_bytes.clear();
    serialize_append(s.key_bytes, s.key);
    auto it = s.index.find(s.key_bytes);
    if (it == s.index.end()) {
      it = s.index.emplace(s.key_bytes, s.partials.size()).first;
      auto& p = s.partials.emplace_back();
      p.key = s.key_bytes;
      p.accs.resize(plan.calls.size());
      p.window_end = s.values[end_at].as_int64();
    }
    auto& p = s.partials[it->second];
    for (std::size_t c = 0; c < plan.calls.size(); ++c)
      accumulate(plan.calls[c], p.accs[c], s.values);
    ++p.rows;
  }
  for (auto& p : s.partials) out.collect(std::move(p));
}

void global_window_aggregate_fn::process_element(const partial_row& r, partial_context& ctx,
                                                 collector<changelog_row>&) {
  if (late_window(*plan_, ctx, r.window_end, static_cast<std::uint64_t>(r.rows), late_)) return;
  auto state = ctx.value_state<group_state>("window-aggregates");
  auto& accs = state.value_for_update();
  const bool fresh = accs.size() != plan_->calls.size() || plan_->calls.empty();
  if (accs.size() != plan_->calls.size()) accs.resize(plan_->calls.size());
  for (std::size_t i = 0; i < plan_->calls.size(); ++i) merge(plan_->calls[i], accs[i], r.accs[i]);
  if (fresh) ctx.register_event_time_timer(r.window_end - 1);
}

void global_window_aggregate_fn::on_timer(std::int64_t, partial_context& ctx,
                                          collector<changelog_row>& out) {
  fire_window_group(*plan_, ctx, out);
}

std::vector<rows::value> aggregate_output(const aggregate_plan& plan, const std::string& key,
                                          const std::vector<accumulator>& accs) {
  std::vector<rows::value> values;
  std::string why;
  if (!deserialize(key, values, &why))
    throw std::logic_error("aggregate: a group key does not decode: " + why);
  for (std::size_t i = 0; i < plan.calls.size(); ++i)
    values.push_back(i < accs.size() ? aggregate_result(plan.calls[i], accs[i])
                                     : aggregate_result(plan.calls[i], accumulator{}));
  return values;
}

void window_aggregate_fn::process_element(const aggregate_row& r, aggregate_context& ctx,
                                          collector<changelog_row>&) {
  const std::int64_t end = r.values[static_cast<std::size_t>(plan_->window_end)].as_int64();
  if (!plan_->processing_time && late_window(*plan_, ctx, end, 1, late_)) return;
  auto state = ctx.value_state<group_state>("window-aggregates");
  auto& accs = state.value_for_update();
  // A new group registers its timer; later rows of the group find it registered.
  const bool fresh = accs.size() != plan_->calls.size() || plan_->calls.empty();
  accumulate_row(*plan_, accs, r.values);
  if (!fresh) return;
  if (plan_->processing_time)
    ctx.register_processing_time_timer(end - 1);
  else
    ctx.register_event_time_timer(end - 1);
}

void window_aggregate_fn::on_timer(std::int64_t, aggregate_context& ctx,
                                   collector<changelog_row>& out) {
  fire_window_group(*plan_, ctx, out);
}

void session_aggregate_fn::process_element(const aggregate_row& r, aggregate_context& ctx,
                                           collector<changelog_row>&) {
  const auto& time = r.values[static_cast<std::size_t>(plan_->time_value)];
  if (time.is_null() && !plan_->processing_time)
    throw std::runtime_error(plan_->name + ": a row's time attribute is NULL, so it has no window");
  // Processing time: the row's arrival at the operator's clock (never late).
  const std::int64_t ts = plan_->processing_time ? ctx.current_processing_time() : time.as_int64();
  auto state = ctx.value_state<std::vector<session_window>>("session-windows");
  std::int64_t start = ts;
  std::int64_t end = ts + plan_->session_gap;
  if (const auto& open = state.value()) {
    for (const auto& w : *open) {
      if (w.start < ts + plan_->session_gap && ts < w.end) {
        start = std::min(start, w.start);
        end = std::max(end, w.end);
      }
    }
  }
  if (!plan_->processing_time && end - 1 <= ctx.current_watermark()) {
    ++late_;
    if ((late_ & (late_ - 1)) == 0)
      log().warn(
          "{}: {} late row(s) dropped so far (their session had fired; the last one at {} "
          "ms, watermark {} ms)",
          plan_->name, late_, ts, ctx.current_watermark());
    return;
  }
  auto& windows = state.value_for_update();
  session_window merged{start, end, {}};
  merged.accs.resize(plan_->calls.size());
  std::vector<session_window> kept;
  for (auto& w : windows) {
    if (w.start < end && start < w.end) {
      for (std::size_t i = 0; i < plan_->calls.size(); ++i)
        merge(plan_->calls[i], merged.accs[i], w.accs[i]);
    } else {
      kept.push_back(std::move(w));
    }
  }
  accumulate_row(*plan_, merged.accs, r.values);
  kept.push_back(std::move(merged));
  windows = std::move(kept);
  if (plan_->processing_time)
    ctx.register_processing_time_timer(end - 1);
  else
    ctx.register_event_time_timer(end - 1);
}

void session_aggregate_fn::on_timer(std::int64_t t, aggregate_context& ctx,
                                    collector<changelog_row>& out) {
  auto state = ctx.value_state<std::vector<session_window>>("session-windows");
  if (!state.value()) return;
  auto& windows = state.value_for_update();
  std::vector<session_window> kept;
  for (auto& w : windows) {
    if (w.end - 1 > t) {
      kept.push_back(std::move(w));
      continue;
    }
    changelog_row row;
    row.values = aggregate_output(*plan_, ctx.current_key(), w.accs);
    row.values.emplace_back(w.start);
    row.values.emplace_back(w.end);
    row.values.emplace_back(w.end - 1);
    out.collect(std::move(row));
  }
  if (kept.empty())
    state.clear();
  else
    windows = std::move(kept);
}

void group_aggregate_fn::process_element(const aggregate_row& r, aggregate_context& ctx,
                                         collector<changelog_row>& out) {
  auto state = plan_->ttl ? ctx.value_state<group_state>("group-aggregates", *plan_->ttl)
                          : ctx.value_state<group_state>("group-aggregates");
  if (plan_->retracting) {
    process_retracting(r, state, ctx.current_key(), out);
    return;
  }
  const auto& current = state.value();
  if (!current) {
    group_state accs;
    accumulate_row(*plan_, accs, r.values);
    changelog_row row;
    row.values = aggregate_output(*plan_, ctx.current_key(), accs);
    out.collect(std::move(row));
    state.update(std::move(accs));
    return;
  }
  std::vector<rows::value> before;
  for (std::size_t i = 0; i < plan_->calls.size(); ++i)
    before.push_back(aggregate_result(plan_->calls[i], (*current)[i]));
  auto& accs = state.value_for_update();  // in place: no copy of DISTINCT sets
  accumulate_row(*plan_, accs, r.values);
  bool changed = false;
  for (std::size_t i = 0; i < plan_->calls.size() && !changed; ++i)
    changed = !(aggregate_result(plan_->calls[i], accs[i]) == before[i]);
  if (!changed) return;  // Flink sends nothing when the results did not change
  auto after = aggregate_output(*plan_, ctx.current_key(), accs);
  std::vector<rows::value> old_row(after.begin(),
                                   after.begin() + static_cast<std::ptrdiff_t>(plan_->key_count));
  old_row.insert(old_row.end(), before.begin(), before.end());
  before = std::move(old_row);
  out.collect(changelog_row{rows::row_kind::update_before, std::move(before)});
  out.collect(changelog_row{rows::row_kind::update_after, std::move(after)});
}

void group_aggregate_fn::process_retracting(const aggregate_row& r, value_state<group_state>& state,
                                            const std::string& key, collector<changelog_row>& out) {
  const auto& plan = *plan_;
  const auto& current = state.value();
  if (!current) {
    // A retraction for a group without state (never seen, or expired by the TTL): Flink's
    // GroupAggFunction has nothing to retract from either.
    if (is_retraction(r.kind)) return;
    group_state accs;
    apply_retracting(plan, accs, r);
    out.collect(changelog_row{rows::row_kind::insert, aggregate_output(plan, key, accs)});
    state.update(std::move(accs));
    return;
  }
  auto before = aggregate_output(plan, key, *current);
  auto& accs = state.value_for_update();
  apply_retracting(plan, accs, r);
  if (accs.back().count <= 0) {  // the group's last row was retracted
    out.collect(changelog_row{rows::row_kind::delete_, std::move(before)});
    state.clear();
    return;
  }
  auto after = aggregate_output(plan, key, accs);
  if (after == before) return;
  out.collect(changelog_row{rows::row_kind::update_before, std::move(before)});
  out.collect(changelog_row{rows::row_kind::update_after, std::move(after)});
}

void rows_to_batch_op::process(std::vector<changelog_row>& in, std::vector<std::int64_t>&) {
  counters_.records_in += in.size();
  guarded([&] {
    rows::row_batch b(types_);
    for (auto& r : in) b.append_row(r.values, r.kind);
    if (b.empty()) return;
    counters_.records_out += b.size();
    out_.clear();
    out_.push_back(std::move(b));
    no_ts_.clear();
    next_->process(out_, no_ts_);
    out_.clear();
  });
}

}  // namespace eddy::table
