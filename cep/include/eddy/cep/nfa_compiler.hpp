#pragma once
/// Compiles a pattern into the states and edges of a non-deterministic automaton. A port of
/// Flink's NFACompiler (flink-cep, nfa/compiler/NFACompiler.java, master of 2024-12) without group
/// patterns, kept in the same structure so that Flink's behaviour (the NOT edges, greedy loops,
/// the twin "ignore" states of optional stages) comes out the same.
///
/// The pattern is walked from its last stage to its first: first the final state, then a state
/// (or a chain of states) per stage whose edges point at what was built for the stages after it.
/// An edge is TAKE (consume the event into the state's stage, go to the target), IGNORE (skip the
/// event, go to the target) or PROCEED (an epsilon move, evaluated on the same event).
///
/// Contract: `compile` throws malformed_pattern for a pattern Flink rejects (duplicate or reserved
/// stage names, a skip strategy naming no stage, a gap larger than the window, a trailing
/// not_followed_by without a window). The result is immutable and may be shared across threads
/// as far as its conditions allow (see pattern.hpp).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/cep/pattern.hpp"

namespace eddy::cep {

enum class state_type : std::uint8_t { start, normal, final_, pending, stop };
enum class edge_action : std::uint8_t { take, ignore, proceed };

template <class T>
struct nfa_edge {
  edge_action action = edge_action::take;
  int target = 0;
  condition<T> cond;  ///< empty: true
};

template <class T>
struct nfa_state_def {
  std::string name;  ///< unique ("b", "b:1", ...): for messages and tests
  int stage = -1;    ///< index into compiled_pattern::stage_names (-1: the final state)
  state_type type = state_type::normal;
  std::vector<nfa_edge<T>> edges;
  std::int64_t gap_ms = 0;  ///< previous_and_current limit of this state (0: none)
};

template <class T>
struct compiled_pattern {
  std::vector<nfa_state_def<T>> states;
  int start = 0;
  std::int64_t window_ms = 0;  ///< first_and_last window (0: none)
  cep::skip skip;
  std::vector<std::string> stage_names;  ///< in pattern order (NOT stages included)
  [[nodiscard]] bool has_gaps() const {
    return std::any_of(states.begin(), states.end(), [](const auto& s) { return s.gap_ms > 0; });
  }
};

namespace detail {

inline constexpr const char* ending_state_name = "$endState$";

template <class T>
class nfa_compiler {
  using cond_t = condition<T>;
  using opt_cond = std::optional<cond_t>;  // nullopt: no edge at all (strict contiguity)

 public:
  explicit nfa_compiler(const pattern<T>& p) : list_(&p.stages()) {
    out_.skip = p.skip_strategy();
    number_stages(*list_);
    cur_ = static_cast<int>(list_->size()) - 1;
  }

  compiled_pattern<T> compile() {
    if (list_->empty()) throw malformed_pattern("a pattern needs at least one stage");
    check_names();
    check_skip();
    const auto& last_stage = cp();
    int sink = create_state_named(ending_state_name, -1, state_type::final_);
    if (cp().within_ms) window_ = *cp().within_ms;
    sink = create_middle_states(sink);
    const int begin = convert_pattern(sink);
    out_.states[begin].type = state_type::start;
    out_.start = begin;
    out_.window_ms = window_.value_or(0);
    for (const auto& s : out_.states)
      if (window_ && s.gap_ms > *window_)
        throw malformed_pattern(
            "The window length between the previous and current event cannot be larger than the "
            "window length between the first and last event for a Pattern.");
    if (last_stage.q.outer == consuming_strategy::not_follow && !last_stage.gap_ms &&
        out_.window_ms == 0)
      throw malformed_pattern(
          "NotFollowedBy is not supported without windowTime as a last part of a Pattern!");
    return std::move(out_);
  }

