#include "eddy/runtime/key_group.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

enum class color : std::uint8_t { red = 1, green = 2 };

struct layout {
  int max_parallelism;
  int parallelism;
};

}  // namespace

// The values below were computed once from the current implementation. key_hash must be stable
// across processes, runs and builds (remote exchange and snapshots depend on it): if one of these
// checks fails, the hash function changed and existing snapshots would be assigned wrongly.
TEST_CASE("key_hash of integers is pinned to stable values") {
  CHECK(eddy::key_hash(0) == 0x0000000000000000ULL);
  CHECK(eddy::key_hash(42) == 0x810879608e4259ccULL);
  CHECK(eddy::key_hash(-1) == 0x64b5720b4b825f21ULL);
  CHECK(eddy::key_hash(std::int64_t{1} << 40) == 0xe80f632ed2f232f6ULL);
}

TEST_CASE("key_hash of strings is pinned to stable values") {
  CHECK(eddy::key_hash(std::string("")) == 0x9ca066f1a4ab2eeaULL);
  CHECK(eddy::key_hash(std::string("hello")) == 0xf2bb0945b85a5b2cULL);
  CHECK(eddy::key_hash(std::string("the quick brown fox jumps over the lazy dog")) ==
        0x6377165f36fe3b74ULL);
}

TEST_CASE("key_hash of doubles, pairs, tuples and optionals is pinned to stable values") {
  CHECK(eddy::key_hash(1.5) == 0x885dcc874e75b6f0ULL);
  CHECK(eddy::key_hash(std::make_pair(std::string("a"), 1)) == 0x31069bd4e1ddec85ULL);
  CHECK(eddy::key_hash(std::make_tuple(7, std::string("x"), 2.5)) == 0x46372d05f7b5b79eULL);
  CHECK(eddy::key_hash(std::optional<int>(7)) == 0x44dd39f5099bf062ULL);
  CHECK(eddy::key_hash(std::optional<int>()) == 0x0000000000000000ULL);
}

TEST_CASE("pinned hashes map to the expected key groups of 128") {
  CHECK(eddy::key_group_of(eddy::key_hash(42), 128) == 76);
  CHECK(eddy::key_group_of(eddy::key_hash(std::string("hello")), 128) == 44);
  CHECK(eddy::key_group_of(eddy::key_hash(std::make_pair(std::string("a"), 1)), 128) == 5);
}

TEST_CASE("a string and a string_view with the same content hash equally") {
  for (std::string s :
       {std::string(""), std::string("a"), std::string("abcdefg"), std::string("abcdefgh"),
        std::string("abcdefghi"), std::string(1000, 'z') + "tail"}) {
    INFO("key: " << s);
    const std::string copy = s;  // a different buffer with the same bytes
    CHECK(eddy::key_hash(s) == eddy::key_hash(std::string_view(s)));
    CHECK(eddy::key_hash(s) == eddy::key_hash(copy));
  }
}

TEST_CASE("strings differing in one byte or in length hash differently") {
  CHECK(eddy::key_hash(std::string("abcdefgh")) != eddy::key_hash(std::string("abcdefgi")));
  CHECK(eddy::key_hash(std::string("abc")) != eddy::key_hash(std::string("abcd")));
  CHECK(eddy::key_hash(std::string("")) != eddy::key_hash(std::string(1, '\0')));
  CHECK(eddy::key_hash(std::string(1, '\0')) != eddy::key_hash(std::string(2, '\0')));
}

TEST_CASE("equal pairs and tuples hash equally, including string and string_view members") {
  using namespace std::string_literals;
  CHECK(eddy::key_hash(std::make_pair("user"s, 7)) == eddy::key_hash(std::make_pair("user"s, 7)));
  CHECK(eddy::key_hash(std::make_pair("user"s, 7)) ==
        eddy::key_hash(std::make_pair(std::string_view("user"), 7)));
  CHECK(eddy::key_hash(std::make_tuple(1, "x"s, 2.5)) ==
        eddy::key_hash(std::make_tuple(1, "x"s, 2.5)));
  CHECK(eddy::key_hash(std::make_tuple(1, "x"s, 2.5)) ==
        eddy::key_hash(std::make_tuple(1, std::string_view("x"), 2.5)));
}

TEST_CASE("pairs and tuples are order sensitive") {
  CHECK(eddy::key_hash(std::make_pair(1, 2)) != eddy::key_hash(std::make_pair(2, 1)));
  CHECK(eddy::key_hash(std::make_tuple(1, 2, 3)) != eddy::key_hash(std::make_tuple(3, 2, 1)));
}

TEST_CASE("integral keys hash by value regardless of their width") {
  CHECK(eddy::key_hash(5) == eddy::key_hash(std::int64_t{5}));
  CHECK(eddy::key_hash(5) == eddy::key_hash(std::uint16_t{5}));
  CHECK(eddy::key_hash(-3) == eddy::key_hash(std::int64_t{-3}));
  CHECK(eddy::key_hash(color::green) == eddy::key_hash(2));
}

