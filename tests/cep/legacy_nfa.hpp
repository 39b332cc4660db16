#pragma once
// A frozen copy of the CEP automaton (cep/include/eddy/cep/shared_buffer.hpp and nfa.hpp as of
// commit 7c707e7, before the speed work of issue 17), in namespace eddy::cep_legacy. Only
// tests/cep/nfa_equivalence_test.cpp uses it: the optimised automaton must emit exactly what this
// one emits (the same matches and timeouts, in the same order, with the same timestamps).
// Not maintained: do not fix or extend it.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include "eddy/cep/nfa_compiler.hpp"

namespace eddy::cep_legacy {

/// Flink's DeweyNumber: digits d1.d2...dn.
using dewey = std::vector<std::uint32_t>;

namespace detail {
/// `v` is compatible with `other`: `other` is a proper prefix of `v`, or both have the same
/// length and digits except the last, where v's is at least other's.
inline bool dewey_compatible(const dewey& v, const dewey& other) {
  if (v.size() > other.size()) return std::equal(other.begin(), other.end(), v.begin());
  if (v.size() != other.size() || v.empty()) return false;
  const auto last = v.size() - 1;
  return std::equal(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(last), other.begin()) &&
         v[last] >= other[last];
}
inline dewey dewey_increase(dewey v, std::uint32_t n) {
  v.back() += n;
  return v;
}
inline dewey dewey_add_stage(dewey v) {
  v.push_back(0);
  return v;
}
}  // namespace detail

inline constexpr std::int32_t no_node = -1;

template <class T>
struct buffered_event {
  std::uint64_t id = 0;  ///< per key, in processing order (Flink's EventId)
  std::int64_t ts = 0;
  T value{};
  std::uint32_t refs = 0;  ///< 0: a free slot
  friend auto eddy_fields(buffered_event& e) noexcept {
    return std::tie(e.id, e.ts, e.value, e.refs);
  }
  friend auto eddy_fields(const buffered_event& e) noexcept {
    return std::tie(e.id, e.ts, e.value, e.refs);
  }
};

struct buffer_edge {
  std::int32_t target = no_node;  ///< the previous event's node, or no_node at a match's start
  dewey version;
  std::uint32_t refs = 0;
};
inline auto eddy_fields(buffer_edge& e) noexcept {
  return std::tie(e.target, e.version, e.refs);
}
inline auto eddy_fields(const buffer_edge& e) noexcept {
  return std::tie(e.target, e.version, e.refs);
}

struct buffer_node {
  std::uint32_t event = 0;  ///< event slot
  std::int32_t stage = -1;  ///< index of the pattern stage that took the event
  std::uint32_t refs = 0;
  bool live = false;
  std::vector<buffer_edge> edges;
};
inline auto eddy_fields(buffer_node& n) noexcept {
  return std::tie(n.event, n.stage, n.refs, n.live, n.edges);
}
inline auto eddy_fields(const buffer_node& n) noexcept {
  return std::tie(n.event, n.stage, n.refs, n.live, n.edges);
}

template <class T>
class shared_buffer {
 public:
  /// Adds an event with one reference (the caller's, dropped with release_event).
  std::uint32_t register_event(T value, std::int64_t ts, std::uint64_t id) {
    std::uint32_t slot;
    if (!free_events_.empty()) {
      slot = free_events_.back();
      free_events_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(events_.size());
      events_.emplace_back();
    }
    auto& e = events_[slot];
    e.id = id;
    e.ts = ts;
    e.value = std::move(value);
    e.refs = 1;
    ++live_events_;
    step_nodes_.clear();
    return slot;
  }
  void release_event(std::uint32_t slot) {
    auto& e = events_[slot];
    if (e.refs == 0) throw std::logic_error("cep shared buffer: event released twice");
    if (--e.refs == 0) {
      e.value = T{};
      free_events_.push_back(slot);
      --live_events_;
    }
  }

  /// Records that `stage` took event slot `event` after node `prev` (no_node: the first event)
  /// for runs compatible with `version`; returns the node. Locks `prev` for the new edge.
  std::int32_t put(std::int32_t stage, std::uint32_t event, std::int32_t prev,
                   const dewey& version) {
    if (prev != no_node) lock_node(prev, version);
    std::int32_t node = no_node;
    // The node of this event and stage, if this step made it and it is still alive (a discarded
    // path may have freed it, and another node may have its slot since).
    for (const auto& [ev, st, n] : step_nodes_) {
      const auto& nd = nodes_[static_cast<std::size_t>(n)];
      if (ev == event && st == stage && nd.live && nd.event == event && nd.stage == stage) node = n;
    }
    if (node == no_node) {
      node = allocate_node();
      auto& n = nodes_[static_cast<std::size_t>(node)];
      n.event = event;
      n.stage = stage;
      n.refs = 0;
      n.live = true;
      ++events_[event].refs;
      step_nodes_.emplace_back(event, stage, node);
    }
    nodes_[static_cast<std::size_t>(node)].edges.push_back({prev, version, 0});
    return node;
  }

