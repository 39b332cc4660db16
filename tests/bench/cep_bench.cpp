// The CEP workload of eddy-bench (issue 17; see cep_bench.hpp and docs/performance.md): the pattern
//
//   begin("a").where(kind == 'a').followed_by("b").where(kind == 'b').one_or_more()
//       .followed_by("c").where(kind == 'c').within(10 s)        (no skip)
//
// over a generated keyed stream, as an Eddy job and as a hand-written matcher for that one
// pattern, with the same matches required of both.
//
// What the pattern matches (Flink's semantics, which the NFA follows): a run starts at every a;
// its b stage takes every b of the key after the a (relaxed contiguity: other events are skipped,
// a b never is), so its b prefixes are b1, b1 b2, b1 b2 b3, ...; each prefix b1..bk ends in one
// match, with the first c after bk, if that c comes less than 10 s after the a. The hand-written
// matcher keeps per key the open runs (one per a of the last 10 s) as (start, b's taken, b's
// already matched) and on a c emits the prefixes not matched yet.
#include "cep_bench.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/cep/cep.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::bench {

namespace {

constexpr std::int64_t window_ms = 10'000;
/// Mean event-time gap between two events of one key: about 10 events of a key per window, so
/// that about 60 % of the partial matches complete and the rest time out.
constexpr std::uint64_t key_gap_ms = 1'000;

struct cep_event {
  std::uint64_t key = 0;
  std::int64_t ts = 0;  ///< event time, ms
  char kind = 0;        ///< 'a', 'b', 'c' or 'd'
};
EDDY_FIELDS(cep_event, key, ts, kind)  // keyed state (the automaton's buffer) is checkpointable

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Event i: `per_ms` events per millisecond of event time (timestamps ascend with i), the events
/// of one millisecond on distinct keys (a run of consecutive keys from a pseudo-random start), so
/// each key's timestamps strictly increase and its matches do not depend on how records of equal
/// timestamp from different source subtasks interleave. Kinds: a 20 %, b 30 %, c 20 %, d 30 %.
struct event_generator {
  std::uint64_t keys;
  std::uint64_t per_ms;
  cep_event operator()(std::uint64_t i) const {
    const std::uint64_t ms = i / per_ms;
    std::uint64_t key = mix(ms) % keys + i % per_ms;
    if (key >= keys) key -= keys;
    const std::uint64_t h = mix(i ^ 0x5bd1e995ULL) % 100;
    const char kind = h < 20 ? 'a' : h < 50 ? 'b' : h < 70 ? 'c' : 'd';
    return cep_event{key, static_cast<std::int64_t>(ms) + 1, kind};
  }
};

event_generator make_generator(std::uint64_t keys) {
  return event_generator{keys, std::max<std::uint64_t>(1, keys / key_gap_ms)};
}

cep::pattern<cep_event> make_pattern() {
  return cep::pattern<cep_event>::begin("a")
      .where([](const cep_event& e) { return e.kind == 'a'; })
      .followed_by("b")
      .where([](const cep_event& e) { return e.kind == 'b'; })
      .one_or_more()
      .followed_by("c")
      .where([](const cep_event& e) { return e.kind == 'c'; })
      .within(std::chrono::milliseconds(window_ms));
}

/// Matches and the b's in them (the checksum "matches:b's"), plus what the data looked like.
struct match_totals {
  std::uint64_t matches = 0;
  std::uint64_t b_events = 0;        ///< over all matches
  std::uint64_t runs_started = 0;    ///< a's (each begins a partial match)
  std::uint64_t runs_completed = 0;  ///< runs that ended in at least one match
  [[nodiscard]] std::string checksum() const {
    return std::to_string(matches) + ":" + std::to_string(b_events);
  }
};

// ---- the hand-written matcher ----

struct hw_run {
  std::int64_t start_ts;  ///< the a's timestamp
  std::uint32_t taken;    ///< b's taken so far
  std::uint32_t matched;  ///< b prefixes of length <= matched have had their match
};

/// Per key its open runs, oldest first (they expire in that order: one window for all).
struct hand_written_matcher {
  absl::flat_hash_map<std::uint64_t, std::vector<hw_run>> keys;
  match_totals t;

