// The automaton against the brute-force reference (brute_force_matcher.hpp: every event
// subsequence that satisfies the pattern's constraints, then Flink's emission and skip rules)
// on random patterns (every contiguity, quantifier, NOT stage, until, greedy, skip strategy, with
// and without a window) and random events with equal timestamps, over several seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "brute_force_inputs.hpp"
#include "brute_force_matcher.hpp"
#include "nfa_driver.hpp"
#include "reference_pattern.hpp"

namespace ref = eddy::cep_reference;
using eddy::cep_test::ev;
namespace cep = eddy::cep;
using eddy::cep_test::to_eddy;

namespace {

std::string seqs_text(const std::vector<std::uint64_t>& seqs) {
  std::string s;
  for (auto q : seqs) s += (s.empty() ? "" : " ") + std::to_string(q);
  return s;
}
std::string ref_match_text(const ref::match& m) {
  std::string s;
  for (const auto& [name, seqs] : m.stages) s += name + "[" + seqs_text(seqs) + "]";
  return s;
}
std::string eddy_match_text(const cep::match<ev>& m) {
  std::string s;
  for (const auto& [name, events] : m.stages()) {
    std::vector<std::uint64_t> seqs;
    for (const auto& e : events) seqs.push_back(std::stoull(e.name));
    s += name + "[" + seqs_text(seqs) + "]";
  }
  return s;
}
std::vector<std::uint64_t> all_seqs(const cep::match<ev>& m) {
  std::vector<std::uint64_t> seqs;
  for (const auto& [name, events] : m.stages())
    for (const auto& e : events) seqs.push_back(std::stoull(e.name));
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

struct outcome {
  std::vector<std::string> matches;  // sorted
  std::set<std::vector<std::uint64_t>> timeouts;
};

outcome run_eddy(const cep::pattern<ev>& p, const std::vector<ref::event>& events) {
  cep::nfa<ev> n(std::make_shared<cep::compiled_pattern<ev>>(cep::compile(p)));
  cep::key_state<ev> s;
  outcome o;
  auto on_match = [&](cep::match<ev>&& m) { o.matches.push_back(eddy_match_text(m)); };
  auto on_timeout = [&](cep::match<ev>&& m, std::int64_t) { o.timeouts.insert(all_seqs(m)); };
  for (const auto& e : events) {
    ev x{std::to_string(e.seq), e.sym, e.ts, e.value};
    n.advance_time(s, x.ts, on_match, on_timeout);
    n.process(s, x, x.ts, on_match);
  }
  n.advance_time(s, std::numeric_limits<std::int64_t>::max(), on_match, on_timeout);
  std::sort(o.matches.begin(), o.matches.end());
  return o;
}

outcome run_reference(const ref::pattern& p, const std::vector<ref::event>& events,
                      ref::run_info& info) {
  auto r = ref::run(p, events, {}, &info);
  outcome o;
  for (const auto& m : r.matches) o.matches.push_back(ref_match_text(m));
  std::sort(o.matches.begin(), o.matches.end());
  for (auto t : r.timeouts) {
    std::sort(t.begin(), t.end());
    o.timeouts.insert(t);
  }
  return o;
}

std::string events_text(const std::vector<ref::event>& events) {
  std::string s;
  for (const auto& e : events)
    s += std::string(1, e.sym) + std::to_string(e.seq) + "@" + std::to_string(e.ts) + "(v" +
         std::to_string(e.value) + ") ";
  return s;
}

}  // namespace

TEST_CASE(
    "random patterns and events: the automaton finds exactly the reference's matches and "
    "timeouts") {
  const std::uint64_t seed = GENERATE(1, 2, 3, 4, 5);
  std::mt19937_64 rng(seed);
  // EDDY_CEP_CASES=N runs N cases per seed (a longer search than the 400 CI runs).
  const int cases = std::getenv("EDDY_CEP_CASES") ? std::atoi(std::getenv("EDDY_CEP_CASES")) : 400;
  int compared = 0, ambiguous = 0;
  for (int i = 0; i < cases; ++i) {
    const auto spec = ref::random_pattern_spec(rng);
    const auto p = ref::to_pattern(spec);
    const auto events = ref::random_events(rng, 1 + static_cast<int>(rng() % 10));
    ref::run_info info;
    const auto want = run_reference(p, events, info);
    // Where Flink leaves the order of matches open (two queued matches with the same start under
    // a skip strategy), the result is a definition, not Flink's: Eddy and the reference both
    // order by completion step, then events, but differ in rare cases (3 in 100,000), so those
    // are counted, not compared.
    if (info.order_ambiguous) {
      ++ambiguous;
      continue;
    }
    const auto got = run_eddy(to_eddy(p), events);
    INFO("seed " << seed << " case " << i << (info.order_ambiguous ? " (order ambiguous)" : "")
                 << "\npattern: " << ref::to_text(spec) << "\nevents: " << events_text(events));
    REQUIRE(got.matches == want.matches);
    REQUIRE(got.timeouts == want.timeouts);
    ++compared;
  }
  CHECK(compared > cases * 7 / 8);
  CHECK(ambiguous < cases / 10);
}
