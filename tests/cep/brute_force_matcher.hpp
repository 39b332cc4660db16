// Brute-force reference matcher for Flink CEP patterns (issue 17).
//
// This is a test oracle, not an engine. It is written declaratively: it enumerates every
// assignment of events to pattern stages ("runs") that satisfies the pattern's constraints, then
// replays Flink's after-match-skip emission and timeout rules over those runs. It never builds an
// NFA, a shared buffer or Dewey numbers, so it can check an implementation that does. It is
// exponential; keep inputs to about 12 events per key.
//
// The constraints are Flink's (upstream master 3f247042, flink-libraries/flink-cep). Paths in the
// comments are relative to src/main/java/org/apache/flink/cep/. Several rules encode quirks of
// Flink's compiled NFA as plain rules on the events between two taken events ("gap rules"); each
// rule names the source line that causes it.
//
// Vocabulary:
//   taker      a stage that is not a NOT stage; it takes events into the match.
//   run        a sequence of taken events with the taker that took each one.
//   prefix     a run that may still be extended (a "partial match" in Flink).
//   gap        the events strictly between two consecutive taken events i < k of a run.
//   fresh      the event i+1 right after a take. Flink evaluates it from the state the take
//              created, so every NOT reachable from there applies to it (NFA.java:806-843).
//   target     what a prefix waits for in a gap: another event of the same taker ("repeat"), the
//              first event of a later taker Y, or the window end of a trailing not_followed_by.
//
// The rules, for a run whose last take is event i by taker X (X has taken c events), with
// f = i+1 and k the next taken event:
//   take       k satisfies the taker's condition and not its until condition.
//   gap        the events in (i, k) are ignored by the target's strategy: the strategy of the
//              taker of k (its inner one for a repeat, its outer one otherwise); strict means no
//              gap; relaxed means every gap event fails that taker's condition; any means no
//              constraint. A repeat's gap events must also fail until. Skipping optional takers
//              adds nothing: the taker that takes k decides.
//   fresh      at f every NOT reachable from i applies (rule F, fresh_kill()); if one holds, the
//              run cannot continue past f.
//   waiting    the events after f, up to and including k, are checked against the NOTs of the
//              target's waiting state (rule W, wait_stops()). A NOT holding on k itself still
//              lets the take complete a match, but not continue.
//   complete   a take completes a match when the rest of the pattern is optional; a trailing
//              not_next completes on f; a trailing not_followed_by completes when the window ends.
//   greedy     the stage after a greedy stage G can neither take nor skip an event G could take.
//   within     every take and completion happens less than `within` after the first event.
// Then emit() replays Flink's emission over time: skip-strategy waiting and pruning, timeouts.
//
// Supported domain: see supported(). Out of scope: iterative conditions, groups,
// PREVIOUS_AND_CURRENT windows, throwExceptionOnMiss, greedy together with until, and the
// greedy and not_next layouts listed at supported().
//
// Validation: besides the golden tests in brute_force_matcher_test.cpp, this file was compared
// with Flink's own NFA code (NFA.java, NFACompiler.java and the shared buffer, compiled from the
// sources with an in-memory SharedBuffer) on about 100,000 random patterns and inputs from
// random_pattern_spec/random_events, with and without a final watermark. Matches (as multisets)
// and timeouts (as sets) agreed in all of them except where run_info::order_ambiguous is set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace eddy::cep_reference {

// ---------------------------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------------------------

struct event {
  char sym;
  std::int64_t ts;
  int value;
  std::uint64_t seq;  // arrival/input position, unique
};

enum class contiguity { strict, relaxed, non_deterministic_relaxed };  // next / followed_by / any
enum class skip_kind { no_skip, to_next, past_last_event, to_first, to_last };

struct stage {
  std::string name;
  // How this stage attaches to the previous one (ignored for the first stage, whose start is free:
  // every event may begin a match).
  contiguity outer = contiguity::strict;
  bool negated_next = false;         // a not_next stage (no quantifier; cond = the forbidden event)
  bool negated_followed_by = false;  // a not_followed_by stage
  std::function<bool(const event&)> cond;   // null = true. (Simple conditions only.)
  std::function<bool(const event&)> until;  // null = none; only on looping stages
  int min = 1, max = 1;  // repeats; max = -1 for unbounded (one_or_more / times_or_more)
  bool looping = false;  // one_or_more / times_or_more (max = -1)
  bool optional = false;
  bool greedy = false;
  contiguity inner = contiguity::relaxed;  // consecutive() = strict, allow_combinations() = ndr
};

