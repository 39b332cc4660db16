// The MQTT connector (mqtt_source.hpp, mqtt_sink.hpp) against a real mosquitto started by the
// test (support/mosquitto_server.hpp): URIs, the write-ahead log, and the sensors job reading
// readings from MQTT killed with SIGKILL while they are published, equal to a failure-free run.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/mqtt/mqtt_options.hpp"
#include "eddy/connectors/mqtt/mqtt_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "mqtt_redelivery.hpp"  // connectors/mqtt/src: tested directly
#include "mqtt_wal.hpp"
#include "support/eddy_process.hpp"
#include "support/mosquitto_server.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace mqtt_source_test {

namespace fs = std::filesystem;
using eddy::testing::committed_lines;

namespace {

std::string source_uri_error(const std::string& text) {
  auto u = eddy::connectors::parse_connector_uri(text);
  if (!u) return u.error().message;
  auto o = eddy::mqtt::parse_source_uri(*u);
  return o ? std::string("ok") : o.error().message;
}

std::string sink_uri_error(const std::string& text) {
  auto u = eddy::connectors::parse_connector_uri(text);
  if (!u) return u.error().message;
  auto o = eddy::mqtt::parse_sink_uri(*u);
  return o ? std::string("ok") : o.error().message;
}

/// The sensors job's CSV readings as the JSON messages of the same readings (malformed lines as
/// they are), and the CSV file for the reference run; the last line marks the end.
struct readings {
  std::vector<std::string> messages;
  std::string csv;
};

/// The late readings of the reference run as the MQTT run writes them (their messages).
std::vector<std::string> late_as_json(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& l : committed_lines(dir)) out.push_back(eddy::testing::sensor_reading_json(l));
  std::sort(out.begin(), out.end());
  return out;
}

readings make_readings(int n, std::uint32_t seed) {
  readings r;
  r.csv = eddy::testing::sensor_readings_csv(n, seed) + "end-of-input\n";
  std::istringstream in(r.csv);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) r.messages.push_back(eddy::testing::sensor_reading_json(line));
  return r;
}

std::vector<std::string> slice(const std::vector<std::string>& v, std::size_t from,
                               std::size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from),
          v.begin() + static_cast<std::ptrdiff_t>(std::min(to, v.size()))};
}

bool has_line(const fs::path& dir, const std::string& text) {
  for (const auto& l : committed_lines(dir))
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("mqtt URIs are checked") {
  CHECK(source_uri_error(
            "mqtt://127.0.0.1:1883/sensors/#?client-id=eddy-sensors&qos=1&format=json") == "ok");
  CHECK(source_uri_error("mqtt://127.0.0.1:1883/site/+/temp") == "ok");
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/"), Catch::Contains("no topic filter"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a/#/b"), Catch::Contains("whole level"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a/b+"), Catch::Contains("whole level"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a?qos=3"), Catch::Contains("qos '3'"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a?format=xml"), Catch::Contains("format"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a?clientid=x"),
             Catch::Contains("did you mean 'client-id'"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a?password-file=/p"),
             Catch::Contains("needs username"));
  CHECK_THAT(source_uri_error("mqtt://127.0.0.1:1883/a?tls-insecure=true"),
             Catch::Contains("tls-ca-file"));
  // The filter is taken literally, '#' included; %-escapes are decoded.
  auto u = eddy::connectors::parse_connector_uri("mqtt://127.0.0.1:1883/a%20b/+/#?qos=0");
  REQUIRE(u);
  auto o = eddy::mqtt::parse_source_uri(*u);
  REQUIRE(o);
  CHECK(o->topic_filter == "a b/+/#");
  CHECK(o->qos == 0);
  CHECK(sink_uri_error("mqtt://127.0.0.1:1883/alerts/{1}?qos=1&retain=true") == "ok");
  CHECK_THAT(sink_uri_error("mqtt://127.0.0.1:1883/alerts/#"), Catch::Contains("no wildcards"));
}

TEST_CASE("a message's topic levels") {
  eddy::mqtt::message_view m{"sensors/dev-001/temp", "{}", 1, false};
  CHECK(m.topic_level(0) == "sensors");
  CHECK(m.topic_level(1) == "dev-001");
  CHECK(m.topic_level(2) == "temp");
  CHECK(m.topic_level(3).empty());
}

