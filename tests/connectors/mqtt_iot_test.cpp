// The IoT sample end to end (docs/iot.md): the sensors job reads readings from MQTT, upserts its
// windows into PostgreSQL and publishes its alerts to MQTT exactly once, killed with SIGKILL
// twice while readings are published (some while it is down), resumed, then drained: the table
// and the alerts equal a failure-free run over the same readings from a CSV file.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/mosquitto_server.hpp"
#include "support/postgres_server.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::testing::committed_lines;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool has_line(const fs::path& dir, const std::string& text) {
  for (const auto& l : committed_lines(dir))
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE(
    "the IoT sample: mqtt readings, windows upserted into postgresql and alerts published "
    "to mqtt exactly once across two SIGKILLs and a draining stop",
    "[mqtt][postgres][cli][recovery]") {
  eddy::testing::mosquitto_server broker;
  eddy::testing::postgres_server db;
  eddy::testing::temp_dir tmp("eddy-iot");
  const auto csv = eddy::testing::sensor_readings_csv(6000, 31) + "end-of-input\n";
  eddy::testing::write_file(tmp.path() / "readings.csv", csv);
  auto ref = eddy::testing::sensors_args(tmp.path() / "readings.csv", tmp.path() / "ref", 1);
  ref.insert(ref.begin(), "run");
  REQUIRE(eddy::testing::run_eddy(tmp.path(), ref).code == 0);
  const auto want_windows = committed_lines(tmp.path() / "ref" / "windows");
  const auto want_alerts = committed_lines(tmp.path() / "ref" / "alerts");
  REQUIRE(!want_alerts.empty());

  std::vector<std::string> messages;
  for (const auto& l : lines_of(csv)) messages.push_back(eddy::testing::sensor_reading_json(l));
  messages.erase(messages.begin());  // the CSV header

  const auto dir = tmp.path() / "run";
  const std::vector<std::string> args = {
      "--log-level",
      "info",
      "run",
      "sensors",
      "--input",
      broker.uri("sensors/#", "client-id=eddy-sensors&qos=1&format=json"),
      "--output",
      db.uri("postgres", "sensor_windows") + "&create-table=true",
      "--alerts",
      broker.uri("alerts/{1}", "qos=1&client-id=eddy-alerts&guarantee=exactly-once"),
      "--dead-letter",
      (dir / "dead").string(),
      "--checkpoint-dir",
      (dir / "chk").string(),
      "--checkpoint-interval",
      "50",
      "--resume",
      "latest",
      "--savepoint-on-stop",
      (tmp.path() / "sp").string(),
      "--drain"};
  // Every alert, and a marker the test publishes at the end: anything published twice comes
  // before the marker and is counted.
  auto alerts =
      broker.subscribe_async("alerts/#", want_alerts.size() + 1, std::chrono::seconds(240), 1);
  auto p = std::make_unique<eddy::testing::eddy_process>(tmp.path(), args);
  broker.wait_for_subscriptions("sensors/#");
  const std::size_t n = messages.size();
  std::size_t sent = 0;
  auto publish = [&](std::size_t count, const std::string& topic) {
    const auto to = std::min(n, sent + count);
    broker.publish_lines(topic,
                         {messages.begin() + static_cast<std::ptrdiff_t>(sent),
                          messages.begin() + static_cast<std::ptrdiff_t>(to)},
                         1);
    sent = to;
  };
  for (int kill = 0; kill < 2; ++kill) {
    publish(n / 5, "sensors/site-1");
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + 150 * kill));
    p->signal(SIGKILL);
    p->wait();
    publish(n / 10, "sensors/site-2");  // while the job is down
    p = std::make_unique<eddy::testing::eddy_process>(tmp.path(), args);
  }
  publish(n, "sensors/site-3");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!has_line(dir / "dead", "end-of-input") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  INFO("stderr: " << p->err());
  REQUIRE(has_line(dir / "dead", "end-of-input"));
  p->signal(SIGTERM);
  REQUIRE(p->wait() == 0);
  // The last run resumed from a checkpoint and replayed the source's log from its position.
  CHECK(p->err().find("logged message(s) from the restored position") != std::string::npos);
  broker.publish("alerts/zz-end-of-test", "end", 1);

  // The table: the windows of the CSV run (the average compared with its 3 decimals).
  std::vector<std::string> want;
  for (auto w : want_windows) {
    std::replace(w.begin(), w.end(), ',', '|');
    want.push_back(w);
  }
  std::sort(want.begin(), want.end());
  auto got = lines_of(db.psql(
      "SELECT device_id, window_start, window_end, count, to_char(avg_temperature, 'FM990.000'), "
      "to_char(max_temperature, 'FM990.0') FROM sensor_windows"));
  std::sort(got.begin(), got.end());
  CHECK(got.size() == want.size());
  CHECK(got == want);

  std::vector<std::string> want_published;
  for (const auto& a : want_alerts)
    want_published.push_back("alerts/" + a.substr(0, a.find(',')) + " " + a);
  want_published.push_back("alerts/zz-end-of-test end");
  std::sort(want_published.begin(), want_published.end());
  auto published = alerts.get();
  std::sort(published.begin(), published.end());
  CHECK(published == want_published);
  CHECK(committed_lines(dir / "dead").size() ==
        committed_lines(tmp.path() / "ref" / "dead").size());
}
