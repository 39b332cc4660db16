#pragma once
/// Keyed process functions (Flink's KeyedProcessFunction): per-record user code with keyed
/// state, event-time timers and side outputs.
///
/// The function object (copied per subtask) has
///   void process_element(const T& value, keyed_context<K, T, Out>& ctx, collector<Out>& out);
/// and optionally
///   void on_timer(std::int64_t timestamp, keyed_context<K, T, Out>& ctx, collector<Out>& out);
/// `ctx.current_key()` is the record's (or timer's) key, `ctx.timestamp()` its event time (or the
/// timer's time). `ctx.value_state<V>("name")` is the current key's value of a named state;
/// `list_state<V>`, `map_state<MK, V>` and `reducing_state<V>(name, fn)` hold a list, an ordered
/// map or a folded value per key. A state name is used with one type only (a second type throws).
/// `ctx.register_event_time_timer(t)` calls on_timer(t) once the watermark reaches t (one call
/// per key and time, however often registered); `delete_event_time_timer(t)` cancels it.
/// `ctx.output(tag, value)` emits to a side output. Outputs carry the timestamp of the record or
/// timer being processed.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy {

/// The current key's slot of a named value state. Valid during the call it was obtained in.
template <class V>
class value_state {
 public:
  value_state(std::optional<V>* slot) : slot_(slot) {}
  /// The value, or nullopt if none was set for this key.
  [[nodiscard]] const std::optional<V>& value() const { return *slot_; }
  void update(V v) { *slot_ = std::move(v); }
  void clear() { slot_->reset(); }

 private:
  std::optional<V>* slot_;
};

/// The current key's list of values of a named list state.
template <class V>
class list_state {
 public:
  explicit list_state(std::optional<std::vector<V>>* slot) : slot_(slot) {}
  /// The values added so far (empty if none).
  [[nodiscard]] const std::vector<V>& get() const {
    static const std::vector<V> none;
    return *slot_ ? **slot_ : none;
  }
  void add(V v) {
    if (!*slot_) slot_->emplace();
    (*slot_)->push_back(std::move(v));
  }
  void update(std::vector<V> values) { *slot_ = std::move(values); }
  void clear() { slot_->reset(); }

 private:
  std::optional<std::vector<V>>* slot_;
};

/// The current key's map of a named map state (ordered by the map's key).
template <class MK, class V>
class map_state {
 public:
  explicit map_state(std::optional<std::map<MK, V>>* slot) : slot_(slot) {}
  /// The value for `k`, or null.
  [[nodiscard]] const V* get(const MK& k) const {
    if (!*slot_) return nullptr;
    auto it = (*slot_)->find(k);
    return it == (*slot_)->end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool contains(const MK& k) const { return get(k) != nullptr; }
  void put(MK k, V v) {
    if (!*slot_) slot_->emplace();
    (**slot_)[std::move(k)] = std::move(v);
  }
  void remove(const MK& k) {
    if (*slot_) (*slot_)->erase(k);
  }
  /// All entries (empty if none).
  [[nodiscard]] const std::map<MK, V>& entries() const {
    static const std::map<MK, V> none;
    return *slot_ ? **slot_ : none;
  }
  void clear() { slot_->reset(); }

 private:
  std::optional<std::map<MK, V>>* slot_;
};

/// The current key's value of a named reducing state: add(v) folds v in with the function.
template <class V, class F>
class reducing_state {
 public:
  reducing_state(std::optional<V>* slot, F fn) : slot_(slot), fn_(std::move(fn)) {}
  [[nodiscard]] const std::optional<V>& get() const { return *slot_; }
  void add(const V& v) { *slot_ = *slot_ ? fn_(**slot_, v) : v; }
  void clear() { slot_->reset(); }

 private:
  std::optional<V>* slot_;
  F fn_;
};

template <class K, class T, class Out>
class keyed_context {
 public:
  [[nodiscard]] const K& current_key() const { return *key_; }
  [[nodiscard]] std::int64_t timestamp() const { return timestamp_; }
  [[nodiscard]] std::int64_t current_watermark() const { return watermark_; }

  /// The current key's value of state `name` (created empty on first use).
  template <class V>
  eddy::value_state<V> value_state(const std::string& name) {
    return eddy::value_state<V>(&slot<V>(name));
  }

