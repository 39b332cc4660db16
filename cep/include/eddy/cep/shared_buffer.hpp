#pragma once
/// The events and partial-match paths of one key (Flink's SharedBuffer and SharedBufferAccessor),
/// as an arena: events, nodes and edges live in slot vectors with free lists and are referred to
/// by 32-bit slot indices; a node is "event E taken by stage S" and has versioned edges (a list
/// through the edge slots, in the order they were added) to the node of the previous event of
/// each partial match that went through it, so overlapping partial matches share their events and
/// prefixes instead of copying them. In a steady state nothing is allocated per event: freed
/// slots are reused, and Dewey numbers of up to `dewey::inline_capacity` digits live inline.
///
/// Versions are Dewey numbers (Flink's DeweyNumber): a run's number gets a digit per stage it
/// enters, and an edge belongs to every run whose version is compatible with the edge's.
/// Reference counts: an event is held by each node on it (plus the step that registered it); a
/// node by each computation state or edge pointing at it; an edge by each computation state
/// whose path goes through it. What reaches zero is freed at once, so a key whose partial matches
/// all ended holds nothing (`empty()`).
///
/// Checkpoints (`Serializer<shared_buffer<T>>`): only live slots are written (events with their
/// id, timestamp and value, nodes with their edges), integers as varints; free slots after the
/// last live one are dropped and the free lists are rebuilt on reading. Slot numbers of live
/// events and nodes are kept (computation states refer to them).
///
/// Not thread-safe: one per key, used by the subtask that owns the key. Internal scratch space
/// is per thread (no user code runs inside a shared_buffer call).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/runtime/serializer.hpp"

namespace eddy::cep {

/// Flink's DeweyNumber: digits d1.d2...dn. Up to `inline_capacity` digits without a heap
/// allocation (a run's number has one digit per stage it entered, plus one).
class dewey {
 public:
  static constexpr std::uint32_t inline_capacity = 6;

