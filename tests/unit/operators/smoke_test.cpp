#include <catch2/catch.hpp>

#include "eddy/operators/datastream.hpp"

TEST_CASE("a chained map and filter job collects the expected records") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto out = env.from_generator(100, [](std::uint64_t i) { return static_cast<int>(i); })
                 .map([](int x) { return x * 2; })
                 .filter([](const int& x) { return x % 3 != 0; })
                 .collect();
  auto r = env.execute("smoke");
  CHECK(r.ok());
  CHECK(out.size() == 66);
}
