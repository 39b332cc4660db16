#pragma once
/// Runs a compiled pattern over the events of one key (Flink's NFA: process, advanceTime and the
/// after-match skip). `nfa<T>` is stateless and shared; everything of a key is in its
/// `key_state<T>`, which the CEP operator keeps in keyed state (one value per key) and which
/// checkpoints as a whole.
///
/// Semantics are Flink's (see docs/cep.md), with these definitions where Flink leaves it open:
/// - Matches that start on the same event are emitted in the order they completed, and those
///   that also completed in the same step in the order of their events (the lexicographically
///   smaller sequence of events first), so that under a skip strategy the surviving match is
///   defined (Flink leaves this to its priority queue's heap order).
/// - Event ids are a per-key sequence in processing order (Flink's (timestamp, counter) orders
///   the same way, since events are processed in timestamp order).
///
/// Speed: a step allocates nothing in a steady state when the caller passes an `nfa<T>::scratch`
/// (reused across calls and keys; the CEP operator keeps one per subtask): the runs are rebuilt
/// in the scratch's vectors and swapped with the key's, and matches are materialized into the
/// scratch's match. advance_time returns at once when nothing of the key can time out yet.
///
/// Errors: a user condition's exception propagates (the operator fails the job with it);
/// `skip::to_first/to_last(...).throw_on_miss()` throws std::runtime_error when it cannot skip.
/// Not thread-safe per key_state or scratch.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/cep/nfa_compiler.hpp"
#include "eddy/cep/shared_buffer.hpp"

namespace eddy::cep {

inline constexpr std::uint64_t no_event = std::numeric_limits<std::uint64_t>::max();

/// A run of the automaton (Flink's ComputationState).
struct computation_state {
  std::int32_t state = 0;       ///< index into compiled_pattern::states
  std::int32_t prev = no_node;  ///< the node of the last taken event
  dewey version;
  std::int64_t start_ts = -1;         ///< timestamp of the first taken event
  std::int64_t prev_ts = -1;          ///< timestamp of the last taken event
  std::uint64_t start_id = no_event;  ///< id of the first taken event (no_event: the start state)
  std::vector<std::uint64_t> order;   ///< completed matches: completion step, event ids (ties)
};
inline auto eddy_fields(computation_state& c) noexcept {
  return std::tie(c.state, c.prev, c.version, c.start_ts, c.prev_ts, c.start_id, c.order);
}
inline auto eddy_fields(const computation_state& c) noexcept {
  return std::tie(c.state, c.prev, c.version, c.start_ts, c.prev_ts, c.start_id, c.order);
}

/// A record waiting for the watermark (event time).
template <class T>
struct pending_record {
  std::int64_t ts = 0;
  T value{};
  friend auto eddy_fields(pending_record& r) noexcept { return std::tie(r.ts, r.value); }
  friend auto eddy_fields(const pending_record& r) noexcept { return std::tie(r.ts, r.value); }
};

/// Everything the CEP operator keeps for one key.
template <class T>
struct key_state {
  /// Event time: records waiting for the watermark, by timestamp, equal timestamps in arrival
  /// (or comparator) order.
  std::vector<pending_record<T>> pending;
  /// Runs, by start event (the start state last); empty: nothing but a start state of version 1
  /// (a key with nothing open).
  std::vector<computation_state> partial;
  std::vector<computation_state> completed;  ///< matches waiting for earlier partial matches
  shared_buffer<T> buffer;
  std::uint64_t next_event_id = 0;