TEST_CASE("positive and negative zero are one floating point key") {
  CHECK(eddy::key_hash(0.0) == eddy::key_hash(-0.0));
  CHECK(eddy::key_hash(0.0f) == eddy::key_hash(-0.0f));
  CHECK(eddy::key_hash(1.5f) == eddy::key_hash(1.5));
  CHECK(eddy::key_hash(1.5) != eddy::key_hash(2.5));
}

TEST_CASE("an empty optional and an engaged optional hash differently") {
  CHECK(eddy::key_hash(std::optional<int>()) != eddy::key_hash(std::optional<int>(0)));
  CHECK(eddy::key_hash(std::optional<std::string>("a")) ==
        eddy::key_hash(std::optional<std::string>("a")));
}

TEST_CASE("key_group_of always lies between 0 and max_parallelism - 1") {
  std::mt19937_64 rng(12345);
  const std::vector<std::uint64_t> edge_hashes = {0,
                                                  1,
                                                  127,
                                                  128,
                                                  129,
                                                  std::numeric_limits<std::uint64_t>::max(),
                                                  std::numeric_limits<std::uint64_t>::max() - 1};
  for (int maxp : {1, 2, 7, 128, 1000, 32768}) {
    INFO("max_parallelism " << maxp);
    for (auto h : edge_hashes) {
      const int kg = eddy::key_group_of(h, maxp);
      CHECK(kg >= 0);
      CHECK(kg < maxp);
      CHECK(static_cast<std::uint64_t>(kg) == h % static_cast<std::uint64_t>(maxp));
    }
    for (int i = 0; i < 10000; ++i) {
      const int kg = eddy::key_group_of(rng(), maxp);
      REQUIRE(kg >= 0);
      REQUIRE(kg < maxp);
    }
  }
}

TEST_CASE("subtask_of_key_group assigns contiguous ranges covering every subtask") {
  const std::vector<layout> layouts = {
      {1, 1},   {2, 1},   {2, 2},     {5, 2},     {7, 7},     {10, 3},       {128, 1},
      {128, 3}, {128, 7}, {128, 100}, {128, 127}, {128, 128}, {32768, 1000}, {32768, 32768}};
  for (const auto& l : layouts) {
    INFO("max_parallelism " << l.max_parallelism << ", parallelism " << l.parallelism);
    std::vector<int> groups_per_subtask(static_cast<std::size_t>(l.parallelism), 0);
    int prev = -1;
    bool ok = true;
    for (int kg = 0; kg < l.max_parallelism; ++kg) {
      const int s = eddy::subtask_of_key_group(kg, l.max_parallelism, l.parallelism);
      // In range, non-decreasing and never skipping a subtask: the ranges are contiguous.
      if (s < 0 || s >= l.parallelism || s < prev || s > prev + 1) {
        ok = false;
        UNSCOPED_INFO("key group " << kg << " -> subtask " << s << " after " << prev);
        break;
      }
      // Flink's assignment.
      if (s != static_cast<int>(static_cast<long long>(kg) * l.parallelism / l.max_parallelism)) {
        ok = false;
        break;
      }
      ++groups_per_subtask[static_cast<std::size_t>(s)];
      prev = s;
    }
    REQUIRE(ok);
    CHECK(prev == l.parallelism - 1);
    // Every subtask owns floor or ceil of max_parallelism / parallelism key groups.
    const int lo = l.max_parallelism / l.parallelism;
    const int hi = (l.max_parallelism + l.parallelism - 1) / l.parallelism;
    for (int n : groups_per_subtask) {
      CHECK(n >= lo);
      CHECK(n <= hi);
    }
  }
}

TEST_CASE("with parallelism equal to max_parallelism each key group has its own subtask") {
  for (int maxp : {1, 4, 128}) {
    for (int kg = 0; kg < maxp; ++kg) CHECK(eddy::subtask_of_key_group(kg, maxp, maxp) == kg);
  }
}

TEST_CASE("100k integer keys spread evenly over 128 key groups") {
  constexpr int groups = 128;
  constexpr int keys = 100000;
  std::vector<int> count(groups, 0);
  for (int k = 0; k < keys; ++k)
    ++count[static_cast<std::size_t>(eddy::key_group_of(eddy::key_hash(k), groups))];
  const double mean = static_cast<double>(keys) / groups;
  for (int g = 0; g < groups; ++g) {
    INFO("key group " << g << " has " << count[static_cast<std::size_t>(g)] << " keys, mean "
                      << mean);
    CHECK(count[static_cast<std::size_t>(g)] >= 0.5 * mean);
    CHECK(count[static_cast<std::size_t>(g)] <= 1.5 * mean);
  }
}

TEST_CASE("100k string keys spread evenly over 128 key groups") {
  constexpr int groups = 128;
  constexpr int keys = 100000;
  std::vector<int> count(groups, 0);
  for (int k = 0; k < keys; ++k)
    ++count[static_cast<std::size_t>(
        eddy::key_group_of(eddy::key_hash("user-" + std::to_string(k)), groups))];
  const double mean = static_cast<double>(keys) / groups;
  for (int g = 0; g < groups; ++g) {
    INFO("key group " << g << " has " << count[static_cast<std::size_t>(g)] << " keys");
    CHECK(count[static_cast<std::size_t>(g)] >= 0.5 * mean);
    CHECK(count[static_cast<std::size_t>(g)] <= 1.5 * mean);
  }
}
