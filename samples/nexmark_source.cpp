// Nexmark's event generator as a DataStream source (docs/connectors.md "Nexmark generator"):
// the bids of 100,000 generated events (10 s of event time at the default 10,000 events/s),
// counted per auction in 2 s tumbling event-time windows, and the hottest auction of each window
// (the question of Nexmark q5, "hot items", on tumbling windows).
// Build: part of the Eddy build (build/bin/sample-nexmark-source).
// [example]
#include <eddy/connectors/nexmark/source.hpp>
#include <eddy/operators/datastream.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

using namespace std::chrono_literals;

int main() {
  eddy::nexmark::config c;  // nexmark-flink's defaults; or eddy::nexmark::parse_options(map, c)
  c.events = 100'000;       // events of all types: 1 person, 3 auctions and 46 bids in 50

  using count = std::pair<std::int64_t, std::int64_t>;  // auction, bids
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto counts =
      env.from_source(
             eddy::nexmark::bid_source(c),
             eddy::WatermarkStrategy<eddy::nexmark::bid>::for_bounded_out_of_orderness(4s)
                 .with_timestamp_assigner([](const eddy::nexmark::bid& b) { return b.date_time; }),
             "nexmark bids")
          .map([](const eddy::nexmark::bid& b) {
            return count{b.auction, 1};
          })
          .key_by([](const count& a) { return a.first; })
          .window(eddy::TumblingEventTimeWindows::of(2s))
          .process([](const std::int64_t& auction, const eddy::time_window& w,
                      const std::vector<count>& bids,
                      eddy::collector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>& out) {
            out.collect({w.start, auction, static_cast<std::int64_t>(bids.size())});
          })
          .name("bids per auction")
          .collect();
  const auto result = env.execute("nexmark hot items");
  if (!result.ok()) return 1;

  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> hottest;  // window -> auction, n
  std::int64_t bids = 0;
  for (const auto& [start, auction, n] : counts.values()) {
    bids += n;
    auto& h = hottest[start];
    if (n > h.second || (n == h.second && auction < h.first)) h = {auction, n};
  }
  for (const auto& [start, h] : hottest)
    std::printf("window at +%lld ms: auction %lld, %lld bids\n",
                static_cast<long long>(start - c.base_time), static_cast<long long>(h.first),
                static_cast<long long>(h.second));
  return bids == 92'000 ? 0 : 1;  // 46 of every 50 events are bids
}
// [example]
