// Retractable accumulators (aggregates over an updating input) against a brute-force evaluation:
// random sequences of accumulated and retracted values, with NULLs, FILTER and DISTINCT, for
// every aggregate kind; after each step the result equals the aggregate of what is left.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "eddy/table/aggregates.hpp"

using namespace eddy;
using namespace eddy::table;

namespace {

/// The expected result over the values left (the filtered-in, non-NULL ones).
rows::value brute_force(aggregate_kind kind, bool distinct, std::vector<std::int64_t> values,
                        std::int64_t rows_left) {
  if (kind == aggregate_kind::count_star) return rows::value(rows_left);
  if (distinct) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }
  if (kind == aggregate_kind::count) return rows::value(static_cast<std::int64_t>(values.size()));
  if (values.empty()) return {};
  std::int64_t sum = 0;
  for (auto v : values) sum += v;
  switch (kind) {
    case aggregate_kind::sum:
      return rows::value(sum);
    case aggregate_kind::avg:
      return rows::value(sum / static_cast<std::int64_t>(values.size()));
    case aggregate_kind::min:
      return rows::value(*std::min_element(values.begin(), values.end()));
    default:
      return rows::value(*std::max_element(values.begin(), values.end()));
  }
}

}  // namespace

TEST_CASE("Retractable accumulators equal a brute-force evaluation of what is left",
          "[table][aggregate][random]") {
  std::mt19937_64 rng(11);
  const aggregate_kind kinds[] = {aggregate_kind::count_star, aggregate_kind::count,
                                  aggregate_kind::sum,        aggregate_kind::avg,
                                  aggregate_kind::min,        aggregate_kind::max};
  for (const auto kind : kinds)
    for (const bool distinct : {false, true})
      for (const bool filtered : {false, true}) {
        CAPTURE(static_cast<int>(kind), distinct, filtered);
        aggregate_call call;
        call.kind = kind;
        call.distinct = distinct && kind != aggregate_kind::count_star;
        call.argument = kind == aggregate_kind::count_star ? -1 : 0;
        call.filter = filtered ? 1 : -1;
        call.argument_type = rows::bigint_type();
        std::string why;
        call.result_type = *aggregate_result_type(kind, call.argument_type, why);
        accumulator acc;
        // The rows accumulated and not yet retracted: (value or NULL, filter).
        std::vector<std::pair<std::optional<std::int64_t>, bool>> live;
        for (int step = 0; step < 400; ++step) {
          const bool retract_one = !live.empty() && rng() % 5 < 2;
          std::vector<rows::value> row(2);
          if (retract_one) {
            const auto i = rng() % live.size();
            const auto [v, f] = live[i];
            live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
            if (v) row[0] = rows::value(*v);
            row[1] = rows::value(f);
            retract(call, acc, row);
          } else {
            std::optional<std::int64_t> v;
            if (rng() % 10 != 0) v = static_cast<std::int64_t>(rng() % 30) - 10;
            const bool f = rng() % 4 != 0;
            live.emplace_back(v, f);
            if (v) row[0] = rows::value(*v);
            row[1] = rows::value(f);
            accumulate(call, acc, row, true);
          }
          std::vector<std::int64_t> values;
          std::int64_t rows_left = 0;
          for (const auto& [v, f] : live) {
            if (filtered && !f) continue;
            ++rows_left;
            if (v) values.push_back(*v);
          }
          const auto want = brute_force(kind, call.distinct, values, rows_left);
          const auto got = aggregate_result(call, acc);
          INFO("step " << step);
          REQUIRE(got.is_null() == want.is_null());
          if (!want.is_null()) REQUIRE(got.as_int64() == want.as_int64());
        }
      }
}
