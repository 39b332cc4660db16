#pragma once
/// Dynamic patterns (beyond Flink, whose FLIP-200 never shipped): patterns added, replaced and
/// removed while the job runs, from a stream of pattern definitions in the text language
/// (pattern_text.hpp).
///
///   auto matches = CEP::dynamic_patterns(events.key_by(key_fn), definitions)
///                      .process<std::string>(fn);
///   // fn.process_match(const std::string& pattern_id, const cep::match<T>&,
///   //                  cep::match_context<K>&, collector<Out>&)
///   // optionally fn.process_timed_out_match(const std::string& pattern_id,
///   //                                       const cep::match<T>&, cep::match_context<K>&)
///
/// `definitions` is a DataStream<pattern_definition>; every subtask receives every definition
/// (broadcast) and keeps the current set in broadcast state, checkpointed with the job. Each key
/// is matched against every pattern of the set on its own, in event time (as CEP::pattern: records
/// buffered until the watermark passes them, late records to the late side output) or in
/// processing time.
///
/// The rules:
/// - A definition (id, version, text) adds pattern `id`, or replaces it if `version` is greater
///   than the current one's; an older or equal version is ignored (logged), so definitions may be
///   delivered more than once. An empty text removes the pattern (if the version is greater).
/// - A definition takes effect at each key's next matching step after it reached the subtask:
///   in event time when the watermark next releases that key's records or ends a window, in
///   processing time at the key's next record or timer. Event-time records that are buffered
///   when it arrives are matched with the new set.
/// - When a pattern is replaced or removed, a key's open partial matches of the old version are
///   dropped at that key's next step: they neither complete nor time out (their number is
///   logged). The new version starts from nothing.
/// - A definition whose text does not compile is refused: the current version stays, and the
///   error ("pattern 'ID' version V: pattern text, column C: ...") goes to the rejected side
///   output if one is set, and to the log (once per subtask: each receives every definition).
///
/// The definitions stream needs watermarks in event time like any input (or an idleness, see
/// watermark_strategy.hpp): the operator's event time is the minimum of both inputs.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/cep/cep.hpp"
#include "eddy/cep/nfa.hpp"
#include "eddy/cep/pattern_text.hpp"
#include "eddy/operators/connected_streams.hpp"
#include "eddy/operators/keyed_co_process.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy {
namespace cep {

/// One pattern definition (see the top of this file).
struct pattern_definition {
  std::string id;
  std::int64_t version = 0;
  std::string text;  ///< the text language; empty: remove the pattern
};
EDDY_FIELDS(pattern_definition, id, version, text)

/// What one key holds of dynamic patterns: its buffered records and a run per pattern version.
template <class T>
struct dynamic_key_state {
  std::vector<pending_record<T>> pending;                             ///< as key_state::pending
  std::map<std::string, std::pair<std::int64_t, key_state<T>>> runs;  ///< id -> (version, state)
  friend auto eddy_fields(dynamic_key_state& s) noexcept { return std::tie(s.pending, s.runs); }
  friend auto eddy_fields(const dynamic_key_state& s) noexcept {
    return std::tie(s.pending, s.runs);
  }
};

namespace detail {

inline const map_state_descriptor<std::string, pattern_definition>& definitions_state() {
  static const map_state_descriptor<std::string, pattern_definition> d("cep-patterns");
  return d;
}

template <class F, class T, class K, class = void>
struct has_dynamic_timeout_handler : std::false_type {};
template <class F, class T, class K>
struct has_dynamic_timeout_handler<
    F, T, K,
    std::void_t<decltype(std::declval<F&>().process_timed_out_match(
        std::declval<const std::string&>(), std::declval<const match<T>&>(),
        std::declval<match_context<K>&>()))>> : std::true_type {};

/// The operator: a keyed broadcast process function over the records and the definitions.
template <class T, class K, class Out, class Fn>
class dynamic_cep_function {
  static constexpr bool timeouts = has_dynamic_timeout_handler<Fn, T, K>::value;
  using keyed_ctx = keyed_broadcast_context<K, true>;

 public:
  dynamic_cep_function(Fn fn, bool event_time, comparator<T> cmp, std::optional<output_tag<T>> late,
                       std::optional<output_tag<std::string>> rejected)
      : fn_(std::move(fn)),
        event_time_(event_time),
        buffer_(std::move(cmp), std::move(late)),
        rejected_(std::move(rejected)) {}

