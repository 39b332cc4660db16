#pragma once
/// The Nexmark event generator: nexmark-flink's `NexmarkGenerator` (its `generator/` and
/// `generator/model/` classes) rewritten so that an event is a pure function of its index.
///
/// Event g (g = 0, 1, ... over the whole stream) is what nexmark-flink's generator emits as its
/// g-th event at parallelism 1: event id `g + 2` (its first event id 1 plus event number
/// `1 + g`, permuted within out-of-order groups), person / auction / bid by `id % (sum of the
/// proportions)` (1, 3 and 46 of every 50 by default), ids from 1000, hot sellers, bidders and
/// auctions, active people and in-flight auctions, channels and urls, prices, `dateTime` =
/// base time + event number x (1,000,000 / first-event.rate) us. What differs from
/// nexmark-flink: its random numbers come from an unseeded `SplittableRandom` (one per
/// generator, a different run every time); here every event draws from its own
/// `SplittableRandom`-compatible generator seeded from (seed, event id), and the static tables
/// (hot urls, the channel cache, the 1 MiB string extras are cut from) from the seed. So the
/// same configuration gives the same events on every run, at every parallelism and after a
/// restore, and any event can be made without the ones before it.
///
/// Threads: a generator is immutable after construction (the shared tables are built once per
/// seed, under a mutex); `make` may be called from any number of threads.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/connectors/nexmark/model.hpp"

namespace eddy::nexmark {

/// The generator's options, under nexmark-flink's `NexmarkSourceOptions` keys where it has one.
struct config {
  std::uint64_t events = 0;   ///< 'events.num': events in all; 0: unbounded
  std::int64_t stop_at = -1;  ///< 'stop-at': stop after this many events (-1: no)
  bool keep_alive = false;    ///< 'keep-alive': stay running (idle) after the last event
  std::int32_t first_event_rate = 10'000;  ///< 'first-event.rate': events/s of event time
  std::int32_t next_event_rate = 10'000;   ///< 'next-event.rate': accepted, unused (as Flink)
  bool max_emit_speed = true;          ///< 'max-emit-speed': false paces events by their event time
  std::int32_t person_proportion = 1;  ///< 'person.proportion'
  std::int32_t auction_proportion = 3;         ///< 'auction.proportion'
  std::int32_t bid_proportion = 46;            ///< 'bid.proportion'
  std::int32_t avg_person_bytes = 200;         ///< 'person.avg-size'
  std::int32_t avg_auction_bytes = 500;        ///< 'auction.avg-size'
  std::int32_t avg_bid_bytes = 100;            ///< 'bid.avg-size'
  std::int32_t hot_auction_ratio = 2;          ///< 'bid.hot-ratio.auctions'
  std::int32_t hot_bidders_ratio = 4;          ///< 'bid.hot-ratio.bidders'
  std::int32_t hot_sellers_ratio = 4;          ///< 'auction.hot-ratio.sellers'
  std::int32_t num_in_flight_auctions = 100;   ///< nexmark-flink's constant
  std::int32_t num_active_people = 1000;       ///< nexmark-flink's constant
  std::int64_t out_of_order_group_size = 1;    ///< 'out-of-order.group-size' (Eddy's key)
  std::int64_t base_time = 1'436'918'400'000;  ///< 'base-time' (Eddy's): 2015-07-15 00:00:00 UTC
  std::uint64_t seed = 0;                      ///< 'seed' (Eddy's)

  /// The events the source emits in all (events and stop-at), or 0 for unbounded.
  [[nodiscard]] std::uint64_t total_events() const noexcept;
};

/// Reads options (the keys above; 'rate.shape', 'rate.period' and 'rate.limited' are accepted
/// and, as in nexmark-flink's generator, have no effect) into `out`, starting from the
/// defaults. Keys in `ignored` are skipped (a caller's own, such as 'connector'). Returns an
/// error naming the key and value ("Invalid value 'x' of option 'events.num' ...: expected
/// ..."), or empty.
std::string parse_options(const std::map<std::string, std::string>& options, config& out,
                          std::initializer_list<std::string_view> ignored = {});

struct shared_tables;  // hot urls, channel cache, the string extras are cut from (per seed)

class generator {
 public:
  /// Validates nothing (parse_options does); proportions and rates must be positive.
  explicit generator(const config& c);

  [[nodiscard]] const config& configuration() const noexcept { return c_; }

  /// Event g's id (nexmark-flink's "event id"), which fixes its type and ids.
  [[nodiscard]] std::int64_t event_id(std::uint64_t g) const noexcept;
  /// Event g's type, without making it.
  [[nodiscard]] event_type type_of(std::uint64_t g) const noexcept;
  /// Event g's `dateTime` (epoch ms).
  [[nodiscard]] std::int64_t timestamp_of(std::uint64_t g) const noexcept;
  /// The smallest `dateTime` of events g, g + 1, ...: a watermark after event g - 1.
  [[nodiscard]] std::int64_t watermark_at(std::uint64_t g) const noexcept;
  /// Event g's `dateTime` without out-of-order adjustment: when it is due, relative to the
  /// first event, under max-emit-speed = false.
  [[nodiscard]] std::int64_t emit_offset_ms(std::uint64_t g) const noexcept;

  /// Event g. Which members are set follows type_of(g).
  [[nodiscard]] event make(std::uint64_t g) const;
  /// Event g's person / auction / bid; g must be of that type.
  void make_person(std::uint64_t g, person& out) const;
  void make_auction(std::uint64_t g, auction& out) const;
  /// `with_extra` false leaves `extra` empty (the random draws are the same either way).
  void make_bid(std::uint64_t g, bid& out, bool with_extra = true) const;

 private:
  [[nodiscard]] std::int64_t timestamp_for_number(std::int64_t event_number) const noexcept;
  [[nodiscard]] std::int64_t adjusted_number(std::uint64_t g) const noexcept;

  config c_;
  std::int64_t total_proportion_;
  double inter_event_delay_us_;
  std::shared_ptr<const shared_tables> tables_;
};

}  // namespace eddy::nexmark
