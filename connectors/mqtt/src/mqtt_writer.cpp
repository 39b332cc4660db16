// The MQTT sink's libmosquitto side (mqtt_sink.hpp): publishing, acknowledgements, topics.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
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
  // Exactly-once: the commit records read from the broker (subtask -> newest transaction ids).
  bool records_read = false;
  std::map<int, std::vector<std::uint64_t>> records;
  std::string probe_topic;
  bool probe_seen = false;
  bool subscribed = false;

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

  static void on_subscribe(mosquitto*, void* self, int, int, const int*) {
    auto& d = *static_cast<impl*>(self);
    std::lock_guard<std::mutex> lock(d.mu);
    d.subscribed = true;
    d.cv.notify_all();
  }
  static void on_message(mosquitto*, void* self, const mosquitto_message* m) {
    auto& d = *static_cast<impl*>(self);
    const std::string topic = m->topic ? m->topic : "";
    std::lock_guard<std::mutex> lock(d.mu);
    if (topic == d.probe_topic) {
      d.probe_seen = true;
    } else if (topic.rfind(d.o.commit_topic + "/", 0) == 0) {
      try {
        const int subtask = std::stoi(topic.substr(d.o.commit_topic.size() + 1));
        std::istringstream in(std::string(static_cast<const char*>(m->payload),
                                          static_cast<std::size_t>(m->payloadlen)));
        std::vector<std::uint64_t> ids;
        for (std::uint64_t id = 0; in >> id;) ids.push_back(id);
        d.records[subtask] = std::move(ids);
      } catch (const std::exception&) {
        // not a record of ours
      }
    }
    d.cv.notify_all();
  }

  /// Waits for `done` (under the lock), failing after flush_timeout.
  template <class Pred>
  void wait_until(Pred done, const char* what_for) {
    std::unique_lock<std::mutex> lock(mu);
    const auto deadline = clock_type::now() + o.flush_timeout;
    while (!done()) {
      check_locked();
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout && !done())
        throw std::runtime_error(what() + ": no answer from the broker within " +
                                 std::to_string(o.flush_timeout.count()) + " ms (flush-timeout) " +
                                 what_for);
    }
  }

  /// Reads the retained commit records once: subscribes to COMMIT-TOPIC/#, then publishes a
  /// probe to it; the broker sends the retained records before the probe.
  void read_records() {
    if (records_read) return;
    probe_topic = o.commit_topic + "/probe-" + std::to_string(random_nonce());
    const auto filter = o.commit_topic + "/#";
    {
      std::lock_guard<std::mutex> lock(mu);
      subscribed = false;
    }
    int rc = mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
      throw std::runtime_error(what() + ": cannot read the commit records: " + error_text(rc));
    wait_until([&] { return subscribed; }, "to a subscription to the commit records");
    rc = mosquitto_publish(client, nullptr, probe_topic.c_str(), 0, nullptr, 1, false);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
      throw std::runtime_error(what() + ": cannot read the commit records: " + error_text(rc));
    wait_until([&] { return probe_seen; }, "while reading the commit records");
    mosquitto_unsubscribe(client, nullptr, filter.c_str());
    records_read = true;
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

std::uint64_t random_nonce() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t n = 0;
  while (n == 0) n = rng();
  return n;
}

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
  mosquitto_subscribe_callback_set(d.client, &impl::on_subscribe);
  mosquitto_message_callback_set(d.client, &impl::on_message);
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

void publisher::commit(std::uint64_t nonce,
                       const std::vector<std::pair<std::string, std::string>>& messages,
                       int subtask) {
  auto& d = *impl_;
  if (messages.empty()) return;
  for (const auto& [topic, payload] : messages) publish(topic, payload);
  flush();
  if (!d.records_read) d.read_records();  // keep the other transactions the record lists
  std::string record;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    auto& ids = d.records[subtask];
    ids.push_back(nonce);
    if (ids.size() > 16) ids.erase(ids.begin(), ids.end() - 16);
    for (auto id : ids) record += (record.empty() ? "" : " ") + std::to_string(id);
  }
  const auto topic = d.o.commit_topic + "/" + std::to_string(subtask);
  int mid = 0;
  const int rc = mosquitto_publish(d.client, &mid, topic.c_str(), static_cast<int>(record.size()),
                                   record.data(), 1, true);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
    throw std::runtime_error(d.what() + ": cannot record a commit on " + topic + ": " +
                             error_text(rc));
  {
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.early.erase(mid) == 0) d.outstanding.insert(mid);
  }
  flush();
}

bool publisher::committed(std::uint64_t nonce, int subtask) {
  auto& d = *impl_;
  d.read_records();
  std::lock_guard<std::mutex> lock(d.mu);
  const auto it = d.records.find(subtask);
  if (it == d.records.end()) return false;
  return std::find(it->second.begin(), it->second.end(), nonce) != it->second.end();
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