  void process_broadcast_element(const pattern_definition& d,
                                 keyed_broadcast_context<K, false>& ctx, collector<Out>&) {
    auto defs = ctx.broadcast_state(definitions_state());
    if (const auto* cur = defs.get(d.id); cur && cur->version >= d.version) {
      log().info("CEP: pattern '{}' version {} ignored (version {} is current)", d.id, d.version,
                 cur->version);
      return;
    }
    if (d.text.empty()) {
      if (defs.contains(d.id)) log().info("CEP: pattern '{}' removed", d.id);
      defs.remove(d.id);
      return;
    }
    try {
      compiled(d);  // refuses a pattern that does not compile before it replaces anything
    } catch (const std::exception& e) {
      const std::string msg =
          "pattern '" + d.id + "' version " + std::to_string(d.version) + ": " + e.what();
      log().error("CEP: {}", msg);
      if (rejected_) ctx.output(*rejected_, msg);
      return;
    }
    log().info("CEP: pattern '{}' version {} in force", d.id, d.version);
    defs.put(d.id, d);
  }

  void process_element(const T& v, keyed_ctx& ctx, collector<Out>& out) {
    auto st = ctx.template value_state<dynamic_key_state<T>>("cep-dynamic");
    if (!event_time_) {
      const auto now = ctx.current_processing_time();
      auto& s = st.value_for_update();
      if (buffer_.sorts()) {  // the comparator orders the records of one millisecond
        buffer_.add(s.pending, v, now, ctx, time_domain::processing_time);
        return;
      }
      sync(s, ctx);
      for (auto& [id, run] : s.runs) advance(id, run.second, now, ctx, out);
      for (auto& [id, run] : s.runs) step(id, run.second, v, now, ctx, out);
      settle(st, s);
      return;
    }
    if (buffer_.late(v, ctx)) return;
    buffer_.add(st.value_for_update().pending, v, ctx.timestamp(), ctx);
  }

  void on_timer(std::int64_t t, keyed_ctx& ctx, collector<Out>& out) {
    auto st = ctx.template value_state<dynamic_key_state<T>>("cep-dynamic");
    if (!st.value()) return;
    auto& s = st.value_for_update();
    sync(s, ctx);
    auto advance_all = [&](std::int64_t ts) {
      for (auto& [id, run] : s.runs) advance(id, run.second, ts, ctx, out);
    };
    const auto d = ctx.time_domain();
    if (d == time_domain::processing_time && s.pending.empty()) {
      advance_all(t);
    } else {
      event_time_buffer<T>::release(
          s.pending, t, d == time_domain::event_time ? ctx.current_watermark() : min_watermark,
          advance_all, [&](T&& v, std::int64_t ts) {
            for (auto& [id, run] : s.runs) step(id, run.second, v, ts, ctx, out);
          });
    }
    settle(st, s);
  }

 private:
  /// The compiled automaton of definition `d` (cached per subtask by id and version).
  const nfa<T>& compiled(const pattern_definition& d) {
    auto& c = cache_[d.id];
    if (!c.second || c.first != d.version) {
      c.second = std::make_shared<const nfa<T>>(
          std::make_shared<compiled_pattern<T>>(compile(parse_pattern<T>(d.text))), timeouts);
      c.first = d.version;
    }
    return *c.second;
  }

  /// Brings the key's runs in line with the current definitions: runs of replaced or removed
  /// versions are dropped, new patterns get an empty run.
  void sync(dynamic_key_state<T>& s, keyed_ctx& ctx) {
    const auto& defs = ctx.broadcast_state(definitions_state()).entries();
    for (auto it = s.runs.begin(); it != s.runs.end();) {
      const auto d = defs.find(it->first);
      if (d != defs.end() && d->second.version == it->second.first) {
        ++it;
        continue;
      }
      if (const auto open = nfa<T>::open_partial_matches(it->second.second); open > 0)
        log().info("CEP: {} partial match(es) of pattern '{}' version {} dropped (pattern {})",
                   open, it->first, it->second.first, d == defs.end() ? "removed" : "replaced");
      it = s.runs.erase(it);
    }
    for (const auto& [id, d] : defs)
      if (!s.runs.count(id)) s.runs.emplace(id, std::make_pair(d.version, key_state<T>{}));
    current_ = &defs;
  }

  void step(const std::string& id, key_state<T>& s, const T& v, std::int64_t ts, keyed_ctx& ctx,
            collector<Out>& out) {
    const auto& n = compiled(current_->at(id));
    bool started = false;
    n.process(
        s, v, ts,
        [&](match<T>&& m) {
          match_context<K> mc(ctx, ctx.timestamp());
          fn_.process_match(id, m, mc, out);
        },
        &started, &scratch_);
    if (started && n.window_ms() > 0) {
      if (event_time_)
        ctx.register_event_time_timer(ts + n.window_ms());
      else
        ctx.register_processing_time_timer(ts + n.window_ms());
    }
  }