 private:
  /// Numbers the stages that take events (group members, not groups) in pattern order.
  void number_stages(const std::vector<stage<T>>& list) {
    for (const auto& s : list) {
      if (s.group) {
        number_stages(*s.group);
      } else {
        stage_ids_[&s] = static_cast<int>(out_.stage_names.size());
        out_.stage_names.push_back(s.name);
      }
    }
  }
  void check_names() {
    std::set<std::string> seen{ending_state_name};
    for (const auto& n : out_.stage_names)
      if (!seen.insert(n).second)
        throw malformed_pattern("Duplicate pattern name: " + n + ". Names must be unique.");
  }
  void check_skip() {
    const auto& sk = out_.skip;
    if (sk.k != skip::kind::to_first && sk.k != skip::kind::to_last) return;
    for (const auto& n : out_.stage_names)
      if (n == sk.name) return;
    throw malformed_pattern(
        "The pattern name specified in AfterMatchSkipStrategy can not be found in the given "
        "Pattern");
  }

  // ---- states and edges ----
  int create_state_named(const std::string& base, int stage, state_type type) {
    auto& n = name_counts_[base];
    nfa_state_def<T> s;
    s.name = n == 0 ? base : base + ":" + std::to_string(n);
    ++n;
    s.stage = stage;
    s.type = type;
    out_.states.push_back(std::move(s));
    return static_cast<int>(out_.states.size()) - 1;
  }
  /// A state of the current stage; `is_take`: it takes events (its gap is recorded).
  int create_state(state_type type, bool is_take) {
    const auto& p = cp();
    const auto id = stage_ids_.find(&p);
    const int s = create_state_named(p.name, id == stage_ids_.end() ? -1 : id->second, type);
    if (is_take) {
      if (p.q.k == quantifier::kind::single) {
        if (p.gap_ms) out_.states[s].gap_ms = *p.gap_ms;
      } else if (out_.states[s].name.find(':') != std::string::npos && p.q.times_gap_ms) {
        out_.states[s].gap_ms = *p.q.times_gap_ms;
      }
    }
    return s;
  }
  void add(int from, edge_action a, int to, cond_t c) {
    out_.states[from].edges.push_back({a, to, std::move(c)});
  }
  void add_take(int from, int to, cond_t c) { add(from, edge_action::take, to, std::move(c)); }
  void add_ignore(int from, int to, cond_t c) { add(from, edge_action::ignore, to, std::move(c)); }
  void add_proceed(int from, int to, cond_t c) {
    add(from, edge_action::proceed, to, std::move(c));
  }

  int create_stop_state(const cond_t& not_cond, const stage<T>* stage) {
    auto it = stop_states_.find(stage);
    if (it != stop_states_.end()) return it->second;
    const int s = create_state_named(stage->name, stage_ids_.at(stage), state_type::stop);
    add_take(s, s, not_cond);
    stop_states_[stage] = s;
    return s;
  }

  // ---- conditions (a group's "until" is ANDed into the edges of its members) ----
  [[nodiscard]] const stage<T>& cp() const { return (*list_)[static_cast<std::size_t>(cur_)]; }
  [[nodiscard]] bool group_until() const { return group_ && group_->has_until; }
  /// `p` is the first member of the group being compiled.
  [[nodiscard]] bool head_of_group(const stage<T>& p) const {
    return group_ && &p == &list_->front();
  }
  [[nodiscard]] bool group_first_of_loop() const {
    auto it = first_of_loop_.find(group_);
    return it == first_of_loop_.end() || it->second;
  }
  void set_first_of_loop(bool first) {
    if (cp().group) first_of_loop_[&cp()] = first;
  }
  cond_t take_cond(const stage<T>& p) const {
    return group_until() ? extend_take_with_until(p.cond, *group_) : p.cond;
  }
  cond_t true_cond() const { return group_until() ? not_<T>(group_->until) : cond_t{}; }
  opt_cond ignore_for(consuming_strategy c, const stage<T>& p) const {
    opt_cond r;
    switch (c) {
      case consuming_strategy::skip_till_next:
        r = not_<T>(p.cond);
        break;
      case consuming_strategy::skip_till_any:
        r = cond_t{};  // true
        break;
      default:  // strict: no ignore edge
        break;
    }
    return group_until() ? extend_with_until(std::move(r), *group_) : r;
  }
  opt_cond ignore_cond(const stage<T>& p) const {
    auto c = p.q.outer;
    if (head_of_group(p)) c = group_first_of_loop() ? group_->q.outer : group_->q.inner;
    return ignore_for(c, p);
  }
  opt_cond inner_ignore_cond(const stage<T>& p) const {
    return ignore_for(head_of_group(p) ? group_->q.inner : p.q.inner, p);
  }
  static opt_cond extend_with_until(opt_cond c, const stage<T>& p) {
    if (!p.has_until || !c) return c;
    return and_<T>(not_<T>(p.until), std::move(*c));
  }
  static cond_t extend_take_with_until(cond_t c, const stage<T>& p) {
    if (!p.has_until) return c;
    return and_<T>(not_<T>(p.until), std::move(c));
  }

