// `eddy sql` with mqtt tables (the real binary, EDDY_BIN) against a mosquitto started by the
// test: a bounded query published to topics from a template, and a subscription read into a
// print sink until SIGTERM.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/mosquitto_server.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

using Catch::Matchers::Contains;
using eddy::testing::temp_dir;

namespace {

std::filesystem::path script(const temp_dir& tmp, const std::string& text) {
  static int n = 0;
  const auto path = tmp.path() / ("script" + std::to_string(n++) + ".sql");
  eddy::testing::write_file(path, text);
  return path;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const std::vector<std::string> items = {"apple", "pear", "plum"};

}  // namespace

TEST_CASE("eddy sql publishes a query's rows to mqtt topics from a template", "[sql][mqtt]") {
  temp_dir tmp("eddy-mqtt-sql");
  eddy::testing::mosquitto_server broker;
  std::string csv;
  std::vector<std::string> expected;  // "TOPIC PAYLOAD", as mosquitto_sub -v prints them
  for (int i = 0; i < 300; ++i) {
    const auto& item = items[i % 3];
    csv += std::to_string(i) + "," + item + "," + std::to_string(i * 7 % 100) + "\n";
    if (i * 7 % 100 >= 50)
      expected.push_back("orders/" + item + " {\"id\":" + std::to_string(i) + ",\"item\":\"" +
                         item + "\",\"qty\":" + std::to_string(i * 7 % 100) + "}");
  }
  eddy::testing::write_file(tmp.path() / "orders.csv", csv);
  auto received = broker.subscribe_async("orders/#", expected.size(), std::chrono::seconds(60), 1);
  const auto r = eddy::testing::run_eddy(
      tmp.path(), {"sql", "-f",
                   script(tmp,
                          "SET 'parallelism.default' = '2';\n"
                          "CREATE TABLE orders (id INT, item STRING, qty INT) WITH ('connector' = "
                          "'filesystem', 'path' = '" +
                              (tmp.path() / "orders.csv").string() +
                              "', 'format' = 'csv');\n"
                              "CREATE TABLE big (id INT, item STRING, qty INT) WITH ('connector' = "
                              "'mqtt', 'broker' = '127.0.0.1:" +
                              std::to_string(broker.port()) +
                              "', 'topic' = 'orders/{item}', 'qos' = '1', 'format' = 'json');\n"
                              "INSERT INTO big SELECT * FROM orders WHERE qty >= 50;\n")
                       .string()});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(sorted(received.get()) == sorted(expected));
}

TEST_CASE("eddy sql reads an mqtt subscription (json) until SIGTERM", "[sql][mqtt]") {
  temp_dir tmp("eddy-mqtt-sql-source");
  eddy::testing::mosquitto_server broker;
  eddy::testing::eddy_process p(
      tmp.path(),
      {"sql", "-f",
       script(tmp,
              "CREATE TABLE readings (device STRING, temp DOUBLE) WITH ('connector' = "
              "'mqtt', 'broker' = '127.0.0.1:" +
                  std::to_string(broker.port()) +
                  "', 'topic' = 'sensors/#', 'qos' = '1', 'format' = 'json');\n"
                  "CREATE TABLE out (device STRING, f DOUBLE) WITH ('connector' = "
                  "'print');\n"
                  "INSERT INTO out SELECT UPPER(device), temp * 9 / 5 + 32 FROM readings "
                  "WHERE temp > 0;\n")
           .string()});
  broker.wait_for_subscriptions("sensors/#");
  std::vector<std::string> messages, expected;
  for (int i = 0; i < 40; ++i) {
    const int temp = i % 2 == 0 ? i : -i;
    messages.push_back("{\"device\":\"d" + std::to_string(i % 4) +
                       "\",\"temp\":" + std::to_string(temp) + ".0}");
    if (temp > 0) {
      char f[64];  // one decimal, as Java's Double.toString writes these
      std::snprintf(f, sizeof f, "+I[D%d, %.1f]", i % 4, temp * 9.0 / 5 + 32);
      expected.push_back(f);
    }
  }
  broker.publish_lines("sensors/hall", messages, 1);
  auto rows = [&] {
    std::vector<std::string> out;
    std::istringstream in(p.out());
    for (std::string l; std::getline(in, l);)
      if (l.rfind("+I[", 0) == 0) out.push_back(l);
    return out;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (rows().size() < expected.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  p.signal(SIGTERM);
  const int code = p.wait();
  INFO("stdout: " << p.out() << "\nstderr: " << p.err());
  CHECK(code == 143);  // docs/sql.md: SIGTERM cancels the job and ends the client
  CHECK(sorted(rows()) == sorted(expected));
}

TEST_CASE("eddy sql: mqtt table errors name the table and the option", "[sql][mqtt]") {
  temp_dir tmp("eddy-mqtt-sql-errors");
  const auto r = eddy::testing::run_eddy(
      tmp.path(), {"sql", "-f",
                   script(tmp,
                          "CREATE TABLE t (a INT) WITH ('connector' = 'mqtt', 'broker' = "
                          "'127.0.0.1:1883', 'topic' = 'x', 'format' = 'csv', 'qso' = '1');\n"
                          "CREATE TABLE s (a INT) WITH ('connector' = 'blackhole');\n"
                          "INSERT INTO s SELECT * FROM t;\n")
                       .string()});
  CHECK(r.code != 0);
  CHECK_THAT(r.out + r.err, Contains("Table 't' (connector 'mqtt'): unknown option 'qso' (did "
                                     "you mean 'qos'?)"));
  const auto r2 = eddy::testing::run_eddy(
      tmp.path(), {"sql", "-f",
                   script(tmp,
                          "CREATE TABLE t (a INT) WITH ('connector' = 'mqtt', 'topic' = "
                          "'x', 'format' = 'csv');\n"
                          "CREATE TABLE s (a INT) WITH ('connector' = 'blackhole');\n"
                          "INSERT INTO s SELECT * FROM t;\n")
                       .string()});
  CHECK(r2.code != 0);
  CHECK_THAT(r2.out + r2.err,
             Contains("Table 't' (connector 'mqtt'): 'broker' (HOST:PORT) is required"));
}