  void on_event(const cep_event& e) {
    auto& runs = keys[e.key];
    std::size_t expired = 0;
    while (expired < runs.size() && e.ts - runs[expired].start_ts >= window_ms) ++expired;
    if (expired > 0) runs.erase(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(expired));
    switch (e.kind) {
      case 'a':
        runs.push_back(hw_run{e.ts, 0, 0});
        ++t.runs_started;
        break;
      case 'b':
        for (auto& r : runs) ++r.taken;
        break;
      case 'c':
        for (auto& r : runs) {
          if (r.taken == r.matched) continue;
          if (r.matched == 0) ++t.runs_completed;
          const std::uint64_t k = r.taken, m = r.matched;  // prefixes m+1 .. k end here
          t.matches += k - m;
          t.b_events += (k * (k + 1) - m * (m + 1)) / 2;
          r.matched = r.taken;
        }
        break;
      default:
        break;
    }
  }
  /// Runs still open at `now` (their a less than a window ago).
  [[nodiscard]] std::uint64_t open_runs(std::int64_t now) const {
    std::uint64_t n = 0;
    for (const auto& [k, runs] : keys)
      for (const auto& r : runs) n += now - r.start_ts < window_ms ? 1 : 0;
    return n;
  }
};

match_totals hand_written(std::uint64_t events, const event_generator& gen, double& seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  hand_written_matcher m;
  for (std::uint64_t i = 0; i < events; ++i) m.on_event(gen(i));
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m.t;
}

// ---- the Eddy job ----

struct shared_totals {
  std::atomic<std::uint64_t> matches{0};
  std::atomic<std::uint64_t> b_events{0};
};

/// Emits the number of b's of each match.
struct count_b {
  void process_match(const cep::match<cep_event>& m, cep::match_context<std::uint64_t>&,
                     collector<std::uint64_t>& out) {
    out.collect(m["b"].size());
  }
};

/// Per-subtask totals, published once at the end.
struct match_sink {
  std::shared_ptr<shared_totals> out;
  std::uint64_t matches = 0;
  std::uint64_t b_events = 0;
  void operator()(const std::uint64_t& bs) {
    ++matches;
    b_events += bs;
  }
  void close() {
    out->matches += matches;
    out->b_events += b_events;
  }
};

/// The job's checksum ("matches:b's"), or "failed: ..." if it failed.
std::string eddy_job(std::uint64_t events, const event_generator& gen, int parallelism,
                     double& seconds) {
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = std::make_shared<shared_totals>();
  auto keyed =
      env.from_generator(events, gen)
          .assign_timestamps_and_watermarks(
              WatermarkStrategy<cep_event>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const cep_event& e) { return e.ts; }))
          .key_by([](const cep_event& e) { return e.key; });
  CEP::pattern(keyed, make_pattern())
      .process<std::uint64_t>(count_b{}, "cep")
      .add_sink(match_sink{out}, "count matches");
  env.runtime();  // start the actor system before timing
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = env.execute("cep");
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) return "failed: " + (r.failure ? r.failure->message : std::string("?"));
  return std::to_string(out->matches.load()) + ":" + std::to_string(out->b_events.load());
}

// ---- state per open partial match ----

struct state_figures {
  std::uint64_t events = 0;
  std::int64_t now = 0;
  std::uint64_t keys_with_state = 0;
  std::uint64_t open_partial = 0;  ///< nfa::open_partial_matches over all keys
  std::uint64_t open_runs = 0;     ///< a's less than a window old (the hand-written runs)
  std::uint64_t serialized = 0;    ///< eddy::serialize(key_state) over all keys
  std::uint64_t in_memory = 0;     ///< sizeof + heap of the key_states (approximate)
  std::uint64_t buffered_events = 0;
  std::uint64_t buffer_nodes = 0;
  std::uint64_t nfa_matches = 0;
  std::uint64_t hand_written_matches = 0;
  std::uint64_t hand_written_bytes = 0;  ///< run vectors of keys with an open run (capacity)
  double nfa_seconds = 0;                ///< the NFA run over the prefix
};

/// Heap and inline bytes of one key's automaton state (the shared buffer's own estimate plus the
/// computation states and their Dewey numbers; not the hash-map slot).
std::uint64_t memory_bytes(const cep::key_state<cep_event>& s) {
  std::uint64_t b =
      sizeof(s) + s.buffer.approximate_bytes() +
      (s.partial.capacity() + s.completed.capacity()) * sizeof(cep::computation_state);
  for (const auto* v : {&s.partial, &s.completed})
    for (const auto& c : *v)
      b += (c.version.on_heap() ? c.version.capacity() * sizeof(std::uint32_t) : 0) +
           c.order.capacity() * sizeof(std::uint64_t);
  return b;
}

