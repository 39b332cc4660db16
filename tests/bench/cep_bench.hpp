#pragma once
// eddy-bench's CEP workload (cep_bench.cpp; issue 17): the pattern "a, then one or more b, then c,
// within 10 s" over a generated keyed stream, as an Eddy job (CEP::pattern on a keyed stream, in
// event time) against a hand-written matcher for that one pattern in the same process, plus the
// bytes of automaton state per open partial match. Prints one JSON line per implementation and one
// with the ratios; never asserts a timing.
#include <cstdint>

namespace eddy::bench {

struct cep_options {
  std::uint64_t events = 5'000'000;
  std::uint64_t keys = 100'000;
  int parallelism = 0;  ///< 0: run the Eddy job at parallelism 1 and 2
  int repeat = 3;
  /// Prefix the automaton's state is measured on (0: three windows of event time).
  std::uint64_t state_events = 0;
};

/// Runs the workload. False if a run failed or the Eddy job's matches differ from the
/// hand-written matcher's (printed).
bool cep_bench(const cep_options& opts);

}  // namespace eddy::bench