  /// The not_followed_by stages in force before the current stage (through optional stages).
  std::vector<std::pair<cond_t, const stage<T>*>> current_not_conditions() const {
    std::vector<std::pair<cond_t, const stage<T>*>> r;
    const auto& l = *list_;
    auto i = static_cast<std::size_t>(cur_);
    while (i > 0 && (l[i - 1].q.optional || l[i - 1].q.outer == consuming_strategy::not_follow)) {
      --i;
      if (l[i].q.outer == consuming_strategy::not_follow) r.emplace_back(take_cond(l[i]), &l[i]);
    }
    return r;
  }

  int create_middle_states(int sink) {
    int last_sink = sink;
    while (cur_ > 0) {
      const auto& p = cp();
      if (p.q.outer == consuming_strategy::not_follow) {
        // Converted into edge conditions, except at the end of a pattern with a window.
        if ((p.gap_ms || window_.value_or(0) > 0) &&
            out_.states[last_sink].type == state_type::final_) {
          const int nf = create_state(state_type::pending, true);
          const auto nc = take_cond(p);
          const int stop = create_stop_state(nc, &p);
          add_proceed(nf, stop, nc);
          add_ignore(nf, nf, not_<T>(nc));
          last_sink = nf;
        }
      } else if (p.q.outer == consuming_strategy::not_next) {
        const int nn = create_state(state_type::normal, true);
        const auto nc = take_cond(p);
        const int stop = create_stop_state(nc, &p);
        if (out_.states[last_sink].type == state_type::final_)
          add_ignore(nn, last_sink, not_<T>(nc));  // so that the proceed to final is not fired
        else
          add_proceed(nn, last_sink, not_<T>(nc));
        add_proceed(nn, stop, nc);
        last_sink = nn;
      } else {
        last_sink = convert_pattern(last_sink);
      }
      following_ = &p;
      --cur_;
      if (cp().within_ms && *cp().within_ms < window_.value_or(INT64_MAX))
        window_ = *cp().within_ms;
    }
    return last_sink;
  }

  int convert_pattern(int sink) {
    const auto& q = cp().q;
    int last;
    if (q.k == quantifier::kind::looping) {
      // Once the loop has started, the NOTs before optional stages no longer apply.
      set_first_of_loop(false);
      const int s = copy_without_transitive_nots(sink);
      const int looping = create_looping(s);
      set_first_of_loop(true);
      last = create_times_state(looping, sink, q.from, q.to);
    } else if (q.k == quantifier::kind::times) {
      last = create_times_state(sink, sink, q.from, q.to);
    } else {
      last = create_singleton_state(sink, sink, take_cond(cp()), ignore_cond(cp()), q.optional);
    }
    add_stop_states(last);
    return last;
  }