  /// Nothing but the start state: the key's entry can go (Flink's FLINK-23314 fix).
  [[nodiscard]] bool idle() const {
    return pending.empty() && completed.empty() && buffer.empty() &&
           std::all_of(partial.begin(), partial.end(),
                       [](const computation_state& c) { return c.start_id == no_event; });
  }
  friend auto eddy_fields(key_state& s) noexcept {
    return std::tie(s.pending, s.partial, s.completed, s.buffer, s.next_event_id);
  }
  friend auto eddy_fields(const key_state& s) noexcept {
    return std::tie(s.pending, s.partial, s.completed, s.buffer, s.next_event_id);
  }
};

/// A match or a timed-out partial match: the events per stage, stages in pattern order.
template <class T>
class match {
 public:
  /// The events of stage `name` (empty if it took none).
  [[nodiscard]] const std::vector<T>& operator[](std::string_view name) const {
    static const std::vector<T> none;
    for (const auto& [n, ev] : stages_)
      if (n == name) return ev;
    return none;
  }
  [[nodiscard]] bool contains(std::string_view name) const { return !(*this)[name].empty(); }
  /// (stage name, events) in pattern order, stages without events left out.
  [[nodiscard]] const std::vector<std::pair<std::string, std::vector<T>>>& stages() const {
    return stages_;
  }
  std::vector<std::pair<std::string, std::vector<T>>>& mutable_stages() { return stages_; }

 private:
  std::vector<std::pair<std::string, std::vector<T>>> stages_;
};

template <class T>
class nfa {
 public:
  explicit nfa(std::shared_ptr<const compiled_pattern<T>> p, bool handle_timeouts = true)
      : p_(std::move(p)), handle_timeouts_(handle_timeouts) {}

  [[nodiscard]] const compiled_pattern<T>& compiled() const noexcept { return *p_; }
  [[nodiscard]] std::int64_t window_ms() const noexcept { return p_->window_ms; }
  /// Whether partial matches can time out (a window or a gap is set).
  [[nodiscard]] bool has_timeouts() const noexcept { return p_->window_ms > 0 || p_->has_gaps(); }

  /// Puts the start state in an empty key_state (Flink's createInitialNFAState).
  void initialize(key_state<T>& s) const {
    if (s.partial.empty()) s.partial.push_back(start_state(dewey{1}));
  }

  /// Scratch space of process and advance_time, reused across calls (and keys) so that a step
  /// allocates nothing: owned by the caller, one per thread (the CEP operator has one per
  /// subtask). Holds nothing between calls.
  class scratch {
    friend class nfa;
    std::vector<computation_state> partial, potential, next;
    std::vector<std::pair<const nfa_edge<T>*, std::int32_t>> edges;  // taken edge, source state
    std::vector<std::int32_t> stack, stack2, path, stage_of_entry;
    match<T> m;
  };

  /// Feeds one event (at event time `ts`). on_match(match<T>&&) for each match emitted, in
  /// order. `*started` (if given) is set when this event began a new partial match (the operator
  /// then sets a timer at the window's end). `sc`: scratch space (null: a temporary one).
  template <class OnMatch>
  void process(key_state<T>& s, T event, std::int64_t ts, OnMatch&& on_match,
               bool* started = nullptr, scratch* sc = nullptr) const {
    scratch local;
    if (!sc) sc = &local;
    // A key with no runs is matched from a start state of its own, kept out of s.partial (so
    // that keys holding nothing, most of them, allocate nothing; see keep_runs).
    computation_state fresh;
    const bool none = s.partial.empty();
    if (none) fresh = start_state(dewey{1});
    const auto runs = none ? std::span<computation_state>(&fresh, 1) : std::span(s.partial);
    step_event ev{std::move(event), ts, s.next_event_id++, 0, false};
    auto& out = sc->partial;
    auto& potential = sc->potential;
    out.clear();
    potential.clear();
    for (auto& cs : runs) {
      auto& next = sc->next;
      next.clear();
      compute_next_states(s, cs, ev, next, *sc);
      const bool from_start = is_start(cs);
      const auto retained = out.size();
      bool discard = false;
      for (auto& n : next) {
        if (from_start && n.start_id != no_event && started) *started = true;
        const auto type = p_->states[static_cast<std::size_t>(n.state)].type;
        if (type == state_type::final_) {
          potential.push_back(std::move(n));
        } else if (type == state_type::stop) {
          discard = true;
          s.buffer.release_node(n.prev, n.version);
        } else {
          out.push_back(std::move(n));
        }
      }
      if (discard) {
        for (auto i = retained; i < out.size(); ++i)
          s.buffer.release_node(out[i].prev, out[i].version);
        out.resize(retained);
      }
    }
    sort_by_start(out);
    keep_runs(s, out);
    emit_by_skip(s, potential, s.partial, on_match, 2 * ev.id + 1, *sc);
    if (ev.registered) s.buffer.release_event(ev.slot);
  }

