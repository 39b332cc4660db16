#pragma once
// The brute-force reference's patterns (brute_force_inputs.hpp) through Eddy's pattern builder,
// over the test events of nfa_driver.hpp. Test code only.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "brute_force_matcher.hpp"
#include "eddy/cep/pattern.hpp"
#include "nfa_driver.hpp"

namespace eddy::cep_test {

inline cep_reference::event to_ref(const ev& x) {
  return {x.sym, x.ts, x.value, static_cast<std::uint64_t>(std::stoull(x.name))};
}
inline auto wrap(const std::function<bool(const cep_reference::event&)>& f) {
  return [f](const ev& x) { return f(to_ref(x)); };
}

/// The reference's pattern through Eddy's builder.
inline cep::pattern<ev> to_eddy(const cep_reference::pattern& p) {
  cep::skip sk;
  switch (p.skip) {
    case cep_reference::skip_kind::no_skip:
      break;
    case cep_reference::skip_kind::to_next:
      sk = cep::skip::to_next();
      break;
    case cep_reference::skip_kind::past_last_event:
      sk = cep::skip::past_last_event();
      break;
    case cep_reference::skip_kind::to_first:
      sk = cep::skip::to_first(p.skip_name);
      break;
    case cep_reference::skip_kind::to_last:
      sk = cep::skip::to_last(p.skip_name);
      break;
  }
  std::optional<cep::pattern<ev>> out;
  for (const auto& s : p.stages) {
    if (!out) {
      out = cep::pattern<ev>::begin(s.name, sk);
    } else if (s.negated_next) {
      out->not_next(s.name);
    } else if (s.negated_followed_by) {
      out->not_followed_by(s.name);
    } else if (s.outer == cep_reference::contiguity::strict) {
      out->next(s.name);
    } else if (s.outer == cep_reference::contiguity::relaxed) {
      out->followed_by(s.name);
    } else {
      out->followed_by_any(s.name);
    }
    if (s.cond) out->where(wrap(s.cond));
    if (s.looping)
      out->times_or_more(s.min);
    else if (s.min != 1 || s.max != 1)
      out->times(s.min, s.max);
    if (s.optional) out->optional();
    if (s.looping || s.min != 1 || s.max != 1) {
      if (s.inner == cep_reference::contiguity::strict) out->consecutive();
      if (s.inner == cep_reference::contiguity::non_deterministic_relaxed)
        out->allow_combinations();
    }
    if (s.greedy) out->greedy();
    if (s.until) out->until(wrap(s.until));
  }
  if (p.within) out->within(std::chrono::milliseconds(*p.within));
  return *out;
}

}  // namespace eddy::cep_test