  int copy_without_transitive_nots(int sink) {
    const auto nots = current_not_conditions();
    if (nots.empty() || !cp().q.optional) return sink;
    const int copy =
        create_state_named(out_.states[sink].name, out_.states[sink].stage, out_.states[sink].type);
    out_.states[copy].gap_ms = out_.states[sink].gap_ms;
    const auto edges = out_.states[sink].edges;  // copied: the vector grows below
    for (const auto& e : edges) {
      if (e.action == edge_action::proceed) {
        int target = e.target;
        bool remove = false;
        if (out_.states[target].type == state_type::stop) {
          for (const auto& n : nots)
            if (out_.states[target].stage == stage_ids_.at(n.second)) remove = true;
        } else {
          target = copy_without_transitive_nots(target);
        }
        if (!remove) add(copy, e.action, target, e.cond);
      } else {
        add(copy, e.action, e.target == sink ? copy : e.target, e.cond);
      }
    }
    return copy;
  }

  int copy_state(int s) {
    const int copy = create_state_named(st_name_base(s), out_.states[s].stage, out_.states[s].type);
    out_.states[copy].gap_ms = out_.states[s].gap_ms;
    const auto edges = out_.states[s].edges;
    for (const auto& e : edges) add(copy, e.action, e.target == s ? copy : e.target, e.cond);
    return copy;
  }
  std::string st_name_base(int s) const {
    const auto& n = out_.states[s].name;
    return n.substr(0, n.find(':'));
  }

  void add_stop_states(int state) {
    for (const auto& [c, stage] : current_not_conditions())
      add_proceed(state, create_stop_state(c, stage), c);
  }
  void add_stop_state_to_looping(int state) {
    if (following_ && following_->q.outer == consuming_strategy::not_follow) {
      const auto c = take_cond(*following_);
      add_proceed(state, create_stop_state(c, following_), c);
    }
  }
  void update_with_greedy_condition(int state, const cond_t& take) {
    for (auto& e : out_.states[state].edges) e.cond = and_<T>(e.cond, not_<T>(take));
  }

  int create_singleton_state(int sink, int proceed, const cond_t& take, const opt_cond& ignore,
                             bool optional) {
    const auto& p = cp();
    if (p.group) return create_group_state(p, sink, proceed, optional);
    const int single = create_state(state_type::normal, true);
    // Once an event is taken, the NOTs before an optional stage no longer apply.
    const int s2 = copy_without_transitive_nots(sink);
    add_take(single, s2, take);
    if (optional) {
      const auto original = original_state_map_.find(proceed);
      if (p.q.greedy && p.has_until && original != original_state_map_.end()) {
        add_proceed(single, original->second, and_<T>(true_cond(), p.until));
        add_proceed(single, proceed, and_<T>(true_cond(), not_<T>(p.until)));
      } else {
        add_proceed(single, proceed, true_cond());
      }
    }
    if (ignore) {
      int ignore_state = single;
      if (optional || head_of_optional_group(p)) {
        // A twin without the PROCEED edges, so each proceed branch is created only once.
        ignore_state = create_state(state_type::normal, false);
        add_take(ignore_state, s2, take);
        add_ignore(ignore_state, ignore_state, *ignore);
        add_stop_states(ignore_state);
      }
      add_ignore(single, ignore_state, *ignore);
    }
    return single;
  }

  [[nodiscard]] bool head_of_optional_group(const stage<T>& p) const {
    return head_of_group(p) && group_first_of_loop() && group_->q.optional;
  }

