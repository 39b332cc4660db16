#pragma once
/// Test driver: runs a pattern's NFA over one key's events as the CEP operator does in event time
/// (time advances to each timestamp before its events; at the end to "infinity"), and writes
/// matches and timeouts as text ("a1 b1", names of the events in pattern order).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "eddy/cep/nfa.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::cep_test {

struct ev {
  std::string name;  ///< e.g. "a1"
  char sym = 0;      ///< e.g. 'a'
  std::int64_t ts = 0;
  int value = 0;
};
EDDY_FIELDS(ev, name, sym, ts, value)

inline ev e(std::string name, std::int64_t ts, int value = 0) {
  const char sym = name.empty() ? 0 : name[0];
  return ev{std::move(name), sym, ts, value};
}
/// Events named by a space-separated list ("a1 c b1"), timestamps 1, 2, 3, ...
inline std::vector<ev> seq(const std::string& names) {
  std::vector<ev> out;
  std::size_t pos = 0;
  std::int64_t ts = 1;
  while (pos < names.size()) {
    auto end = names.find(' ', pos);
    if (end == std::string::npos) end = names.size();
    if (end > pos) out.push_back(e(names.substr(pos, end - pos), ts++));
    pos = end + 1;
  }
  return out;
}

/// A condition: the event's kind is `c`.
inline auto is(char c) {
  return [c](const ev& x) { return x.sym == c; };
}

inline std::string text(const cep::match<ev>& m) {
  std::string s;
  for (const auto& [stage, events] : m.stages())
    for (const auto& x : events) s += (s.empty() ? "" : " ") + x.name;
  return s;
}

struct run_result {
  std::vector<std::string> matches;   ///< in emission order
  std::vector<std::string> timeouts;  ///< "a1 b1@timestamp"
};

/// Runs `p` over `events` (already in timestamp order). `end_time`: the time advanced to at the
/// end (max: everything open times out).
inline run_result run(const cep::pattern<ev>& p, const std::vector<ev>& events,
                      std::int64_t end_time = std::numeric_limits<std::int64_t>::max()) {
  cep::nfa<ev> n(std::make_shared<cep::compiled_pattern<ev>>(cep::compile(p)));
  cep::key_state<ev> s;
  run_result r;
  auto on_match = [&](cep::match<ev>&& m) { r.matches.push_back(text(m)); };
  auto on_timeout = [&](cep::match<ev>&& m, std::int64_t ts) {
    r.timeouts.push_back(text(m) + "@" + std::to_string(ts));
  };
  for (const auto& x : events) {
    n.advance_time(s, x.ts, on_match, on_timeout);
    n.process(s, x, x.ts, on_match);
  }
  n.advance_time(s, end_time, on_match, on_timeout);
  return r;
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace eddy::cep_test
