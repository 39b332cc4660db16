#pragma once
/// CEP patterns (Flink's Pattern API, snake_case): a sequence of named stages over events T, each
/// with a condition, a quantifier and a contiguity to the stage before it.
///
///   auto p = cep::pattern<txn>::begin("small", cep::skip::past_last_event())
///                .where([](const txn& t) { return t.cents < 100; })
///                .followed_by("large")
///                .where([](const txn& t) { return t.cents > 50000; })
///                .within(std::chrono::seconds(60));
///
/// Stages: `begin`, `next` (strict contiguity), `followed_by` (relaxed), `followed_by_any`
/// (non-deterministic relaxed), `not_next`, `not_followed_by`. Conditions on the current stage:
/// `where` (AND), `or_where` (OR; `or` is a C++ keyword), `until` (stops a looping stage); each a
/// simple condition `bool(const T&)` or an iterative one `bool(const T&, const context<T>&)`,
/// which sees the events this partial match has already taken (`ctx.events("name")`).
/// Quantifiers: `times(n)`, `times(n, m)`, `times_or_more(n)`, `one_or_more()`, `optional()`,
/// `greedy()`, and inside loops `consecutive()` / `allow_combinations()`. `within(d)`: a match is
/// kept only while last.ts - first.ts < d (several `within`: the smallest wins);
/// `within(d, within_type::previous_and_current)`: a limit on the gap between consecutive events.
///
/// Builder calls return the pattern by reference; copy it (`auto p = ...`) to keep it. Misuse
/// (a quantifier on a NOT stage, `until` on a stage that does not loop, a duplicate name, ...)
/// throws `malformed_pattern` with Flink's message. Patterns are plain values, copyable and
/// usable from any thread; the conditions they hold must be callable concurrently from the
/// subtasks that copy them (no shared mutable state).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace eddy::cep {

/// A pattern that cannot be compiled (Flink's MalformedPatternException).
class malformed_pattern : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// How a stage's first event relates to the previous stage's last one (outer) or a looping
/// stage's events to each other (inner).
enum class consuming_strategy : std::uint8_t {
  strict,          ///< next / consecutive(): the very next event
  skip_till_next,  ///< followed_by (default inside loops): events that do not match are skipped
  skip_till_any,   ///< followed_by_any / allow_combinations(): any later event
  not_next,        ///< not_next: the next event must not match
  not_follow,      ///< not_followed_by: no matching event may come before the next stage
};

enum class within_type : std::uint8_t {
  first_and_last,        ///< last.ts - first.ts < window (Flink's default)
  previous_and_current,  ///< a limit per stage on the gap from the previous taken event
};

/// The after-match skip strategy (Flink's AfterMatchSkipStrategy): which partial and completed
/// matches are dropped once a match is emitted.
struct skip {
  enum class kind : std::uint8_t { no_skip, to_next, past_last_event, to_first, to_last };
  kind k = kind::no_skip;
  std::string name;             ///< the stage of to_first / to_last
  bool throw_on_miss_ = false;  ///< to_first / to_last: fail when `name` is not in the match

  static skip no_skip() { return {}; }
  static skip to_next() { return {kind::to_next, {}, false}; }
  static skip past_last_event() { return {kind::past_last_event, {}, false}; }
  static skip to_first(std::string name) { return {kind::to_first, std::move(name), false}; }
  static skip to_last(std::string name) { return {kind::to_last, std::move(name), false}; }
  /// to_first / to_last: a match without events of the stage fails the job instead of skipping
  /// nothing (and so does skipping to a match's own first event, which would loop for ever).
  [[nodiscard]] skip throw_on_miss() const {
    skip s = *this;
    s.throw_on_miss_ = true;
    return s;
  }
  [[nodiscard]] bool is_skip() const noexcept { return k != kind::no_skip; }
};

