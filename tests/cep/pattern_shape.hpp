#pragma once
/// Test helper: a pattern's stages (groups included) with their options, and its compiled
/// automaton, as text. Two patterns with equal shapes compile to the same NFA (conditions are
/// compared by whether they are set). Used to check that a text pattern is its builder form.
#include <string>
#include <vector>

#include "eddy/cep/nfa_compiler.hpp"
#include "eddy/cep/pattern.hpp"

namespace eddy::cep_test {

template <class T>
std::string stages_shape(const std::vector<cep::stage<T>>& stages, const std::string& indent) {
  std::string s;
  for (const auto& st : stages) {
    const auto& q = st.q;
    s += indent + st.name + ": k" + std::to_string(static_cast<int>(q.k)) + " outer" +
         std::to_string(static_cast<int>(q.outer)) + " inner" +
         std::to_string(static_cast<int>(q.inner)) + (q.optional ? " optional" : "") +
         (q.greedy ? " greedy" : "") + " " + std::to_string(q.from) + ".." + std::to_string(q.to) +
         " gap" + std::to_string(q.times_gap_ms.value_or(-1)) + (st.cond ? " cond" : "") +
         (st.has_until ? " until" : "") + " within" + std::to_string(st.within_ms.value_or(-1)) +
         " between" + std::to_string(st.gap_ms.value_or(-1)) + "\n";
    if (st.group) s += stages_shape(*st.group, indent + "  ");
  }
  return s;
}

template <class T>
std::string shape(const cep::pattern<T>& p) {
  std::string s = "skip " + std::to_string(static_cast<int>(p.skip_strategy().k)) + " " +
                  p.skip_strategy().name + (p.skip_strategy().throw_on_miss_ ? " throw" : "") +
                  "\n" + stages_shape(p.stages(), "");
  const auto c = cep::compile(p);
  s += "window " + std::to_string(c.window_ms) + " start " + std::to_string(c.start) + "\n";
  for (const auto& st : c.states) {
    s += st.name + " type" + std::to_string(static_cast<int>(st.type)) + " gap" +
         std::to_string(st.gap_ms) + ":";
    for (const auto& e : st.edges)
      s += " " + std::to_string(static_cast<int>(e.action)) + "->" + std::to_string(e.target) +
           (e.cond ? "c" : "");
    s += "\n";
  }
  return s;
}

}  // namespace eddy::cep_test
