#pragma once
/// User functions with checkpointed state (Flink's CheckpointedFunction, for non-keyed state).
///
/// A function object given to map, filter, flat_map or add_sink that keeps state of its own
/// (a counter, a line number) declares how to save and restore it:
///
///     struct numbered {
///       std::uint64_t n = 0;
///       std::string operator()(std::string line) { return std::to_string(++n) + ": " + line; }
///       std::uint64_t snapshot_state() const { return n; }   // any type with a Serializer
///       void restore_state(std::uint64_t v) { n = v; }
///     };
///
/// The operator calls snapshot_state() at every checkpoint and restore_state() once after a
/// restore, before any record, on the subtask's actor. The state belongs to the subtask: a
/// restore at another parallelism fails naming the operator (use keyed state for state that
/// must be redistributed). Functions without these members keep no checkpointed state.
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

template <class F>
concept checkpointed_function = requires(F& f, const F& cf) {
  cf.snapshot_state();
  f.restore_state(cf.snapshot_state());
};

namespace detail {

inline constexpr const char* function_state = "function";

template <class F>
void snapshot_function(const F& f, std::vector<state_entry>& out) {
  if constexpr (checkpointed_function<F>) {
    using S = std::decay_t<decltype(f.snapshot_state())>;
    if constexpr (has_serializer_v<S>)
      put_operator_value(out, function_state, f.snapshot_state());
    else
      throw_not_checkpointable<S>("the state of the user function");
  }
}

template <class F>
void restore_function(F& f, const std::vector<state_entry>& entries) {
  if constexpr (checkpointed_function<F>) {
    using S = std::decay_t<decltype(f.snapshot_state())>;
    if constexpr (has_serializer_v<S>)
      if (auto v = get_operator_value<S>(entries, function_state)) f.restore_state(std::move(*v));
  }
}

}  // namespace detail
}  // namespace eddy
