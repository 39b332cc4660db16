#include "eddy/table/time_operators.hpp"

#include <algorithm>
#include <stdexcept>

#include "eddy/runtime/state_snapshot.hpp"

namespace eddy::table {

// ---- row_watermark_op ----

void row_watermark_op::open(const subtask_info& info) {
  input_op<rows::row_batch>::open(info);
  interval_ = info.auto_watermark_interval;
}

void row_watermark_op::process(std::vector<rows::row_batch>& batches,
                               std::vector<std::int64_t>& ts) {
  guarded([&] {
    sql::eval_context ctx;
    ctx.now_ms = current_processing_time();
    std::int64_t hi = max_;
    for (const auto& b : batches) {
      counters_.records_in += b.size();
      counters_.records_out += b.size();
      if (b.empty()) continue;
      expr_->eval(b, scratch_, ctx);
      const auto& v = scratch_.data<std::int64_t>();
      for (std::size_t i = 0; i < scratch_.size(); ++i)
        if (!scratch_.is_null(i)) hi = std::max(hi, v[i]);
    }
    max_ = hi;
    next_->process(batches, ts);
  });
  if (++batches_since_check_ >= 16) {  // look at the clock every few batches only
    batches_since_check_ = 0;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_emit_ >= interval_) emit(now);
  }
}

void row_watermark_op::on_watermark(std::int64_t watermark) {
  if (watermark == max_watermark) next_->on_watermark(watermark);  // end of input
}

void row_watermark_op::on_tick(std::chrono::steady_clock::time_point now) {
  if (now - last_emit_ >= interval_) emit(now);
}

void row_watermark_op::emit(std::chrono::steady_clock::time_point now) {
  last_emit_ = now;
  if (max_ > emitted_) {
    emitted_ = max_;
    next_->on_watermark(max_);
  }
}

void row_watermark_op::snapshot_state(std::uint64_t, std::vector<state_entry>& out) {
  put_watermark(out, "max_watermark_value", max_);
  put_watermark(out, "emitted_watermark", emitted_);
}

void row_watermark_op::restore_state(const std::vector<state_entry>& entries) {
  if (auto v = get_watermark(entries, "max_watermark_value")) max_ = *v;
  if (auto v = get_watermark(entries, "emitted_watermark")) emitted_ = *v;
}

// ---- window_tvf_op ----

std::int64_t window_start(std::int64_t ts, std::int64_t offset, std::int64_t size) {
  const std::int64_t remainder = (ts - offset) % size;
  return remainder < 0 ? ts - (remainder + size) : ts - remainder;
}

rows::row_batch window_tvf_op::assign(rows::row_batch& in) const {
  const auto& time = in.column(static_cast<std::size_t>(spec_.time_column));
  const auto& t = time.data<std::int64_t>();
  const auto stamp = rows::timestamp_type(3).with_nullable(false);
  auto check = [&](std::uint32_t row) {
    if (time.is_null(row))
      throw std::runtime_error(name_ + ": a row's time attribute is NULL, so it has no window");
  };
  if (spec_.kind == window_kind::tumble) {
    // One window per row: the input's columns are kept as they are (selection included).
    const std::size_t n = in.physical_size();
    rows::column_vector start(stamp), end(stamp), wtime(stamp);
    start.resize(n);
    end.resize(n);
    wtime.resize(n);
    auto& s = start.data<std::int64_t>();
    auto& e = end.data<std::int64_t>();
    auto& w = wtime.data<std::int64_t>();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto row = in.row(i);
      check(row);
      s[row] = window_start(t[row], spec_.offset, spec_.size);
      e[row] = s[row] + spec_.size;
      w[row] = e[row] - 1;
    }
    rows::row_batch out = std::move(in);
    out.columns().push_back(std::move(start));
    out.columns().push_back(std::move(end));
    out.columns().push_back(std::move(wtime));
    return out;
  }
  std::vector<rows::logical_type> types;
  for (const auto& c : in.columns()) types.push_back(c.type());
  rows::row_batch out(types);
  for (int k = 0; k < 3; ++k) out.columns().emplace_back(stamp);
  const std::size_t width = in.column_count();
  auto add = [&](std::size_t i, std::int64_t start, std::int64_t end) {
    const auto row = in.row(i);
    for (std::size_t c = 0; c < width; ++c) out.column(c).append_from(in.column(c), row);
    out.column(width).append_physical<std::int64_t>(start);
    out.column(width + 1).append_physical<std::int64_t>(end);
    out.column(width + 2).append_physical<std::int64_t>(end - 1);
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto row = in.row(i);
    check(row);
    const std::int64_t ts = t[row];
    if (spec_.kind == window_kind::hop) {
      // SlidingEventTimeWindows: the newest window first.
      const std::int64_t last = window_start(ts, spec_.offset, spec_.step);
      for (std::int64_t start = last; start > ts - spec_.size; start -= spec_.step)
        add(i, start, start + spec_.size);
    } else {
      // CumulativeWindowAssigner: [start, start + step * k) for every k whose end is after ts.
      const std::int64_t start = window_start(ts, spec_.offset, spec_.size);
      for (std::int64_t end = start + spec_.step; end <= start + spec_.size; end += spec_.step)
        if (end > ts) add(i, start, end);
    }
  }
  return out;
}

void window_tvf_op::process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>&) {
  guarded([&] {
    out_.clear();
    for (auto& b : batches) {
      counters_.records_in += b.size();
      auto out = assign(b);
      if (out.empty()) continue;
      counters_.records_out += out.size();
      out_.push_back(std::move(out));
    }
    if (out_.empty()) return;
    no_ts_.clear();
    next_->process(out_, no_ts_);
    out_.clear();
  });
}

}  // namespace eddy::table
