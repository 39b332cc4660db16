// The MQTT source's libmosquitto side (mqtt_source.hpp): the client, the write-ahead log, the
// redelivery filter and the positions.
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "eddy/connectors/mqtt/mqtt_source.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"
#include "mqtt_client.hpp"
#include "mqtt_redelivery.hpp"
#include "mqtt_wal.hpp"

namespace eddy::mqtt::detail {

namespace {

constexpr const char* state_name = "mqtt-position";
constexpr const char* state_type = "mqtt_position<v1>";
constexpr std::size_t redelivery_window = redelivery_filter::default_window;

}  // namespace

struct subscription::impl {
  source_options o;
  std::string name;
  subtask_info info;
  source_waker wake;
  mosquitto* client = nullptr;
  std::unique_ptr<mqtt_wal> wal;
  bool durable = false;  // the log survives the process (a client id and a wal_dir)
  std::string temp_dir;  // the log's directory when not durable

  std::uint64_t next = 0;                          // the next log record to emit (actor)
  std::map<std::uint64_t, std::uint64_t> pending;  // checkpoint -> position (actor)

  // Written by libmosquitto's thread, read by the actor.
  std::mutex mu;
  std::string error;              // the first fatal problem (login refused, log failure)
  redelivery_filter redelivered;  // libmosquitto's thread (and open() before it starts)
  std::chrono::steady_clock::time_point last_warning{};
  bool connected = false;
  std::string last_problem = "connecting";
  // Says every 10 s what the source waits for while it is not connected.
  std::thread watchdog;
  std::condition_variable stop_cv;
  bool stopping = false;

  void watch() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stop_cv.wait_for(lock, std::chrono::seconds(10), [&] { return stopping; }))
      if (!connected) eddy::log().warn("{}: waiting for the broker ({})", what(), last_problem);
  }

  [[nodiscard]] std::string what() const {
    return "mqtt source '" + name + "' (" + o.connection.describe() + ", " + o.topic_filter +
           (o.connection.client_id.empty() ? std::string() : ", client " + o.connection.client_id) +
           ")";
  }

  void fail(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.empty()) error = why;
    wake.wake();
  }

  // ---- libmosquitto callbacks (its thread) ----
  static void on_connect(mosquitto* m, void* self, int rc, int flags) {
    auto& d = *static_cast<impl*>(self);
    if (rc != 0) {
      // A refused login or client id does not get better by retrying.
      d.fail(d.what() + ": the broker refused the connection: " + connack_text(rc));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.connected = true;
    }
    // Only a resumed session (session present) has unacknowledged messages to resend; a new
    // one (the first start, or a broker that lost its sessions and numbers from 1 again) has
    // none, so nothing it sends is taken for a redelivery.
    if (flags & 1) d.redelivered.arm();
    eddy::log().info("{}: connected{}", d.what(),
                     (flags & 1) ? " (the broker kept the session)" : "");
    if (flags & 1) return;  // a persistent session keeps its subscription
    const int s = mosquitto_subscribe(m, nullptr, d.o.topic_filter.c_str(), d.o.qos);
    if (s != MOSQ_ERR_SUCCESS) d.fail(d.what() + ": cannot subscribe: " + error_text(s));
  }
  static void on_subscribe(mosquitto*, void* self, int, int count, const int* granted) {
    auto& d = *static_cast<impl*>(self);
    for (int i = 0; i < count; ++i)
      if (granted[i] == 0x80) d.fail(d.what() + ": the broker refused the subscription");
  }
  static void on_disconnect(mosquitto*, void* self, int rc) {
    auto& d = *static_cast<impl*>(self);
    bool was = false;
    {
      std::lock_guard<std::mutex> lock(d.mu);
      was = d.connected;
      d.connected = false;
      if (rc != 0) d.last_problem = error_text(rc);
    }
    if (rc != 0)
      eddy::log().warn("{}: {} ({}); retrying", d.what(),
                       was ? "connection lost" : "cannot connect", error_text(rc));
  }
  static void on_log(mosquitto*, void* self, int level, const char* text) {
    auto& d = *static_cast<impl*>(self);
    if (level != MOSQ_LOG_ERR && level != MOSQ_LOG_WARNING) return;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(d.mu);
    if (now - d.last_warning < std::chrono::seconds(10)) return;
    d.last_warning = now;
    d.last_problem = text;
    eddy::log().warn("{}: waiting for the broker: {}", d.what(), text);
  }
  static void on_message(mosquitto*, void* self, const mosquitto_message* m) {
    auto& d = *static_cast<impl*>(self);
    wal_record r;
    r.topic = m->topic ? m->topic : "";
    r.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
    r.qos = static_cast<std::uint8_t>(m->qos);
    r.retain = m->retain;
    r.mid = static_cast<std::uint16_t>(m->mid);
    {
      std::lock_guard<std::mutex> lock(d.mu);
      if (!d.error.empty()) return;
    }
    std::optional<std::uint64_t> f;
    if (r.qos > 0) {
      f = message_fingerprint(r.mid, r.topic, r.payload);
      // A redelivery of a logged message whose PUBACK was lost: acknowledged, not logged again.
      const bool was_armed = d.redelivered.armed();
      if (d.redelivered.is_redelivery(*f)) return;
      if (was_armed && d.redelivered.dropped_in_phase() > 0)
        eddy::log().info("{}: dropped {} redelivered message(s) already in the log", d.what(),
                         d.redelivered.dropped_in_phase());
    }
    // The acknowledgement leaves after this returns: the message must be in the log first.
    try {
      d.wal->append(r, f);
    } catch (const std::exception& e) {
      d.fail(d.what() + ": a message on " + r.topic +
             " was acknowledged but could not be logged: " + e.what());
      return;
    }
    if (f) d.redelivered.remember(*f);
    d.wake.wake();
  }
};