  /// One more reference to `node` and to its edges compatible with `version`.
  void lock_node(std::int32_t node, const dewey& version) {
    if (node == no_node) return;
    auto& n = nodes_[static_cast<std::size_t>(node)];
    if (!n.live) return;
    ++n.refs;
    for (auto& e : n.edges)
      if (detail::dewey_compatible(version, e.version)) ++e.refs;
  }

  /// Drops the references `lock_node(node, version)` took, freeing what reaches zero, back along
  /// the path. (Flink's walk stops at a missing node; this one goes on with the other branches.)
  void release_node(std::int32_t node, const dewey& version) {
    if (node == no_node) return;
    std::vector<std::pair<std::int32_t, dewey>> to_visit;
    to_visit.emplace_back(node, version);
    while (!to_visit.empty()) {
      auto [cur, v] = std::move(to_visit.back());
      to_visit.pop_back();
      auto& n = nodes_[static_cast<std::size_t>(cur)];
      if (!n.live) continue;
      for (std::size_t i = 0; i < n.edges.size();) {
        auto& e = n.edges[i];
        // Flink's Lockable.release(): an unreferenced edge counts as released too.
        if (detail::dewey_compatible(v, e.version) && (e.refs == 0 || --e.refs == 0)) {
          if (e.target != no_node) to_visit.emplace_back(e.target, std::move(e.version));
          n.edges.erase(n.edges.begin() + static_cast<std::ptrdiff_t>(i));
          continue;
        }
        ++i;
      }
      auto& n2 = nodes_[static_cast<std::size_t>(cur)];
      if (n2.refs == 0 || --n2.refs == 0) free_node(cur);
    }
  }

  /// The paths (node lists, earliest event first) from `node` back to a match's start along
  /// edges compatible with `version` (one per run; Flink's extractPatterns).
  std::vector<std::vector<std::int32_t>> extract(std::int32_t node, const dewey& version) const {
    std::vector<std::vector<std::int32_t>> result;
    if (node == no_node || !nodes_[static_cast<std::size_t>(node)].live) return result;
    struct item {
      std::int32_t node;
      dewey version;
      std::vector<std::int32_t> path;  // latest first
    };
    std::vector<item> stack;
    stack.push_back({node, version, {}});
    while (!stack.empty()) {
      auto it = std::move(stack.back());
      stack.pop_back();
      if (it.node == no_node) {
        std::reverse(it.path.begin(), it.path.end());
        result.push_back(std::move(it.path));
        continue;
      }
      it.path.push_back(it.node);
      for (const auto& e : nodes_[static_cast<std::size_t>(it.node)].edges)
        if (detail::dewey_compatible(it.version, e.version))
          stack.push_back({e.target, e.version, it.path});
    }
    return result;
  }

  [[nodiscard]] const buffer_node& node(std::int32_t n) const {
    return nodes_[static_cast<std::size_t>(n)];
  }
  [[nodiscard]] const buffered_event<T>& event(std::uint32_t slot) const { return events_[slot]; }
  [[nodiscard]] bool empty() const noexcept { return live_events_ == 0 && live_nodes_ == 0; }
  [[nodiscard]] std::size_t live_events() const noexcept { return live_events_; }
  [[nodiscard]] std::size_t live_nodes() const noexcept { return live_nodes_; }
  /// Approximate heap bytes (slots, edges and versions; not what T itself points to).
  [[nodiscard]] std::size_t approximate_bytes() const {
    std::size_t b = events_.capacity() * sizeof(buffered_event<T>) +
                    nodes_.capacity() * sizeof(buffer_node) +
                    (free_events_.capacity() + free_nodes_.capacity()) * sizeof(std::uint32_t);
    for (const auto& n : nodes_) {
      b += n.edges.capacity() * sizeof(buffer_edge);
      for (const auto& e : n.edges) b += e.version.capacity() * sizeof(std::uint32_t);
    }
    return b;
  }

  friend auto eddy_fields(shared_buffer& b) noexcept {
    return std::tie(b.events_, b.free_events_, b.nodes_, b.free_nodes_, b.live_events_,
                    b.live_nodes_);
  }
  friend auto eddy_fields(const shared_buffer& b) noexcept {
    return std::tie(b.events_, b.free_events_, b.nodes_, b.free_nodes_, b.live_events_,
                    b.live_nodes_);
  }