  void advance(const std::string& id, key_state<T>& s, std::int64_t ts, keyed_ctx& ctx,
               collector<Out>& out) {
    compiled(current_->at(id))
        .advance_time(
            s, ts,
            [&](match<T>&& m) {
              match_context<K> mc(ctx, ctx.timestamp());
              fn_.process_match(id, m, mc, out);
            },
            [&](match<T>&& m, std::int64_t timeout_ts) {
              if constexpr (timeouts) {
                match_context<K> mc(ctx, timeout_ts);
                fn_.process_timed_out_match(id, m, mc);
              }
            },
            &scratch_);
  }

  /// Drops runs that hold nothing, and the key's value when nothing is left.
  static void settle(value_state<dynamic_key_state<T>>& st, dynamic_key_state<T>& s) {
    for (auto it = s.runs.begin(); it != s.runs.end();)
      it = it->second.second.idle() ? s.runs.erase(it) : std::next(it);
    if (s.pending.empty() && s.runs.empty()) st.clear();
  }

  Fn fn_;
  bool event_time_;
  event_time_buffer<T> buffer_;
  std::optional<output_tag<std::string>> rejected_;
  typename nfa<T>::scratch scratch_;  ///< the automata's scratch space (this subtask's)
  std::map<std::string, std::pair<std::int64_t, std::shared_ptr<const nfa<T>>>> cache_;
  const std::map<std::string, pattern_definition>* current_ = nullptr;
};

}  // namespace detail

/// Dynamic patterns applied to a keyed stream; made by CEP::dynamic_patterns.
template <class T, class KeyFn>
class dynamic_pattern_stream {
 public:
  using key_type = typename KeyedStream<T, KeyFn>::key_type;

  dynamic_pattern_stream(KeyedStream<T, KeyFn> input, DataStream<pattern_definition> definitions)
      : input_(std::move(input)), definitions_(std::move(definitions)) {}

  dynamic_pattern_stream& in_processing_time() {
    event_time_ = false;
    return *this;
  }
  template <class Cmp>
  dynamic_pattern_stream& with_comparator(Cmp less) {
    cmp_ = std::move(less);
    return *this;
  }
  dynamic_pattern_stream& side_output_late_data(const output_tag<T>& tag) {
    late_ = tag;
    return *this;
  }
  /// Definitions that do not compile: their error message, to side output `tag`.
  dynamic_pattern_stream& side_output_rejected(const output_tag<std::string>& tag) {
    rejected_ = tag;
    return *this;
  }

  /// fn(const std::string& pattern_id, const match<T>&) -> Out for every match.
  template <class Sel>
  auto select(Sel fn, std::string name = "cep dynamic select") {
    using Out = std::decay_t<std::invoke_result_t<Sel&, const std::string&, const match<T>&>>;
    struct select_fn {
      Sel sel;
      void process_match(const std::string& id, const match<T>& m, match_context<key_type>&,
                         collector<Out>& out) {
        out.collect(sel(id, m));
      }
    };
    return process<Out>(select_fn{std::move(fn)}, std::move(name));
  }

  /// Runs process function `fn` (see the top of this file) on every match; Out must be given.
  template <class Out, class Fn>
  DataStream<Out> process(Fn fn, std::string name = "cep dynamic") {
    using F = detail::dynamic_cep_function<T, key_type, Out, Fn>;
    return input_.connect(definitions_.broadcast(detail::definitions_state()))
        .template process<Out>(F(std::move(fn), event_time_, cmp_, late_, rejected_),
                               std::move(name));
  }

 private:
  KeyedStream<T, KeyFn> input_;
  DataStream<pattern_definition> definitions_;
  bool event_time_ = true;
  detail::comparator<T> cmp_;
  std::optional<output_tag<T>> late_;
  std::optional<output_tag<std::string>> rejected_;
};

}  // namespace cep

template <class T, class KeyFn>
cep::dynamic_pattern_stream<T, KeyFn> CEP::dynamic_patterns(
    const KeyedStream<T, KeyFn>& input, DataStream<cep::pattern_definition> definitions) {
  return cep::dynamic_pattern_stream<T, KeyFn>(input, std::move(definitions));
}

}  // namespace eddy
