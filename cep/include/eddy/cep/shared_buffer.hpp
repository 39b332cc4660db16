#pragma once
/// The events and partial-match paths of one key (Flink's SharedBuffer and SharedBufferAccessor),
/// as an arena: events and nodes live in slot vectors with free lists and are referred to by
/// 32-bit slot indices; a node is "event E taken by stage S" and has versioned edges to the node
/// of the previous event of each partial match that went through it, so overlapping partial
/// matches share their events and prefixes instead of copying them.
///
/// Versions are Dewey numbers (Flink's DeweyNumber): a run's number gets a digit per stage it
/// enters, and an edge belongs to every run whose version is compatible with the edge's.
/// Reference counts: an event is held by each node on it (plus the step that registered it); a
/// node by each computation state or edge pointing at it; an edge by each computation state
/// whose path goes through it. What reaches zero is freed at once, so a key whose partial matches
/// all ended holds nothing (`empty()`).
///
/// Not thread-safe: one per key, used by the subtask that owns the key.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace eddy::cep {

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

}  // namespace eddy::cep