subscription::subscription(source_options o, std::string name) : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(o);
  impl_->name = std::move(name);
}

subscription::~subscription() {
  auto& d = *impl_;
  if (d.watchdog.joinable()) {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.stopping = true;
    }
    d.stop_cv.notify_all();
    d.watchdog.join();
  }
  if (d.client) {
    mosquitto_disconnect(d.client);
    mosquitto_loop_stop(d.client, false);
    mosquitto_destroy(d.client);
  }
  d.wal.reset();
  if (!d.temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(d.temp_dir, ec);
  }
}

void subscription::open(const subtask_info& info, source_waker wake) {
  auto& d = *impl_;
  d.info = info;
  d.wake = std::move(wake);
  if (info.parallelism != 1)
    throw std::runtime_error(d.what() +
                             ": the MQTT source reads one session; run it at "
                             "parallelism 1 (it runs at " +
                             std::to_string(info.parallelism) + ")");
  const auto& id = d.o.connection.client_id;
  d.durable = !id.empty() && !d.o.wal_dir.empty();
  if (d.durable) {
    d.wal = std::make_unique<mqtt_wal>(d.o.wal_dir + "/" + id, d.o.wal_sync);
  } else {
    auto tmpl = (std::filesystem::temp_directory_path() / "eddy-mqtt-wal-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error(d.what() + ": cannot create a temporary directory for its log");
    d.temp_dir = tmpl;
    d.wal = std::make_unique<mqtt_wal>(d.temp_dir, false);
    if (info.checkpointing)
      eddy::log().warn(
          "{}: {}: messages received after the last checkpoint are lost when the "
          "job restarts",
          d.what(), id.empty() ? "no client-id (a clean session)" : "no wal-dir for its log");
  }
  if (d.o.qos == 2 && info.checkpointing)
    eddy::log().warn(
        "{}: qos=2: libmosquitto holds a QoS 2 message in memory between PUBREC and PUBREL, so "
        "a crash then loses it; qos=1 is exactly once here",
        d.what());
  // A fresh start continues after what an earlier run logged; a restore moves back.
  d.next = d.wal->end();
  {
    // Redeliveries of the newest logged messages are recognised after a restart too.
    const auto end = d.wal->end();
    const auto from = end > redelivery_window ? end - redelivery_window : 0;
    std::vector<std::uint64_t> fingerprints;
    d.wal->fingerprints(from, fingerprints);
    if (fingerprints.empty()) {
      // A log written before fingerprints were kept: its newest records.
      std::vector<wal_record> tail;
      d.wal->read(from, redelivery_window, tail);
      for (const auto& r : tail)
        if (r.qos > 0) fingerprints.push_back(message_fingerprint(r.mid, r.topic, r.payload));
    }
    d.redelivered.load(fingerprints);
  }
  d.client = make_client(d.o.connection, id, id.empty(), &d, d.what());
  mosquitto_connect_with_flags_callback_set(d.client, &impl::on_connect);
  mosquitto_subscribe_callback_set(d.client, &impl::on_subscribe);
  mosquitto_disconnect_callback_set(d.client, &impl::on_disconnect);
  mosquitto_message_callback_set(d.client, &impl::on_message);
  mosquitto_log_callback_set(d.client, &impl::on_log);
  // Threaded: the PUBACK of a message is written after its callback returned (see the header).
  int rc = mosquitto_loop_start(d.client);
  if (rc != MOSQ_ERR_SUCCESS)
    throw std::runtime_error(d.what() + ": cannot start the MQTT thread: " + error_text(rc));
  rc = mosquitto_connect_async(d.client, d.o.connection.host.c_str(), d.o.connection.port,
                               static_cast<int>(d.o.connection.keepalive.count()));
  if (rc != MOSQ_ERR_SUCCESS) {
    std::lock_guard<std::mutex> lock(d.mu);
    d.last_problem = error_text(rc);
    eddy::log().warn("{}: cannot connect yet ({}); retrying", d.what(), error_text(rc));
  }
  d.watchdog = std::thread([&d] { d.watch(); });
}

std::size_t subscription::poll(std::size_t max,
                               const std::function<void(const message_view&)>& emit) {
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    if (!d.error.empty()) throw std::runtime_error(d.error);
  }
  std::vector<wal_record> batch;
  d.wal->read(d.next, max, batch);
  for (const auto& r : batch) {
    message_view m{r.topic, r.payload, r.qos, r.retain};
    emit(m);
  }
  d.next += batch.size();
  return batch.size();
}

