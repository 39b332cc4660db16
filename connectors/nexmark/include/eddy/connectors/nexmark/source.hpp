#pragma once
/// The Nexmark source for the DataStream API (the SQL table `'connector' = 'nexmark'` is in
/// table/; both use index_cursor below).
///
///     eddy::nexmark::config c;                       // or nexmark::parse_options(map, c)
///     c.events = 10'000'000;
///     auto bids = env.from_source(eddy::nexmark::bid_source(c), "nexmark bids");
///
/// `event_source` emits every event; `person_source`, `auction_source` and `bid_source` only
/// those of one type (the same events a full stream holds: a job reading persons and bids from
/// two sources sees one consistent stream). Records carry no timestamps: assign them from
/// `date_time` with a watermark strategy (nexmark-flink's DDL: bounded out-of-orderness 4 s).
///
/// Parallelism: event g goes to subtask g mod p, so every subtask moves through event time at
/// the same pace and the events do not depend on the parallelism. Checkpoints hold the index
/// ranges left; a restore at another parallelism redistributes them, and a subtask holding
/// several ranges takes from the one furthest behind. Bounded when 'events.num' or 'stop-at'
/// is set (unless 'keep-alive'); with 'max-emit-speed' = false events are emitted when their
/// event time (relative to the first event) has passed on the wall clock (resuming at that
/// pace after a restore, without catching up).
#include <cstdint>
#include <memory>
#include <vector>

#include "eddy/connectors/nexmark/generator.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/operators/source_splits.hpp"

namespace eddy::nexmark {

/// Which indices a subtask emits next. Owned by one reader; called on its subtask's actor.
class index_cursor {
 public:
  void open(const generator& gen, const subtask_info& info);
  /// The next at most `max` indices, base + k * step for k < n, or false when none are left
  /// (or none is due yet under max-emit-speed = false: then `due_later` is set).
  bool take(std::size_t max, std::uint64_t& base, std::uint64_t& step, std::size_t& n,
            bool& due_later);
  [[nodiscard]] bool done();
  /// What a reader returns when take() gave nothing: idle while events are due later, the
  /// source keeps alive or is unbounded; end otherwise.
  [[nodiscard]] source_status when_empty(bool due_later) const;
  /// What a reader returns after emitting: more while indices are left, then idle (keep-alive)
  /// or end.
  [[nodiscard]] source_status after_emit();
  void snapshot(const subtask_info& info, std::vector<state_entry>& out) const;
  void restore(const subtask_info& info, const std::vector<state_entry>& entries);

 private:
  const generator* gen_ = nullptr;
  std::vector<eddy::detail::source_split> splits_;
  std::int64_t wall_base_ms_ = -1;  // wall clock of the first emitted event (paced mode)
};

namespace detail {

template <class T>
class reader final : public source_op<T> {
 public:
  reader(const config& c, input_op<T>* next) : source_op<T>(next), gen_(c) {}

  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    cursor_.open(gen_, info);
  }
  source_status produce(std::size_t max_records) override {
    std::uint64_t base = 0, step = 1;
    std::size_t n = 0;
    bool later = false;
    if (!cursor_.take(std::max<std::size_t>(1, max_records), base, step, n, later))
      return cursor_.when_empty(later);
    this->guarded([&] {
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t g = base + k * step;
        if constexpr (std::is_same_v<T, event>) {
          this->buffer_.push_back(gen_.make(g));
        } else {
          if (gen_.type_of(g) != wanted) continue;
          T& out = this->buffer_.emplace_back();
          if constexpr (std::is_same_v<T, person>) gen_.make_person(g, out);
          if constexpr (std::is_same_v<T, auction>) gen_.make_auction(g, out);
          if constexpr (std::is_same_v<T, bid>) gen_.make_bid(g, out);
        }
      }
    });
    this->emit_buffer();
    return cursor_.after_emit();
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    cursor_.snapshot(this->info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    cursor_.restore(this->info_, entries);
  }

 private:
  static constexpr event_type wanted = std::is_same_v<T, person>    ? event_type::person
                                       : std::is_same_v<T, auction> ? event_type::auction
                                                                    : event_type::bid;
  generator gen_;
  index_cursor cursor_;
};

template <class T>
Source<T> make_source(const config& c, const char* name) {
  return Source<T>{name, c.total_events() != 0 && !c.keep_alive,
                   [c](input_op<T>* next) -> std::unique_ptr<source_base> {
                     return std::make_unique<reader<T>>(c, next);
                   },
                   nullptr};
}

}  // namespace detail

inline Source<event> event_source(const config& c) {
  return detail::make_source<event>(c, "nexmark");
}
inline Source<person> person_source(const config& c) {
  return detail::make_source<person>(c, "nexmark persons");
}
inline Source<auction> auction_source(const config& c) {
  return detail::make_source<auction>(c, "nexmark auctions");
}
inline Source<bid> bid_source(const config& c) {
  return detail::make_source<bid>(c, "nexmark bids");
}

}  // namespace eddy::nexmark
