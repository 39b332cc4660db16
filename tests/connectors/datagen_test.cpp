#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/datagen.hpp"
#include "eddy/operators/datastream.hpp"

namespace {

std::string make_record(std::uint64_t i, eddy::datagen::random& r) {
  return std::to_string(i) + ":" + std::to_string(r.uniform(0, 1000));
}

std::vector<std::string> run(int parallelism, std::uint64_t count, std::uint64_t seed) {
  eddy::datagen::options o;
  o.count = count;
  o.seed = seed;
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = env.from_source(eddy::datagen::datagen_source<std::string>(o, make_record)).collect();
  REQUIRE(env.execute("datagen").ok());
  auto v = out.values();
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("datagen emits count records that depend only on seed and index") {
  const auto a = run(1, 5000, 7);
  CHECK(a.size() == 5000);
  CHECK(run(3, 5000, 7) == a);
  CHECK(run(2, 5000, 8) != a);
}

TEST_CASE(
    "a rate-limited datagen stopped with a savepoint resumes at another parallelism "
    "without losing or repeating a record") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("eddy-datagen-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  eddy::datagen::options o;
  o.count = 3000;
  o.rows_per_second = 6000;  // ~0.5 s
  o.seed = 1;
  std::vector<std::string> got;
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_checkpoint_dir((dir / "chk").string());
    auto out =
        env.from_source(eddy::datagen::datagen_source<std::string>(o, make_record)).collect();
    auto h = env.execute_async("datagen sp");
    REQUIRE(h);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto sp = h->stop_with_savepoint((dir / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    got = out.values();
  }
  CHECK(got.size() < 3000);
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.config().restore_from = savepoint;
  auto out = env.from_source(eddy::datagen::datagen_source<std::string>(o, make_record)).collect();
  REQUIRE(env.execute("datagen sp").ok());
  for (auto& s : out.values()) got.push_back(s);
  std::sort(got.begin(), got.end());
  CHECK(got == run(1, 3000, 1));
  std::filesystem::remove_all(dir);
}
