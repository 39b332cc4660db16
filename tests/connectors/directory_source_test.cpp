// The directory source (file:///DIR, monitored or not).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/files/directory_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// Writes file `name` with lines "<name>:<i>" for i < n, complete before it appears (renamed
/// from a hidden name).
std::vector<std::string> put_file(const fs::path& dir, const std::string& name, int n) {
  std::vector<std::string> lines;
  {
    std::ofstream out(dir / ("." + name));
    for (int i = 0; i < n; ++i) {
      lines.push_back(name + ":" + std::to_string(i));
      out << lines.back() << (i % 2 ? "\r\n" : "\n");
    }
  }
  fs::rename(dir / ("." + name), dir / name);
  return lines;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("a directory source reads every file once, at any parallelism, skipping hidden ones") {
  const auto dir = fresh_dir("eddy-dir-bounded");
  std::vector<std::string> expected;
  for (int f = 0; f < 5; ++f) {
    auto l = put_file(dir, "part-" + std::to_string(f), 1000 + f);
    expected.insert(expected.end(), l.begin(), l.end());
  }
  std::ofstream(dir / "_SUCCESS") << "not data\n";
  std::ofstream(dir / ".hidden") << "not data\n";
  for (int p : {1, 3}) {
    eddy::StreamEnvironment env;
    env.set_parallelism(p);
    eddy::files::directory_options o;
    o.path = dir.string();
    auto out = env.from_source(eddy::files::directory_lines_source(o)).collect();
    REQUIRE(env.execute("dir").ok());
    CHECK(sorted(out.values()) == sorted(expected));
  }
  fs::remove_all(dir);
}

TEST_CASE("a monitored directory source reads files as they appear") {
  const auto dir = fresh_dir("eddy-dir-monitor");
  auto expected = put_file(dir, "a", 100);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  eddy::files::directory_options o;
  o.path = dir.string();
  o.monitor_interval = std::chrono::milliseconds(50);
  auto out = env.from_source(eddy::files::directory_lines_source(o)).collect();
  auto h = env.execute_async("dir monitor");
  REQUIRE(h);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto l = put_file(dir, "b" + std::to_string(i), 200);
    expected.insert(expected.end(), l.begin(), l.end());
  }
  for (int i = 0; i < 200 && out.size() < expected.size(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  CHECK(!h->wait_for(std::chrono::milliseconds(0)).has_value());  // monitoring never ends
  h->cancel();
  (void)h->wait();
  CHECK(sorted(out.values()) == sorted(expected));
  fs::remove_all(dir);
}

TEST_CASE("a directory source stopped with a savepoint resumes at another parallelism exactly") {
  const auto dir = fresh_dir("eddy-dir-savepoint");
  const auto sp_dir = fresh_dir("eddy-dir-savepoint-sp");
  std::vector<std::string> expected;
  for (int f = 0; f < 4; ++f) {
    auto l = put_file(dir, "f" + std::to_string(f), 1500);
    expected.insert(expected.end(), l.begin(), l.end());
  }
  eddy::files::directory_options o;
  o.path = dir.string();
  std::vector<std::string> got;
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.config().source_rate = 6000;  // ~1 s
    env.set_checkpoint_dir((sp_dir / "chk").string());
    auto out = env.from_source(eddy::files::directory_lines_source(o)).collect();
    auto h = env.execute_async("dir sp");
    REQUIRE(h);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto sp = h->stop_with_savepoint((sp_dir / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    got = out.values();
  }
  CHECK(got.size() < expected.size());
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.config().restore_from = savepoint;
  auto out = env.from_source(eddy::files::directory_lines_source(o)).collect();
  REQUIRE(env.execute("dir sp").ok());
  for (auto& s : out.values()) got.push_back(s);
  CHECK(sorted(got) == sorted(expected));
  fs::remove_all(dir);
  fs::remove_all(sp_dir);
}

TEST_CASE("directory URIs are checked") {
  auto parse = [](const char* text) {
    auto u = eddy::connectors::parse_connector_uri(text);
    REQUIRE(u);
    return eddy::files::parse_directory_uri(*u);
  };
  auto ok = parse("file:///data/in?monitor=2s");
  REQUIRE(ok);
  CHECK(ok->path == "/data/in");
  CHECK(ok->monitor_interval.count() == 2000);
  CHECK(!parse("file:///data/in?monitor=0"));
  CHECK(!parse("file:///data/in?monitr=1s"));
  CHECK(!parse("file://host:1/data"));
}

TEST_CASE("eddy run wordcount counts the words of a directory's files given as file:///DIR",
          "[cli]") {
  const auto dir = fresh_dir("eddy-dir-cli");
  const auto in = dir / "in";
  fs::create_directories(in);
  std::string all;
  for (int f = 0; f < 3; ++f) {
    const auto text = eddy::testing::words_text(500, static_cast<std::uint32_t>(f));
    std::ofstream(in / ("text-" + std::to_string(f))) << text;
    all += text;
  }
  std::ofstream(dir / "all.txt") << all;
  auto ref =
      eddy::testing::run_eddy(dir, {"run", "wordcount", "--input", (dir / "all.txt").string(),
                                    "--output", (dir / "ref").string()});
  REQUIRE(ref.code == 0);
  auto r = eddy::testing::run_eddy(dir, {"run", "wordcount", "--input", "file://" + in.string(),
                                         "--output", (dir / "out").string(), "-p", "2"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(eddy::testing::committed_lines(dir / "out") == eddy::testing::committed_lines(dir / "ref"));
  auto bad = eddy::testing::run_eddy(
      dir, {"run", "wordcount", "--input", "file://" + in.string() + "?monitor=1s", "--output",
            (dir / "out2").string()});
  CHECK(bad.code != 0);
  CHECK(bad.err.find("leave out monitor=") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a directory source whose reader is killed resumes from the checkpoint exactly once",
          "[checkpoint][recovery]") {
  const int p = GENERATE(1, 3);
  INFO("parallelism " << p);
  eddy::testing::temp_dir tmp{"eddy-dir-kill"};
  const auto dir = tmp.path() / "in";
  fs::create_directories(dir);
  std::vector<std::string> expected;
  for (int f = 0; f < 7; ++f) {  // sizes differ: readers that drew small files take more
    auto l = put_file(dir, "f" + std::to_string(f), 400 * (1 + f % 3));
    expected.insert(expected.end(), l.begin(), l.end());
  }
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  env.set_batch_size(16);
  env.config().source_rate = 4000;  // ~1 s: time for checkpoints and the kill
  env.config().checkpoints.interval = std::chrono::milliseconds(20);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(3, std::chrono::milliseconds(10));
  eddy::files::directory_options o;
  o.path = dir.string();
  auto out = env.from_source(eddy::files::directory_lines_source(o), "files").collect();
  auto h = env.execute_async("dir kill");
  REQUIRE(h);
  while (h->checkpoints().size() < 2 && !h->wait_for(std::chrono::milliseconds(1))) {
  }
  const bool killed = h->kill_subtask("files", p - 1);
  const auto r = h->wait();
  REQUIRE(r.ok());
  if (!killed)
    WARN("the job ended before its reader could be killed");
  else
    CHECK(r.restarts == 1);
  const auto got = sorted(out.values());
  std::vector<std::string> missing, extra;
  const auto want = sorted(expected);
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  CHECK(missing.size() == 0);
  CHECK(extra.size() == 0);
  if (!missing.empty()) CHECK(missing.front() == "");
  if (!extra.empty()) CHECK(extra.front() == "");
  // The enumerators of both deployments are gone with the job.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (env.runtime().running_actors() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(env.runtime().running_actors() == 0);
}

TEST_CASE("a missing input directory fails the job naming it") {
  eddy::StreamEnvironment env;
  eddy::files::directory_options o;
  o.path = "/nonexistent/eddy-dir";
  auto out = env.from_source(eddy::files::directory_lines_source(o), "files").collect();
  CHECK_THROWS_WITH(env.execute("missing dir"),
                    Catch::Contains("source 'files': input directory '/nonexistent/eddy-dir'"));
}