/// What an iterative condition sees: the events the partial match being extended has taken so
/// far, per stage name, in order. Valid only during the condition call.
template <class T>
class context {
 public:
  virtual ~context() = default;
  /// The events taken for stage `name` (empty if none).
  [[nodiscard]] virtual const std::vector<const T*>& events(std::string_view name) const = 0;
  /// The event time of the event being matched.
  [[nodiscard]] virtual std::int64_t timestamp() const = 0;
};

/// A condition over the event being matched (nullptr-free: "true" is a condition too).
template <class T>
using condition = std::function<bool(const T&, const context<T>&)>;

namespace detail {
template <class T, class F>
condition<T> as_condition(F f) {
  if constexpr (std::is_invocable_r_v<bool, F&, const T&, const context<T>&>) {
    return condition<T>(std::move(f));
  } else {
    static_assert(std::is_invocable_r_v<bool, F&, const T&>,
                  "a CEP condition is bool(const T&) or bool(const T&, const cep::context<T>&)");
    return [f = std::move(f)](const T& v, const context<T>&) mutable { return f(v); };
  }
}
template <class T>
condition<T> and_(condition<T> a, condition<T> b) {
  if (!a) return b;
  if (!b) return a;
  return [a = std::move(a), b = std::move(b)](const T& v, const context<T>& c) {
    return a(v, c) && b(v, c);
  };
}
template <class T>
condition<T> or_(condition<T> a, condition<T> b) {
  if (!a || !b) return {};  // "true" or anything is true
  return [a = std::move(a), b = std::move(b)](const T& v, const context<T>& c) {
    return a(v, c) || b(v, c);
  };
}
template <class T>
condition<T> not_(condition<T> a) {
  if (!a) return [](const T&, const context<T>&) { return false; };
  return [a = std::move(a)](const T& v, const context<T>& c) { return !a(v, c); };
}
}  // namespace detail

/// A stage's quantifier (Flink's Quantifier + Times).
struct quantifier {
  enum class kind : std::uint8_t { single, looping, times };
  kind k = kind::single;
  consuming_strategy outer = consuming_strategy::skip_till_next;
  consuming_strategy inner = consuming_strategy::skip_till_next;  ///< between repeats
  bool optional = false;
  bool greedy = false;
  int from = 1;  ///< times / looping: fewest events
  int to = 1;    ///< times: most events
  /// times(n, m, gap) / times_or_more(n, gap): previous_and_current limit of the repeats after
  /// the first (as in Flink: not of the last repeat of times(n, m), nor past the n-th of
  /// times_or_more)
  std::optional<std::int64_t> times_gap_ms;
};

/// One stage of a pattern, as the builder left it.
template <class T>
struct stage {
  std::string name;
  quantifier q;
  condition<T> cond;   ///< empty: every event matches
  condition<T> until;  ///< empty: none
  bool has_until = false;
  std::optional<std::int64_t> within_ms;  ///< first_and_last, set on this stage
  std::optional<std::int64_t> gap_ms;     ///< previous_and_current
  /// A group pattern: the stages of the group (this stage has no condition of its own).
  std::shared_ptr<const std::vector<stage<T>>> group;
};

template <class T>
class pattern {
 public:
  /// The first stage (strict: every event may begin a match). `skip`: the after-match strategy.
  static pattern begin(std::string name, skip s = skip::no_skip()) {
    pattern p;
    p.skip_ = std::move(s);
    p.add(std::move(name), consuming_strategy::strict);
    return p;
  }

  /// A group pattern first: `group`'s stages as one unit, which quantifiers then repeat.
  static pattern begin(const pattern& group, skip s = skip::no_skip()) {
    pattern p;
    p.skip_ = std::move(s);
    p.add_group(group, consuming_strategy::strict);
    return p;
  }