  /// Times out partial matches at time `ts` (Flink's advanceTime): on_timeout(match<T>&&,
  /// timestamp) for each (with the window's end as timestamp), on_match for trailing
  /// not_followed_by matches completed by the time passing. `sc`: as for process.
  template <class OnMatch, class OnTimeout>
  void advance_time(key_state<T>& s, std::int64_t ts, OnMatch&& on_match, OnTimeout&& on_timeout,
                    scratch* sc = nullptr) const {
    // Nothing due: the runs stay as they are, and waiting matches keep waiting for the same runs.
    if (std::none_of(s.partial.begin(), s.partial.end(),
                     [&](const computation_state& cs) { return due(cs, ts) != 0; }))
      return;
    scratch local;
    if (!sc) sc = &local;
    auto& out = sc->partial;
    auto& potential = sc->potential;
    out.clear();
    potential.clear();
    for (auto& cs : s.partial) {
      const auto d = due(cs, ts);
      if (d == 0) {
        out.push_back(std::move(cs));
        continue;
      }
      const auto& st = p_->states[static_cast<std::size_t>(cs.state)];
      if (st.type == state_type::pending) {
        potential.push_back(std::move(cs));
        continue;
      }
      if (handle_timeouts_) {
        s.buffer.extract_first(cs.prev, cs.version, sc->path);
        materialize(s, sc->path, *sc);
        on_timeout(std::move(sc->m), d == 1 ? cs.prev_ts + st.gap_ms : cs.start_ts + p_->window_ms);
      }
      s.buffer.release_node(cs.prev, cs.version);
    }
    keep_runs(s, out);
    emit_by_skip(s, potential, s.partial, on_match, 2 * s.next_event_id, *sc);
  }

  /// Open partial matches of `s` (the start state not counted).
  [[nodiscard]] static std::size_t open_partial_matches(const key_state<T>& s) {
    return static_cast<std::size_t>(
        std::count_if(s.partial.begin(), s.partial.end(),
                      [](const computation_state& c) { return c.start_id != no_event; }));
  }

 private:
  struct step_event {
    T value;
    std::int64_t ts;
    std::uint64_t id;
    std::uint32_t slot;
    bool registered;
  };

  /// The condition context of one run for one event: its events, materialized on first use.
  class run_context final : public context<T> {
   public:
    run_context(const nfa& n, const key_state<T>& s, const computation_state& cs, std::int64_t ts)
        : n_(n), s_(s), cs_(cs), ts_(ts) {}
    const std::vector<const T*>& events(std::string_view name) const override {
      static const std::vector<const T*> none;
      if (!built_) {
        built_ = true;
        by_stage_.assign(n_.p_->stage_names.size(), {});
        if (cs_.prev != no_node) {
          std::vector<std::int32_t> path;
          if (s_.buffer.extract_first(cs_.prev, cs_.version, path))
            for (auto node : path) {
              const auto& nd = s_.buffer.node(node);
              by_stage_[static_cast<std::size_t>(nd.stage)].push_back(
                  &s_.buffer.event(nd.event).value);
            }
        }
      }
      const auto& names = n_.p_->stage_names;
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return by_stage_[i];
      return none;
    }
    std::int64_t timestamp() const override { return ts_; }

   private:
    const nfa& n_;
    const key_state<T>& s_;
    const computation_state& cs_;
    std::int64_t ts_;
    mutable bool built_ = false;
    mutable std::vector<std::vector<const T*>> by_stage_;
  };

