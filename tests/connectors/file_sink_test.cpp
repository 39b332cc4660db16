// The part-file sink as a connector (file:///DIR?rolling.size=...&rolling.interval=...):
// rolling by size and age, lines never split, and exactly once across a restart with files
// rolled between checkpoints.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/files/file_sink.hpp"
#include "eddy/connectors/files/file_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/failure_injection.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::connectors::parse_connector_uri;
using eddy::connectors::parse_size;
using eddy::files::parse_file_sink_uri;

namespace {

/// The committed files of `dir` by name (hidden ones are listed under their names too, so that
/// a test can check none is left).
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out[e.path().filename().string()] = eddy::testing::read_file(e.path());
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("sizes parse as Flink's memory sizes", "[files][uri]") {
  CHECK(parse_size("100") == 100u);
  CHECK(parse_size("1b") == 1u);
  CHECK(parse_size("64MB") == 64ull << 20);
  CHECK(parse_size("512kb") == 512ull << 10);
  CHECK(parse_size("2GiB") == 2ull << 30);
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("-1").has_value());
  CHECK_FALSE(parse_size("1 tb").has_value());
  CHECK_FALSE(parse_size("99999999999999999999").has_value());
  CHECK_FALSE(parse_size("20000000000G").has_value());
}

TEST_CASE("a file:// output URI gives the directory and the rolling policy", "[files][uri]") {
  auto u = parse_connector_uri("file:///tmp/out?rolling.size=1kb&rolling.interval=2s");
  REQUIRE(u);
  auto o = parse_file_sink_uri(*u);
  REQUIRE(o);
  CHECK(o->path == "/tmp/out");
  CHECK(o->rolling.max_part_size == 1024u);
  CHECK(o->rolling.rollover_interval == std::chrono::seconds(2));

  auto plain = parse_file_sink_uri(*parse_connector_uri("file:///tmp/out"));
  REQUIRE(plain);
  CHECK(plain->rolling.max_part_size == 128ull << 20);  // Flink's defaults
  CHECK(plain->rolling.rollover_interval == std::chrono::seconds(60));

  auto bad_key = parse_file_sink_uri(*parse_connector_uri("file:///tmp/out?rolling.sise=1kb"));
  REQUIRE_FALSE(bad_key);
  CHECK_THAT(bad_key.error().message,
             Catch::Contains("rolling.sise") && Catch::Contains("did you mean 'rolling.size'"));
  auto bad_size = parse_file_sink_uri(*parse_connector_uri("file:///tmp/out?rolling.size=big"));
  REQUIRE_FALSE(bad_size);
  CHECK_THAT(bad_size.error().message, Catch::Contains("rolling.size 'big'"));
  auto with_host = parse_connector_uri("file://localhost:1/out");
  REQUIRE(with_host);
  auto relative = parse_file_sink_uri(*with_host);
  REQUIRE_FALSE(relative);
  CHECK_THAT(relative.error().message, Catch::Contains("expected file:///ABSOLUTE/PATH"));
}

TEST_CASE("the file sink rolls part files at the size limit without splitting a line",
          "[files][sink]") {
  eddy::testing::temp_dir tmp("eddy-file-sink-size");
  const auto dir = tmp.path();
  eddy::files::file_sink_options o;
  o.path = (dir / "out").string();
  o.rolling.max_part_size = 100;
  o.rolling.rollover_interval = std::chrono::milliseconds(0);
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i)  // 3..7 bytes per line; one line of 150 bytes
    want.push_back(i == 123 ? std::string(150, 'x') : "l" + std::to_string(i * 37));
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(1);
    env.set_batch_size(64);
    env.from_collection(want).sink_to(eddy::files::file_sink<std::string>(o), "out");
    REQUIRE(env.execute("rolling").ok());
  }
  const auto files = files_of(o.path);
  REQUIRE(files.size() > 10);
  // In order of their numbers: "<n>" then "<n>-1", "<n>-2", ...
  std::vector<std::pair<int, std::string>> ordered;
  for (const auto& [name, text] : files) {
    INFO(name);
    REQUIRE(name.rfind("part-", 0) == 0);  // all committed
    REQUIRE(!text.empty());
    CHECK(text.back() == '\n');  // whole lines only
    const auto lines = lines_of(text);
    if (text.size() > 100) CHECK(lines.size() == 1);  // only a line longer than the limit
    int st = 0, node = 0, n = 0, k = 0;
    const int got = std::sscanf(name.c_str(), "part-%d-%d-%d-%d", &node, &st, &n, &k);
    REQUIRE(got >= 3);
    ordered.emplace_back(k, text);
  }
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> all;
  for (const auto& [k, text] : ordered)
    for (auto& l : lines_of(text)) all.push_back(l);
  CHECK(all == want);
}