  pattern& next(std::string name) { return add(std::move(name), consuming_strategy::strict); }
  pattern& next(const pattern& group) { return add_group(group, consuming_strategy::strict); }
  pattern& followed_by(const pattern& group) {
    return add_group(group, consuming_strategy::skip_till_next);
  }
  pattern& followed_by_any(const pattern& group) {
    return add_group(group, consuming_strategy::skip_till_any);
  }
  pattern& followed_by(std::string name) {
    return add(std::move(name), consuming_strategy::skip_till_next);
  }
  pattern& followed_by_any(std::string name) {
    return add(std::move(name), consuming_strategy::skip_till_any);
  }
  pattern& not_next(std::string name) {
    if (last().q.optional)
      throw malformed_pattern(
          "Specifying a pattern with an optional path to NOT condition is not supported yet. You "
          "can simulate such pattern with two independent patterns, one with and the other "
          "without the optional part.");
    return add(std::move(name), consuming_strategy::not_next);
  }
  pattern& not_followed_by(std::string name) {
    if (last().q.optional)
      throw malformed_pattern(
          "Specifying a pattern with an optional path to NOT condition is not supported yet. You "
          "can simulate such pattern with two independent patterns, one with and the other "
          "without the optional part.");
    return add(std::move(name), consuming_strategy::not_follow);
  }

  template <class F>
  pattern& where(F f) {
    if (last().group) throw malformed_pattern("GroupPattern does not support where clause.");
    last().cond = detail::and_<T>(last().cond, detail::as_condition<T>(std::move(f)));
    return *this;
  }
  template <class F>
  pattern& or_where(F f) {
    if (last().group) throw malformed_pattern("GroupPattern does not support or clause.");
    auto c = detail::as_condition<T>(std::move(f));
    auto& s = last();
    // Flink: or() on a stage without a condition ORs with "false" (the condition is then f).
    s.cond = s.cond ? detail::or_<T>(s.cond, std::move(c)) : std::move(c);
    return *this;
  }
  /// Stops a looping stage: an event satisfying f ends the loop (and is not taken by it).
  template <class F>
  pattern& until(F f) {
    auto& s = last();
    if (s.q.k != quantifier::kind::looping)
      throw malformed_pattern("The until condition is only applicable to looping states.");
    if (s.has_until) throw malformed_pattern("Only one until condition can be applied.");
    s.until = detail::as_condition<T>(std::move(f));
    s.has_until = true;
    return *this;
  }

  pattern& within(std::chrono::milliseconds d, within_type w = within_type::first_and_last) {
    if (d.count() <= 0) throw malformed_pattern("within: the window must be positive");
    if (w == within_type::first_and_last)
      last().within_ms = d.count();
    else
      last().gap_ms = d.count();
    return *this;
  }