struct pattern {
  std::vector<stage> stages;
  skip_kind skip = skip_kind::no_skip;
  std::string skip_name;
  std::optional<std::int64_t> within;
};

// Per non-negated stage that took events, in pattern order: its name and the seqs of its events.
struct match {
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> stages;
};

struct result {
  std::vector<match> matches;                        // in emission order
  std::vector<std::vector<std::uint64_t>> timeouts;  // seqs of each timed-out partial match
};

// How the input ends. Flink's operator sends a final watermark (Long.MAX_VALUE) at the end of a
// bounded input; that times out every open partial match and releases the matches that waited
// for them. Flink's NFA unit tests (NFATestHarness) never advance time after the last event: use
// final_watermark = std::nullopt to reproduce them.
struct run_options {
  std::optional<std::int64_t> final_watermark = std::numeric_limits<std::int64_t>::max();
};

// Diagnostics of one run().
struct run_info {
  // A skip strategy other than no_skip had to choose between two queued matches with the same
  // start event. Flink's choice there is PriorityQueue heap order (unspecified); this reference
  // orders by completion step, then by lexicographic seqs. Results of such runs are Eddy's
  // definition, not something Flink guarantees.
  bool order_ambiguous = false;
  std::size_t runs = 0;  // enumerated runs (prefixes and matches), for sizing tests
};

// ---------------------------------------------------------------------------------------------
// Supported domain
// ---------------------------------------------------------------------------------------------

namespace detail {

inline bool is_not(const stage& s) {
  return s.negated_next || s.negated_followed_by;
}
inline bool singleton(const stage& s) {
  return !s.looping && s.min == 1 && s.max == 1;
}
// Greedy changes nothing for times(n) (NFACompiler.java:597-598 requires from != to).
inline bool effectively_greedy(const stage& s) {
  return s.greedy && (s.looping || (s.min != s.max));
}

}  // namespace detail