TEST_CASE("the mqtt write-ahead log keeps records in order across reopening and truncates") {
  eddy::testing::temp_dir tmp("eddy-mqtt-wal");
  namespace d = eddy::mqtt::detail;
  {
    d::mqtt_wal wal((tmp.path() / "w").string(), false);
    CHECK(wal.begin() == 0);
    CHECK(wal.end() == 0);
    for (int i = 0; i < 100; ++i)
      CHECK(wal.append({"t/" + std::to_string(i), std::string(i, 'x'), 1, i % 2 == 0,
                        static_cast<std::uint16_t>(i + 1)}) == static_cast<std::uint64_t>(i));
  }
  d::mqtt_wal wal((tmp.path() / "w").string(), false);
  CHECK(wal.end() == 100);
  std::vector<d::wal_record> out;
  wal.read(98, 10, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].topic == "t/98");
  CHECK(out[0].payload == std::string(98, 'x'));
  CHECK(out[0].retain);
  CHECK(out[1].mid == 100);
  wal.truncate(60);
  CHECK(wal.begin() == 60);
  out.clear();
  wal.read(0, 5, out);
  REQUIRE(out.size() == 5);
  CHECK(out[0].topic == "t/60");
  CHECK(wal.append({"x", "", 0, false, 0}) == 100);
  // A damaged record is an error, not a message.
  d::wal_record r;
  CHECK_FALSE(d::decode("W1\x03", 3, r));
  const auto enc = d::encode({"topic", "payload", 2, true, 7});
  CHECK(d::decode(enc.data(), enc.size(), r));
  CHECK(r.topic == "topic");
  CHECK(r.payload == "payload");
  CHECK(r.qos == 2);
  CHECK_FALSE(d::decode(enc.data(), 9, r));
}

TEST_CASE("the mqtt write-ahead log keeps fingerprints beside its records, and its end") {
  eddy::testing::temp_dir tmp("eddy-mqtt-wal-fingerprints");
  namespace d = eddy::mqtt::detail;
  const auto dir = (tmp.path() / "w").string();
  {
    d::mqtt_wal wal(dir, false);
    for (std::uint64_t i = 0; i < 50; ++i) {
      // Every third record is QoS 0: no fingerprint.
      std::optional<std::uint64_t> f;
      if (i % 3 != 0) f = 1000 + i;
      CHECK(wal.append({"t", std::to_string(i), f ? std::uint8_t{1} : std::uint8_t{0}, false,
                        static_cast<std::uint16_t>(i + 1)},
                       f) == i);
    }
    std::vector<std::uint64_t> fps;
    wal.fingerprints(45, fps);
    CHECK(fps == std::vector<std::uint64_t>{1046, 1047, 1049});
    // All records emitted and checkpointed: the newest stays, so the end survives reopening.
    wal.truncate(50);
    CHECK(wal.begin() == 49);
    wal.forget_fingerprints(40);
  }
  d::mqtt_wal wal(dir, false);
  CHECK(wal.end() == 50);
  CHECK(wal.begin() == 49);
  std::vector<d::wal_record> out;
  wal.read(0, 100, out);  // the fingerprints are not records
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == "49");
  std::vector<std::uint64_t> fps;
  wal.fingerprints(0, fps);
  CHECK(fps == std::vector<std::uint64_t>{1040, 1041, 1043, 1044, 1046, 1047, 1049});
  CHECK(wal.append({"t", "50", 1, false, 51}, 1050) == 50);
  CHECK(d::mqtt_wal((tmp.path() / "fresh").string(), false).end() == 0);
}