/// Runs the NFA directly (as the CEP operator does in event time, one key_state per key, a key's
/// state dropped when idle) over the first `events` events, then moves every key's time to the
/// last timestamp (the operator's window timers would) and measures what is left. Also times that
/// run: the automaton alone, without the operator around it.
state_figures measure_state(std::uint64_t events, const event_generator& gen) {
  state_figures f;
  f.events = events;
  const cep::nfa<cep_event> nfa(
      std::make_shared<cep::compiled_pattern<cep_event>>(cep::compile(make_pattern())), false);
  absl::flat_hash_map<std::uint64_t, cep::key_state<cep_event>> states;
  cep::nfa<cep_event>::scratch scratch;
  auto on_match = [&](cep::match<cep_event>&&) { ++f.nfa_matches; };
  auto on_timeout = [](cep::match<cep_event>&&, std::int64_t) {};
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const auto e = gen(i);
    f.now = e.ts;
    auto& s = states[e.key];
    nfa.advance_time(s, e.ts, on_match, on_timeout, &scratch);
    nfa.process(s, e, e.ts, on_match, nullptr, &scratch);
    if (s.idle()) states.erase(e.key);
  }
  f.nfa_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto it = states.begin(); it != states.end();) {
    nfa.advance_time(it->second, f.now, on_match, on_timeout, &scratch);
    if (it->second.idle())
      states.erase(it++);
    else
      ++it;
  }
  for (const auto& [k, s] : states) {
    ++f.keys_with_state;
    f.open_partial += cep::nfa<cep_event>::open_partial_matches(s);
    f.serialized += serialize(s).size();
    f.in_memory += memory_bytes(s);
    f.buffered_events += s.buffer.live_events();
    f.buffer_nodes += s.buffer.live_nodes();
  }
  hand_written_matcher hw;
  for (std::uint64_t i = 0; i < events; ++i) hw.on_event(gen(i));
  f.hand_written_matches = hw.t.matches;
  f.open_runs = hw.open_runs(f.now);
  for (const auto& [k, runs] : hw.keys)
    if (!runs.empty() && f.now - runs.back().start_ts < window_ms)
      f.hand_written_bytes += runs.capacity() * sizeof(hw_run);
  return f;
}

// ---- the driver ----

struct run {
  double seconds = 0;
  std::string checksum;
  bool operator<(const run& o) const { return seconds < o.seconds; }
};

run median(std::vector<run> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void print_run(const char* impl, int parallelism, std::uint64_t events, const run& r) {
  std::printf(
      "{\"workload\":\"cep\",\"impl\":\"%s\",\"parallelism\":%d,\"events\":%llu,\"seconds\":%.6f,"
      "\"events_per_sec\":%.0f,\"checksum\":\"%s\"}\n",
      impl, parallelism, static_cast<unsigned long long>(events), r.seconds,
      static_cast<double>(events) / r.seconds, r.checksum.c_str());
  std::fflush(stdout);
}

double ratio(double a, double b) {
  return b > 0 ? a / b : 0;
}

}  // namespace