  /// The key's runs become `out` (emptied). Moved, not swapped: each key keeps its own buffer
  /// (and the scratch its own), so neither has to grow again. A lone start state of version 1
  /// (what a key with nothing open has) is left out: process() starts from one when there are no
  /// runs.
  void keep_runs(key_state<T>& s, std::vector<computation_state>& out) const {
    if (out.size() == 1 && is_start(out.front()) && out.front().version == dewey{1}) {
      s.partial.clear();
    } else {
      s.partial.assign(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()));
    }
    out.clear();
  }

  /// Whether `cs` times out at `ts`: 0 no, 1 its gap, 2 the window.
  int due(const computation_state& cs, std::int64_t ts) const {
    const auto& st = p_->states[static_cast<std::size_t>(cs.state)];
    if (st.type == state_type::start) return 0;
    if (st.gap_ms > 0 && ts - cs.prev_ts >= st.gap_ms) return 1;
    if (p_->window_ms > 0 && ts - cs.start_ts >= p_->window_ms) return 2;
    return 0;
  }

  static computation_state start_state_for(std::int32_t state, dewey v) {
    computation_state c;
    c.state = state;
    c.version = std::move(v);
    return c;
  }
  computation_state start_state(dewey v) const { return start_state_for(p_->start, std::move(v)); }
  bool is_start(const computation_state& c) const {
    return p_->states[static_cast<std::size_t>(c.state)].type == state_type::start;
  }
  static bool check(const condition<T>& c, const T& v, const context<T>& ctx) {
    return !c || c(v, ctx);
  }
  static std::uint32_t increase_self(std::uint32_t ignores, std::uint32_t takes) {
    return takes == 0 && ignores == 0 ? 0 : ignores + std::max<std::uint32_t>(1, takes);
  }

  void add_state(key_state<T>& s, std::vector<computation_state>& out, std::int32_t state,
                 std::int32_t prev, const dewey& version, std::int64_t start_ts,
                 std::int64_t prev_ts, std::uint64_t start_id) const {
    s.buffer.lock_node(prev, version);
    auto& c = out.emplace_back();
    c.state = state;
    c.prev = prev;
    c.version = version;
    c.start_ts = start_ts;
    c.prev_ts = prev_ts;
    c.start_id = start_id;
  }

  std::int32_t final_after_proceed(const run_context& ctx, std::int32_t state, const T& v,
                                   std::vector<std::int32_t>& stack) const {
    stack.clear();
    stack.push_back(state);
    while (!stack.empty()) {
      const auto cur = stack.back();
      stack.pop_back();
      for (const auto& e : p_->states[static_cast<std::size_t>(cur)].edges) {
        if (e.action != edge_action::proceed || !check(e.cond, v, ctx)) continue;
        if (p_->states[static_cast<std::size_t>(e.target)].type == state_type::final_)
          return e.target;
        stack.push_back(e.target);
      }
    }
    return -1;
  }