TEST_CASE("the mqtt redelivery filter drops what a resumed session resends, and only that") {
  namespace d = eddy::mqtt::detail;
  d::redelivery_filter filter;
  auto fp = [](std::uint64_t i) {
    return d::message_fingerprint(static_cast<std::uint16_t>(i % 65535 + 1), "sensors/a",
                                  "reading " + std::to_string(i % 7));  // payloads repeat
  };
  filter.arm();  // the first connect: nothing logged yet
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    REQUIRE_FALSE(filter.is_redelivery(fp(i)));
    filter.remember(fp(i));
  }
  CHECK_FALSE(filter.armed());
  // The broker resumes the session and resends the 5,000 newest messages (mosquitto 2.0.11
  // resent 1,175 in a test), then new ones.
  filter.arm();
  for (std::uint64_t i = 5'000; i < 10'000; ++i) REQUIRE(filter.is_redelivery(fp(i)));
  CHECK(filter.dropped_in_phase() == 5'000);
  CHECK_FALSE(filter.is_redelivery(fp(10'000)));
  filter.remember(fp(10'000));
  // Outside the redelivery phase a message equal to a logged one is new (a broker reusing ids).
  CHECK_FALSE(filter.is_redelivery(fp(9'999)));
  CHECK(filter.dropped() == 5'000);
  // The window holds the newest 65,535: what is older is no longer recognised.
  d::redelivery_filter small(3);
  small.load({1, 2, 3, 4});
  CHECK(small.size() == 3);
  small.arm();
  CHECK(small.is_redelivery(2));
  CHECK(small.is_redelivery(4));
  CHECK_FALSE(small.is_redelivery(1));
}

TEST_CASE("an mqtt source reports as its lag the messages received and not yet emitted", "[mqtt]") {
  eddy::testing::mosquitto_server broker;
  auto uri = eddy::connectors::parse_connector_uri(broker.uri("lag/#", "qos=1"));
  REQUIRE(uri);
  auto o = eddy::mqtt::parse_source_uri(*uri);
  REQUIRE(o);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().source_rate = 500;  // slower than the broker delivers: a backlog builds
  auto out = env
                 .from_source(eddy::mqtt::mqtt_source<std::string>(
                     *o, [](const eddy::mqtt::message_view& m) { return std::string(m.payload); }))
                 .collect();
  auto h = env.execute_async("mqtt lag");
  REQUIRE(h);
  const auto lag = [&]() -> std::optional<std::uint64_t> {
    for (const auto& m : h->metrics())
      if (m.source_lag) return m.source_lag;
    return std::nullopt;
  };
  // Subscribed once a probe gets through.
  for (int i = 0; i < 100 && out.size() == 0; ++i) {
    broker.publish("lag/probe", "probe", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(out.size() > 0);
  const auto probes = out.size();
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back("m" + std::to_string(i));
  broker.publish_lines("lag/data", lines, 1);
  using eddy::testing::eventually;
  CHECK(eventually(
      [&] {
        const auto l = lag();
        return l && *l > 0 && *l <= 1000 + 100;
      },
      std::chrono::seconds(5)));
  REQUIRE(eventually([&] { return out.size() >= probes + 1000; }, std::chrono::seconds(10)));
  CHECK(eventually([&] { return lag() == std::optional<std::uint64_t>(0); },
                   std::chrono::seconds(5)));
  h->cancel();
  (void)h->wait();
}

TEST_CASE("eddy run sensors reads mqtt and publishes its alerts to mqtt as a file run does",
          "[mqtt][cli]") {
  eddy::testing::mosquitto_server broker;
  eddy::testing::temp_dir tmp("eddy-mqtt-sensors");
  const auto data = make_readings(3000, 11);
  eddy::testing::write_file(tmp.path() / "readings.csv", data.csv);
  auto ref = eddy::testing::sensors_args(tmp.path() / "readings.csv", tmp.path() / "ref", 1);
  ref.insert(ref.begin(), "run");
  REQUIRE(eddy::testing::run_eddy(tmp.path(), ref).code == 0);
  const auto want_alerts = committed_lines(tmp.path() / "ref" / "alerts");
  REQUIRE(!want_alerts.empty());

  const auto dir = tmp.path() / "run";
  auto args = eddy::testing::sensors_args(
      broker.uri("sensors/#", "client-id=eddy-sensors&qos=1&format=json"), dir, 1);
  args.insert(args.begin(), "run");
  // Alerts to MQTT, one topic per device (the alert line's first field).
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--alerts") args[i + 1] = broker.uri("alerts/{1}", "qos=1");
  for (const auto& a :
       {std::string("--checkpoint-dir"), (dir / "chk").string(),
        std::string("--checkpoint-interval"), std::string("100"),
        std::string("--savepoint-on-stop"), (tmp.path() / "sp").string(), std::string("--drain")})
    args.push_back(a);
  auto alerts = broker.subscribe_async("alerts/#", want_alerts.size(), std::chrono::seconds(90), 1);
  eddy::testing::eddy_process p(tmp.path(), args);
  broker.wait_for_subscriptions("sensors/#");
  broker.publish_lines("sensors/site-1", data.messages, 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!has_line(dir / "dead", "end-of-input") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(has_line(dir / "dead", "end-of-input"));
  p.signal(SIGTERM);
  const int code = p.wait();
  INFO("stderr: " << p.err());
  REQUIRE(code == 0);
  CHECK(committed_lines(dir / "windows") == committed_lines(tmp.path() / "ref" / "windows"));
  CHECK(committed_lines(dir / "late") == late_as_json(tmp.path() / "ref" / "late"));
  CHECK(committed_lines(dir / "dead").size() ==
        committed_lines(tmp.path() / "ref" / "dead").size());
  // A malformed payload's dead letter names its topic.
  for (const auto& l : committed_lines(dir / "dead"))
    CHECK_THAT(l, Catch::EndsWith("(topic sensors/site-1)"));
  // "alerts/DEVICE DEVICE,END,ALERT" as mosquitto_sub -v prints them.
  std::vector<std::string> want_published;
  for (const auto& a : want_alerts)
    want_published.push_back("alerts/" + a.substr(0, a.find(',')) + " " + a);
  auto got = alerts.get();
  std::sort(got.begin(), got.end());
  std::sort(want_published.begin(), want_published.end());
  CHECK(got == want_published);
}

TEST_CASE(
    "the sensors job on mqtt killed with SIGKILL while readings are published, some while "
    "it is down, resumes to the failure-free output",
    "[mqtt][cli][recovery]") {
  eddy::testing::mosquitto_server broker;
  eddy::testing::temp_dir tmp("eddy-mqtt-kill");
  const auto data = make_readings(6000, 23);
  eddy::testing::write_file(tmp.path() / "readings.csv", data.csv);
  auto ref = eddy::testing::sensors_args(tmp.path() / "readings.csv", tmp.path() / "ref", 1);
  ref.insert(ref.begin(), "run");
  REQUIRE(eddy::testing::run_eddy(tmp.path(), ref).code == 0);

  const auto dir = tmp.path() / "run";
  auto args = eddy::testing::sensors_args(
      broker.uri("sensors/#", "client-id=eddy-sensors&qos=1&format=json"), dir, 1);
  args.insert(args.begin(), "run");
  for (const auto& a :
       {std::string("--checkpoint-dir"), (dir / "chk").string(),
        std::string("--checkpoint-interval"), std::string("50"), std::string("--resume"),
        std::string("latest"), std::string("--savepoint-on-stop"), (tmp.path() / "sp").string(),
        std::string("--drain")})
    args.push_back(a);
  const auto& m = data.messages;
  const std::size_t n = m.size();
  auto p = std::make_unique<eddy::testing::eddy_process>(tmp.path(), args);
  broker.wait_for_subscriptions("sensors/#");
  // Two kills, each while the job ingests a chunk; the next chunk is published while it is down.
  std::size_t sent = 0;
  for (int kill = 0; kill < 2; ++kill) {
    broker.publish_lines("sensors/site-1", slice(m, sent, sent + n / 5), 1);
    sent += n / 5;
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * kill));
    p->signal(SIGKILL);
    p->wait();
    broker.publish_lines("sensors/site-2", slice(m, sent, sent + n / 10), 1);
    sent += n / 10;
    p = std::make_unique<eddy::testing::eddy_process>(tmp.path(), args);
  }
  broker.publish_lines("sensors/site-1", slice(m, sent, n), 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!has_line(dir / "dead", "end-of-input") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  INFO("stderr: " << p->err());
  REQUIRE(has_line(dir / "dead", "end-of-input"));
  p->signal(SIGTERM);
  REQUIRE(p->wait() == 0);
  for (const auto* out : {"windows", "alerts"}) {
    INFO("output " << out);
    CHECK(committed_lines(dir / out) == committed_lines(tmp.path() / "ref" / out));
  }
  CHECK(committed_lines(dir / "late") == late_as_json(tmp.path() / "ref" / "late"));
  CHECK(committed_lines(dir / "dead").size() ==
        committed_lines(tmp.path() / "ref" / "dead").size());
}

TEST_CASE("the sensors job on mqtt rides out a restart of the broker", "[mqtt][cli][recovery]") {
  eddy::testing::mosquitto_server broker({.persistence = true});
  eddy::testing::temp_dir tmp("eddy-mqtt-broker-restart");
  const auto data = make_readings(4000, 5);
  eddy::testing::write_file(tmp.path() / "readings.csv", data.csv);
  auto ref = eddy::testing::sensors_args(tmp.path() / "readings.csv", tmp.path() / "ref", 1);
  ref.insert(ref.begin(), "run");
  REQUIRE(eddy::testing::run_eddy(tmp.path(), ref).code == 0);

  const auto dir = tmp.path() / "run";
  auto args = eddy::testing::sensors_args(
      broker.uri("sensors/#", "client-id=eddy-sensors&qos=1&format=json&reconnect-max=1s"), dir, 1);
  args.insert(args.begin(), "run");
  for (const auto& a :
       {std::string("--checkpoint-dir"), (dir / "chk").string(),
        std::string("--checkpoint-interval"), std::string("100"),
        std::string("--savepoint-on-stop"), (tmp.path() / "sp").string(), std::string("--drain")})
    args.push_back(a);
  eddy::testing::eddy_process p(tmp.path(), args);
  broker.wait_for_subscriptions("sensors/#");
  const auto& m = data.messages;
  broker.publish_lines("sensors/a", slice(m, 0, m.size() / 2), 1);
  // Stopped, the broker saves the session with what is queued for it; started again, it has it.
  broker.stop();
  broker.start();
  broker.publish_lines("sensors/b", slice(m, m.size() / 2, m.size()), 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!has_line(dir / "dead", "end-of-input") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  INFO("stderr: " << p.err());
  REQUIRE(has_line(dir / "dead", "end-of-input"));
  p.signal(SIGTERM);
  REQUIRE(p.wait() == 0);
  for (const auto* out : {"windows", "alerts"}) {
    INFO("output " << out);
    CHECK(committed_lines(dir / out) == committed_lines(tmp.path() / "ref" / out));
  }
}

TEST_CASE("the sensors job reads mqtt over TLS with a login, and a wrong password fails it",
          "[mqtt][cli][tls]") {
  eddy::testing::temp_dir tmp("eddy-mqtt-tls");
  const auto d = tmp.path();
  // A CA and a server certificate for 127.0.0.1.
  const std::string openssl =
      "cd '" + d.string() +
      "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj "
      "/CN=eddy-test-ca -days 1 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout "
      "server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null && printf "
      "'subjectAltName=IP:127.0.0.1' > san.ext && openssl x509 -req -in server.csr -CA ca.crt "
      "-CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext 2>/dev/null";
  REQUIRE(std::system(openssl.c_str()) == 0);
  eddy::testing::mosquitto_server broker(
      {.users = {{"sensor-reader", "s3cret"}},
       .listener_lines = {"cafile " + (d / "ca.crt").string(),
                          "certfile " + (d / "server.crt").string(),
                          "keyfile " + (d / "server.key").string()}});
  eddy::testing::write_file(d / "password", "s3cret\n");
  eddy::testing::write_file(d / "wrong", "nope\n");
  const auto data = make_readings(500, 9);
  eddy::testing::write_file(d / "readings.csv", data.csv);
  auto ref = eddy::testing::sensors_args(d / "readings.csv", d / "ref", 1);
  ref.insert(ref.begin(), "run");
  REQUIRE(eddy::testing::run_eddy(d, ref).code == 0);

  const auto uri = [&](const std::string& password_file) {
    return broker.uri("sensors/#",
                      "client-id=eddy-tls&qos=1&format=json&username=sensor-reader&"
                      "password-file=" +
                          (d / password_file).string() + "&tls-ca-file=" + (d / "ca.crt").string());
  };
  // A refused login fails the job at once, naming the broker's answer.
  auto bad = eddy::testing::sensors_args(uri("wrong"), d / "bad", 1);
  bad.insert(bad.begin(), "run");
  const auto refused = eddy::testing::run_eddy(d, bad);
  CHECK(refused.code != 0);
  CHECK_THAT(refused.err, Catch::Contains("the broker refused the connection") &&
                              Catch::Contains("not authorised"));

  const auto dir = d / "run";
  auto args = eddy::testing::sensors_args(uri("password"), dir, 1);
  args.insert(args.begin(), "run");
  for (const auto& a :
       {std::string("--checkpoint-dir"), (dir / "chk").string(), std::string("--savepoint-on-stop"),
        (d / "sp").string(), std::string("--drain")})
    args.push_back(a);
  eddy::testing::eddy_process p(d, args);
  broker.wait_for_subscriptions("sensors/#");
  {
    std::ofstream f(d / "messages");
    for (const auto& m : data.messages) f << m << "\n";
  }
  const auto pub = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker.port()) +
                   " --cafile '" + (d / "ca.crt").string() +
                   "' -u sensor-reader -P s3cret -q 1 -t sensors/tls -l < '" +
                   (d / "messages").string() + "'";
  REQUIRE(std::system(pub.c_str()) == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!has_line(dir / "dead", "end-of-input") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  INFO("stderr: " << p.err());
  REQUIRE(has_line(dir / "dead", "end-of-input"));
  p.signal(SIGTERM);
  REQUIRE(p.wait() == 0);
  CHECK(committed_lines(dir / "windows") == committed_lines(d / "ref" / "windows"));
}

}  // namespace mqtt_source_test
