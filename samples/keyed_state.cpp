// Keyed state, state TTL and processing-time timers in a keyed process function, used by
// docs/state.md. The program prints one summary line per user, checks its own results and exits
// non-zero if one is wrong.
#include <eddy/operators/datastream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

// [types]
struct click {
  std::string user;
  std::string page;
  int dwell_ms;  // time spent on the page
};

/// Average dwell time (an aggregate function, for aggregating_state).
struct average_dwell {
  struct acc {
    std::int64_t sum = 0;
    std::int64_t count = 0;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const click& c) const {
    a.sum += c.dwell_ms;
    ++a.count;
  }
  double get_result(const acc& a) const {
    return static_cast<double>(a.sum) / static_cast<double>(a.count);
  }
};
// [types]

// [function]
using context = eddy::keyed_context<std::string, click, std::string>;

/// Per user: the pages in the order visited (list state), visits per page (map state), the
/// average (aggregating state) and longest (reducing state) dwell time. One summary line per user,
/// 10 s of processing time after the user's first click (a processing-time timer), or at the end
/// of the input if that comes first. Every state forgets a user idle for 30 minutes (TTL).
struct user_summary {
  eddy::state_ttl_config ttl = eddy::state_ttl_config::new_builder(std::chrono::minutes(30))
                                   .set_update_type(eddy::ttl_update_type::on_read_and_write)
                                   .build();
  static int longer(int a, int b) { return std::max(a, b); }

  void process_element(const click& c, context& ctx, eddy::collector<std::string>&) {
    ctx.list_state<std::string>("path", ttl).add(c.page);
    auto visits = ctx.map_state<std::string, int>("visits", ttl);
    const int* n = visits.get(c.page);
    visits.put(c.page, n ? *n + 1 : 1);
    ctx.aggregating_state<click>("average dwell", average_dwell{}, ttl).add(c);
    ctx.reducing_state<int>("longest dwell", &longer, ttl).add(c.dwell_ms);
    auto report_at = ctx.value_state<std::int64_t>("report at", ttl);
    if (!report_at.value()) {
      report_at.update(ctx.current_processing_time() + 10'000);
      ctx.register_processing_time_timer(*report_at.value());
    }
  }

  void on_timer(std::int64_t, context& ctx, eddy::collector<std::string>& out) {
    auto path = ctx.list_state<std::string>("path", ttl);
    auto visits = ctx.map_state<std::string, int>("visits", ttl);
    auto average = ctx.aggregating_state<click>("average dwell", average_dwell{}, ttl);
    auto longest = ctx.reducing_state<int>("longest dwell", &longer, ttl);
    std::string line = ctx.current_key() + ":";
    for (const auto& page : path.get()) line += " " + page;
    std::string top;
    int top_visits = 0;
    for (const auto& [page, count] : visits.entries())
      if (count > top_visits) top = page, top_visits = count;
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "; most visited %s (%d); dwell avg %.1f ms, max %d ms",
                  top.c_str(), top_visits, average.get().value_or(0), longest.get().value_or(0));
    out.collect(line + numbers);
    path.clear();
    visits.clear();
    average.clear();
    longest.clear();
    ctx.value_state<std::int64_t>("report at", ttl).clear();
  }
};
// [function]

int main() {
  std::vector<click> clicks = {
      {"alice", "home", 1000}, {"bob", "home", 500},   {"alice", "docs", 3000},
      {"carol", "docs", 6000}, {"alice", "api", 2000}, {"bob", "pricing", 1500},
      {"alice", "docs", 4000},
  };

  // [job]
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto summaries = env.from_collection(clicks)
                       .set_parallelism(1)  // one source keeps each user's clicks in order
                       .key_by([](const click& c) { return c.user; })
                       .process(user_summary{}, "user summary")
                       .collect();
  env.execute("keyed state");
  // [job]

  std::vector<std::string> got = summaries.values();
  std::sort(got.begin(), got.end());
  for (const auto& line : got) std::printf("%s\n", line.c_str());
  const std::vector<std::string> want = {
      "alice: home docs api docs; most visited docs (2); dwell avg 2500.0 ms, max 4000 ms",
      "bob: home pricing; most visited home (1); dwell avg 1000.0 ms, max 1500 ms",
      "carol: docs; most visited docs (1); dwell avg 6000.0 ms, max 6000 ms",
  };
  if (got != want) {
    std::fprintf(stderr, "keyed_state: unexpected summaries\n");
    return 1;
  }
  return 0;
}