bool cep_bench(const cep_options& opts) {
  const auto gen = make_generator(opts.keys);
  const std::uint64_t events = opts.events;
  std::vector<int> parallelisms;
  if (opts.parallelism > 0)
    parallelisms.push_back(opts.parallelism);
  else
    parallelisms = {1, 2};

  // The data and the expected matches (one untimed hand-written pass).
  match_totals expected;
  {
    double s = 0;
    expected = hand_written(events, gen, s);
  }
  const auto last = gen(events > 0 ? events - 1 : 0);
  std::printf(
      "{\"workload\":\"cep\",\"impl\":\"data\",\"events\":%llu,\"keys\":%llu,"
      "\"events_per_ms\":%llu,\"event_time_ms\":%lld,\"window_ms\":%lld,"
      "\"partial_matches_started\":%llu,\"completed\":%llu,\"completed_fraction\":%.3f,"
      "\"matches\":%llu,\"b_events_in_matches\":%llu}\n",
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(opts.keys),
      static_cast<unsigned long long>(gen.per_ms), static_cast<long long>(last.ts),
      static_cast<long long>(window_ms), static_cast<unsigned long long>(expected.runs_started),
      static_cast<unsigned long long>(expected.runs_completed),
      ratio(static_cast<double>(expected.runs_completed),
            static_cast<double>(expected.runs_started)),
      static_cast<unsigned long long>(expected.matches),
      static_cast<unsigned long long>(expected.b_events));
  std::fflush(stdout);

  // Eddy at each parallelism and the hand-written matcher, alternating.
  std::vector<std::vector<run>> eddy_runs(parallelisms.size());
  std::vector<run> hw_runs;
  for (int r = 0; r < opts.repeat; ++r) {
    for (std::size_t i = 0; i < parallelisms.size(); ++i) {
      run x;
      x.checksum = eddy_job(events, gen, parallelisms[i], x.seconds);
      if (x.checksum.rfind("failed", 0) == 0) {
        std::fprintf(stderr, "eddy-bench: the cep job failed at parallelism %d: %s\n",
                     parallelisms[i], x.checksum.c_str());
        return false;
      }
      eddy_runs[i].push_back(std::move(x));
    }
    run h;
    h.checksum = hand_written(events, gen, h.seconds).checksum();
    hw_runs.push_back(std::move(h));
  }
  std::vector<run> eddy_median;
  for (std::size_t i = 0; i < parallelisms.size(); ++i) {
    eddy_median.push_back(median(eddy_runs[i]));
    print_run("eddy", parallelisms[i], events, eddy_median.back());
  }
  const auto hw = median(hw_runs);
  print_run("hand-written", 1, events, hw);

  bool agree = true;
  for (std::size_t i = 0; i < parallelisms.size(); ++i)
    for (const auto& x : eddy_runs[i])
      if (x.checksum != hw.checksum) {
        agree = false;
        std::fprintf(stderr,
                     "eddy-bench: CEP MATCHES DIFFER: eddy at parallelism %d found %s "
                     "(matches:b's), the hand-written matcher %s\n",
                     parallelisms[i], x.checksum.c_str(), hw.checksum.c_str());
      }

  const double hw_rate = static_cast<double>(events) / hw.seconds;
  auto rate_at = [&](int p) -> double {
    for (std::size_t i = 0; i < parallelisms.size(); ++i)
      if (parallelisms[i] == p) return static_cast<double>(events) / eddy_median[i].seconds;
    return 0;
  };
  const double p1 = rate_at(1), p2 = rate_at(2);
  std::printf("{\"workload\":\"cep\",\"impl\":\"ratios\",\"matches_agree\":%s",
              agree ? "true" : "false");
  if (p1 > 0)
    std::printf(",\"p1_to_hand_written\":%.3f,\"target\":0.25,\"target_met\":%s",
                ratio(p1, hw_rate), ratio(p1, hw_rate) >= 0.25 ? "true" : "false");
  if (p2 > 0) std::printf(",\"p2_to_hand_written\":%.3f", ratio(p2, hw_rate));
  if (p1 > 0 && p2 > 0)
    std::printf(",\"p2_to_p1\":%.3f,\"p2_faster\":%s", ratio(p2, p1), p2 > p1 ? "true" : "false");
  std::printf("}\n");
  std::fflush(stdout);

  // Bytes of automaton state per open partial match, on a prefix of the same stream.
  // Default prefix: three windows of event time (steady state: the first window's partial matches
  // have timed out or completed twice over).
  const std::uint64_t prefix = opts.state_events > 0
                                   ? opts.state_events
                                   : 3 * static_cast<std::uint64_t>(window_ms) * gen.per_ms;
  const auto f = measure_state(std::min(prefix, events), gen);
  const auto per = [](std::uint64_t bytes, std::uint64_t n) {
    return n > 0 ? static_cast<double>(bytes) / static_cast<double>(n) : 0.0;
  };
  std::printf(
      "{\"workload\":\"cep\",\"impl\":\"state\",\"events\":%llu,\"at_ms\":%lld,"
      "\"keys_with_state\":%llu,\"open_partial_matches\":%llu,\"open_runs\":%llu,"
      "\"buffered_events\":%llu,\"buffer_nodes\":%llu,\"serialized_bytes\":%llu,"
      "\"serialized_bytes_per_open_partial_match\":%.1f,"
      "\"memory_bytes_per_open_partial_match\":%.1f,\"serialized_bytes_per_open_run\":%.1f,"
      "\"hand_written_bytes_per_open_run\":%.1f,\"nfa_matches\":%llu,"
      "\"hand_written_matches\":%llu,\"nfa_alone_events_per_sec\":%.0f}\n",
      static_cast<unsigned long long>(f.events), static_cast<long long>(f.now),
      static_cast<unsigned long long>(f.keys_with_state),
      static_cast<unsigned long long>(f.open_partial), static_cast<unsigned long long>(f.open_runs),
      static_cast<unsigned long long>(f.buffered_events),
      static_cast<unsigned long long>(f.buffer_nodes),
      static_cast<unsigned long long>(f.serialized), per(f.serialized, f.open_partial),
      per(f.in_memory, f.open_partial), per(f.serialized, f.open_runs),
      per(f.hand_written_bytes, f.open_runs), static_cast<unsigned long long>(f.nfa_matches),
      static_cast<unsigned long long>(f.hand_written_matches),
      f.nfa_seconds > 0 ? static_cast<double>(f.events) / f.nfa_seconds : 0.0);
  std::fflush(stdout);
  if (f.nfa_matches != f.hand_written_matches) {
    agree = false;
    std::fprintf(stderr,
                 "eddy-bench: CEP MATCHES DIFFER: the NFA run directly found %llu matches in the "
                 "first %llu events, the hand-written matcher %llu\n",
                 static_cast<unsigned long long>(f.nfa_matches),
                 static_cast<unsigned long long>(f.events),
                 static_cast<unsigned long long>(f.hand_written_matches));
  }
  return agree;
}

}  // namespace eddy::bench
