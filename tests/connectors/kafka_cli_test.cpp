// `eddy run` with kafka:// inputs and outputs (the real binary, EDDY_BIN) against an in-process
// mock cluster on loopback: the same windows as from a file, exactly once across SIGKILL and
// --resume latest, and errors that name the flag and the option.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/kafka_mock.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::testing::committed_lines;
using eddy::testing::eddy_process;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE(
    "sensors over a kafka topic gives the same windows as over the file, at any "
    "parallelism",
    "[cli][kafka]") {
  temp_dir tmp("eddy-kafka-sensors");
  const auto csv = eddy::testing::sensor_readings_csv(3000, 7);
  const auto input = tmp.path() / "in.csv";
  eddy::testing::write_file(input, csv);
  auto ref = run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string(), "--dead-letter",
                                   (tmp.path() / "ref-dead").string()});
  REQUIRE(ref.code == 0);
  const auto expected = committed_lines(tmp.path() / "ref");
  REQUIRE(expected.size() > 100);
  const auto expected_dead = committed_lines(tmp.path() / "ref-dead");
  REQUIRE(!expected_dead.empty());

  eddy::testing::kafka_mock k;
  k.create_topic("readings", 1);  // one partition: the file's order, so the same late records
  k.produce("readings", lines_of(csv), 1);
  for (int p : {1, 3}) {
    INFO("parallelism " << p);
    const auto out = tmp.path() / ("out" + std::to_string(p));
    const auto dead_topic = "dead" + std::to_string(p);
    k.create_topic(dead_topic, 1);
    auto r = run_eddy(tmp.path(),
                      {"run", "sensors", "--input",
                       "kafka://" + k.bootstrap() + "/readings?start=earliest&bounded=latest",
                       "--output", out.string(), "--dead-letter",
                       "kafka://" + k.bootstrap() + "/" + dead_topic, "-p", std::to_string(p)});
    INFO("stderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK(committed_lines(out) == expected);
    CHECK(sorted(k.consume(dead_topic, expected_dead.size())) == expected_dead);
  }
}

TEST_CASE("sensors over JSON messages gives the windows, alerts and dead letters of the CSV file",
          "[cli][kafka]") {
  temp_dir tmp("eddy-kafka-json");
  const auto csv = eddy::testing::sensor_readings_csv(3000, 11);
  const auto input = tmp.path() / "in.csv";
  eddy::testing::write_file(input, csv);
  auto ref_args = eddy::testing::sensors_args(input, tmp.path() / "ref", 1);
  ref_args.insert(ref_args.begin(), "run");
  auto ref = run_eddy(tmp.path(), ref_args);
  INFO("reference stderr: " << ref.err);
  REQUIRE(ref.code == 0);
  // The same readings as JSON objects (keys in another order, an extra key, spaces); the CSV's
  // malformed lines become objects without a temperature.
  std::vector<std::string> messages;
  std::size_t malformed = 0;
  for (const auto& line : lines_of(csv)) {
    if (line == "device_id,ts_ms,temperature") continue;
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    if (c2 == std::string::npos) {
      messages.push_back(R"({"device_id": "garbage", "ts_ms": 1})");
      ++malformed;
      continue;
    }
    messages.push_back(R"({"ts_ms": )" + line.substr(c1 + 1, c2 - c1 - 1) +
                       R"(, "site": "s1", "temperature": )" + line.substr(c2 + 1) +
                       R"(, "device_id": ")" + line.substr(0, c1) + R"("})");
  }
  REQUIRE(malformed > 0);
  messages.push_back("not json");
  ++malformed;
  eddy::testing::kafka_mock k;
  k.create_topic("readings", 1);
  k.produce("readings", messages, 1);
  const auto out = tmp.path() / "json";
  auto args = eddy::testing::sensors_args(input, out, 2);
  args[2] = "kafka://" + k.bootstrap() + "/readings?start=earliest&bounded=latest&format=json";
  args.insert(args.begin(), "run");
  auto r = run_eddy(tmp.path(), args);
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(committed_lines(out / "windows") == committed_lines(tmp.path() / "ref" / "windows"));
  CHECK(committed_lines(out / "alerts") == committed_lines(tmp.path() / "ref" / "alerts"));
  const auto dead = committed_lines(out / "dead");
  CHECK(dead.size() == malformed);
  CHECK(std::count_if(dead.begin(), dead.end(), [](const std::string& l) {
          return l.find("temperature is missing or not a number") != std::string::npos;
        }) == static_cast<std::ptrdiff_t>(malformed - 1));
  CHECK(std::count_if(dead.begin(), dead.end(), [](const std::string& l) {
          return l.find("not a JSON object") != std::string::npos;
        }) == 1);
}

