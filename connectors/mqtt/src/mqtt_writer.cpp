// The MQTT sink's libmosquitto side (mqtt_sink.hpp): publishing, acknowledgements, topics.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include "eddy/connectors/formats/csv.hpp"
#include "eddy/connectors/formats/json.hpp"
#include "eddy/connectors/mqtt/mqtt_sink.hpp"
#include "eddy/runtime/log.hpp"
#include "mqtt_client.hpp"

namespace eddy::mqtt::detail {

namespace {
constexpr std::size_t max_unacknowledged = 1000;
using clock_type = std::chrono::steady_clock;
}  // namespace

struct publisher::impl {
  sink_options o;
  std::string name;
  subtask_info info;
  mosquitto* client = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<int> outstanding;  // mids not acknowledged yet
  std::unordered_set<int> early;        // acknowledged before publish() recorded them
  std::string error;
  bool connected = false;
  // Topic templates of lines.
  formats::csv_options csv;
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  std::unique_ptr<formats::json_object> json;

  [[nodiscard]] std::string what() const {
    return "mqtt sink '" + name + "' (subtask " + std::to_string(info.index + 1) + "/" +
           std::to_string(info.parallelism) + ", " + o.connection.describe() + ", topic " +
           o.topic + ")";
  }

  static void on_connect(mosquitto*, void* self, int rc) {
    auto& d = *static_cast<impl*>(self);
    std::lock_guard<std::mutex> lock(d.mu);
    if (rc != 0) {
      if (d.error.empty())
        d.error = d.what() + ": the broker refused the connection: " + connack_text(rc);
    } else {
      d.connected = true;
    }
    d.cv.notify_all();
  }
  static void on_disconnect(mosquitto*, void* self, int rc) {
    auto& d = *static_cast<impl*>(self);
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.connected = false;
    }
    if (rc != 0)
      eddy::log().warn("{}: connection lost ({}); reconnecting", d.what(), error_text(rc));
  }
  static void on_publish(mosquitto*, void* self, int mid) {
    auto& d = *static_cast<impl*>(self);
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.outstanding.erase(mid) == 0) d.early.insert(mid);
    d.cv.notify_all();
  }

  void check_locked() {
    if (!error.empty()) throw std::runtime_error(error);
  }

  /// Waits until at most `limit` messages are unacknowledged.
  void wait_below(std::size_t limit, std::chrono::milliseconds timeout, const char* doing) {
    std::unique_lock<std::mutex> lock(mu);
    const auto start = clock_type::now();
    auto last_log = start;
    while (outstanding.size() > limit) {
      check_locked();
      cv.wait_for(lock, std::chrono::milliseconds(200));
      const auto now = clock_type::now();
      if (now - start >= timeout)
        throw std::runtime_error(what() + ": " + std::to_string(outstanding.size()) +
                                 " message(s) not acknowledged after " +
                                 std::to_string(timeout.count()) +
                                 " ms (flush-timeout); is the broker reachable?");
      if (now - last_log >= std::chrono::seconds(10)) {
        eddy::log().warn("{}: {}: waiting for the broker to acknowledge {} message(s){}", what(),
                         doing, outstanding.size(), connected ? "" : " (not connected)");
        last_log = now;
      }
    }
    check_locked();
  }
};

publisher::publisher(sink_options o, std::string name) : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(o);
  impl_->name = std::move(name);
  if (impl_->o.format == "json") impl_->json = std::make_unique<formats::json_object>();
}

publisher::~publisher() {
  auto& d = *impl_;
  if (!d.client) return;
  mosquitto_disconnect(d.client);
  mosquitto_loop_stop(d.client, false);
  mosquitto_destroy(d.client);
}

void publisher::open(const subtask_info& info) {
  auto& d = *impl_;
  d.info = info;
  auto id = d.o.connection.client_id;
  if (!id.empty() && info.parallelism > 1) id += "-" + std::to_string(info.index);
  d.client = make_client(d.o.connection, id, true, &d, d.what());
  mosquitto_connect_callback_set(d.client, &impl::on_connect);
  mosquitto_disconnect_callback_set(d.client, &impl::on_disconnect);
  mosquitto_publish_callback_set(d.client, &impl::on_publish);
  int rc = mosquitto_loop_start(d.client);
  if (rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error(d.what() + ": cannot start the MQTT thread: " + error_text(rc));
  rc = mosquitto_connect_async(d.client, d.o.connection.host.c_str(), d.o.connection.port,
                               static_cast<int>(d.o.connection.keepalive.count()));
  if (rc != MOSQ_ERR_SUCCESS)
    eddy::log().warn("{}: cannot connect yet ({}); retrying", d.what(), error_text(rc));
}

void publisher::publish(const std::string& topic, const std::string& payload) {
  auto& d = *impl_;
  d.wait_below(max_unacknowledged - 1, d.o.flush_timeout, "publishing");
  int mid = 0;
  const int rc = mosquitto_publish(d.client, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), d.o.qos, d.o.retain);
  // Not connected: libmosquitto keeps a QoS 1/2 message queued and sends it after it reconnects
  // (publishing again would duplicate it); a QoS 0 one is dropped.
  if (rc != MOSQ_ERR_SUCCESS && !(rc == MOSQ_ERR_NO_CONN && d.o.qos > 0))
    throw std::runtime_error(d.what() + ": cannot publish to " + topic + ": " + error_text(rc));
  std::lock_guard<std::mutex> lock(d.mu);
  if (d.early.erase(mid) == 0) d.outstanding.insert(mid);
}

void publisher::flush() {
  impl_->wait_below(0, impl_->o.flush_timeout, "flushing");
}

std::string publisher::topic_of_line(const std::string& line) {
  auto& d = *impl_;
  const auto& t = d.o.topic;
  if (t.find('{') == std::string::npos) return t;
  std::string out, why;
  bool parsed = false;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '{') {
      out += t[i++];
      continue;
    }
    const auto close = t.find('}', i);
    if (close == std::string::npos) {
      out += t.substr(i);
      break;
    }
    const auto name = t.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string value;
    bool found = false;
    if (d.json) {
      if (!parsed && !d.json->parse(line, why))
        throw std::runtime_error(d.what() + ": the line '" + line + "' is not JSON: " + why);
      parsed = true;
      found = d.json->get(name, value) != formats::json_object::kind::missing;
    } else {
      std::size_t n = 0;
      for (char c : name) n = c >= '0' && c <= '9' ? n * 10 + static_cast<std::size_t>(c - '0') : 0;
      if (!parsed) {
        d.scratch.clear();
        if (!formats::split_csv(line, d.csv, d.fields, d.scratch, why))
          throw std::runtime_error(d.what() + ": the line '" + line + "' is not CSV: " + why);
        parsed = true;
      }
      if (n >= 1 && n <= d.fields.size()) {
        value = std::string(d.fields[n - 1]);
        found = true;
      }
    }
    if (!found || value.empty())
      throw std::runtime_error(d.what() + ": the line '" + line + "' has no field {" + name +
                               "} for the topic " + t);
    out += value;
  }
  return out;
}

}  // namespace eddy::mqtt::detail