  pattern& optional() {
    auto& s = last();
    check_not_negated("optional");
    if (stages_.size() > 1 && stages_[stages_.size() - 2].q.greedy)
      throw malformed_pattern("Optional pattern cannot be preceded by greedy pattern");
    s.q.optional = true;
    return *this;
  }
  pattern& one_or_more() { return times_or_more(1); }
  pattern& times_or_more(int n, std::optional<std::chrono::milliseconds> gap = {}) {
    auto& s = last();
    check_not_negated("times_or_more");
    check_single();
    if (n < 1) throw malformed_pattern("times_or_more: the number of events must be positive");
    // A group that can match no event, repeated without bound, would loop on no event at all
    // (Flink's compiler loops there too): refused.
    if (s.group && nullable(*s.group)) {
      std::string names;
      for (const auto& st : *s.group) names += (names.empty() ? "" : ", ") + st.name;
      throw malformed_pattern("the group (" + names +
                              ") can match no event, all its stages being optional: it cannot "
                              "repeat without bound");
    }
    s.q.k = quantifier::kind::looping;
    s.q.from = n;
    s.q.to = n;
    if (gap) s.q.times_gap_ms = gap->count();
    return *this;
  }
  pattern& times(int n) { return times(n, n); }
  pattern& times(int from, int to, std::optional<std::chrono::milliseconds> gap = {}) {
    auto& s = last();
    check_not_negated("times");
    check_single();
    if (from < 0 || to < 1 || from > to)
      throw malformed_pattern("times: expected 0 <= from <= to and to > 0");
    if (from == 0) {  // Flink: times(0, n) is an optional times(1, n)
      s.q.optional = true;
      from = 1;
    }
    s.q.k = quantifier::kind::times;
    s.q.from = from;
    s.q.to = to;
    if (gap) s.q.times_gap_ms = gap->count();
    return *this;
  }
  pattern& greedy() {
    auto& s = last();
    check_not_negated("greedy");
    if (s.q.k == quantifier::kind::single)
      throw malformed_pattern("Option not applicable to singleton pattern.");
    if (s.group) throw malformed_pattern("Option not applicable to group pattern");
    if (s.q.inner == consuming_strategy::skip_till_any)
      throw malformed_pattern("Option not applicable to a stage with allow_combinations.");
    s.q.greedy = true;
    return *this;
  }
  /// Strict contiguity between the events of a looping or times stage.
  pattern& consecutive() {
    auto& s = last();
    if (s.q.k == quantifier::kind::single)
      throw malformed_pattern("Combinations/consecutive not applicable to " + s.name);
    s.q.inner = consuming_strategy::strict;
    return *this;
  }
  /// Non-deterministic relaxed contiguity between the events of a looping or times stage.
  pattern& allow_combinations() {
    auto& s = last();
    if (s.q.k == quantifier::kind::single)
      throw malformed_pattern("Combinations/consecutive not applicable to " + s.name);
    if (s.q.greedy) throw malformed_pattern("allow_combinations is not applicable to greedy");
    s.q.inner = consuming_strategy::skip_till_any;
    return *this;
  }

  [[nodiscard]] const std::vector<stage<T>>& stages() const noexcept { return stages_; }
  [[nodiscard]] const cep::skip& skip_strategy() const noexcept { return skip_; }

 private:
  pattern() = default;

  pattern& add(std::string name, consuming_strategy outer) {
    if (name.empty()) throw malformed_pattern("a stage needs a name");
    if (name.find(':') != std::string::npos)
      throw malformed_pattern("stage name '" + name + "': ':' is reserved");
    if (!stages_.empty() && last().q.greedy && is_negated(outer))
      throw malformed_pattern("a NOT pattern cannot follow a greedy one");
    stage<T> s;
    s.name = std::move(name);
    s.q.outer = outer;
    stages_.push_back(std::move(s));
    return *this;
  }
  pattern& add_group(const pattern& group, consuming_strategy outer) {
    add("GroupPattern", outer);
    last().group = std::make_shared<const std::vector<stage<T>>>(group.stages_);
    return *this;
  }
  static bool is_negated(consuming_strategy c) {
    return c == consuming_strategy::not_next || c == consuming_strategy::not_follow;
  }
  stage<T>& last() { return stages_.back(); }
  void check_not_negated(const char* what) {
    if (is_negated(last().q.outer))
      throw malformed_pattern(std::string(what) + ": option not applicable to NOT pattern");
  }
  /// True when `stages` can complete without taking an event (optional, negated or nullable
  /// groups only).
  static bool nullable(const std::vector<stage<T>>& stages) {
    for (const auto& st : stages) {
      const bool negated = st.q.outer == consuming_strategy::not_next ||
                           st.q.outer == consuming_strategy::not_follow;
      if (!st.q.optional && !negated && !(st.group && nullable(*st.group))) return false;
    }
    return true;
  }
  void check_single() {
    if (last().q.k != quantifier::kind::single)
      throw malformed_pattern(
          "Already applied quantifier to this Pattern. Current quantifier is: " +
          std::string(last().q.k == quantifier::kind::looping ? "LOOPING" : "TIMES"));
  }

  std::vector<stage<T>> stages_;
  cep::skip skip_;
};

}  // namespace eddy::cep
