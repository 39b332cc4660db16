#pragma once
// Random inputs for the brute-force reference matcher (brute_force_matcher.hpp): conditions in a
// small text form (so a pattern can be printed and replayed), pattern specs, and random patterns
// and events that the reference supports. Test code only.
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "brute_force_matcher.hpp"

namespace eddy::cep_reference {

// ---------------------------------------------------------------------------------------------
// Conditions as text, random patterns and events
// ---------------------------------------------------------------------------------------------

// A condition in a tiny text form, shared with any external oracle: "-" or "" = none (true);
// otherwise a disjunction ('|') of conjunctions ('&') of atoms: T (true), s=X / s!X (sym equal /
// not equal to the character X), v>N / v<N (value compared with the integer N).
// Example: "s=a&v>5|s=b".
inline std::function<bool(const event&)> make_cond(const std::string& spec) {
  if (spec.empty() || spec == "-") return nullptr;
  struct atom {
    char kind, op;
    int num;
    char sym;
  };
  std::vector<std::vector<atom>> dnf;
  std::stringstream ds(spec);
  std::string disj;
  while (std::getline(ds, disj, '|')) {
    std::vector<atom> conj;
    std::stringstream cs(disj);
    std::string a;
    while (std::getline(cs, a, '&')) {
      if (a == "T") {
        conj.push_back({'T', 0, 0, 0});
      } else if (a.size() == 3 && a[0] == 's' && (a[1] == '=' || a[1] == '!')) {
        conj.push_back({'s', a[1], 0, a[2]});
      } else if (a.size() >= 3 && a[0] == 'v' && (a[1] == '>' || a[1] == '<')) {
        conj.push_back({'v', a[1], std::stoi(a.substr(2)), 0});
      } else {
        throw std::invalid_argument("bad condition atom: " + a);
      }
    }
    dnf.push_back(conj);
  }
  return [dnf](const event& e) {
    for (const auto& conj : dnf) {
      bool ok = true;
      for (const atom& a : conj) {
        if (a.kind == 's') ok = ok && ((e.sym == a.sym) == (a.op == '='));
        if (a.kind == 'v') ok = ok && (a.op == '>' ? e.value > a.num : e.value < a.num);
      }
      if (ok) return true;
    }
    return false;
  };
}

// A pattern whose conditions are kept as make_cond() text, so it can be printed and replayed by
// an external oracle.
struct stage_spec {
  std::string name;
  contiguity outer = contiguity::strict;
  bool negated_next = false, negated_followed_by = false;
  std::string cond = "-", until = "-";
  int min = 1, max = 1;
  bool looping = false, optional = false, greedy = false;
  contiguity inner = contiguity::relaxed;
};
struct pattern_spec {
  std::vector<stage_spec> stages;
  skip_kind skip = skip_kind::no_skip;
  std::string skip_name;
  std::optional<std::int64_t> within;
};

inline pattern to_pattern(const pattern_spec& ps) {
  pattern p;
  p.skip = ps.skip;
  p.skip_name = ps.skip_name;
  p.within = ps.within;
  for (const stage_spec& s : ps.stages) {
    stage t;
    t.name = s.name;
    t.outer = s.outer;
    t.negated_next = s.negated_next;
    t.negated_followed_by = s.negated_followed_by;
    t.cond = make_cond(s.cond);
    t.until = make_cond(s.until);
    t.min = s.min;
    t.max = s.max;
    t.looping = s.looping;
    t.optional = s.optional;
    t.greedy = s.greedy;
    t.inner = s.inner;
    p.stages.push_back(std::move(t));
  }
  return p;
}

// One line per item: "P skip skip_name within", then "S name outer neg min max looping optional
// greedy inner cond until" per stage (outer/inner: s r a; neg: - nn nf).
inline std::string to_text(const pattern_spec& ps) {
  auto c = [](contiguity x) {
    return x == contiguity::strict ? "s" : x == contiguity::relaxed ? "r" : "a";
  };
  static const char* skips[] = {"no_skip", "to_next", "past_last", "to_first", "to_last"};
  std::ostringstream o;
  o << "P " << skips[static_cast<int>(ps.skip)] << ' '
    << (ps.skip_name.empty() ? "-" : ps.skip_name) << ' ' << (ps.within ? *ps.within : -1) << '\n';
  for (const stage_spec& s : ps.stages) {
    o << "S " << s.name << ' ' << c(s.outer) << ' '
      << (s.negated_next          ? "nn"
          : s.negated_followed_by ? "nf"
                                  : "-")
      << ' ' << s.min << ' ' << s.max << ' ' << s.looping << ' ' << s.optional << ' ' << s.greedy
      << ' ' << c(s.inner) << ' ' << s.cond << ' ' << s.until << '\n';
  }
  return o.str();
}

namespace detail {
inline int pick(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
inline bool coin(std::mt19937_64& rng, int percent) {
  return pick(rng, 0, 99) < percent;
}
inline std::string random_cond(std::mt19937_64& rng) {
  static const char syms[] = "abcd";
  auto sym = [&] { return std::string(1, syms[pick(rng, 0, 3)]); };
  switch (pick(rng, 0, 9)) {
    case 0:
      return "v>5";
    case 1:
      return "s=" + sym() + "&v>5";
    case 2:
      return "s=" + sym() + "|s=" + sym();
    case 3:
      return "s!" + sym();
    case 4:
      return "v<4";
    default:
      return "s=" + sym();
  }
}
}  // namespace detail

// Knobs for random_pattern_spec (percentages).
struct random_options {
  int max_takers = 4;
  int within_percent = 50;
  int not_percent = 20;           // a NOT stage before each taker but the first
  int trailing_not_percent = 15;  // a NOT stage after the last taker
  int double_not_percent = 0;     // a NOT group has two stages (kept only if supported)
  int optional_percent = 25;
  int greedy_percent = 20;  // of non-singleton takers without allow_combinations
  int until_percent = 25;   // of looping takers
};

// A small random pattern over the alphabet {a,b,c,d} that supported() accepts: 1-4 takers, random
// contiguities, quantifiers, NOT stages, until, greedy, skip strategy and optional within.
// Candidates that supported() rejects are drawn again.
inline pattern_spec random_pattern_spec(std::mt19937_64& rng, const random_options& o = {}) {
  using detail::coin;
  using detail::pick;
  static const contiguity cs[] = {contiguity::strict, contiguity::relaxed,
                                  contiguity::non_deterministic_relaxed};
  for (;;) {
    pattern_spec ps;
    const int takers = pick(rng, 1, o.max_takers);
    if (coin(rng, o.within_percent)) ps.within = pick(rng, 2, 8);
    int name = 0;
    auto next_name = [&] { return std::string(1, static_cast<char>('p' + name++)); };
    for (int t = 0; t < takers; ++t) {
      if (t > 0 && coin(rng, o.not_percent)) {  // NOT stages before this taker
        for (int k = coin(rng, o.double_not_percent) ? 2 : 1; k > 0; --k) {
          stage_spec n;
          n.name = next_name();
          (coin(rng, 50) ? n.negated_next : n.negated_followed_by) = true;
          n.cond = detail::random_cond(rng);
          ps.stages.push_back(n);
        }
      }
      stage_spec s;
      s.name = next_name();
      s.outer = cs[pick(rng, 0, 2)];
      s.cond = detail::random_cond(rng);
      switch (pick(rng, 0, 5)) {
        case 0:
        case 1:
          break;  // singleton
        case 2:
          s.min = s.max = pick(rng, 2, 3);
          break;
        case 3:
          s.min = pick(rng, 1, 2);
          s.max = s.min + pick(rng, 1, 2);
          break;
        default:
          s.looping = true;
          s.min = coin(rng, 70) ? 1 : 2;
          s.max = -1;
          break;
      }
      if (coin(rng, o.optional_percent)) s.optional = true;
      const bool single = !s.looping && s.min == 1 && s.max == 1;
      if (!single) {
        s.inner = cs[pick(rng, 0, 2)];
        if (s.inner != contiguity::non_deterministic_relaxed && coin(rng, o.greedy_percent))
          s.greedy = true;
        if (s.looping && coin(rng, o.until_percent)) s.until = detail::random_cond(rng);
      }
      ps.stages.push_back(s);
    }
    if (coin(rng, o.trailing_not_percent)) {  // trailing NOT stages
      for (int k = coin(rng, o.double_not_percent) ? 2 : 1; k > 0; --k) {
        stage_spec n;
        n.name = next_name();
        (coin(rng, 50) || !ps.within ? n.negated_next : n.negated_followed_by) = true;
        n.cond = detail::random_cond(rng);
        ps.stages.push_back(n);
      }
    }
    ps.skip = static_cast<skip_kind>(pick(rng, 0, 4));
    if (ps.skip == skip_kind::to_first || ps.skip == skip_kind::to_last)
      ps.skip_name = ps.stages[pick(rng, 0, static_cast<int>(ps.stages.size()) - 1)].name;
    if (supported(to_pattern(ps))) return ps;
  }
}

inline pattern random_pattern(std::mt19937_64& rng) {
  return to_pattern(random_pattern_spec(rng));
}

// n random events over {a,b,c,d}, values 0..9, non-decreasing timestamps starting at 1 (ties
// likely), seq = position. Already in processing order.
inline std::vector<event> random_events(std::mt19937_64& rng, int n) {
  std::vector<event> out;
  std::int64_t ts = 1;
  for (int k = 0; k < n; ++k) {
    ts += detail::pick(rng, 0, 2);
    out.push_back({static_cast<char>('a' + detail::pick(rng, 0, 3)), ts, detail::pick(rng, 0, 9),
                   static_cast<std::uint64_t>(k)});
  }
  return out;
}

}  // namespace eddy::cep_reference
