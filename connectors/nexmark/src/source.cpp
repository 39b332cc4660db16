// The Nexmark sources' index cursor (see source.hpp).
#include "eddy/connectors/nexmark/source.hpp"

#include <algorithm>
#include <chrono>

namespace eddy::nexmark {

namespace {

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void index_cursor::open(const generator& gen, const subtask_info& info) {
  gen_ = &gen;
  const std::uint64_t total = gen.configuration().total_events();
  splits_.clear();
  splits_.push_back({static_cast<std::uint64_t>(info.index),
                     total == 0 ? eddy::detail::split_unbounded : total,
                     static_cast<std::uint64_t>(info.parallelism), true});
  wall_base_ms_ = -1;
}

bool index_cursor::done() {
  std::erase_if(splits_, [](const auto& s) { return s.count() == 0; });
  return splits_.empty();
}

bool index_cursor::take(std::size_t max, std::uint64_t& base, std::uint64_t& step, std::size_t& n,
                        bool& due_later) {
  due_later = false;
  if (done()) return false;
  // The split furthest behind in event time (the smallest index).
  auto& sp = *std::min_element(splits_.begin(), splits_.end(),
                               [](const auto& a, const auto& b) { return a.begin < b.begin; });
  const std::uint64_t left = sp.count();
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, max));
  if (!gen_->configuration().max_emit_speed) {
    const std::int64_t now = wall_clock_ms();
    if (wall_base_ms_ < 0) wall_base_ms_ = now - gen_->emit_offset_ms(sp.begin);
    const std::int64_t elapsed = now - wall_base_ms_;
    std::size_t due = 0;
    while (due < want && gen_->emit_offset_ms(sp.begin + due * sp.step) <= elapsed) ++due;
    if (due == 0) {
      due_later = true;
      return false;
    }
    want = due;
  }
  base = sp.begin;
  step = sp.step;
  n = want;
  sp.begin += want * sp.step;
  return true;
}

source_status index_cursor::when_empty(bool due_later) const {
  const auto& c = gen_->configuration();
  return due_later || c.keep_alive || c.total_events() == 0 ? source_status::idle
                                                            : source_status::end;
}

source_status index_cursor::after_emit() {
  if (!done()) return source_status::more;
  return gen_->configuration().keep_alive ? source_status::idle : source_status::end;
}

void index_cursor::snapshot(const subtask_info& info, std::vector<state_entry>& out) const {
  eddy::detail::put_splits(out, info, splits_);
}

void index_cursor::restore(const subtask_info& info, const std::vector<state_entry>& entries) {
  if (auto s = eddy::detail::get_splits(entries, info)) splits_ = std::move(*s);
  wall_base_ms_ = -1;  // paced mode resumes at the event-time pace from here
}

}  // namespace eddy::nexmark
