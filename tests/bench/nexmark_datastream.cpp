// Nexmark q0, q1, q2, q5, q7 and q8 with the DataStream API (see nexmark_datastream.hpp). Each
// follows the SQL of the nexmark repository (tests/sql/nexmark/qN.sql) and hashes its rows in
// the SQL sink's column order.
#include "nexmark_datastream.hpp"

#include <chrono>
#include <tuple>
#include <vector>

#include "eddy/connectors/nexmark/source.hpp"
#include "eddy/operators/datastream.hpp"
#include "nexmark_checksum.hpp"

namespace eddy::bench {

namespace {

using namespace std::chrono_literals;
using namespace nexmark_checksum;
using nexmark::auction;
using nexmark::bid;
using nexmark::person;

std::uint64_t u(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

/// The DDL's `WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`.
template <class T>
auto four_seconds() {
  return WatermarkStrategy<T>::for_bounded_out_of_orderness(4s).with_timestamp_assigner(
      [](const T& r) { return r.date_time; });
}

/// The start of the epoch-aligned window of `size` ms holding `ts` (ts >= 0).
std::int64_t window_start(std::int64_t ts, std::int64_t size) {
  return ts - ts % size;
}

// ---- q5: the auctions with the most bids in each 10 s window sliding by 2 s ----

struct count_bids {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& n, const bid&) const { ++n; }
  std::int64_t get_result(const std::int64_t& n) const { return n; }
};

using auction_count = std::tuple<std::int64_t, std::int64_t, std::int64_t>;  // start, auction, n
using q5_context = keyed_context<std::int64_t, auction_count, std::uint64_t>;

/// Keyed by window start: the window's counts, and at its end (a timer at the counts' time,
/// the window's end - 1) the auctions whose count is the largest (SQL: num >= max(num)).
struct q5_hottest {
  void process_element(const auction_count& c, q5_context& ctx, collector<std::uint64_t>&) {
    ctx.list_state<auction_count>("counts").add(c);
    ctx.register_event_time_timer(ctx.timestamp());
  }
  void on_timer(std::int64_t, q5_context& ctx, collector<std::uint64_t>& out) {
    auto counts = ctx.list_state<auction_count>("counts");
    std::int64_t max = 0;
    for (const auto& c : counts.get()) max = std::max(max, std::get<2>(c));
    for (const auto& c : counts.get())
      if (std::get<2>(c) >= max) out.collect(hash_values(u(std::get<1>(c)), u(std::get<2>(c))));
    counts.clear();
  }
};

// ---- q7: the highest bids of each 10 s window ----

using q7_context = keyed_context<int, bid, std::uint64_t>;

/// One key (as SQL's global MAX per window): per window end, the bids at the window's highest
/// price so far; per window start, the bids at exactly that time, which SQL's `dateTime BETWEEN
/// end - 10 s AND end` also joins with the window ending there. Emitted when the watermark
/// passes the window's end (all bids up to it have arrived).
struct q7_highest {
  static constexpr std::int64_t size = 10'000;