void subscription::snapshot(std::uint64_t checkpoint, std::vector<state_entry>& out) {
  auto& d = *impl_;
  d.pending[checkpoint] = d.next;
  std::tuple<std::string, std::uint64_t, bool> st{d.o.connection.client_id, d.next, d.durable};
  out.push_back(state_entry{state_name, -1, state_type, serialize(st)});
}

void subscription::restore(const std::vector<state_entry>& entries) {
  auto& d = *impl_;
  for (const auto& e : entries) {
    if (e.name != state_name) continue;
    if (e.type != state_type)
      throw std::runtime_error(d.what() + ": source state '" + e.name + "' was written as " +
                               e.type);
    std::tuple<std::string, std::uint64_t, bool> st;
    std::string err;
    if (!deserialize(e.data, st, &err))
      throw std::runtime_error(d.what() + ": source state does not decode: " + err);
    const auto& [client, position, was_durable] = st;
    if (!d.durable || !was_durable || client != d.o.connection.client_id) {
      eddy::log().warn(
          "{}: the restored checkpoint's log position cannot be replayed ({}): "
          "messages received after it are lost",
          d.what(),
          !d.durable     ? "this run has no durable log (client-id and wal-dir)"
          : !was_durable ? "the checkpointed run had no durable log"
                         : "it was taken with client id '" + client + "'");
      return;
    }
    const auto first = d.wal->begin();
    const auto end = d.wal->end();
    if (position > end)
      throw std::runtime_error(d.what() + ": the checkpoint is at message " +
                               std::to_string(position) + " of the log in " + d.wal->dir() +
                               ", which holds only " + std::to_string(end) +
                               " (was the log deleted?)");
    if (position < first && first < end)
      throw std::runtime_error(d.what() + ": the log in " + d.wal->dir() +
                               " no longer holds message " + std::to_string(position) +
                               " (a later checkpoint truncated it): restore the latest "
                               "checkpoint");
    d.next = position;
    eddy::log().info("{}: replaying {} logged message(s) from the restored position", d.what(),
                     end - position);
  }
}

std::uint64_t subscription::lag() const {
  const auto& d = *impl_;
  if (!d.wal) return 0;
  const auto end = d.wal->end();
  return end > d.next ? end - d.next : 0;
}

void subscription::checkpoint_complete(std::uint64_t checkpoint) {
  auto& d = *impl_;
  auto it = d.pending.find(checkpoint);
  if (it == d.pending.end()) return;
  auto position = it->second;
  d.pending.erase(d.pending.begin(), std::next(it));
  if (position > 0) d.wal->truncate(position);
  // The newest fingerprints stay, for recognising redeliveries after a restart.
  const auto end = d.wal->end();
  if (end > redelivery_window) d.wal->forget_fingerprints(end - redelivery_window);
}

}  // namespace eddy::mqtt::detail
