#include "eddy/table/over_operators.hpp"

#include <algorithm>
#include <stdexcept>

#include "eddy/runtime/log.hpp"

namespace eddy::table {

value_state<over_state> over_aggregate_fn::state(aggregate_context& ctx) const {
  return plan_->ttl ? ctx.value_state<over_state>("over-aggregate", *plan_->ttl)
                    : ctx.value_state<over_state>("over-aggregate");
}

void over_aggregate_fn::process_element(const aggregate_row& r, aggregate_context& ctx,
                                        collector<changelog_row>& out) {
  const auto& time = r.values[static_cast<std::size_t>(plan_->time_value)];
  if (time.is_null()) throw std::runtime_error(plan_->name + ": a row's time attribute is NULL");
  auto st = state(ctx);
  if (plan_->processing_time) {  // Flink's ProcTime*PrecedingFunction: the operator's clock
    const std::int64_t now = ctx.current_processing_time();
    auto& s = st.value_for_update();
    s.pending.push_back(over_row{now, r.values});
    if (plan_->frame == over_frame::range && !plan_->unbounded)
      ctx.register_processing_time_timer(now + 1);  // the millisecond's rows together
    else
      aggregate(s, now, out);  // each row at once, as it arrives
    return;
  }
  const std::int64_t ts = time.as_int64();
  const auto& current = st.value();
  const std::int64_t last = current ? current->last_ts : std::numeric_limits<std::int64_t>::min();
  // Flink's rules: unbounded frames compare with the watermark, bounded ones with the last time
  // the key's rows were aggregated at.
  const bool late = plan_->unbounded ? ts <= ctx.current_watermark() : ts <= last;
  if (late) {
    ++late_;
    if ((late_ & (late_ - 1)) == 0)
      log().warn("{}: {} late row(s) dropped so far (the last one at {} ms, watermark {} ms)",
                 plan_->name, late_, ts, ctx.current_watermark());
    return;
  }
  auto& s = st.value_for_update();
  if (s.pending.empty() || s.pending.back().ts <= ts) {
    s.pending.push_back(over_row{ts, r.values});
  } else {
    const auto pos = std::upper_bound(s.pending.begin(), s.pending.end(), ts,
                                      [](std::int64_t t, const over_row& x) { return t < x.ts; });
    s.pending.insert(pos, over_row{ts, r.values});
  }
  ctx.register_event_time_timer(ts);
}

std::vector<rows::value> over_aggregate_fn::results(const std::vector<accumulator>& accs) const {
  std::vector<rows::value> v;
  v.reserve(plan_->calls.size());
  for (std::size_t i = 0; i < plan_->calls.size(); ++i)
    v.push_back(aggregate_result(plan_->calls[i], accs[i]));
  return v;
}

void over_aggregate_fn::emit(const std::vector<rows::value>& row,
                             const std::vector<rows::value>& results,
                             collector<changelog_row>& out) const {
  changelog_row o;
  o.values.reserve(plan_->width + results.size());
  const auto first = row.begin() + static_cast<std::ptrdiff_t>(plan_->key_count);
  o.values.insert(o.values.end(), first, first + static_cast<std::ptrdiff_t>(plan_->width));
  o.values.insert(o.values.end(), results.begin(), results.end());
  out.collect(std::move(o));
}

void over_aggregate_fn::on_timer(std::int64_t t, aggregate_context& ctx,
                                 collector<changelog_row>& out) {
  auto st = state(ctx);
  if (!st.value()) return;
  // Processing time: the timer at a millisecond's end takes that millisecond's rows.
  aggregate(st.value_for_update(), plan_->processing_time ? t - 1 : t, out);
}

void over_aggregate_fn::aggregate(over_state& s, std::int64_t t, collector<changelog_row>& out) {
  const auto& calls = plan_->calls;
  if (s.accs.size() != calls.size()) s.accs.resize(calls.size());
  const bool bounded = !plan_->unbounded;
  std::size_t i = 0;  // rows of s.pending taken
  while (i < s.pending.size() && s.pending[i].ts <= t) {
    const std::int64_t ts = s.pending[i].ts;
    std::size_t end = i;
    while (end < s.pending.size() && s.pending[end].ts == ts) ++end;
    if (plan_->frame == over_frame::range) {
      if (bounded) {  // rows more than `preceding` ms older leave the frame
        std::size_t gone = 0;
        while (gone < s.frame.size() && ts - s.frame[gone].ts > plan_->preceding) {
          for (std::size_t c = 0; c < calls.size(); ++c)
            retract(calls[c], s.accs[c], s.frame[gone].values);
          ++gone;
        }
        s.frame.erase(s.frame.begin(), s.frame.begin() + static_cast<std::ptrdiff_t>(gone));
      }
      for (std::size_t k = i; k < end; ++k)
        for (std::size_t c = 0; c < calls.size(); ++c)
          accumulate(calls[c], s.accs[c], s.pending[k].values, bounded);
      const auto values = results(s.accs);
      for (std::size_t k = i; k < end; ++k) emit(s.pending[k].values, values, out);
    } else {
      std::size_t gone = 0;  // rows of s.frame retracted
      for (std::size_t k = i; k < end; ++k) {
        if (bounded) {
          // The frame holds the current row and `preceding` rows before it.
          if (s.frame.size() - gone >= static_cast<std::size_t>(plan_->preceding) + 1) {
            for (std::size_t c = 0; c < calls.size(); ++c)
              retract(calls[c], s.accs[c], s.frame[gone].values);
            ++gone;
          }
        }
        for (std::size_t c = 0; c < calls.size(); ++c)
          accumulate(calls[c], s.accs[c], s.pending[k].values, bounded);
        emit(s.pending[k].values, results(s.accs), out);
        if (bounded) s.frame.push_back(s.pending[k]);
      }
      s.frame.erase(s.frame.begin(), s.frame.begin() + static_cast<std::ptrdiff_t>(gone));
    }
    if (bounded && plan_->frame == over_frame::range)
      for (std::size_t k = i; k < end; ++k) s.frame.push_back(std::move(s.pending[k]));
    i = end;
  }
  s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(i));
  s.last_ts = std::max(s.last_ts, t);
}

}  // namespace eddy::table
