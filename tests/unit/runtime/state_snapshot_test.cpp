// put_keyed_rows writes each key group's rows exactly as serialize(std::vector<std::tuple<...>>)
// would, in both of its paths (fixed-size fields stored directly, other fields through the
// Serializer), so restores decode them with decode_state.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace {

/// The reference: rows grouped by key group, then serialized as vectors of tuples.
template <class... Fields>
std::map<int, std::string> reference(const std::vector<std::tuple<Fields...>>& rows, int maxp) {
  std::map<int, std::vector<std::tuple<Fields...>>> by_group;
  for (const auto& r : rows)
    by_group[eddy::key_group_of(eddy::key_hash(std::get<0>(r)), maxp)].push_back(r);
  std::map<int, std::string> out;
  for (const auto& [g, v] : by_group) out[g] = eddy::serialize(v);
  return out;
}

template <class... Fields>
std::map<int, std::string> written(const std::vector<std::tuple<Fields...>>& rows, int maxp) {
  std::vector<eddy::state_entry> out;
  eddy::put_keyed_rows<Fields...>(out, "rows", "tag", maxp, [&](auto&& emit) {
    for (const auto& r : rows)
      std::apply([&](const Fields&... f) { emit(eddy::key_hash(std::get<0>(r)), f...); }, r);
  });
  std::map<int, std::string> by_group;
  for (const auto& e : out) {
    REQUIRE(e.name == "rows");
    REQUIRE(e.type == "tag");
    REQUIRE(by_group.count(e.key_group) == 0);
    by_group[e.key_group] = e.data;
  }
  return by_group;
}

}  // namespace

TEST_CASE("keyed rows of fixed-size fields encode as serialized vectors of tuples", "[state]") {
  using row = std::tuple<std::uint64_t, std::int64_t, double, bool, std::int32_t, char>;
  std::vector<row> rows;
  for (std::uint64_t i = 0; i < 5000; ++i)
    rows.emplace_back(i % 997, -static_cast<std::int64_t>(i) * 1000003, i * 0.5, i % 3 == 0,
                      static_cast<std::int32_t>(i) - 2500, static_cast<char>('a' + i % 26));
  for (int maxp : {1, 7, 128}) {
    const auto got = written(rows, maxp);
    CHECK(got == reference(rows, maxp));
    for (const auto& [g, data] : got) {
      const auto back =
          eddy::detail::decode_state<std::vector<row>>(eddy::state_entry{"rows", g, "tag", data});
      CHECK_FALSE(back.empty());
    }
  }
}

TEST_CASE("keyed rows with variable-size fields encode as serialized vectors of tuples",
          "[state]") {
  using row = std::tuple<std::string, std::vector<int>, std::int64_t>;
  std::vector<row> rows;
  for (int i = 0; i < 3000; ++i)
    rows.emplace_back("key-" + std::to_string(i % 211), std::vector<int>(i % 5, i), i);
  CHECK(written(rows, 128) == reference(rows, 128));
  CHECK(written(rows, 3) == reference(rows, 3));
}

TEST_CASE("no rows write no entries", "[state]") {
  CHECK(written(std::vector<std::tuple<std::uint64_t, bool>>{}, 128).empty());
}

TEST_CASE("a keyed map round-trips through put_keyed_map and get_keyed_entries", "[state]") {
  std::map<std::string, std::int64_t> m;
  for (int i = 0; i < 1000; ++i) m["k" + std::to_string(i)] = i * 7;
  std::vector<eddy::state_entry> out;
  eddy::put_keyed_map<std::string, std::int64_t>(out, "m", m, 16);
  CHECK(out.size() <= 16);
  std::map<std::string, std::int64_t> back;
  eddy::get_keyed_entries<std::string, std::int64_t>(out, "m", back);
  CHECK(back == m);
}
