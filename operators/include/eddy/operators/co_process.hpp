#pragma once
/// Two-input operators on connected streams that are not keyed: co-process functions (Flink's
/// CoProcessFunction), co-map and co-flat-map, and the broadcast state pattern's non-keyed side
/// (Flink's BroadcastProcessFunction).
///
/// A co-process function object (copied per subtask) has
///   void process_element1(const A& v, co_context<Out>& ctx, collector<Out>& out);
///   void process_element2(const B& v, co_context<Out>& ctx, collector<Out>& out);
/// Records of the two inputs interleave in arrival order; nothing orders one input against the
/// other. Outputs carry the timestamp of the record being processed (if the input has them).
/// Timers and keyed state need keyed inputs (keyed_co_process.hpp).
///
/// Operators are owned and called by one subtask actor; exceptions from user code become
/// operator_error naming the operator and subtask.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

/// What a (non-keyed) co-process or broadcast process function sees of its record.
template <class Out>
class co_context {
 public:
  /// Event time of the record being processed, or min_watermark if it has none.
  [[nodiscard]] std::int64_t timestamp() const { return timestamp_; }
  [[nodiscard]] std::int64_t current_watermark() const { return watermark_; }
  [[nodiscard]] std::int64_t current_processing_time() const {
    return owner_->current_processing_time();
  }
  /// Emits `value` to side output `tag` (read with get_side_output(tag)); dropped only if
  /// nothing in the job reads that side output.
  template <class S>
  void output(const output_tag<S>& tag, S value) {
    auto* w = dynamic_cast<input_op<S>*>(owner_->side_output(tag.id));
    if (!w) return;
    std::vector<S> one{std::move(value)};
    std::vector<std::int64_t> ts;
    if (timestamp_ != min_watermark) ts.push_back(timestamp_);
    w->process(one, ts);
  }

 protected:
  template <class, class, class, class, class>
  friend class two_input_base;
  template <class, class, class, class>
  friend class broadcast_process_op;
  std::int64_t timestamp_ = min_watermark;
  std::int64_t watermark_ = min_watermark;
  const operator_base* owner_ = nullptr;
};

/// Shared plumbing of two-input operators: per-record loop with timestamps, output batching.
/// Derived calls run1/run2 with a per-record function f(const X&, Ctx&, collector<Out>&).
template <class A, class B, class Out, class Ctx, class Derived>
class two_input_base : public two_input_op<A, B> {
 public:
  explicit two_input_base(input_op<Out>* next) : next_(next) {
    this->downstream_ = next;
    ctx_.owner_ = this;
  }
  void on_watermark(std::int64_t wm) override {
    ctx_.watermark_ = wm;
    next_->on_watermark(wm);
  }
  void finish() override {
    pass();
    next_->finish();
  }

