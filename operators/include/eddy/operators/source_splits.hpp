#pragma once
/// The work of a replayable source subtask as a list of splits, checkpointed so that a restore at
/// another parallelism redistributes what is left (Flink's source splits).
///
/// A split is the arithmetic progression begin, begin + step, ... below `end` (`end ==
/// split_unbounded`: for ever): indices of a generator or collection, or the byte offsets of a
/// file with step 1, `aligned` telling whether `begin` is known to start a line. At the same
/// parallelism each subtask gets back its own splits. At another parallelism every subtask sees
/// every old subtask's splits (union state) and takes its share: the finite work is cut evenly by
/// count (pieces cut inside a file split are not aligned: the reader skips to the next line start,
/// as for a fresh byte range), and unbounded generators, whose old subtasks each emit one residue
/// class, continue from the largest position any reached, with the new parallelism as the step
/// (the indices below it that were not emitted yet are finite leftovers). Used by the built-in
/// sources on their subtask's actor.
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/subtask_info.hpp"

namespace eddy::detail {

inline constexpr std::uint64_t split_unbounded = std::numeric_limits<std::uint64_t>::max();

struct source_split {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t step = 1;
  bool aligned = true;
  /// Number of indices left (split_unbounded for an unbounded split).
  [[nodiscard]] std::uint64_t count() const noexcept {
    if (end == split_unbounded) return split_unbounded;
    return end > begin ? (end - begin + step - 1) / step : 0;
  }
  friend bool operator==(const source_split&, const source_split&) = default;
};

/// Appends the splits this subtask has left as union state "__union:splits".
void put_splits(std::vector<state_entry>& out, const subtask_info& info,
                const std::vector<source_split>& remaining);

/// This subtask's splits after a restore: its own at the same parallelism, its share of all of
/// them otherwise (see above); nullopt if `entries` hold none. Throws std::runtime_error if the
/// entries do not decode.
[[nodiscard]] std::optional<std::vector<source_split>> get_splits(
    const std::vector<state_entry>& entries, const subtask_info& info);

/// Share `index` of `parallelism` of `all` (every old subtask's splits, in old subtask order).
[[nodiscard]] std::vector<source_split> redistribute_splits(const std::vector<source_split>& all,
                                                            int index, int parallelism);

}  // namespace eddy::detail
