// Column vectors and row batches: typed storage, NULLs, selection vectors, row kinds, against
// rows kept as plain value vectors (the reference).
#include <catch2/catch.hpp>

#include <random>

#include "eddy/rows/row_batch.hpp"

using namespace eddy::rows;

TEST_CASE("a column stores its physical type and NULLs", "[rows][column]") {
  column_vector c(bigint_type());
  CHECK(c.all_valid());
  c.append(value(std::int64_t{1}));
  c.append(value(std::int64_t{2}));
  CHECK(c.all_valid());  // no validity bytes until a NULL
  c.append_null();
  CHECK_FALSE(c.all_valid());
  CHECK(c.size() == 3);
  CHECK(c.data<std::int64_t>() == std::vector<std::int64_t>{1, 2, 0});
  CHECK(c.get(1) == value(std::int64_t{2}));
  CHECK(c.get(2).is_null());
  CHECK_THROWS_WITH(c.data<double>(), Catch::Contains("BIGINT holds int64_t values, not double"));
  CHECK_THROWS_WITH(c.append(value(1.5)), Catch::Contains("column of type BIGINT"));
  c.set_null(0, true);
  CHECK(c.is_null(0));
  c.set_null(0, false);
  CHECK(c.get(0) == value(std::int64_t{1}));
  CHECK_THROWS_WITH(column_vector(array_type(int_type())),
                    Catch::Contains("ARRAY<INT> are not supported yet"));
  column_vector b(boolean_type());
  b.append(value(true));
  CHECK(b.data<std::uint8_t>() == std::vector<std::uint8_t>{1});
  CHECK(b.get(0) == value(true));
  // Values under NULLs do not take part in ==.
  column_vector x(int_type()), y(int_type());
  x.append_null();
  y.append(value(std::int32_t{9}));
  y.set_null(0, true);
  CHECK(x == y);
}

TEST_CASE("row batches with selections and kinds agree with plain rows", "[rows][batch]") {
  const std::vector<logical_type> types{bigint_type(), string_type(), double_type(),
                                        boolean_type()};
  std::mt19937_64 rng(5);
  for (int round = 0; round < 200; ++round) {
    row_batch b(types);
    std::vector<std::vector<value>> rows;
    std::vector<row_kind> kinds;
    const auto n = rng() % 50;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<value> r;
      r.push_back(rng() % 5 == 0 ? value{} : value(static_cast<std::int64_t>(rng() % 100)));
      r.push_back(rng() % 5 == 0 ? value{} : value(std::string(rng() % 4, 'x')));
      r.push_back(rng() % 5 == 0 ? value{} : value(static_cast<double>(rng() % 7) / 2));
      r.push_back(rng() % 5 == 0 ? value{} : value(rng() % 2 == 0));
      const auto k = static_cast<row_kind>(rng() % 4 == 0 ? rng() % 4 : 0);
      b.append_row(r, k);
      rows.push_back(r);
      kinds.push_back(k);
    }
    REQUIRE(b.size() == n);
    std::vector<std::uint32_t> sel;
    std::vector<std::vector<value>> kept;
    std::vector<row_kind> kept_kinds;
    for (std::uint32_t i = 0; i < n; ++i)
      if (rng() % 3 != 0) {
        sel.push_back(i);
        kept.push_back(rows[i]);
        kept_kinds.push_back(kinds[i]);
      }
    b.set_selection(sel);
    REQUIRE(b.size() == kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
      REQUIRE(b.row_values(i) == kept[i]);
      REQUIRE(b.kind(i) == kept_kinds[i]);
    }
    const auto before = b;
    b.compact();
    REQUIRE_FALSE(b.has_selection());
    REQUIRE(b.physical_size() == kept.size());
    REQUIRE(b == before);
    for (std::size_t i = 0; i < kept.size(); ++i) REQUIRE(b.row_values(i) == kept[i]);
  }
}

TEST_CASE("row batch errors name what is wrong", "[rows][batch]") {
  row_batch b({bigint_type(), string_type()});
  CHECK_THROWS_WITH(b.append_row({value(std::int64_t{1})}),
                    Catch::Contains("a row of 1 values for a batch of 2 columns"));
  b.append_row({value(std::int64_t{1}), value(std::string("a"))});
  CHECK_THROWS_WITH(b.set_selection({1}), Catch::Contains("row 1 is out of order or beyond"));
  b.set_selection({});
  CHECK(b.empty());
  CHECK(short_string(row_kind::update_before) == std::string("-U"));
  CHECK(short_string(row_kind::delete_) == std::string("-D"));
}