 protected:
  template <class X, class F>
  void run(std::vector<X>& records, std::vector<std::int64_t>& ts, F&& f) {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        ctx_.timestamp_ = timed ? ts[i] : min_watermark;
        f(static_cast<const X&>(records[i]), ctx_, c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);
      }
      ctx_.timestamp_ = min_watermark;
      pass(timed);
    });
  }
  void pass(bool timed = true) {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    if (!timed || out_ts_.size() != out_.size()) out_ts_.clear();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  Ctx ctx_;
  input_op<Out>* next_;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

template <class A, class B, class Out, class Fn>
class co_process_op final
    : public two_input_base<A, B, Out, co_context<Out>, co_process_op<A, B, Out, Fn>> {
  using base = two_input_base<A, B, Out, co_context<Out>, co_process_op>;

 public:
  co_process_op(Fn fn, input_op<Out>* next) : base(next), fn_(std::move(fn)) {}
  void process1(std::vector<A>& r, std::vector<std::int64_t>& ts) override {
    this->run(r, ts, [&](const A& v, co_context<Out>& ctx, collector<Out>& out) {
      fn_.process_element1(v, ctx, out);
    });
  }
  void process2(std::vector<B>& r, std::vector<std::int64_t>& ts) override {
    this->run(r, ts, [&](const B& v, co_context<Out>& ctx, collector<Out>& out) {
      fn_.process_element2(v, ctx, out);
    });
  }

 private:
  Fn fn_;
};

namespace detail {
/// co_map(f1, f2) as a co-process function.
template <class F1, class F2>
struct co_map_fn {
  F1 f1;
  F2 f2;
  template <class A, class C, class Out>
  void process_element1(const A& v, C&, collector<Out>& out) {
    out.collect(f1(v));
  }
  template <class B, class C, class Out>
  void process_element2(const B& v, C&, collector<Out>& out) {
    out.collect(f2(v));
  }
};
/// co_flat_map(f1, f2) as a co-process function.
template <class F1, class F2>
struct co_flat_map_fn {
  F1 f1;
  F2 f2;
  template <class A, class C, class Out>
  void process_element1(const A& v, C&, collector<Out>& out) {
    f1(v, out);
  }
  template <class B, class C, class Out>
  void process_element2(const B& v, C&, collector<Out>& out) {
    f2(v, out);
  }
};
}  // namespace detail

// ---- broadcast state ----

/// Names a broadcast state (Flink's MapStateDescriptor for broadcast state): a map MK -> V that
/// every subtask holds in full, written by the broadcast side.
template <class MK, class V>
struct map_state_descriptor {
  std::string name;
  explicit map_state_descriptor(std::string n) : name(std::move(n)) {}
};

/// The broadcast states of one subtask, by name. Checkpoints: snapshot() writes each state as
/// one operator entry "__broadcast:<name>" (key group -1; every subtask holds the same copy, so a
/// restore at another parallelism gives every new subtask old subtask 0's, see restore_for);
/// restore() keeps the entries until the function first asks for the state with its types
/// (then they are decoded, or the restore fails naming the state if the types differ), and a
/// snapshot before that passes them on unchanged. Owned and used by one operator subtask.
class broadcast_state_store {
 public:
  /// Prefix of the snapshot entry names.
  static constexpr std::string_view entry_prefix = "__broadcast:";

  template <class MK, class V>
  std::map<MK, V>& get(const std::string& name) {
    auto it = states_.find(name);
    if (it == states_.end()) {
      auto t = std::make_unique<typed<MK, V>>();
      if (auto p = pending_.find(name); p != pending_.end()) {
        t->restore(p->second, operator_name_);  // throws if the types differ
        pending_.erase(p);
      }
      it = states_.emplace(name, std::move(t)).first;
    }
    auto* t = dynamic_cast<typed<MK, V>*>(it->second.get());
    if (!t)
      throw std::logic_error("broadcast state '" + name + "' is used with two different types");
    return t->map;
  }

  /// Appends every broadcast state (and those restored but not used since). Throws naming the
  /// operator, the state and its types if a non-empty state's types lack a Serializer.
  void snapshot(const std::string& operator_name, std::vector<state_entry>& out) const {
    std::vector<const std::string*> names;  // a fixed order: by name
    for (const auto& [name, s] : states_) names.push_back(&name);
    std::sort(names.begin(), names.end(), [](auto* a, auto* b) { return *a < *b; });
    for (const auto* name : names) states_.at(*name)->snapshot(*name, operator_name, out);
    for (const auto& [name, e] : pending_) out.push_back(e);
  }
  /// Takes the "__broadcast:" entries of a checkpoint (decoded lazily, see above).
  void restore(const std::string& operator_name, const std::vector<state_entry>& entries) {
    operator_name_ = operator_name;
    for (const auto& e : entries) {
      if (e.key_group >= 0 || e.name.compare(0, entry_prefix.size(), entry_prefix) != 0) continue;
      std::string name = e.name.substr(entry_prefix.size());
      if (auto it = states_.find(name); it != states_.end())
        it->second->restore(e, operator_name_);
      else
        pending_.insert_or_assign(std::move(name), e);
    }
  }

 private:
  struct base {
    virtual ~base() = default;
    virtual void snapshot(const std::string& name, const std::string& op,
                          std::vector<state_entry>& out) const = 0;
    virtual void restore(const state_entry& e, const std::string& op) = 0;
  };
  template <class MK, class V>
  struct typed final : base {
    std::map<MK, V> map;
    static std::string tag() { return state_type_tag<MK, V>("broadcast_map"); }
    void snapshot(const std::string& name, const std::string& op,
                  std::vector<state_entry>& out) const override {
      if constexpr (checkpointable_v<MK, V>)
        out.push_back(state_entry{std::string(entry_prefix) + name, -1, tag(), serialize(map)});
      else if (!map.empty())
        throw_not_checkpointable<MK, V>("broadcast state '" + name + "' of '" + op + "'");
    }
    void restore(const state_entry& e, const std::string& op) override {
      const std::string name = e.name.substr(entry_prefix.size());
      if (e.type != tag())
        throw std::runtime_error("incompatible state: broadcast state '" + name + "' of '" + op +
                                 "' was checkpointed as " + e.type + " but is used as " + tag() +
                                 " (its key or value type changed)");
      if constexpr (checkpointable_v<MK, V>) map = detail::decode_state<std::map<MK, V>>(e);
    }
  };
  absl::flat_hash_map<std::string, std::unique_ptr<base>> states_;
  std::map<std::string, state_entry> pending_;  // restored, not yet asked for
  std::string operator_name_;
};

/// A broadcast state as the non-broadcast side sees it: read only.
template <class MK, class V>
class read_only_broadcast_state {
 public:
  explicit read_only_broadcast_state(const std::map<MK, V>* m) : map_(m) {}
  /// The value for `k`, or null.
  [[nodiscard]] const V* get(const MK& k) const {
    auto it = map_->find(k);
    return it == map_->end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool contains(const MK& k) const { return map_->count(k) != 0; }
  [[nodiscard]] const std::map<MK, V>& entries() const { return *map_; }
  [[nodiscard]] bool is_empty() const { return map_->empty(); }

 private:
  const std::map<MK, V>* map_;
};

/// A broadcast state as the broadcast side sees it: read and write. Every subtask receives the
/// same broadcast records, so updates that depend only on them keep all copies equal (as in
/// Flink, do not update it from anything else).
template <class MK, class V>
class broadcast_state : public read_only_broadcast_state<MK, V> {
 public:
  explicit broadcast_state(std::map<MK, V>* m) : read_only_broadcast_state<MK, V>(m), map_(m) {}
  void put(MK k, V v) { (*map_)[std::move(k)] = std::move(v); }
  void remove(const MK& k) { map_->erase(k); }
  void clear() { map_->clear(); }

 private:
  std::map<MK, V>* map_;
};

/// Context of a broadcast process function; `Base` is co_context (non-keyed) or the keyed
/// context (keyed). read_only is true on the non-broadcast side.
template <class Base, bool ReadOnly>
class broadcast_context : public Base {
 public:
  template <class MK, class V>
  auto broadcast_state(const map_state_descriptor<MK, V>& d) {
    if constexpr (ReadOnly)
      return read_only_broadcast_state<MK, V>(&store_->template get<MK, V>(d.name));
    else
      return eddy::broadcast_state<MK, V>(&store_->template get<MK, V>(d.name));
  }
  broadcast_state_store* store_ = nullptr;
};

/// Non-keyed broadcast process function (Flink's BroadcastProcessFunction), with
///   void process_element(const A&, broadcast_context<co_context<Out>, true>&, collector<Out>&);
///   void process_broadcast_element(const R&, broadcast_context<co_context<Out>, false>&,
///                                  collector<Out>&);
template <class A, class R, class Out, class Fn>
class broadcast_process_op final : public two_input_op<A, R> {
 public:
  using read_ctx = broadcast_context<co_context<Out>, true>;
  using write_ctx = broadcast_context<co_context<Out>, false>;

  broadcast_process_op(Fn fn, input_op<Out>* next) : fn_(std::move(fn)), next_(next) {
    this->downstream_ = next;
  }
  void process1(std::vector<A>& r, std::vector<std::int64_t>& ts) override {
    read_ctx ctx;
    run(r, ts, ctx, [&](const A& v, collector<Out>& out) { fn_.process_element(v, ctx, out); });
  }
  void process2(std::vector<R>& r, std::vector<std::int64_t>& ts) override {
    write_ctx ctx;
    run(r, ts, ctx,
        [&](const R& v, collector<Out>& out) { fn_.process_broadcast_element(v, ctx, out); });
  }
  void on_watermark(std::int64_t wm) override {
    watermark_ = wm;
    next_->on_watermark(wm);
  }
  void finish() override { next_->finish(); }
  /// Checkpoints: the broadcast states (see broadcast_state_store).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    store_.snapshot(this->name_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    store_.restore(this->name_, entries);
  }

 private:
  template <class X, class Ctx, class F>
  void run(std::vector<X>& records, std::vector<std::int64_t>& ts, Ctx& ctx, F&& f) {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      ctx.owner_ = this;
      ctx.store_ = &store_;
      ctx.watermark_ = watermark_;
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        ctx.timestamp_ = timed ? ts[i] : min_watermark;
        f(static_cast<const X&>(records[i]), c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);
      }
      if (!out_.empty()) {
        this->counters_.records_out += out_.size();
        if (!timed) out_ts_.clear();
        next_->process(out_, out_ts_);
        out_.clear();
        out_ts_.clear();
      }
    });
  }

  Fn fn_;
  input_op<Out>* next_;
  broadcast_state_store store_;
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