  /// Appends the runs that `cs` becomes on event `ev` to `result`.
  void compute_next_states(key_state<T>& s, const computation_state& cs, step_event& ev,
                           std::vector<computation_state>& result, scratch& sc) const {
    run_context ctx(*this, s, cs, ev.ts);
    // The decision graph: follow PROCEED edges whose condition holds, collect TAKE and IGNORE.
    auto& edges = sc.edges;
    edges.clear();
    std::uint32_t total_take = 0, total_ignore = 0;
    {
      auto& stack = sc.stack;
      stack.clear();
      stack.push_back(cs.state);
      while (!stack.empty()) {
        const auto cur = stack.back();
        stack.pop_back();
        for (const auto& e : p_->states[static_cast<std::size_t>(cur)].edges) {
          if (!check(e.cond, ev.value, ctx)) continue;
          if (e.action == edge_action::proceed) {
            stack.push_back(e.target);
            continue;
          }
          const bool self_ignore = e.action == edge_action::ignore && e.target == cs.state;
          if (!self_ignore) (e.action == edge_action::ignore ? total_ignore : total_take)++;
          edges.emplace_back(&e, cur);
        }
      }
    }
    std::uint32_t take_to_visit = total_take > 0 ? total_take - 1 : 0;
    std::uint32_t ignore_to_visit = total_ignore;
    const std::uint32_t take_to_skip = take_to_visit;
    const bool start = is_start(cs);
    for (const auto& [e, source] : edges) {
      if (e->action == edge_action::ignore) {
        if (start) continue;  // the start state stays and never ignores
        dewey version;
        if (e->target == cs.state) {
          version = detail::dewey_increase(cs.version, increase_self(total_ignore, total_take));
        } else {
          version = detail::dewey_add_stage(
              detail::dewey_increase(cs.version, take_to_skip + ignore_to_visit));
          --ignore_to_visit;
        }
        add_state(s, result, e->target, cs.prev, version, cs.start_ts, cs.prev_ts, cs.start_id);
      } else {  // take
        dewey current = detail::dewey_increase(cs.version, take_to_visit);
        dewey next_version = detail::dewey_add_stage(current);
        if (take_to_visit > 0) --take_to_visit;
        if (!ev.registered) {
          ev.slot = s.buffer.register_event(ev.value, ev.ts, ev.id);
          ev.registered = true;
        }
        const auto node = s.buffer.put(p_->states[static_cast<std::size_t>(source)].stage, ev.slot,
                                       cs.prev, current);
        const auto start_ts = start ? ev.ts : cs.start_ts;
        const auto start_id = start ? ev.id : cs.start_id;
        add_state(s, result, e->target, node, next_version, start_ts, ev.ts, start_id);
        const auto fin = final_after_proceed(ctx, e->target, ev.value, sc.stack2);
        if (fin >= 0) add_state(s, result, fin, node, next_version, start_ts, ev.ts, start_id);
      }
    }
    if (start)
      result.push_back(start_state_for(
          cs.state, detail::dewey_increase(cs.version, increase_self(total_ignore, total_take))));
    if (cs.prev != no_node) s.buffer.release_node(cs.prev, cs.version);
  }