// Whether run() models this pattern exactly. Besides Flink's own compile-time rules (the pattern
// would throw in Flink), it excludes:
//   - greedy together with until, a NOT stage right after a greedy stage, and an optional greedy
//     stage with a not_followed_by in force before it. The compiler copies states for these and
//     puts the greedy restriction on only some of the copies (NFACompiler.java:408-409,
//     597-603,862-876,1038-1046);
//   - a not_next that is not directly between two takers (or last after a taker): Flink then drops
//     or reorders some NOT conditions (getCurrentNotCondition stops at a NOT_NEXT, :295-301);
// `why` receives the reason when the result is false.
inline bool supported(const pattern& p, std::string* why = nullptr) {
  using detail::is_not;
  auto fail = [&](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  const auto& st = p.stages;
  if (st.empty()) return fail("empty pattern");
  std::set<std::string> names;
  bool has_not = false, has_greedy = false;
  for (std::size_t j = 0; j < st.size(); ++j) {
    const stage& s = st[j];
    if (s.name.empty() || s.name == "$endState$") return fail("bad stage name");
    if (!names.insert(s.name).second) return fail("duplicate stage name " + s.name);
    if (s.negated_next && s.negated_followed_by) return fail("stage is both NOT kinds");
    if (is_not(s)) {
      has_not = true;
      if (j == 0) return fail("a pattern cannot begin with a NOT stage");
      if (!s.looping && s.min == 1 && s.max == 1 && !s.optional && !s.greedy && !s.until) {
      } else {
        return fail("NOT stages take no quantifier (Pattern.java:630-635)");
      }
      if (st[j - 1].optional) return fail("NOT after an optional stage (Pattern.java:285-290)");
      if (s.negated_next) {
        if (is_not(st[j - 1])) return fail("not_next must directly follow a taker");
        if (j + 1 < st.size() && is_not(st[j + 1])) return fail("not_next followed by a NOT");
      }
      if (j + 1 == st.size() && s.negated_followed_by && !p.within)
        return fail("trailing not_followed_by needs within (NFACompiler.java:186-193)");
      continue;
    }
    if (s.min < 1) return fail("min must be >= 1 (use optional for zero)");
    if (s.looping) {
      if (s.max != -1) return fail("looping stage needs max = -1");
    } else if (s.max < s.min) {
      return fail("max < min");
    }
    if (s.until && !s.looping) return fail("until only on looping stages (Pattern.java:236)");
    if (detail::singleton(s)) {
      if (s.greedy) return fail("greedy on a singleton (Quantifier.java greedy())");
      if (s.inner != contiguity::relaxed) return fail("consecutive/combinations on a singleton");
    }
    if (s.greedy) {
      has_greedy = true;
      if (s.inner == contiguity::non_deterministic_relaxed)
        return fail("greedy with allow_combinations (Quantifier.java greedy())");
      if (s.until) return fail("greedy with until is out of scope");
    }
    if (j > 0 && s.optional && st[j - 1].greedy && !is_not(st[j - 1]))
      return fail("optional after greedy (Pattern.java:659-665)");
  }
  if (has_greedy && has_not) {
    for (std::size_t j = 0; j < st.size(); ++j) {
      if (!st[j].greedy || is_not(st[j])) continue;
      if (j + 1 < st.size() && is_not(st[j + 1])) return fail("a NOT right after a greedy stage");
      // NOTs in force before an optional greedy stage (walk as in getCurrentNotCondition).
      for (std::size_t k = j; st[j].optional && k > 0; --k) {
        const stage& prev = st[k - 1];
        if (prev.negated_followed_by) return fail("an optional greedy stage after a NOT");
        if (is_not(prev) || !prev.optional) break;
      }
    }
  }
  if (p.within && *p.within <= 0) return fail("within must be positive");
  if (p.skip == skip_kind::to_first || p.skip == skip_kind::to_last) {
    if (!names.count(p.skip_name)) return fail("skip name not in pattern (NFACompiler.java:224)");
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The matcher
// ---------------------------------------------------------------------------------------------

namespace detail {

using cond_fn = std::function<bool(const event&)>;

inline bool holds(const cond_fn& f, const event& e) {
  return !f || f(e);
}

// One enumerated run: a valid prefix, a complete match, or both.
struct run_rec {
  std::vector<int> idx;    // taken event indices (positions in the sorted input)
  std::vector<int> stg;    // taker stage index per taken event
  int x = -1, c = 0;       // last taker and how many events it has taken
  bool extendable = true;  // false: a NOT fired on the event of the last take (only a match)
  // Completion as a match: at the processing step of event `complete_at` (take reaching Final, or
  // a trailing not_next satisfied by that event). -1 = not completed by an event.
  int complete_at = -1;
  // Lifetime as a partial match (only if extendable):
  //   alive after processing events last()..alive_until (inclusive); alive_until = n-1 means it
  //   is still waiting at the end of the input (or until its window closes).
  int alive_until = -1;
  bool pending_at_end = false;  // a trailing not_followed_by position is alive at the window end
  bool normal_at_end = false;   // some other position is alive at the window end
  int first() const { return idx.front(); }
  int last() const { return idx.back(); }
};

class matcher {
 public:
  matcher(const pattern& p, const std::vector<event>& ev, const run_options& opt, run_info* info)
      : p_(p), st_(p.stages), ev_(ev), opt_(opt), info_(info), n_(static_cast<int>(ev.size())) {}

  result run() {
    enumerate();
    if (info_) info_->runs = runs_.size();
    return emit();
  }

 private:
  const pattern& p_;
  const std::vector<stage>& st_;
  const std::vector<event>& ev_;
  const run_options& opt_;
  run_info* info_;
  int n_;
  std::vector<run_rec> runs_;

  // ----- pattern structure ---------------------------------------------------------------------

  bool is_taker(int j) const { return !is_not(st_[j]); }
  bool more(int x, int c) const { return st_[x].looping || c < st_[x].max; }
  bool can_end(int x, int c) const { return c >= st_[x].min; }

  // Take condition of taker x: cond AND NOT until (NFACompiler.java:904-915).
  bool take(int x, const event& e) const {
    return holds(st_[x].cond, e) && !(st_[x].until && st_[x].until(e));
  }
  // Ignore condition of a gap event for strategy s of taker x (NFACompiler.java:963-1002): strict
  // has no ignore edge, relaxed ignores events failing the condition, any ignores everything.
  // For the inner strategy, until is ANDed in as NOT until (:852-854, :590-592).
  bool ignore(int x, contiguity s, bool inner, const event& e) const {
    if (s == contiguity::strict) return false;
    if (inner && st_[x].until && st_[x].until(e)) return false;
    return s == contiguity::non_deterministic_relaxed || !holds(st_[x].cond, e);
  }

  // NOT conditions in force at the first state of taker y when reached without taking anything
  // after them: walk back over optional takers and not_followed_by stages, collecting the latter
  // (getCurrentNotCondition, NFACompiler.java:291-312).
  std::vector<int> current_not(int y) const {
    std::vector<int> out;
    int j = y;
    while (j - 1 >= 0 &&
           ((is_taker(j - 1) && st_[j - 1].optional) || st_[j - 1].negated_followed_by)) {
      --j;
      if (st_[j].negated_followed_by) out.push_back(j);
    }
    return out;
  }
  // The not_followed_by stage right after taker x; Flink puts its stop edge on x's loop and
  // times states (addStopStateToLooping, NFACompiler.java:563-572,610,616,882,890).
  int follow_nf(int x) const {
    return x + 1 < static_cast<int>(st_.size()) && st_[x + 1].negated_followed_by ? x + 1 : -1;
  }
  // Whether any of the NOT stages `nots` holds on e (a Stop state is reached).
  bool any_fires(const std::vector<int>& nots, const event& e) const {
    for (int j : nots)
      if (holds(st_[j].cond, e)) return true;
    return false;
  }
  // The first state of taker y is the sink of an effectively greedy taker y-1; all its edges get
  // AND NOT(greedy take) (updateWithGreedyCondition, NFACompiler.java:1038-1046).
  bool greedy_blocked(int y, const event& e) const {
    return y > 0 && is_taker(y - 1) && effectively_greedy(st_[y - 1]) && take(y - 1, e);
  }

  // What a prefix can move to once taker x may end (it has taken >= min events), found by
  // following Flink's PROCEED edges: later takers reachable past optional takers, then the end.
  struct reach_t {
    std::vector<int> takers;   // in pattern order
    int nn = -1;               // a not_next guarding all of them (directly after x)
    bool final_ = false;       // the end of the pattern is reachable: match complete
    bool trailing_nn = false;  // the end is reached through a trailing not_next
    int pending = -1;          // the end is reached through a trailing not_followed_by
  };
  reach_t reach_after(int x) const {
    reach_t r;
    const int ns = static_cast<int>(st_.size());
    for (int j = x + 1; j < ns; ++j) {
      if (st_[j].negated_next) {
        if (j + 1 == ns) {
          r.trailing_nn = true;
          r.nn = j;
          return r;
        }
        r.nn = j;
        continue;
      }
      if (st_[j].negated_followed_by) {
        if (j + 1 == ns) {
          r.pending = j;
          return r;
        }
        // Becomes stop edges on later takers' states. Before a trailing not_followed_by there are
        // none: only the last NOT becomes the Pending state (NFACompiler.java:338-348), so an
        // earlier trailing NOT acts only through follow_nf on the last taker's loop states.
        continue;
      }
      r.takers.push_back(j);
      if (!st_[j].optional) return r;
    }
    r.final_ = true;
    return r;
  }
  // Takers that may take the first event of a run (the start state and its PROCEED closure).
  std::vector<int> start_takers() const {
    std::vector<int> out;
    for (int j = 0; j < static_cast<int>(st_.size()); ++j) {
      if (!is_taker(j)) break;
      out.push_back(j);
      if (!st_[j].optional) break;
    }
    return out;
  }

  // The take of event e by taker x (now at count c) completes a match iff Final is reachable by
  // PROCEED edges from the state the take leads to (findFinalStateAfterProceed, NFA.java:776-798).
  // Those PROCEED conditions are evaluated on the taken event itself, so a not_next between x and
  // an all-optional tail blocks the match when e satisfies the NOT (its PROCEED(!N) edge,
  // NFACompiler.java:360).
  bool completes(int x, int c, const event& e) const {
    if (!can_end(x, c)) return false;
    reach_t r = reach_after(x);
    if (!r.final_) return false;
    return r.nn < 0 || !holds(st_[r.nn].cond, e);
  }

  // NOT conditions on the first state of taker y when the PROCEED closure reaches it after a take
  // by taker x: those in force at y (current_not) minus those in force before x. Every take by an
  // optional x leads to a copy of its sink without the NOTs before x, and the copy's PROCEED
  // targets are copied the same way (copyWithoutTransitiveNots, NFACompiler.java:488-538, used at
  // :408 and :726; this includes the times states after x's first take, since they are reached
  // through such a copy). For a non-optional x there is nothing to remove: current_not(y) stops
  // at x.
  std::vector<int> stops_at(int x, int y) const {
    std::vector<int> all = current_not(y), before = current_not(x), out;
    for (int j : all)
      if (std::find(before.begin(), before.end(), j) == before.end()) out.push_back(j);
    return out;
  }

  // Rule F (fresh event): the event right after a take is evaluated from the state that take
  // created, together with everything reachable by PROCEED. If any NOT fires there, Flink reaches
  // a Stop state and discards every non-final successor of that computation state
  // (NFA.java:385-409), so the prefix stops waiting and cannot be extended by that event.
  bool fresh_kill(int x, int c, const event& f) const {
    if (more(x, c) && follow_nf(x) >= 0 && holds(st_[follow_nf(x)].cond, f)) return true;
    if (!can_end(x, c)) return false;
    reach_t r = reach_after(x);
    if (r.nn >= 0 && holds(st_[r.nn].cond, f)) return true;  // not_next (NFACompiler.java:362)
    for (int y : r.takers)
      if (any_fires(stops_at(x, y), f)) return true;
    if (r.pending >= 0 && holds(st_[r.pending].cond, f)) return true;  // Pending stop (:345)
    return false;
  }

  // ----- targets: what a prefix waits for in a gap ----------------------------------------------

  enum class tkind { repeat, taker, pending };
  struct target {
    tkind kind;
    int y = -1;  // the taker that will take the next event (repeat: x)
  };

  // Rule W-entry: a prefix waits for target t after the fresh event f iff f is ignored on the way
  // to t (the fresh kill is checked separately).
  bool entry_ok(int x, const target& t, const event& f) const {
    switch (t.kind) {
      case tkind::repeat:
        return ignore(x, st_[x].inner, true, f);
      case tkind::taker:
        if (greedy_blocked(t.y, f)) return false;
        return ignore(t.y, st_[t.y].outer, false, f);
      case tkind::pending:
        return !holds(st_[t.y].cond, f);
    }
    return false;
  }
  // Rule W-ignore: a later gap event m is ignored by the waiting position of target t.
  bool wait_ignore(int x, const target& t, const event& m) const {
    switch (t.kind) {
      case tkind::repeat:
        return ignore(x, st_[x].inner, true, m);
      case tkind::taker:
        // A non-optional taker waits in its own first state (still greedy-restricted); an
        // optional one in its "ignore twin", which has no greedy restriction (:755-765).
        if (!st_[t.y].optional && greedy_blocked(t.y, m)) return false;
        return ignore(t.y, st_[t.y].outer, false, m);
      case tkind::pending:
        return !holds(st_[t.y].cond, m);
    }
    return false;
  }
  // Rule W-kill: NOT conditions that kill the waiting position of target t (on later gap events
  // and on the event it finally takes).
  std::vector<int> wait_stops(int x, int c, const target& t) const {
    switch (t.kind) {
      case tkind::repeat: {
        // The loop state, its ignore state and the mandatory times states carry the stop edge of
        // the not_followed_by right after x (:563-572). The ignore twin of an optional times
        // state instead carries the NOTs in force *before* x (addStopStates(ignoreState) at :761
        // runs getCurrentNotCondition for x itself).
        if (!st_[x].looping && c >= st_[x].min) return current_not(x);
        int f = follow_nf(x);
        return f >= 0 ? std::vector<int>{f} : std::vector<int>{};
      }
      case tkind::taker:
        // An optional taker waits in its ignore twin, which is never copied (copies keep IGNORE
        // targets, :526-534) and carries every NOT in force before it (:761); a non-optional one
        // waits in its first state (see stops_at).
        if (st_[t.y].optional) return current_not(t.y);
        return stops_at(x, t.y);
      case tkind::pending:
        return {t.y};
    }
    return {};
  }

  // The targets a prefix can wait for after a take by x (count c): another x event (unless x is
  // exhausted or consecutive), each reachable later taker that is not strict (strict ones have no
  // IGNORE edge, NFACompiler.java:982-984), and a trailing not_followed_by's window end.
  std::vector<target> targets(int x, int c) const {
    std::vector<target> out;
    if (more(x, c) && st_[x].inner != contiguity::strict) out.push_back({tkind::repeat, x});
    if (can_end(x, c)) {
      reach_t r = reach_after(x);
      for (int y : r.takers)
        if (st_[y].outer != contiguity::strict) out.push_back({tkind::taker, y});
      if (r.pending >= 0) out.push_back({tkind::pending, r.pending});
    }
    return out;
  }

  // ----- enumeration --------------------------------------------------------------------------

  // Events are processed for a prefix only while its window is open: Flink advances time to an
  // event's timestamp before processing it and times out partial matches with
  // ts - start >= within (NFA.java:286-292,342-348).
  bool in_window(const run_rec& r, int m) const {
    return !p_.within || ev_[m].ts - ev_[r.first()].ts < *p_.within;
  }

  // Enumerates every run, starting one at each event that a start taker can take.
  void enumerate() {
    for (int s = 0; s < n_; ++s) {
      for (int y : start_takers()) {
        // The start state never ignores, so a run may begin at any event (NFA.java:641,731-742).
        if (!take(y, ev_[s]) || greedy_blocked(y, ev_[s])) continue;
        run_rec r;
        r.idx = {s};
        r.stg = {y};
        r.x = y;
        r.c = 1;
        add(std::move(r));
      }
    }
  }

  // Records run r (its last take just happened) and explores its extensions.
  void add(run_rec r) {
    const int i = r.last();
    if (completes(r.x, r.c, ev_[i])) r.complete_at = i;
    if (r.extendable) lifetime(r);
    runs_.push_back(r);
    if (!r.extendable) return;
    extend(r);
  }

  // Computes how long prefix r is alive as a partial match, and whether a trailing not_next
  // completes it.
  void lifetime(run_rec& r) const {
    const int i = r.last();
    const int x = r.x, c = r.c;
    reach_t reach = can_end(x, c) ? reach_after(x) : reach_t{};
    // State right after the take: the Final state itself is no partial match.
    const bool t0_final = !more(x, c) && can_end(x, c) && reach.final_ && reach.takers.empty();
    const bool t0_pending =
        !more(x, c) && can_end(x, c) && reach.pending >= 0 && reach.takers.empty();
    if (t0_final) {
      r.alive_until = i - 1;  // never a partial match
      return;
    }
    const int f = i + 1;
    if (f >= n_ || !in_window(r, f)) {
      // Nothing more is processed for it: it waits (in the state the take created).
      r.alive_until = n_ - 1;
      r.pending_at_end = t0_pending;
      r.normal_at_end = !t0_pending;
      return;
    }
    if (fresh_kill(x, c, ev_[f])) {
      r.alive_until = i;
      return;
    }
    // Trailing not_next: IGNORE(!N) into Final completes the match with this event
    // (NFACompiler.java:356-358).
    if (reach.trailing_nn && r.complete_at < 0) r.complete_at = f;
    int alive = i;
    bool pend = false, norm = false;
    for (const target& t : targets(x, c)) {
      if (!entry_ok(x, t, ev_[f])) continue;
      std::vector<int> stops = wait_stops(x, c, t);
      int m = f + 1;
      while (m < n_ && in_window(r, m) && wait_ignore(x, t, ev_[m]) && !any_fires(stops, ev_[m]))
        ++m;
      alive = std::max(alive, m - 1);
      if (m >= n_ || !in_window(r, m)) (t.kind == tkind::pending ? pend : norm) = true;
    }
    r.alive_until = alive;
    r.pending_at_end = pend;
    r.normal_at_end = norm;
  }

  // Explores every extension of prefix r by one more taken event k.
  void extend(const run_rec& r) {
    const int i = r.last();
    const int x = r.x, c = r.c;
    const int f = i + 1;
    if (f >= n_ || !in_window(r, f)) return;
    const bool killed = fresh_kill(x, c, ev_[f]);
    // k = i+1: the take happens in the fresh state's closure.
    {
      const event& e = ev_[f];
      if (more(x, c) && take(x, e)) push(r, f, x, c + 1, !killed);
      if (can_end(x, c)) {
        reach_t reach = reach_after(x);
        if (reach.nn < 0 || !holds(st_[reach.nn].cond, e)) {
          for (int y : reach.takers)
            if (take(y, e) && !greedy_blocked(y, e)) push(r, f, y, 1, !killed);
        }
      }
    }
    if (killed) return;
    // k > i+1: the prefix waits for one target through the gap, then that target takes k.
    for (const target& t : targets(x, c)) {
      if (t.kind == tkind::pending) continue;
      if (!entry_ok(x, t, ev_[f])) continue;
      const std::vector<int> stops = wait_stops(x, c, t);
      const int y = t.kind == tkind::repeat ? x : t.y;
      const int ny = t.kind == tkind::repeat ? c + 1 : 1;
      for (int k = f + 1; k < n_ && in_window(r, k); ++k) {
        const event& e = ev_[k];
        bool ok = take(y, e);
        if (t.kind == tkind::taker && !st_[y].optional && greedy_blocked(y, e)) ok = false;
        if (ok) push(r, k, y, ny, !any_fires(stops, e));
        if (!wait_ignore(x, t, e) || any_fires(stops, e)) break;
      }
    }
  }

  // Adds the extension of r by event k taken by taker y (now at count ny). If a NOT fired on k in
  // the state that took it, the extension survives only if the take completes a match: final
  // states are collected before the path is discarded (NFA.java:385-409).
  void push(const run_rec& r, int k, int y, int ny, bool extendable) {
    if (!extendable && !completes(y, ny, ev_[k])) return;
    run_rec n = r;
    n.idx.push_back(k);
    n.stg.push_back(y);
    n.x = y;
    n.c = ny;
    n.extendable = extendable;
    n.complete_at = -1;
    n.alive_until = -1;
    n.pending_at_end = n.normal_at_end = false;
    add(std::move(n));
  }

  // ----- emission -----------------------------------------------------------------------------

  // A completed match waiting for emission.
  struct done {
    int run;    // index into runs_
    int step;   // completion step
    int start;  // first event index
  };

  match to_match(const run_rec& r) const {
    match m;
    for (int j = 0; j < static_cast<int>(st_.size()); ++j) {
      std::vector<std::uint64_t> seqs;
      for (std::size_t q = 0; q < r.idx.size(); ++q)
        if (r.stg[q] == j) seqs.push_back(ev_[r.idx[q]].seq);
      if (!seqs.empty()) m.stages.emplace_back(st_[j].name, std::move(seqs));
    }
    return m;
  }
  std::vector<std::uint64_t> seqs(const run_rec& r) const {
    std::vector<std::uint64_t> out;
    for (int k : r.idx) out.push_back(ev_[k].seq);
    return out;
  }

  // Pruning event of an emitted match (getPruningId): skip_to_next = its first event,
  // skip_past_last_event = its last event, skip_to_first/last = first/last event of the named
  // stage (none if the stage took nothing: nothing is pruned, SkipToElementStrategy.java:57-67).
  std::optional<int> pruning_id(const run_rec& r) const {
    switch (p_.skip) {
      case skip_kind::no_skip:
        return std::nullopt;
      case skip_kind::to_next:
        return r.first();
      case skip_kind::past_last_event:
        return r.last();
      case skip_kind::to_first:
      case skip_kind::to_last: {
        std::optional<int> out;
        for (std::size_t q = 0; q < r.idx.size(); ++q) {
          if (st_[r.stg[q]].name != p_.skip_name) continue;
          if (!out || p_.skip == skip_kind::to_last) out = r.idx[q];
        }
        return out;
      }
    }
    return std::nullopt;
  }
  // shouldPrune: start <= p for to_next / past_last (SkipRelativeToWholeMatchStrategy.java:32-34),
  // start < p for to_first / to_last (SkipToElementStrategy.java:48-50).
  bool prunes(int start, int p) const {
    if (p_.skip == skip_kind::to_first || p_.skip == skip_kind::to_last) return start < p;
    return start <= p;
  }

  // Replays Flink's emission. Steps, in order: for each event, "advance time to its timestamp"
  // (when it differs from the previous event's) then "process it"; at the end, advance time to
  // the final watermark (CepOperator.java:308-326). A partial match is alive at a step as given
  // by lifetime(); advancing time to t removes the partial matches whose window ended
  // (t - start >= within): a waiting trailing not_followed_by becomes a match, any other waiting
  // position a timeout (NFA.java:277-323).
  //
  // With a skip strategy other than no_skip, completed matches wait in a queue ordered by start
  // event; the head is emitted only while no live partial match starts earlier (NFA.java:439-451,
  // isEarlier uses <=). Emitting a match prunes queued matches and partial matches by start event
  // (AfterMatchSkipStrategy.java:101-124).
  //
  // Ties: Flink's queue is a PriorityQueue keyed by start event only, so matches with the same
  // start come out in heap order, which is unspecified. This reference (and Eddy) orders them by
  // completion step, then by the lexicographically smallest sequence of taken seqs.
  result emit() {
    result out;
    const bool skipping = p_.skip != skip_kind::no_skip;
    std::vector<bool> pruned(n_, false);
    std::vector<bool> gone(runs_.size(), false);  // timed out (partial) or emitted/pruned (match)
    std::vector<done> queue;
    std::vector<std::vector<std::uint64_t>> lex(runs_.size());
    for (std::size_t q = 0; q < runs_.size(); ++q) lex[q] = seqs(runs_[q]);
    std::vector<bool> timed_out(runs_.size(), false);

    // Whether run q is a live partial match after step `proc` (the last processed event index).
    auto partial_alive = [&](std::size_t q, int proc) {
      const run_rec& r = runs_[q];
      if (!r.extendable || timed_out[q] || pruned[r.first()]) return false;
      return r.last() <= proc && proc <= r.alive_until;
    };
    auto flush = [&](int proc) {
      std::sort(queue.begin(), queue.end(), [&](const done& a, const done& b) {
        return std::tie(a.start, a.step, lex[a.run]) < std::tie(b.start, b.step, lex[b.run]);
      });
      while (!queue.empty()) {
        done head = queue.front();
        if (skipping) {
          int earliest = std::numeric_limits<int>::max();
          for (std::size_t q = 0; q < runs_.size(); ++q)
            if (partial_alive(q, proc)) earliest = std::min(earliest, runs_[q].first());
          if (earliest < head.start) break;
        }
        if (skipping && info_ && queue.size() > 1 && queue[1].start == head.start)
          info_->order_ambiguous = true;
        queue.erase(queue.begin());
        out.matches.push_back(to_match(runs_[head.run]));
        if (auto pid = pruning_id(runs_[head.run])) {
          for (int s = 0; s < n_; ++s)
            if (prunes(s, *pid)) pruned[s] = true;
          std::vector<done> keep;
          for (const done& d : queue)
            if (!prunes(d.start, *pid)) keep.push_back(d);
          queue.swap(keep);
        }
      }
    };
    auto advance = [&](std::int64_t t, int step, int proc) {
      if (!p_.within) return;
      for (std::size_t q = 0; q < runs_.size(); ++q) {
        if (!partial_alive(q, proc)) continue;
        const run_rec& r = runs_[q];
        if (t - ev_[r.first()].ts < *p_.within) continue;
        timed_out[q] = true;
        // Only partial matches still waiting at the window end are here: lifetime() stops at the
        // window end, so alive_until == n-1 or the window closed before the next event.
        if (r.normal_at_end) out.timeouts.push_back(lex[q]);
        if (r.pending_at_end) queue.push_back({static_cast<int>(q), step, r.first()});
      }
      flush(proc);
    };

    int step = 0;
    for (int j = 0; j < n_; ++j) {
      if (j == 0 || ev_[j].ts != ev_[j - 1].ts) advance(ev_[j].ts, step++, j - 1);
      for (std::size_t q = 0; q < runs_.size(); ++q) {
        const run_rec& r = runs_[q];
        if (r.complete_at == j && !pruned[r.first()])
          queue.push_back({static_cast<int>(q), step, r.first()});
      }
      ++step;
      flush(j);
    }
    if (opt_.final_watermark) advance(*opt_.final_watermark, step++, n_ - 1);
    std::sort(out.timeouts.begin(), out.timeouts.end());
    out.timeouts.erase(std::unique(out.timeouts.begin(), out.timeouts.end()), out.timeouts.end());
    return out;
  }
};

}  // namespace detail

// Runs pattern p over the events of one key, already in processing order (sorted by (ts, seq)),
// late events already removed. Throws std::invalid_argument if !supported(p).
inline result run(const pattern& p, const std::vector<event>& events, const run_options& opt = {},
                  run_info* info = nullptr) {
  std::string why;
  if (!supported(p, &why))
    throw std::invalid_argument("cep_reference: unsupported pattern: " + why);
  detail::matcher m(p, events, opt, info);
  return m.run();
}

}  // namespace eddy::cep_reference