  void process_element(const bid& b, q7_context& ctx, collector<std::uint64_t>&) {
    const std::int64_t start = window_start(b.date_time, size);
    const std::int64_t end = start + size;
    auto best = ctx.map_state<std::int64_t, std::vector<bid>>("highest");
    const auto* v = best.get(end);
    if (!v || v->front().price < b.price) {
      best.put(end, {b});
      ctx.register_event_time_timer(end);
    } else if (v->front().price == b.price) {
      best.get_for_update(end).push_back(b);
    }
    if (b.date_time == start) {
      ctx.map_state<std::int64_t, std::vector<bid>>("at the end")
          .get_for_update(start)
          .push_back(b);
      ctx.register_event_time_timer(start);
    }
  }
  void on_timer(std::int64_t end, q7_context& ctx, collector<std::uint64_t>& out) {
    auto best = ctx.map_state<std::int64_t, std::vector<bid>>("highest");
    auto edge = ctx.map_state<std::int64_t, std::vector<bid>>("at the end");
    auto row = [](const bid& b) {  // SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
      return hash_values(u(b.auction), u(b.price), u(b.bidder), u(b.date_time),
                         std::string_view(b.extra));
    };
    if (const auto* v = best.get(end)) {
      const std::int64_t price = v->front().price;
      for (const auto& b : *v) out.collect(row(b));
      if (const auto* e = edge.get(end))
        for (const auto& b : *e)
          if (b.price == price) out.collect(row(b));
      best.remove(end);
    }
    edge.remove(end);
  }
};

std::string execute(StreamEnvironment& env, std::string_view q, latency_histogram* latency) {
  const auto r = env.execute("nexmark " + std::string(q) + " (DataStream)");
  if (latency) *latency = r.latency();
  if (r.ok()) return {};
  return r.failure ? r.failure->message : std::string("the job did not finish");
}

}  // namespace

bool has_datastream(std::string_view q) {
  return q == "q0" || q == "q1" || q == "q2" || q == "q5" || q == "q7" || q == "q8";
}

std::string run_datastream(std::string_view q, const datastream_run& run) {
  nexmark::config c;
  c.events = run.events;
  c.first_event_rate = static_cast<std::int32_t>(run.rate);
  c.max_emit_speed = !run.paced;
  StreamEnvironment env;
  env.set_parallelism(run.parallelism);
  env.config().latency_interval = run.latency_interval;
  if (run.batch_size > 0) env.config().batch_size = run.batch_size;
  if (run.flush_interval.count() > 0) env.config().flush_interval = run.flush_interval;
  if (q == "q8") {
    // People who entered the system and created auctions in the same 10 s window.
    auto people = env.from_source(nexmark::person_source(c), four_seconds<person>(), "persons");
    auto auctions =
        env.from_source(nexmark::auction_source(c), four_seconds<auction>(), "auctions");
    people.co_group(auctions)
        .where([](const person& p) { return p.id; })
        .equal_to([](const auction& a) { return a.seller; })
        .window(TumblingEventTimeWindows::of(10s))
        .apply([](const std::vector<person>& ps, const std::vector<auction>& as,
                  collector<std::uint64_t>& out) {
          if (as.empty()) return;
          for (const auto& p : ps)  // person ids are unique: SQL's GROUP BY id, name, window
            out.collect(hash_values(u(p.id), std::string_view(p.name),
                                    u(window_start(p.date_time, 10'000))));
        })
        .add_sink(sum_sink{}, "checksum");
    return execute(env, q, run.latency);
  }
  auto bids = env.from_source(nexmark::bid_source(c), four_seconds<bid>(), "bids");
  if (q == "q0") {
    bids.map([](const bid& b) {
          return hash_values(u(b.auction), u(b.bidder), u(b.price), u(b.date_time),
                             std::string_view(b.extra));
        })
        .add_sink(sum_sink{}, "checksum");
  } else if (q == "q1") {
    bids.map([](const bid& b) {  // 0.908 * price as DECIMAL(23, 3): unscaled
          return hash_values(u(b.auction), u(b.bidder), u(b.price * 908), u(b.date_time),
                             std::string_view(b.extra));
        })
        .add_sink(sum_sink{}, "checksum");
  } else if (q == "q2") {
    bids.filter([](const bid& b) { return b.auction % 123 == 0; })
        .map([](const bid& b) { return hash_values(u(b.auction), u(b.price)); })
        .add_sink(sum_sink{}, "checksum");
  } else if (q == "q5") {
    bids.key_by([](const bid& b) { return b.auction; })
        .window(SlidingEventTimeWindows::of(10s, 2s))
        .aggregate(count_bids{},
                   [](const std::int64_t& auction, const time_window& w, const std::int64_t& n,
                      collector<auction_count>& out) {
                     out.collect({w.start, auction, n});
                   })
        .key_by([](const auction_count& c) { return std::get<0>(c); })
        .process(q5_hottest{}, "hottest")
        .add_sink(sum_sink{}, "checksum");
  } else if (q == "q7") {
    bids.key_by([](const bid&) { return 0; })
        .process(q7_highest{}, "highest bids")
        .add_sink(sum_sink{}, "checksum");
  } else {
    return "no DataStream version of " + std::string(q);
  }
  return execute(env, q, run.latency);
}

}  // namespace eddy::bench