  /// Stable sort by start event (runs come mostly sorted: insertion sort unless many).
  static void sort_by_start(std::vector<computation_state>& v) {
    if (v.size() > 32) {
      std::stable_sort(v.begin(), v.end(),
                       [](const auto& a, const auto& b) { return a.start_id < b.start_id; });
      return;
    }
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i].start_id >= v[i - 1].start_id) continue;
      computation_state x = std::move(v[i]);
      std::size_t j = i;
      for (; j > 0 && v[j - 1].start_id > x.start_id; --j) v[j] = std::move(v[j - 1]);
      v[j] = std::move(x);
    }
  }

  /// Emits completed matches in start order; under a skip strategy a match waits while an
  /// earlier-starting partial match is open, and each emitted match prunes partial and waiting
  /// matches (Flink's processMatchesAccordingToSkipStrategy).
  /// `step` orders completions: 2 * id + 1 for those of event `id`, 2 * id for those of the time
  /// advancing before event `id`. Empties `potential`.
  template <class OnMatch>
  void emit_by_skip(key_state<T>& s, std::vector<computation_state>& potential,
                    std::vector<computation_state>& partial, OnMatch& on_match, std::uint64_t step,
                    scratch& sc) const {
    const auto& sk = p_->skip;
    if (!sk.is_skip() && s.completed.empty()) {
      // No skip: nothing waits, so every completed match goes now, by start (stably).
      sort_by_start(potential);
      for (auto& done : potential) {
        s.buffer.extract_first(done.prev, done.version, sc.path);
        materialize(s, sc.path, sc);
        on_match(std::move(sc.m));
        s.buffer.release_node(done.prev, done.version);
      }
      potential.clear();
      return;
    }
    for (auto& c : potential) {
      if (sk.is_skip()) {
        c.order.push_back(step);
        if (s.buffer.extract_first(c.prev, c.version, sc.path))
          for (auto n : sc.path) c.order.push_back(event_id(s, n));
      }
      s.completed.push_back(std::move(c));
    }
    potential.clear();
    if (s.completed.empty()) return;
    std::stable_sort(s.completed.begin(), s.completed.end(), [](const auto& a, const auto& b) {
      return std::tie(a.start_id, a.order) < std::tie(b.start_id, b.order);
    });
    while (!s.completed.empty()) {
      auto& earliest = s.completed.front();
      if (sk.is_skip()) {
        const auto first_partial =
            std::min_element(partial.begin(), partial.end(),
                             [](const auto& a, const auto& b) { return a.start_id < b.start_id; });
        if (first_partial != partial.end() && first_partial->start_id != no_event &&
            earliest.start_id > first_partial->start_id)
          break;
      }
      auto done = std::move(earliest);
      s.completed.erase(s.completed.begin());
      s.buffer.extract_first(done.prev, done.version, sc.path);
      if (sk.is_skip()) {
        if (const auto p = pruning_id(s, sc.path); p != no_event) {
          prune(s, partial, p);
          prune(s, s.completed, p);
        }
      }
      materialize(s, sc.path, sc);
      on_match(std::move(sc.m));
      s.buffer.release_node(done.prev, done.version);
    }
  }

  std::uint64_t event_id(const key_state<T>& s, std::int32_t node) const {
    return s.buffer.event(s.buffer.node(node).event).id;
  }

  /// Flink's getPruningId: no_event if nothing is to be pruned.
  std::uint64_t pruning_id(const key_state<T>& s, const std::vector<std::int32_t>& path) const {
    const auto& sk = p_->skip;
    if (path.empty()) return no_event;
    switch (sk.k) {
      case skip::kind::no_skip:
        return no_event;
      case skip::kind::to_next:
        return event_id(s, path.front());
      case skip::kind::past_last_event:
        return event_id(s, path.back());
      case skip::kind::to_first:
      case skip::kind::to_last: {
        std::uint64_t found = no_event;
        for (auto n : path) {
          const auto st = s.buffer.node(n).stage;
          if (p_->stage_names[static_cast<std::size_t>(st)] != sk.name) continue;
          if (found == no_event || sk.k == skip::kind::to_last) found = event_id(s, n);
        }
        if (sk.throw_on_miss_) {
          if (found == no_event)
            throw std::runtime_error("Could not skip to " + sk.name +
                                     ". No such element in the found match");
          if (found == event_id(s, path.front()))
            throw std::runtime_error("Could not skip to first element of a match.");
        }
        return found;
      }
    }
    return no_event;
  }

  void prune(key_state<T>& s, std::vector<computation_state>& v, std::uint64_t p) const {
    const bool inclusive =
        p_->skip.k == skip::kind::to_next || p_->skip.k == skip::kind::past_last_event;
    auto keep = v.begin();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const bool pruned =
          it->start_id != no_event && (inclusive ? it->start_id <= p : it->start_id < p);
      if (pruned) {
        s.buffer.release_node(it->prev, it->version);
      } else {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      }
    }
    v.erase(keep, v.end());
  }

  /// The events of `path` per stage, stages in order of their first event (Flink's
  /// materializeMatch; a repeated group's members keep one list each), into `sc.m` (whose
  /// strings and vectors are reused).
  void materialize(const key_state<T>& s, const std::vector<std::int32_t>& path,
                   scratch& sc) const {
    auto& out = sc.m.mutable_stages();
    auto& stage_of_entry = sc.stage_of_entry;
    stage_of_entry.clear();
    for (auto n : path) {
      const auto& nd = s.buffer.node(n);
      auto it = std::find(stage_of_entry.begin(), stage_of_entry.end(), nd.stage);
      if (it == stage_of_entry.end()) {
        const auto i = stage_of_entry.size();
        if (i == out.size()) out.emplace_back();
        out[i].first = p_->stage_names[static_cast<std::size_t>(nd.stage)];
        out[i].second.clear();
        stage_of_entry.push_back(nd.stage);
        it = stage_of_entry.end() - 1;
      }
      out[static_cast<std::size_t>(it - stage_of_entry.begin())].second.push_back(
          s.buffer.event(nd.event).value);
    }
    out.resize(stage_of_entry.size());
  }

  std::shared_ptr<const compiled_pattern<T>> p_;
  bool handle_timeouts_;
};

}  // namespace eddy::cep