TEST_CASE("sensors reading kafka, killed with SIGKILL and resumed, writes every window once",
          "[cli][kafka][checkpoint]") {
  temp_dir tmp("eddy-kafka-resume");
  const auto csv = eddy::testing::sensor_readings_csv(6000, 3);
  const auto input = tmp.path() / "in.csv";
  eddy::testing::write_file(input, csv);
  auto ref = run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  const auto expected = committed_lines(tmp.path() / "ref");

  eddy::testing::kafka_mock k;
  k.create_topic("readings", 1);
  k.produce("readings", lines_of(csv), 1);
  std::mt19937 rng(11);
  const auto out = tmp.path() / "out";
  std::vector<std::string> args = {"run",
                                   "sensors",
                                   "--input",
                                   "kafka://" + k.bootstrap() + "/readings?bounded=latest",
                                   "--output",
                                   out.string(),
                                   "--checkpoint-dir",
                                   (tmp.path() / "chk").string(),
                                   "--checkpoint-interval",
                                   "100",
                                   "--source-rate",
                                   "5000",
                                   "-p",
                                   "2"};
  for (int kill = 0; kill < 2; ++kill) {
    eddy_process p(tmp.path(), args);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 500));
    p.signal(SIGKILL);
    p.wait();
    if (kill == 0) {
      args.push_back("--resume");
      args.push_back("latest");
    }
  }
  auto last = run_eddy(tmp.path(), args);
  INFO("stderr: " << last.err);
  REQUIRE(last.code == 0);
  CHECK(committed_lines(out) == expected);
}

TEST_CASE("wordcount writes its counts to a kafka topic", "[cli][kafka]") {
  temp_dir tmp("eddy-kafka-wordcount");
  const auto input = tmp.path() / "in.txt";
  eddy::testing::write_file(input, eddy::testing::words_text(3000, 2));
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  const auto expected = committed_lines(tmp.path() / "ref");
  eddy::testing::kafka_mock k;
  k.create_topic("counts", 2);
  auto r = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                 "kafka://" + k.bootstrap() + "/counts", "-p", "2"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(sorted(k.consume("counts", expected.size())) == expected);
  // The same in Kafka transactions (committed when the job finishes: no checkpoints here).
  k.create_topic("counts-txn", 2);
  auto t = run_eddy(
      tmp.path(),
      {"run", "wordcount", "--input", input.string(), "--output",
       "kafka://" + k.bootstrap() + "/counts-txn?guarantee=exactly-once&transactional-id-prefix=wc",
       "-p", "2"});
  INFO("stderr: " << t.err);
  REQUIRE(t.code == 0);
  CHECK(sorted(k.consume("counts-txn", expected.size())) == expected);
}

TEST_CASE("bad connector URIs on the command line name the flag and what is wrong",
          "[cli][kafka]") {
  temp_dir tmp("eddy-kafka-bad");
  const auto input = tmp.path() / "in.txt";
  eddy::testing::write_file(input, "a b c\n");
  struct bad_case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<bad_case> cases = {
      {{"run", "sensors", "--input", "kafka://localhost/t", "--output", "o"},
       "--input: 'kafka://localhost/t': 'localhost' is not HOST:PORT"},
      {{"run", "sensors", "--input", "kafka://127.0.0.1:1/t?strat=earliest", "--output", "o"},
       "unknown option 'strat' (did you mean 'start'?)"},
      {{"run", "sensors", "--input", "amqp://127.0.0.1:1/t", "--output", "o"},
       "--input: amqp://127.0.0.1:1/t: unknown scheme 'amqp'"},
      {{"run", "wordcount", "--input", "kafka://127.0.0.1:1/t", "--output", "o"},
       "needs a bounded input: add bounded=latest"},
      {{"run", "wordcount", "--input", "kafka://127.0.0.1:1/t?bounded=latest&format=json",
        "--output", "o"},
       "format=json is not available for this job"},
      {{"run", "sensors", "--input", "kafka://127.0.0.1:1/t?format=xml", "--output", "o"},
       "format 'xml' is not available (formats: raw, csv, json)"},
      {{"run", "wordcount", "--input", input.string(), "--output",
        "kafka://127.0.0.1:1/t?guarantee=exactly-once"},
       "--output: kafka://127.0.0.1:1/t?guarantee=exactly-once: guarantee=exactly-once needs "
       "transactional-id-prefix"},
  };
  for (const auto& c : cases) {
    auto r = run_eddy(tmp.path(), c.args);
    INFO("args: " << c.args[3] << " " << c.args[5] << "\nstderr: " << r.err);
    CHECK(r.code != 0);
    CHECK(r.err.find(c.expect) != std::string::npos);
  }
}