  dewey() noexcept : inline_{} {}
  dewey(std::initializer_list<std::uint32_t> digits) : inline_{} {
    assign(digits.begin(), static_cast<std::uint32_t>(digits.size()));
  }
  dewey(const dewey& o) : inline_{} { assign(o.data(), o.size_); }
  dewey(dewey&& o) noexcept : inline_{} { steal(o); }
  dewey& operator=(const dewey& o) {
    if (this != &o) assign(o.data(), o.size_);
    return *this;
  }
  dewey& operator=(dewey&& o) noexcept {
    if (this != &o) {
      release();
      steal(o);
    }
    return *this;
  }
  ~dewey() { release(); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] bool on_heap() const noexcept { return cap_ > inline_capacity; }
  [[nodiscard]] const std::uint32_t* data() const noexcept { return on_heap() ? heap_ : inline_; }
  [[nodiscard]] std::uint32_t* data() noexcept { return on_heap() ? heap_ : inline_; }
  [[nodiscard]] const std::uint32_t* begin() const noexcept { return data(); }
  [[nodiscard]] const std::uint32_t* end() const noexcept { return data() + size_; }
  [[nodiscard]] std::uint32_t operator[](std::size_t i) const noexcept { return data()[i]; }
  [[nodiscard]] std::uint32_t& operator[](std::size_t i) noexcept { return data()[i]; }
  [[nodiscard]] std::uint32_t back() const noexcept { return data()[size_ - 1]; }
  [[nodiscard]] std::uint32_t& back() noexcept { return data()[size_ - 1]; }
  void push_back(std::uint32_t d) {
    reserve(size_ + 1);
    data()[size_++] = d;
  }
  /// n digits, new ones 0.
  void resize(std::size_t n) {
    const auto m = static_cast<std::uint32_t>(n);
    reserve(m);
    for (std::uint32_t i = size_; i < m; ++i) data()[i] = 0;
    size_ = m;
  }
  friend bool operator==(const dewey& a, const dewey& b) noexcept {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  void reserve(std::uint32_t n) {
    if (n <= cap_) return;
    const std::uint32_t cap = std::max(n, 2 * cap_);
    std::uint32_t* p = std::allocator<std::uint32_t>{}.allocate(cap);
    std::memcpy(p, data(), size_ * sizeof(std::uint32_t));
    const auto size = size_;
    release();
    heap_ = p;
    cap_ = cap;
    size_ = size;
  }
  void assign(const std::uint32_t* p, std::uint32_t n) {
    size_ = 0;
    reserve(n);
    std::memcpy(data(), p, n * sizeof(std::uint32_t));
    size_ = n;
  }
  void release() noexcept {
    if (on_heap()) std::allocator<std::uint32_t>{}.deallocate(heap_, cap_);
    cap_ = inline_capacity;
    size_ = 0;
  }
  void steal(dewey& o) noexcept {
    size_ = o.size_;
    cap_ = o.cap_;
    if (o.on_heap()) {
      heap_ = o.heap_;
    } else {
      std::memcpy(inline_, o.inline_, sizeof(inline_));
    }
    o.cap_ = inline_capacity;
    o.size_ = 0;
  }

  std::uint32_t size_ = 0;
  std::uint32_t cap_ = inline_capacity;  ///< > inline_capacity: the digits are at heap_
  union {
    std::uint32_t inline_[inline_capacity];
    std::uint32_t* heap_;
  };
};

namespace detail {
/// `v` is compatible with `other`: `other` is a proper prefix of `v`, or both have the same
/// length and digits except the last, where v's is at least other's.
inline bool dewey_compatible(const dewey& v, const dewey& other) noexcept {
  const auto n = other.size();
  const auto* a = v.data();
  const auto* b = other.data();
  if (v.size() > n) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  if (v.size() != n || n == 0) return false;
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (a[i] != b[i]) return false;
  return a[n - 1] >= b[n - 1];
}
/// `v` with its last digit increased by n.
inline dewey dewey_increase(const dewey& v, std::uint32_t n) {
  dewey r(v);
  r.back() += n;
  return r;
}
/// `v` with a digit 0 appended (a new stage).
inline dewey dewey_add_stage(const dewey& v) {
  dewey r(v);
  r.push_back(0);
  return r;
}
}  // namespace detail

inline constexpr std::int32_t no_node = -1;
inline constexpr std::int32_t no_edge = -1;

template <class T>
struct buffered_event {
  std::uint64_t id = 0;  ///< per key, in processing order (Flink's EventId); free: next free slot
  std::int64_t ts = 0;
  T value{};
  std::uint32_t refs = 0;  ///< 0: a free slot
};

struct buffer_edge {
  std::int32_t target = no_node;  ///< the previous event's node, or no_node at a match's start
  std::int32_t next = no_edge;    ///< the node's next edge (or, in a free slot, the next free one)
  std::uint32_t refs = 0;
  dewey version;
};

struct buffer_node {
  std::uint32_t event = 0;  ///< event slot (in a free slot: the next free node slot)
  std::int32_t stage = -1;  ///< index of the pattern stage that took the event
  std::uint32_t refs = 0;
  std::int32_t first_edge = no_edge;
  std::int32_t last_edge = no_edge;
  bool live = false;
};

template <class T>
class shared_buffer {
 public:
  /// Adds an event with one reference (the caller's, dropped with release_event).
  std::uint32_t register_event(T value, std::int64_t ts, std::uint64_t id) {
    std::uint32_t slot;
    if (free_event_ != no_slot) {
      slot = free_event_;
      free_event_ = static_cast<std::uint32_t>(events_[slot].id);
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
    auto& sn = step_nodes();
    sn.owner = this;
    sn.nodes.clear();
    return slot;
  }
  void release_event(std::uint32_t slot) {
    auto& e = events_[slot];
    if (e.refs == 0) throw std::logic_error("cep shared buffer: event released twice");
    if (--e.refs == 0) {
      e.value = T{};
      e.id = free_event_;
      free_event_ = slot;
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
    auto& sn = step_nodes();
    if (sn.owner != this) {
      sn.owner = this;
      sn.nodes.clear();
    }
    for (const auto& [ev, st, n] : sn.nodes) {
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
      n.first_edge = n.last_edge = no_edge;
      ++events_[event].refs;
      sn.nodes.emplace_back(event, stage, node);
    }
    const auto e = allocate_edge();
    auto& ed = edges_[static_cast<std::size_t>(e)];
    ed.target = prev;
    ed.next = no_edge;
    ed.refs = 0;
    ed.version = version;
    auto& n = nodes_[static_cast<std::size_t>(node)];
    if (n.last_edge == no_edge)
      n.first_edge = e;
    else
      edges_[static_cast<std::size_t>(n.last_edge)].next = e;
    n.last_edge = e;
    return node;
  }

  /// One more reference to `node` and to its edges compatible with `version`.
  void lock_node(std::int32_t node, const dewey& version) {
    if (node == no_node) return;
    auto& n = nodes_[static_cast<std::size_t>(node)];
    if (!n.live) return;
    ++n.refs;
    for (auto e = n.first_edge; e != no_edge;) {
      auto& ed = edges_[static_cast<std::size_t>(e)];
      if (detail::dewey_compatible(version, ed.version)) ++ed.refs;
      e = ed.next;
    }
  }

  /// Drops the references `lock_node(node, version)` took, freeing what reaches zero, back along
  /// the path. (Flink's walk stops at a missing node; this one goes on with the other branches.)
  void release_node(std::int32_t node, const dewey& version) {
    if (node == no_node) return;
    static thread_local std::vector<std::pair<std::int32_t, dewey>> to_visit;
    to_visit.clear();
    to_visit.emplace_back(node, version);
    while (!to_visit.empty()) {
      const auto cur = to_visit.back().first;
      const dewey v = std::move(to_visit.back().second);
      to_visit.pop_back();
      if (!nodes_[static_cast<std::size_t>(cur)].live) continue;
      std::int32_t prev = no_edge;
      for (auto e = nodes_[static_cast<std::size_t>(cur)].first_edge; e != no_edge;) {
        auto& ed = edges_[static_cast<std::size_t>(e)];
        const auto next = ed.next;
        // Flink's Lockable.release(): an unreferenced edge counts as released too.
        if (detail::dewey_compatible(v, ed.version) && (ed.refs == 0 || --ed.refs == 0)) {
          if (ed.target != no_node) to_visit.emplace_back(ed.target, std::move(ed.version));
          auto& n = nodes_[static_cast<std::size_t>(cur)];
          if (prev == no_edge)
            n.first_edge = next;
          else
            edges_[static_cast<std::size_t>(prev)].next = next;
          if (n.last_edge == e) n.last_edge = prev;
          free_edge(e);
        } else {
          prev = e;
        }
        e = next;
      }
      auto& n = nodes_[static_cast<std::size_t>(cur)];
      if (n.refs == 0 || --n.refs == 0) free_node(cur);
    }
  }

  /// The first path (node list, earliest event first; as a depth-first walk that follows the
  /// last compatible edge first finds it) from `node` back to a match's start along edges
  /// compatible with `version` (Flink's extractPatterns, first result). False (and `path`
  /// empty) if there is none.
  bool extract_first(std::int32_t node, const dewey& version,
                     std::vector<std::int32_t>& path) const {
    path.clear();
    if (node == no_node || !nodes_[static_cast<std::size_t>(node)].live) return false;
    struct item {
      std::int32_t node;
      const dewey* version;
      std::int32_t parent;  ///< index into trail: the node whose edge led here (-1: none)
    };
    static thread_local std::vector<item> stack;
    static thread_local std::vector<std::pair<std::int32_t, std::int32_t>> trail;  // node, parent
    stack.clear();
    trail.clear();
    stack.push_back({node, &version, -1});
    while (!stack.empty()) {
      const auto it = stack.back();
      stack.pop_back();
      if (it.node == no_node) {
        for (auto p = it.parent; p >= 0; p = trail[static_cast<std::size_t>(p)].second)
          path.push_back(trail[static_cast<std::size_t>(p)].first);  // earliest first
        return true;
      }
      trail.emplace_back(it.node, it.parent);
      const auto me = static_cast<std::int32_t>(trail.size() - 1);
      for (auto e = nodes_[static_cast<std::size_t>(it.node)].first_edge; e != no_edge;) {
        const auto& ed = edges_[static_cast<std::size_t>(e)];
        if (detail::dewey_compatible(*it.version, ed.version))
          stack.push_back({ed.target, &ed.version, me});
        e = ed.next;
      }
    }
    return false;
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
                    edges_.capacity() * sizeof(buffer_edge);
    for (const auto& e : edges_)
      if (e.version.on_heap()) b += e.version.capacity() * sizeof(std::uint32_t);
    return b;
  }

 private:
  friend struct eddy::Serializer<shared_buffer<T>>;

  std::int32_t allocate_node() {
    ++live_nodes_;
    if (free_node_ != no_slot) {
      const auto n = free_node_;
      free_node_ = nodes_[n].event;
      return static_cast<std::int32_t>(n);
    }
    nodes_.emplace_back();
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }
  void free_node(std::int32_t idx) {
    auto& n = nodes_[static_cast<std::size_t>(idx)];
    const auto ev = n.event;
    n.live = false;
    for (auto e = n.first_edge; e != no_edge;) {
      const auto next = edges_[static_cast<std::size_t>(e)].next;
      free_edge(e);
      e = next;
    }
    n.first_edge = n.last_edge = no_edge;
    n.event = free_node_;
    free_node_ = static_cast<std::uint32_t>(idx);
    --live_nodes_;
    release_event(ev);
  }
  std::int32_t allocate_edge() {
    if (free_edge_ != no_edge) {
      const auto e = free_edge_;
      free_edge_ = edges_[static_cast<std::size_t>(e)].next;
      return e;
    }
    edges_.emplace_back();
    return static_cast<std::int32_t>(edges_.size() - 1);
  }
  void free_edge(std::int32_t e) {
    auto& ed = edges_[static_cast<std::size_t>(e)];
    ed.target = no_node;
    ed.refs = 0;
    ed.next = free_edge_;
    free_edge_ = e;
  }

  static constexpr std::uint32_t no_slot = UINT32_MAX;

  /// Nodes created for the event being processed, (event slot, stage, node), of the buffer that
  /// registered it: per thread, since a step of one key runs to its end before another begins
  /// (and never inside a checkpoint).
  struct step_nodes_t {
    const shared_buffer* owner = nullptr;
    std::vector<std::tuple<std::uint32_t, std::int32_t, std::int32_t>> nodes;
  };
  static step_nodes_t& step_nodes() {
    static thread_local step_nodes_t s;
    return s;
  }

  std::vector<buffered_event<T>> events_;
  std::vector<buffer_node> nodes_;
  std::vector<buffer_edge> edges_;
  std::uint32_t free_event_ = no_slot;  ///< free event slots, linked through id
  std::uint32_t free_node_ = no_slot;   ///< free node slots, linked through event
  std::int32_t free_edge_ = no_edge;    ///< free edge slots, linked through next
  std::uint32_t live_events_ = 0;
  std::uint32_t live_nodes_ = 0;
};

}  // namespace eddy::cep

namespace eddy {

/// A Dewey number: the digit count, then the digits, as varints.
template <>
struct Serializer<cep::dewey> {
  static constexpr std::size_t min_size() noexcept { return 1; }
  static void write(byte_writer& w, const cep::dewey& v) {
    w.write_varint(v.size());
    for (const auto d : v) w.write_varint(d);
  }
  [[nodiscard]] static bool read(byte_reader& r, cep::dewey& v) {
    std::uint64_t n = 0;
    if (!r.read_varint(n)) return false;
    if (n > r.remaining()) {
      r.fail("dewey number of " + std::to_string(n) + " digits exceeds the input");
      return false;
    }
    v.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t d = 0;
      if (!r.read_varint(d)) return false;
      if (d > UINT32_MAX) {
        r.fail("dewey digit out of range");
        return false;
      }
      v[i] = static_cast<std::uint32_t>(d);
    }
    return true;
  }
};

/// A shared buffer: its live slots (see shared_buffer.hpp). Reading checks that every index
/// refers to a slot that exists.
template <class T>
struct Serializer<cep::shared_buffer<T>, std::enable_if_t<has_serializer_v<T>>> {
  using buffer = cep::shared_buffer<T>;
  static constexpr std::size_t min_size() noexcept { return 2; }

