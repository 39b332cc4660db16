// The optimised automaton (nfa.hpp, shared_buffer.hpp) against a frozen copy of the automaton
// from before the speed work (legacy_nfa.hpp): on random patterns (those of the brute-force test,
// some with an iterative condition added) and longer random event sequences, both must emit the
// same matches and timeouts in the same order, with the same timestamps, report the same started
// partial matches, and hold the same number of partial matches, buffered events and nodes after
// every step. The optimised one's state also goes through a checkpoint (serialize, deserialize)
// at random points, which must change nothing.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "brute_force_inputs.hpp"
#include "eddy/cep/nfa.hpp"
#include "eddy/runtime/serializer.hpp"
#include "legacy_nfa.hpp"
#include "nfa_driver.hpp"
#include "reference_pattern.hpp"

namespace ref = eddy::cep_reference;
namespace cep = eddy::cep;
namespace legacy = eddy::cep_legacy;
using eddy::cep_test::ev;

namespace {

template <class Match>
std::string match_text(const Match& m) {
  std::string s;
  for (const auto& [name, events] : m.stages()) {
    s += name + "[";
    for (const auto& x : events) s += x.name + " ";
    s += "]";
  }
  return s;
}

/// One step of the drive: advance to `ts`, then (if `event`) process it.
struct step {
  std::int64_t ts;
  const ev* event;
};

struct trace {
  std::vector<std::string> lines;
  bool operator==(const trace&) const = default;
};

template <class Nfa, class State>
void run_step(const Nfa& n, State& s, const step& st, trace& t) {
  auto on_match = [&](auto&& m) { t.lines.push_back("match " + match_text(m)); };
  auto on_timeout = [&](auto&& m, std::int64_t ts) {
    t.lines.push_back("timeout " + match_text(m) + " @" + std::to_string(ts));
  };
  n.advance_time(s, st.ts, on_match, on_timeout);
  if (st.event) {
    bool started = false;
    n.process(s, *st.event, st.ts, on_match, &started);
    if (started) t.lines.push_back("started");
  }
  t.lines.push_back("open " + std::to_string(Nfa::open_partial_matches(s)) + " events " +
                    std::to_string(s.buffer.live_events()) + " nodes " +
                    std::to_string(s.buffer.live_nodes()) + (s.idle() ? " idle" : ""));
}

/// Both automata over `steps`; the new one's state is checkpointed and restored before the steps
/// picked by `restore_at` (bit i: before step i).
void compare(const cep::pattern<ev>& p, const std::vector<step>& steps, std::uint64_t restore_at,
             const std::string& what) {
  auto compiled = std::make_shared<cep::compiled_pattern<ev>>(cep::compile(p));
  for (const bool timeouts : {true, false}) {
    legacy::nfa<ev> old_nfa(compiled, timeouts);
    cep::nfa<ev> new_nfa(compiled, timeouts);
    legacy::key_state<ev> old_state;
    cep::key_state<ev> new_state;
    trace want, got;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (i < 64 && (restore_at >> i & 1)) {
        const auto bytes = eddy::serialize(new_state);
        cep::key_state<ev> restored;
        std::string error;
        REQUIRE(eddy::deserialize(bytes, restored, &error));
        new_state = std::move(restored);
      }
      run_step(old_nfa, old_state, steps[i], want);
      run_step(new_nfa, new_state, steps[i], got);
    }
    INFO(what << (timeouts ? " (with timeouts)" : " (without timeouts)"));
    REQUIRE(got.lines == want.lines);
  }
}

}  // namespace

TEST_CASE("the optimised automaton emits exactly what the original one emits") {
  const std::uint64_t seed = GENERATE(11, 12, 13, 14, 15);
  std::mt19937_64 rng(seed);
  const int cases = std::getenv("EDDY_CEP_CASES") ? std::atoi(std::getenv("EDDY_CEP_CASES")) : 300;
  for (int i = 0; i < cases; ++i) {
    const auto spec = ref::random_pattern_spec(rng);
    auto p = eddy::cep_test::to_eddy(ref::to_pattern(spec));
    const bool iterative = rng() % 4 == 0;
    if (iterative) {
      // An iterative condition on the last stage: the events the run took so far.
      p.where([](const ev& x, const cep::context<ev>& c) {
        return (c.events("p").size() + c.events("q").size()) % 3 != 2 || x.value % 2 == 0;
      });
    }
    // Up to 24 events; up to 12 where combinations make the number of partial matches explode.
    bool combinations = false;
    for (const auto& st : spec.stages)
      combinations =
          combinations || st.outer == ref::contiguity::non_deterministic_relaxed ||
          (st.inner == ref::contiguity::non_deterministic_relaxed && (st.looping || st.max > 1));
    const int max_events = combinations && !spec.within ? 12 : 24;
    const auto events = ref::random_events(rng, 1 + static_cast<int>(rng() % max_events));
    std::vector<ev> evs;
    for (const auto& e : events) evs.push_back(ev{std::to_string(e.seq), e.sym, e.ts, e.value});
    std::vector<step> steps;
    for (std::size_t k = 0; k < evs.size(); ++k) {
      steps.push_back({evs[k].ts, &evs[k]});
      // Sometimes time advances between events (as the watermark does).
      if (k + 1 < evs.size() && evs[k + 1].ts > evs[k].ts + 1 && rng() % 3 == 0)
        steps.push_back({evs[k].ts + 1, nullptr});
    }
    steps.push_back({rng() % 2 ? std::numeric_limits<std::int64_t>::max()
                               : (evs.empty() ? 0 : evs.back().ts + 3),
                     nullptr});
    const std::uint64_t restore_at = rng() % 3 == 0 ? rng() : 0;
    std::string what = "seed " + std::to_string(seed) + " case " + std::to_string(i) +
                       "\npattern: " + ref::to_text(spec) + (iterative ? " + iterative" : "") +
                       "\nevents:";
    for (const auto& x : evs)
      what += " " + std::string(1, x.sym) + x.name + "@" + std::to_string(x.ts) + "v" +
              std::to_string(x.value);
    compare(p, steps, restore_at, what);
  }
}