TEST_CASE("the file sink rolls a part file that is older than the rollover interval",
          "[files][sink]") {
  eddy::testing::temp_dir tmp("eddy-file-sink-age");
  const auto dir = tmp.path();
  const auto out = dir / "out";
  eddy::rolling_policy policy;
  policy.max_part_size = 0;
  policy.rollover_interval = std::chrono::milliseconds(1);
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(1);
    env.set_batch_size(1);
    // Every record arrives at least 5 ms after the one before: each one after the first finds
    // its file older than 1 ms.
    env.from_collection(std::vector<std::int64_t>{1, 2, 3, 4})
        .map([](std::int64_t i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return i;
        })
        .write_text_file(out.string(), policy);
    REQUIRE(env.execute("aging").ok());
  }
  const auto files = files_of(out);
  CHECK(files.size() == 4);
  std::vector<std::string> all;
  for (const auto& [name, text] : files)
    for (auto& l : lines_of(text)) all.push_back(l);
  CHECK(eddy::testing::sorted(all) == std::vector<std::string>{"1", "2", "3", "4"});
}

TEST_CASE("rolled part files commit exactly the failure-free output across a restart",
          "[files][sink][checkpoint]") {
  eddy::testing::temp_dir tmp("eddy-file-sink-restart");
  const auto dir = tmp.path();
  constexpr std::uint64_t records = 20000;
  auto sw = std::make_shared<eddy::testing::failure_switch>();
  eddy::files::file_sink_options o;
  o.path = (dir / "out").string();
  o.rolling.max_part_size = 4096;  // many files between two checkpoints
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_batch_size(64);
    eddy::testing::enable_checkpoints(env, dir / "chk");
    env.from_generator(records, [](std::uint64_t i) { return i; })
        .map(eddy::testing::failing_map(sw))
        .sink_to(eddy::files::file_sink<std::uint64_t>(o));
    const auto result = eddy::testing::run_with_failure(env, *sw);
    REQUIRE(result.ok());
  }
  std::vector<std::string> lines;
  bool rolled = false;
  for (const auto& [name, text] : files_of(o.path)) {
    INFO(name);
    CHECK(name.front() != '.');  // no in-progress file is left
    if (std::count(name.begin(), name.end(), '-') == 4) rolled = true;  // part-N-S-n-k
    for (auto& l : lines_of(text)) lines.push_back(l);
  }
  CHECK(rolled);
  std::vector<std::string> want;
  for (std::uint64_t i = 0; i < records; ++i) want.push_back(std::to_string(i));
  CHECK(eddy::testing::sorted(lines) == eddy::testing::sorted(want));
}

TEST_CASE("the single-file source reads a file through from_source", "[files][source]") {
  eddy::testing::temp_dir tmp("eddy-file-source");
  const auto dir = tmp.path();
  std::vector<std::string> want;
  {
    std::ofstream f(dir / "in.txt");
    for (int i = 0; i < 5000; ++i) {
      want.push_back("line " + std::to_string(i));
      f << want.back() << '\n';
    }
  }
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  auto got =
      env.from_source(eddy::files::text_file_lines_source((dir / "in.txt").string())).collect();
  REQUIRE(env.execute("file source").ok());
  CHECK(eddy::testing::sorted(got.values()) == eddy::testing::sorted(want));
}

TEST_CASE("eddy run writes rolled part files for a file:// output with rolling options",
          "[files][sink][cli]") {
  eddy::testing::temp_dir tmp("eddy-file-sink-cli");
  const auto dir = tmp.path();
  std::ofstream(dir / "in.txt") << eddy::testing::words_text(3000, 7);
  auto ref = eddy::testing::run_eddy(dir, {"run", "wordcount", "--input", (dir / "in.txt").string(),
                                           "--output", (dir / "ref").string()});
  REQUIRE(ref.code == 0);
  auto r = eddy::testing::run_eddy(
      dir, {"run", "wordcount", "--input", (dir / "in.txt").string(), "--output",
            "file://" + (dir / "out").string() + "?rolling.size=64&rolling.interval=0"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(eddy::testing::committed_lines(dir / "out") == eddy::testing::committed_lines(dir / "ref"));
  std::size_t files = 0;
  for (const auto& [name, text] : files_of(dir / "out")) {
    INFO(name);
    CHECK(name.front() != '.');
    ++files;
  }
  CHECK(files > 1);

  auto bad = eddy::testing::run_eddy(
      dir, {"run", "wordcount", "--input", (dir / "in.txt").string(), "--output",
            "file://" + (dir / "out2").string() + "?rolling.sise=1kb"});
  CHECK(bad.code != 0);
  CHECK_THAT(bad.err, Catch::Contains("output: ") && Catch::Contains("rolling.sise") &&
                          Catch::Contains("did you mean 'rolling.size'"));
}