  static void write(byte_writer& w, const buffer& b) {
    std::size_t events = b.events_.size();
    while (events > 0 && b.events_[events - 1].refs == 0) --events;
    w.write_varint(events);
    for (std::size_t i = 0; i < events; ++i) {
      const auto& e = b.events_[i];
      w.write_varint(e.refs);
      if (e.refs == 0) continue;
      w.write_varint(e.id);
      Serializer<std::int64_t>::write(w, e.ts);
      Serializer<T>::write(w, e.value);
    }
    std::size_t nodes = b.nodes_.size();
    while (nodes > 0 && !b.nodes_[nodes - 1].live) --nodes;
    w.write_varint(nodes);
    for (std::size_t i = 0; i < nodes; ++i) {
      const auto& n = b.nodes_[i];
      if (!n.live) {
        w.write_varint(0);
        continue;
      }
      w.write_varint(std::uint64_t{n.refs} + 1);
      w.write_varint(n.event);
      w.write_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(n.stage) + 1));
      std::uint64_t count = 0;
      for (auto e = n.first_edge; e != cep::no_edge; e = b.edges_[static_cast<std::size_t>(e)].next)
        ++count;
      w.write_varint(count);
      for (auto e = n.first_edge; e != cep::no_edge;) {
        const auto& ed = b.edges_[static_cast<std::size_t>(e)];
        w.write_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(ed.target) + 1));
        w.write_varint(ed.refs);
        Serializer<cep::dewey>::write(w, ed.version);
        e = ed.next;
      }
    }
  }

  [[nodiscard]] static bool read(byte_reader& r, buffer& b) {
    b = buffer{};
    auto count = [&](std::uint64_t& n, const char* what) {
      if (!r.read_varint(n)) return false;
      if (n > r.remaining()) {
        r.fail(std::string("cep shared buffer: ") + what + " count exceeds the input");
        return false;
      }
      return true;
    };
    auto u32 = [&](std::uint64_t& v, std::uint64_t limit, const char* what) {
      if (!r.read_varint(v)) return false;
      if (v > limit) {
        r.fail(std::string("cep shared buffer: ") + what + " out of range");
        return false;
      }
      return true;
    };
    std::uint64_t events = 0;
    if (!count(events, "event")) return false;
    b.events_.resize(static_cast<std::size_t>(events));
    for (std::size_t i = 0; i < events; ++i) {
      auto& e = b.events_[i];
      std::uint64_t refs = 0;
      if (!u32(refs, UINT32_MAX, "event references")) return false;
      e.refs = static_cast<std::uint32_t>(refs);
      if (refs == 0) continue;
      ++b.live_events_;
      if (!r.read_varint(e.id) || !Serializer<std::int64_t>::read(r, e.ts) ||
          !Serializer<T>::read(r, e.value))
        return false;
    }
    std::uint64_t nodes = 0;
    if (!count(nodes, "node")) return false;
    b.nodes_.resize(static_cast<std::size_t>(nodes));
    for (std::size_t i = 0; i < nodes; ++i) {
      auto& n = b.nodes_[i];
      std::uint64_t refs = 0, event = 0, stage = 0, edges = 0;
      if (!u32(refs, std::uint64_t{UINT32_MAX} + 1, "node references")) return false;
      if (refs == 0) continue;
      n.live = true;
      n.refs = static_cast<std::uint32_t>(refs - 1);
      ++b.live_nodes_;
      if (!u32(event, events == 0 ? 0 : events - 1, "node event") || events == 0 ||
          b.events_[static_cast<std::size_t>(event)].refs == 0) {
        r.fail("cep shared buffer: a node refers to a free event slot");
        return false;
      }
      n.event = static_cast<std::uint32_t>(event);
      if (!u32(stage, INT32_MAX, "node stage") || !count(edges, "edge")) return false;
      n.stage = static_cast<std::int32_t>(stage) - 1;
      for (std::uint64_t k = 0; k < edges; ++k) {
        std::uint64_t target = 0, erefs = 0;
        if (!u32(target, nodes, "edge target") || !u32(erefs, UINT32_MAX, "edge references"))
          return false;
        const auto e = static_cast<std::int32_t>(b.edges_.size());
        auto& ed = b.edges_.emplace_back();
        ed.target = static_cast<std::int32_t>(target) - 1;
        ed.refs = static_cast<std::uint32_t>(erefs);
        if (!Serializer<cep::dewey>::read(r, ed.version)) return false;
        if (n.last_edge == cep::no_edge)
          n.first_edge = e;
        else
          b.edges_[static_cast<std::size_t>(n.last_edge)].next = e;
        n.last_edge = e;
      }
    }
    // Free slots, lowest first out.
    for (std::size_t i = b.events_.size(); i-- > 0;) {
      if (b.events_[i].refs != 0) continue;
      b.events_[i].id = b.free_event_;
      b.free_event_ = static_cast<std::uint32_t>(i);
    }
    for (std::size_t i = b.nodes_.size(); i-- > 0;) {
      if (b.nodes_[i].live) continue;
      b.nodes_[i].event = b.free_node_;
      b.free_node_ = static_cast<std::uint32_t>(i);
    }
    return true;
  }
};

}  // namespace eddy