 private:
  std::int32_t allocate_node() {
    ++live_nodes_;
    if (!free_nodes_.empty()) {
      const auto n = free_nodes_.back();
      free_nodes_.pop_back();
      return static_cast<std::int32_t>(n);
    }
    nodes_.emplace_back();
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }
  void free_node(std::int32_t idx) {
    auto& n = nodes_[static_cast<std::size_t>(idx)];
    const auto ev = n.event;
    n.live = false;
    n.edges.clear();
    n.edges.shrink_to_fit();
    free_nodes_.push_back(static_cast<std::uint32_t>(idx));
    --live_nodes_;
    release_event(ev);
  }

  std::vector<buffered_event<T>> events_;
  std::vector<std::uint32_t> free_events_;
  std::vector<buffer_node> nodes_;
  std::vector<std::uint32_t> free_nodes_;
  std::uint64_t live_events_ = 0;
  std::uint64_t live_nodes_ = 0;
  // Nodes created for the event being processed: (event slot, stage, node). Not checkpointed
  // (a checkpoint never falls inside a step).
  std::vector<std::tuple<std::uint32_t, std::int32_t, std::int32_t>> step_nodes_;
};

}  // namespace eddy::cep_legacy
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace eddy::cep_legacy {
using cep::compiled_pattern;
using cep::condition;
using cep::context;
using cep::edge_action;
using cep::nfa_edge;
using cep::skip;
using cep::state_type;

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

/// Everything the CEP operator keeps for one key.
template <class T>
struct key_state {
  /// Event time: records waiting for the watermark, by timestamp, in arrival (or comparator)
  /// order.
  std::map<std::int64_t, std::vector<T>> pending;
  std::vector<computation_state> partial;    ///< runs, by start event (the start state last)
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

  /// Feeds one event (at event time `ts`). on_match(match<T>&&) for each match emitted, in
  /// order. `*started` (if given) is set when this event began a new partial match (the operator
  /// then sets a timer at the window's end).
  template <class OnMatch>
  void process(key_state<T>& s, T event, std::int64_t ts, OnMatch&& on_match,
               bool* started = nullptr) const {
    initialize(s);
    step_event ev{std::move(event), ts, s.next_event_id++, 0, false};
    std::vector<computation_state> new_partial;
    std::vector<computation_state> potential;
    auto old = std::move(s.partial);
    s.partial.clear();
    for (auto& cs : old) {
      auto next = compute_next_states(s, cs, ev);
      std::vector<computation_state> retain;
      bool discard = false;
      for (auto& n : next) {
        if (is_start(cs) && n.start_id != no_event && started) *started = true;
        const auto type = p_->states[static_cast<std::size_t>(n.state)].type;
        if (type == state_type::final_) {
          potential.push_back(std::move(n));
        } else if (type == state_type::stop) {
          discard = true;
          s.buffer.release_node(n.prev, n.version);
        } else {
          retain.push_back(std::move(n));
        }
      }
      if (discard) {
        for (auto& r : retain) s.buffer.release_node(r.prev, r.version);
      } else {
        for (auto& r : retain) new_partial.push_back(std::move(r));
      }
    }
    sort_by_start(new_partial);
    emit_by_skip(s, std::move(potential), new_partial, on_match, 2 * ev.id + 1);
    s.partial = std::move(new_partial);
    if (ev.registered) s.buffer.release_event(ev.slot);
  }

  /// Times out partial matches at time `ts` (Flink's advanceTime): on_timeout(match<T>&&,
  /// timestamp) for each (with the window's end as timestamp), on_match for trailing
  /// not_followed_by matches completed by the time passing.
  template <class OnMatch, class OnTimeout>
  void advance_time(key_state<T>& s, std::int64_t ts, OnMatch&& on_match,
                    OnTimeout&& on_timeout) const {
    if (s.partial.empty()) return;
    std::vector<computation_state> new_partial;
    std::vector<computation_state> potential;
    auto old = std::move(s.partial);
    s.partial.clear();
    for (auto& cs : old) {
      const auto& st = p_->states[static_cast<std::size_t>(cs.state)];
      const bool start = st.type == state_type::start;
      const bool gap_out = !start && st.gap_ms > 0 && ts - cs.prev_ts >= st.gap_ms;
      const bool window_out = !start && p_->window_ms > 0 && ts - cs.start_ts >= p_->window_ms;
      if (!gap_out && !window_out) {
        new_partial.push_back(std::move(cs));
        continue;
      }
      if (st.type == state_type::pending) {
        potential.push_back(std::move(cs));
        continue;
      }
      if (handle_timeouts_) {
        auto paths = s.buffer.extract(cs.prev, cs.version);
        match<T> m;
        if (!paths.empty()) m = materialize(s, paths.front());
        on_timeout(std::move(m), gap_out ? cs.prev_ts + st.gap_ms : cs.start_ts + p_->window_ms);
      }
      s.buffer.release_node(cs.prev, cs.version);
    }
    emit_by_skip(s, std::move(potential), new_partial, on_match, 2 * s.next_event_id);
    s.partial = std::move(new_partial);
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
          auto paths = s_.buffer.extract(cs_.prev, cs_.version);
          if (!paths.empty())
            for (auto node : paths.front()) {
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

  struct taken_edge {
    const nfa_edge<T>* edge;
    std::int32_t source;
  };

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
                 std::int32_t prev, dewey version, std::int64_t start_ts, std::int64_t prev_ts,
                 std::uint64_t start_id) const {
    s.buffer.lock_node(prev, version);
    computation_state c;
    c.state = state;
    c.prev = prev;
    c.version = std::move(version);
    c.start_ts = start_ts;
    c.prev_ts = prev_ts;
    c.start_id = start_id;
    out.push_back(std::move(c));
  }

  std::int32_t final_after_proceed(const run_context& ctx, std::int32_t state, const T& v) const {
    std::vector<std::int32_t> stack{state};
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

  std::vector<computation_state> compute_next_states(key_state<T>& s, const computation_state& cs,
                                                     step_event& ev) const {
    run_context ctx(*this, s, cs, ev.ts);
    // The decision graph: follow PROCEED edges whose condition holds, collect TAKE and IGNORE.
    std::vector<taken_edge> edges;
    std::uint32_t total_take = 0, total_ignore = 0;
    {
      std::vector<std::int32_t> stack{cs.state};
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
          edges.push_back({&e, cur});
        }
      }
    }
    std::uint32_t take_to_visit = total_take > 0 ? total_take - 1 : 0;
    std::uint32_t ignore_to_visit = total_ignore;
    const std::uint32_t take_to_skip = take_to_visit;
    std::vector<computation_state> result;
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
        add_state(s, result, e->target, cs.prev, std::move(version), cs.start_ts, cs.prev_ts,
                  cs.start_id);
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
        const auto fin = final_after_proceed(ctx, e->target, ev.value);
        if (fin >= 0) add_state(s, result, fin, node, next_version, start_ts, ev.ts, start_id);
      }
    }
    if (start)
      result.push_back(start_state_for(
          cs.state, detail::dewey_increase(cs.version, increase_self(total_ignore, total_take))));
    if (cs.prev != no_node) s.buffer.release_node(cs.prev, cs.version);
    return result;
  }

  static void sort_by_start(std::vector<computation_state>& v) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.start_id < b.start_id; });
  }

  /// Emits completed matches in start order; under a skip strategy a match waits while an
  /// earlier-starting partial match is open, and each emitted match prunes partial and waiting
  /// matches (Flink's processMatchesAccordingToSkipStrategy).
  /// `step` orders completions: 2 * id + 1 for those of event `id`, 2 * id for those of the time
  /// advancing before event `id`.
  template <class OnMatch>
  void emit_by_skip(key_state<T>& s, std::vector<computation_state> potential,
                    std::vector<computation_state>& partial, OnMatch& on_match,
                    std::uint64_t step) const {
    const auto& sk = p_->skip;
    for (auto& c : potential) {
      if (sk.is_skip()) {
        c.order.push_back(step);
        auto paths = s.buffer.extract(c.prev, c.version);
        if (!paths.empty())
          for (auto n : paths.front()) c.order.push_back(event_id(s, n));
      }
      s.completed.push_back(std::move(c));
    }
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
      auto paths = s.buffer.extract(done.prev, done.version);
      std::vector<std::int32_t> path;
      if (!paths.empty()) path = std::move(paths.front());
      if (sk.is_skip()) {
        if (const auto p = pruning_id(s, path); p != no_event) {
          prune(s, partial, p);
          prune(s, s.completed, p);
        }
      }
      on_match(materialize(s, path));
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
  /// materializeMatch; a repeated group's members keep one list each).
  match<T> materialize(const key_state<T>& s, const std::vector<std::int32_t>& path) const {
    match<T> m;
    auto& out = m.mutable_stages();
    std::vector<std::int32_t> stage_of_entry;
    for (auto n : path) {
      const auto& nd = s.buffer.node(n);
      auto it = std::find(stage_of_entry.begin(), stage_of_entry.end(), nd.stage);
      if (it == stage_of_entry.end()) {
        out.emplace_back(p_->stage_names[static_cast<std::size_t>(nd.stage)], std::vector<T>{});
        stage_of_entry.push_back(nd.stage);
        it = stage_of_entry.end() - 1;
      }
      out[static_cast<std::size_t>(it - stage_of_entry.begin())].second.push_back(
          s.buffer.event(nd.event).value);
    }
    return m;
  }

  std::shared_ptr<const compiled_pattern<T>> p_;
  bool handle_timeouts_;
};

}  // namespace eddy::cep_legacy
