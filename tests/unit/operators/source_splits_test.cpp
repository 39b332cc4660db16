#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "eddy/operators/source_splits.hpp"

using eddy::detail::redistribute_splits;
using eddy::detail::source_split;
using eddy::detail::split_unbounded;

namespace {

/// The indices of `splits` below `limit` (unbounded splits are cut there).
std::vector<std::uint64_t> indices(const std::vector<source_split>& splits, std::uint64_t limit) {
  std::vector<std::uint64_t> out;
  for (const auto& s : splits)
    for (std::uint64_t i = s.begin; i < std::min(s.end, limit); i += s.step) out.push_back(i);
  return out;
}

}  // namespace

TEST_CASE("redistributed finite splits cover the same indices, evenly, with no overlap",
          "[source_splits]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<source_split> all;
    const int n = static_cast<int>(rng() % 5);
    std::uint64_t at = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t step = 1 + rng() % 3;
      const std::uint64_t b = at + rng() % 10, e = b + rng() % 40;
      all.push_back({b, e, step, rng() % 2 == 0});
      at = e + step * 40;  // disjoint
    }
    const int p = 1 + static_cast<int>(rng() % 6);
    INFO("round " << round << ", parallelism " << p);
    std::vector<std::uint64_t> got;
    std::uint64_t smallest = ~std::uint64_t{0}, largest = 0;
    for (int i = 0; i < p; ++i) {
      auto mine = redistribute_splits(all, i, p);
      auto ix = indices(mine, split_unbounded);
      smallest = std::min<std::uint64_t>(smallest, ix.size());
      largest = std::max<std::uint64_t>(largest, ix.size());
      got.insert(got.end(), ix.begin(), ix.end());
    }
    auto want = indices(all, split_unbounded);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    CHECK(got == want);
    CHECK(largest - smallest <= 1);
  }
}

TEST_CASE("a cut inside a split is not aligned, the split's own start keeps its flag",
          "[source_splits]") {
  auto parts0 = redistribute_splits({{0, 100, 1, true}}, 0, 2);
  auto parts1 = redistribute_splits({{0, 100, 1, true}}, 1, 2);
  REQUIRE(parts0.size() == 1);
  REQUIRE(parts1.size() == 1);
  CHECK(parts0[0] == source_split{0, 50, 1, true});
  CHECK(parts1[0] == source_split{50, 100, 1, false});
}

TEST_CASE("unbounded residue classes continue from the furthest one at the new parallelism",
          "[source_splits]") {
  // Old parallelism 3: subtask k emits k, k + 3, ...; they got to different positions.
  std::vector<source_split> old = {{30, split_unbounded, 3, true},
                                   {7, split_unbounded, 3, true},
                                   {20, split_unbounded, 3, true}};
  const std::uint64_t limit = 1000;
  for (int p : {1, 2, 5}) {
    INFO("parallelism " << p);
    std::vector<std::uint64_t> got;
    for (int i = 0; i < p; ++i) {
      auto mine = redistribute_splits(old, i, p);
      REQUIRE(!mine.empty());
      CHECK(mine.back().end == split_unbounded);  // every subtask keeps producing
      auto ix = indices(mine, limit);
      got.insert(got.end(), ix.begin(), ix.end());
    }
    std::sort(got.begin(), got.end());
    CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());  // nothing twice
    // Exactly the indices the old subtasks had not emitted yet, below the limit.
    std::vector<std::uint64_t> want;
    for (std::uint64_t i = 0; i < limit; ++i) {
      const auto& s = old[i % 3];
      if (i >= s.begin) want.push_back(i);
    }
    CHECK(got == want);
  }
}
