// latency_histogram (runtime/include/eddy/runtime/latency_histogram.hpp): bucket layout, and
// quantiles against the exact nearest-rank quantiles of random latencies (brute force).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "eddy/runtime/job_json.hpp"
#include "eddy/runtime/latency_histogram.hpp"

using eddy::latency_buckets;
using eddy::latency_histogram;

TEST_CASE("latency buckets cover every latency once, in order", "[unit][latency]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    // Log-uniform from 1 ns to about 70 s, plus the edges.
    const auto ns =
        static_cast<std::int64_t>(std::exp(std::uniform_real_distribution<>(0, 25)(rng)));
    const int b = latency_buckets::index_of(ns);
    REQUIRE(b >= 0);
    REQUIRE(b < latency_buckets::count);
    if (b > 0 && b < latency_buckets::count - 1) {
      REQUIRE(latency_buckets::lower_ns(b) <= static_cast<double>(ns));
      REQUIRE(static_cast<double>(ns) < latency_buckets::upper_ns(b));
      // Eight buckets per power of two: a bucket is at most 1/8 of its lower bound wide.
      REQUIRE(latency_buckets::upper_ns(b) - latency_buckets::lower_ns(b) <=
              latency_buckets::lower_ns(b) / 8 + 1e-9);
    }
  }
  CHECK(latency_buckets::index_of(-5) == 0);  // clock skew between machines
  CHECK(latency_buckets::index_of(1023) == 0);
  CHECK(latency_buckets::index_of(1024) == 1);
  CHECK(latency_buckets::index_of(std::int64_t{1} << 40) == latency_buckets::count - 1);
  for (int b = 1; b < latency_buckets::count; ++b)
    REQUIRE(latency_buckets::lower_ns(b) == latency_buckets::upper_ns(b - 1));
}

TEST_CASE("latency quantiles lie within the bucket of the exact quantile", "[unit][latency]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 50; ++round) {
    const int n = std::uniform_int_distribution<>(1, 5000)(rng);
    // Log-normal around a random median from 2 us to 20 ms, as real latencies are.
    const double median =
        std::exp(std::uniform_real_distribution<>(std::log(2e3), std::log(2e7))(rng));
    std::lognormal_distribution<> dist(std::log(median), 0.8);
    std::vector<std::int64_t> values;
    latency_histogram h;
    for (int i = 0; i < n; ++i) {
      values.push_back(static_cast<std::int64_t>(dist(rng)));
      h.record(values.back());
    }
    std::sort(values.begin(), values.end());
    REQUIRE(h.total() == static_cast<std::uint64_t>(n));
    for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
      const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n)));
      const auto exact = values[rank - 1];
      const int b = latency_buckets::index_of(exact);
      const double got = h.quantile(q);
      INFO("n " << n << " q " << q << " exact " << exact << " got " << got);
      REQUIRE(got >= latency_buckets::lower_ns(b));
      REQUIRE(got <= latency_buckets::upper_ns(b));
    }
    double sum = 0;
    for (auto v : values) sum += static_cast<double>(v);
    CHECK(h.mean() == Approx(sum / n).epsilon(1e-9));
  }
  CHECK(latency_histogram{}.quantile(0.5) == 0);
  CHECK(latency_histogram{}.empty());
}

TEST_CASE("latency histograms merge, and survive their JSON form", "[unit][latency]") {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::int64_t> d(0, 50'000'000);
  latency_histogram a, b, all;
  for (int i = 0; i < 3000; ++i) {
    const auto v = d(rng);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  latency_histogram merged = a;
  merged.merge(b);
  merged.merge(latency_histogram{});
  CHECK(merged.counts == all.counts);
  CHECK(merged.sum_ns == all.sum_ns);
  const auto back = eddy::latency_from_json(eddy::latency_json(all));
  CHECK(back.counts == all.counts);
  CHECK(back.sum_ns == all.sum_ns);
  CHECK(eddy::latency_from_json("not json").empty());
  CHECK(eddy::latency_from_json(R"({"buckets": [[100000, 3], "x"]})").empty());
}