  /// A group: its members compiled in place, between `sink` and what comes before.
  int create_group_state(const stage<T>& g, int sink, int proceed, bool optional) {
    const auto proceed_cond = true_cond();
    const auto saved = std::make_tuple(list_, cur_, following_, group_);
    group_ = &g;
    list_ = g.group.get();
    cur_ = static_cast<int>(list_->size()) - 1;
    int last = create_middle_states(sink);
    last = convert_pattern(last);
    // The group's first state may skip the whole group.
    if (optional) add_proceed(last, proceed, proceed_cond);
    std::tie(list_, cur_, following_, group_) = saved;
    return last;
  }
  /// A looping group: its members, then back to its first state or on to `sink`.
  int create_looping_group_state(const stage<T>& g, int sink) {
    const auto proceed_cond = true_cond();
    const auto saved = std::make_tuple(list_, cur_, following_, group_);
    const int dummy = create_state(state_type::normal, true);
    group_ = &g;
    list_ = g.group.get();
    cur_ = static_cast<int>(list_->size()) - 1;
    int last = create_middle_states(dummy);
    last = convert_pattern(last);
    add_proceed(last, sink, proceed_cond);
    add_proceed(dummy, last, proceed_cond);
    std::tie(list_, cur_, following_, group_) = saved;
    return last;
  }

  int create_looping(int sink) {
    const auto& p = cp();
    if (p.group) return create_looping_group_state(p, sink);
    const auto ignore = extend_with_until(inner_ignore_cond(p), p);
    const auto take = extend_take_with_until(take_cond(p), p);
    const int looping = create_state(state_type::normal, true);
    if (p.q.greedy) {
      if (p.has_until) {
        const int sink_copy = copy_state(sink);
        add_proceed(looping, sink_copy, and_<T>(true_cond(), p.until));
        original_state_map_[sink] = sink_copy;
      }
      add_proceed(looping, sink,
                  p.has_until ? and_<T>(true_cond(), not_<T>(p.until)) : true_cond());
      update_with_greedy_condition(sink, take_cond(p));
    } else {
      add_proceed(looping, sink, true_cond());
    }
    add_take(looping, looping, take);
    add_stop_state_to_looping(looping);
    if (ignore) {
      const int ignore_state = create_state(state_type::normal, false);
      add_take(ignore_state, looping, take);
      add_ignore(ignore_state, ignore_state, *ignore);
      add_ignore(looping, ignore_state, *ignore);
      add_stop_state_to_looping(ignore_state);
    }
    return looping;
  }

  int create_times_state(int sink, int proceed, int from, int to) {
    const auto& p = cp();
    set_first_of_loop(false);
    const auto inner_ignore = extend_with_until(inner_ignore_cond(p), p);
    const auto take = extend_take_with_until(take_cond(p), p);
    int last = sink;
    if (p.q.greedy && from != to) {
      if (p.has_until) original_state_map_[sink] = copy_state(sink);
      update_with_greedy_condition(sink, take);
    }
    for (int i = from; i < to; ++i) {
      last = create_singleton_state(last, proceed, take, inner_ignore, true);
      add_stop_state_to_looping(last);
    }
    for (int i = 0; i < from - 1; ++i) {
      last = create_singleton_state(last, -1, take, inner_ignore, false);
      add_stop_state_to_looping(last);
    }
    set_first_of_loop(true);
    return create_singleton_state(last, proceed, take, ignore_cond(p), p.q.optional);
  }

  const std::vector<stage<T>>* list_;  // the stages being compiled (the pattern's or a group's)
  compiled_pattern<T> out_;
  int cur_ = 0;                          // the current stage, in *list_
  const stage<T>* following_ = nullptr;  // the stage after it (Flink's followingPattern)
  const stage<T>* group_ = nullptr;      // the group being compiled, if any
  std::map<const stage<T>*, bool> first_of_loop_;
  std::map<const stage<T>*, int> stage_ids_;  // member stage -> index into stage_names
  std::optional<std::int64_t> window_;
  std::map<const stage<T>*, int> stop_states_;  // NOT stage -> its stop state
  std::map<int, int> original_state_map_;       // greedy+until: sink -> its copy
  std::map<std::string, int> name_counts_;      // unique state names
};

}  // namespace detail

/// Compiles `p` (throws malformed_pattern; see the top of this file).
template <class T>
compiled_pattern<T> compile(const pattern<T>& p) {
  return detail::nfa_compiler<T>(p).compile();
}

}  // namespace eddy::cep