  /// The current key's list state `name`.
  template <class V>
  eddy::list_state<V> list_state(const std::string& name) {
    return eddy::list_state<V>(&slot<std::vector<V>>(name));
  }
  /// The current key's map state `name`.
  template <class MK, class V>
  eddy::map_state<MK, V> map_state(const std::string& name) {
    return eddy::map_state<MK, V>(&slot<std::map<MK, V>>(name));
  }
  /// The current key's reducing state `name`, folding added values with fn(acc, value).
  template <class V, class F>
  eddy::reducing_state<V, F> reducing_state(const std::string& name, F fn) {
    return eddy::reducing_state<V, F>(&slot<V>(name), std::move(fn));
  }

  void register_event_time_timer(std::int64_t t) { timers_->emplace(t, *key_); }
  void delete_event_time_timer(std::int64_t t) { timers_->erase({t, *key_}); }

  template <class S>
  void output(const output_tag<S>& tag, S value) {
    auto* w = dynamic_cast<input_op<S>*>(owner_->side_output(tag.id));
    if (!w) return;  // nothing consumes this side output
    std::vector<S> one{std::move(value)};
    std::vector<std::int64_t> ts;
    if (timestamp_ != min_watermark) ts.push_back(timestamp_);
    w->process(one, ts);
  }

 private:
  template <class, class, class, class, class>
  friend class keyed_process_op;

  struct store_base {
    virtual ~store_base() = default;
  };
  template <class V>
  struct store final : store_base {
    absl::flat_hash_map<K, std::optional<V>, state_key_hash<K>> values;
  };

  template <class V>
  std::optional<V>& slot(const std::string& name) {
    auto& s = (*stores_)[name];
    if (!s) s = std::make_unique<store<V>>();
    auto* typed = dynamic_cast<store<V>*>(s.get());
    if (!typed) throw std::logic_error("state '" + name + "' is used with two different types");
    return typed->values[*key_];
  }

  const K* key_ = nullptr;
  std::int64_t timestamp_ = min_watermark;
  std::int64_t watermark_ = min_watermark;
  std::set<std::pair<std::int64_t, K>>* timers_ = nullptr;
  absl::flat_hash_map<std::string, std::unique_ptr<store_base>>* stores_ = nullptr;
  operator_base* owner_ = nullptr;
};

namespace detail {
template <class F, class K, class T, class Out, class = void>
struct has_on_timer : std::false_type {};
template <class F, class K, class T, class Out>
struct has_on_timer<F, K, T, Out,
                    std::void_t<decltype(std::declval<F&>().on_timer(
                        std::int64_t{}, std::declval<keyed_context<K, T, Out>&>(),
                        std::declval<collector<Out>&>()))>> : std::true_type {};
}  // namespace detail

template <class T, class K, class KeyFn, class Out, class Fn>
class keyed_process_op final : public timed_input_op<T> {
 public:
  keyed_process_op(KeyFn key_fn, Fn fn, input_op<Out>* next)
      : key_fn_(std::move(key_fn)), fn_(std::move(fn)), next_(next) {
    this->downstream_ = next;
    ctx_.timers_ = &timers_;
    ctx_.stores_ = &stores_;
    ctx_.owner_ = this;
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        const K key = key_fn_(static_cast<const T&>(records[i]));
        ctx_.key_ = &key;
        ctx_.timestamp_ = timed ? ts[i] : min_watermark;
        fn_.process_element(static_cast<const T&>(records[i]), ctx_, c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);
        ctx_.key_ = nullptr;
      }
      pass(timed);
    });
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      ctx_.watermark_ = wm;
      if constexpr (detail::has_on_timer<Fn, K, T, Out>::value) {
        collector<Out> c(out_);
        while (!timers_.empty() && timers_.begin()->first <= wm) {
          auto [t, key] = *timers_.begin();
          timers_.erase(timers_.begin());
          ctx_.key_ = &key;
          ctx_.timestamp_ = t;
          fn_.on_timer(t, ctx_, c);
          out_ts_.resize(out_.size(), t);
          ctx_.key_ = nullptr;
        }
        pass(true);
      }
    });
    next_->on_watermark(wm);
  }

  void finish() override {
    pass(!out_ts_.empty());
    next_->finish();
  }

 private:
  void pass(bool timed) {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    if (!timed) out_ts_.clear();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyFn key_fn_;
  Fn fn_;
  input_op<Out>* next_;
  keyed_context<K, T, Out> ctx_;
  std::set<std::pair<std::int64_t, K>> timers_;
  absl::flat_hash_map<std::string, std::unique_ptr<typename keyed_context<K, T, Out>::store_base>>
      stores_;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
