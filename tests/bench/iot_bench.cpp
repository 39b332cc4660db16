// The IoT connector workloads of eddy-bench: the MQTT source against mosquitto_sub, the
// PostgreSQL sink against COPY (see iot_bench.hpp and docs/performance.md).
#include "iot_bench.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/datastream.hpp"

#ifdef EDDY_BENCH_MQTT
#include <mosquitto.h>

#include "eddy/connectors/mqtt/mqtt_source.hpp"
#include "eddy/runtime/cluster.hpp"
#endif
#ifdef EDDY_BENCH_POSTGRES
#include <libpq-fe.h>

#include <fstream>

#include "eddy/connectors/postgres/postgres_sink.hpp"
#endif

namespace eddy::bench {

namespace {

using clock_type = std::chrono::steady_clock;

[[maybe_unused]] double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

template <class T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// A fresh directory under the temporary directory, removed on destruction.
class temp_dir {
 public:
  explicit temp_dir(const char* prefix) {
    auto tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

#ifdef EDDY_BENCH_MQTT

namespace {

/// `name` in a directory of $PATH; empty if none has it.
std::string find_program(const char* name) {
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= path.size();) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const auto candidate = std::filesystem::path(path.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

/// Runs `argv` (argv[0] a path) with stdin and stdout on /dev/null, stderr inherited; its exit
/// code (128 + signal if killed, -1 if it could not be started).
int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0) ::_exit(127);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/// One message of the stream: a sensor reading as a JSON line (about 60 bytes).
std::string reading_payload(std::uint64_t i) {
  char buf[128];
  const int n =
      std::snprintf(buf, sizeof buf, "{\"device\":\"dev-%04llu\",\"ts\":%llu,\"temperature\":%.1f}",
                    static_cast<unsigned long long>(i % 1000),
                    static_cast<unsigned long long>(1700000000000ULL + i * 37),
                    15.0 + static_cast<double>(i % 200) / 10.0);
  return std::string(buf, static_cast<std::size_t>(n));
}

struct publisher_state {
  std::mutex mu;
  std::condition_variable cv;
  int connack = -1;
  std::uint64_t acked = 0;
};

/// Publishes `n` readings at QoS 1 to `topic` over one libmosquitto connection, at most 1,000
/// unacknowledged (so message ids never repeat among those in flight); returns once the broker
/// acknowledged every one, adding the payload bytes to `bytes`. False (printed) on a failure.
bool publish_readings(const std::string& host, int port, const std::string& topic, std::uint64_t n,
                      std::uint64_t& bytes) {
  constexpr std::uint64_t window = 1000;
  mosquitto_lib_init();
  publisher_state st;
  const std::string id = "eddy-bench-pub-" + std::to_string(::getpid());
  mosquitto* m = mosquitto_new(id.c_str(), true, &st);
  if (!m) {
    std::fprintf(stderr, "eddy-bench mqtt: cannot create a libmosquitto client\n");
    return false;
  }
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, static_cast<int>(window));
  mosquitto_connect_callback_set(m, [](mosquitto*, void* p, int rc) {
    auto& s = *static_cast<publisher_state*>(p);
    std::lock_guard lock(s.mu);
    s.connack = rc;
    s.cv.notify_all();
  });
  mosquitto_publish_callback_set(m, [](mosquitto*, void* p, int) {
    auto& s = *static_cast<publisher_state*>(p);
    std::lock_guard lock(s.mu);
    ++s.acked;
    s.cv.notify_all();
  });
  bool ok = mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS;
  int rc = ok ? mosquitto_connect_async(m, host.c_str(), port, 60) : MOSQ_ERR_UNKNOWN;
  std::unique_lock lock(st.mu);
  ok = rc == MOSQ_ERR_SUCCESS &&
       st.cv.wait_for(lock, std::chrono::seconds(10), [&] { return st.connack >= 0; }) &&
       st.connack == 0;
  lock.unlock();
  if (!ok) {
    std::fprintf(stderr, "eddy-bench mqtt: cannot connect to the broker at %s:%d (%s)\n",
                 host.c_str(), port,
                 rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc)
                 : st.connack > 0       ? mosquitto_connack_string(st.connack)
                                        : "no answer within 10 s");
  }
  const auto patience = std::chrono::seconds(60);
  for (std::uint64_t i = 0; ok && i < n; ++i) {
    lock.lock();
    ok = st.cv.wait_for(lock, patience, [&] { return i - st.acked < window; });
    lock.unlock();
    if (!ok) {
      std::fprintf(stderr, "eddy-bench mqtt: no acknowledgement from the broker for %lld s\n",
                   static_cast<long long>(patience.count()));
      break;
    }
    const auto payload = reading_payload(i);
    rc = mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                           payload.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::fprintf(stderr, "eddy-bench mqtt: publishing failed: %s\n", mosquitto_strerror(rc));
      ok = false;
    }
    bytes += payload.size();
  }
  if (ok) {
    lock.lock();
    ok = st.cv.wait_for(lock, patience, [&] { return st.acked >= n; });
    lock.unlock();
    if (!ok)
      std::fprintf(stderr, "eddy-bench mqtt: the broker did not acknowledge every message\n");
  }
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
  return ok;
}

/// Eddy's run: MQTT source (the persistent session `o` names) -> counting sink, until `n`
/// messages were counted; then the job is canceled. The seconds from the submission to the
/// n-th message, or -1 (printed) on a failure.
double eddy_drain(const mqtt::source_options& o, std::uint64_t n, std::chrono::seconds limit,
                  std::uint64_t& bytes_out) {
  auto count = std::make_shared<std::atomic<std::uint64_t>>(0);
  auto bytes = std::make_shared<std::atomic<std::uint64_t>>(0);
  StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(mqtt::mqtt_source_values(o)).add_sink([count, bytes](const std::string& s) {
    bytes->fetch_add(s.size(), std::memory_order_relaxed);
    count->fetch_add(1, std::memory_order_relaxed);
  });
  env.runtime();  // start the actor system before timing
  const auto t = clock_type::now();
  auto handle = env.execute_async("mqtt bench");
  if (!handle) {
    std::fprintf(stderr, "eddy-bench mqtt: %s\n", handle.error().message.c_str());
    return -1;
  }
  while (count->load(std::memory_order_relaxed) < n) {
    if (auto r = handle->wait_for(std::chrono::milliseconds(1))) {
      std::fprintf(stderr, "eddy-bench mqtt: the job ended after %llu of %llu messages: %s\n",
                   static_cast<unsigned long long>(count->load()),
                   static_cast<unsigned long long>(n),
                   r->failure ? r->failure->message.c_str() : to_string(r->state));
      return -1;
    }
    if (clock_type::now() - t > limit) {
      std::fprintf(stderr,
                   "eddy-bench mqtt: the job got %llu of %llu messages in %lld s (does the "
                   "broker have max_queued_messages 0?)\n",
                   static_cast<unsigned long long>(count->load()),
                   static_cast<unsigned long long>(n), static_cast<long long>(limit.count()));
      handle->cancel();
      (void)handle->wait();
      return -1;
    }
  }
  const double seconds = since(t);
  handle->cancel();
  (void)handle->wait();
  if (count->load() != n)
    std::fprintf(stderr, "eddy-bench mqtt: the job got %llu messages, %llu were published\n",
                 static_cast<unsigned long long>(count->load()),
                 static_cast<unsigned long long>(n));
  bytes_out = bytes->load();
  return seconds;
}

}  // namespace

bool mqtt_source_bench(const std::string& uri_text, std::uint64_t n, int repeat) {
  auto uri = connectors::parse_connector_uri(uri_text);
  if (!uri) {
    std::fprintf(stderr, "eddy-bench mqtt: %s\n", uri.error().message.c_str());
    return false;
  }
  if (uri->scheme != "mqtt" || uri->hosts.size() != 1 || !uri->user.empty() ||
      !uri->options.empty()) {
    std::fprintf(stderr,
                 "eddy-bench mqtt: %s: expected mqtt://HOST:PORT[/TOPIC] (an anonymous broker, "
                 "no options)\n",
                 uri_text.c_str());
    return false;
  }
  auto hp = parse_host_port(uri->hosts[0]);
  if (!hp) {
    std::fprintf(stderr, "eddy-bench mqtt: %s\n", hp.error().message.c_str());
    return false;
  }
  const std::string host = hp->first;
  const int port = hp->second;
  const std::string topic = uri->path.empty() ? "eddy-bench/readings" : uri->path;
  if (topic.find_first_of("#+") != std::string::npos) {
    std::fprintf(stderr, "eddy-bench mqtt: topic '%s': the bench publishes to it (no wildcards)\n",
                 topic.c_str());
    return false;
  }
  if (n == 0) {
    std::fprintf(stderr, "eddy-bench mqtt: --messages must be at least 1\n");
    return false;
  }
  const std::string sub = find_program("mosquitto_sub");
  if (sub.empty()) {
    std::fprintf(stderr, "eddy-bench mqtt: mosquitto_sub is not on PATH (mosquitto-clients)\n");
    return false;
  }
  temp_dir wal("eddy-bench-mqtt-wal-");
  if (wal.path().empty()) {
    std::fprintf(stderr, "eddy-bench mqtt: cannot create a temporary directory\n");
    return false;
  }
  const std::string pid = std::to_string(::getpid());
  const std::string base_id = "eddy-bench-sub-" + pid, eddy_id = "eddy-bench-eddy-" + pid;
  auto sub_args = [&](const std::string& id) {
    return std::vector<std::string>{sub,  "-h",  host, "-p", std::to_string(port), "-i", id,
                                    "-t", topic, "-q", "1"};
  };
  // A clean connection ends a session the id may have had; -c -E then creates a persistent one
  // with the subscription (at QoS 1), which the broker queues for while it is offline.
  auto session = [&](const std::string& id, bool create) {
    auto args = sub_args(id);
    if (create) args.emplace_back("-c");
    args.emplace_back("-E");
    return run_program(args) == 0;
  };
  for (const auto& id : {base_id, eddy_id})
    if (!session(id, false) || !session(id, true)) {
      std::fprintf(stderr, "eddy-bench mqtt: mosquitto_sub could not create session %s at %s:%d\n",
                   id.c_str(), host.c_str(), port);
      return false;
    }

  mqtt::source_options o;
  o.connection.host = host;
  o.connection.port = port;
  o.connection.client_id = eddy_id;
  o.topic_filter = topic;
  o.qos = 1;
  o.wal_dir = wal.path();
  const auto limit = std::chrono::seconds(30 + n / 5000);  // at least 5,000 messages/s
  std::vector<double> base_runs, eddy_runs;
  std::uint64_t published_bytes = 0, eddy_bytes = 0;
  bool ok = true;
  for (int r = 0; ok && r < repeat; ++r) {
    const auto t = clock_type::now();
    std::uint64_t bytes = 0;
    ok = publish_readings(host, port, topic, n, bytes);
    if (!ok) break;
    published_bytes = bytes;
    std::fprintf(
        stderr, "eddy-bench mqtt: published %llu messages (%llu bytes) at QoS 1 in %.1f s\n",
        static_cast<unsigned long long>(n), static_cast<unsigned long long>(bytes), since(t));
    auto args = sub_args(base_id);
    args.insert(args.end(), {"-c", "-C", std::to_string(n), "-W", std::to_string(limit.count())});
    const auto t0 = clock_type::now();
    const int code = run_program(args);
    base_runs.push_back(since(t0));
    if (code != 0) {
      std::fprintf(stderr,
                   "eddy-bench mqtt: mosquitto_sub exited with %d before %llu messages (does the "
                   "broker have max_queued_messages 0?)\n",
                   code, static_cast<unsigned long long>(n));
      ok = false;
      break;
    }
    const double e = eddy_drain(o, n, limit, eddy_bytes);
    ok = e > 0 && eddy_bytes == published_bytes;
    if (e > 0 && eddy_bytes != published_bytes)
      std::fprintf(stderr, "eddy-bench mqtt: the job got %llu payload bytes, %llu were published\n",
                   static_cast<unsigned long long>(eddy_bytes),
                   static_cast<unsigned long long>(published_bytes));
    eddy_runs.push_back(e);
    std::fprintf(stderr, "eddy-bench mqtt: run %d: mosquitto_sub %.3f s, eddy %.3f s\n", r + 1,
                 base_runs.back(), e);
  }
  for (const auto& id : {base_id, eddy_id}) (void)session(id, false);  // the broker forgets them
  if (!ok) return false;
  const double b = median(base_runs), e = median(eddy_runs);
  auto line = [&](const char* impl, double s) {
    std::printf(
        "{\"workload\":\"mqtt\",\"impl\":\"%s\",\"qos\":1,\"messages\":%llu,\"bytes\":%llu,"
        "\"seconds\":%.6f,\"messages_per_sec\":%.0f}\n",
        impl, static_cast<unsigned long long>(n), static_cast<unsigned long long>(published_bytes),
        s, static_cast<double>(n) / s);
  };
  line("mosquitto_sub", b);
  line("eddy", e);
  std::printf("{\"workload\":\"mqtt\",\"ratio\":%.2f}\n", b / e);
  std::fflush(stdout);
  return true;
}

#endif  // EDDY_BENCH_MQTT

#ifdef EDDY_BENCH_POSTGRES

namespace {

/// One row: (id BIGINT PRIMARY KEY, device TEXT, ts BIGINT, temperature DOUBLE PRECISION).
struct reading {
  std::int64_t id = 0;
  std::string device;
  std::int64_t ts = 0;
  double temperature = 0;
};

reading make_reading(std::uint64_t i) {
  return reading{static_cast<std::int64_t>(i), "dev-" + std::to_string(i % 1000),
                 1700000000000LL + static_cast<std::int64_t>(i) * 37,
                 15.0 + static_cast<double>(i % 200) / 10.0};
}

void append_number(std::string& out, auto v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

const char* const tables[] = {"eddy_bench_copy", "eddy_bench_upsert", "eddy_bench_append"};
constexpr const char* txn_prefix = "eddy-bench-append";

/// A libpq connection, closed on destruction.
struct pg_conn {
  PGconn* c = nullptr;
  explicit pg_conn(const std::string& conninfo) : c(PQconnectdb(conninfo.c_str())) {}
  ~pg_conn() { PQfinish(c); }
  pg_conn(const pg_conn&) = delete;
  pg_conn& operator=(const pg_conn&) = delete;
  [[nodiscard]] bool ok() const {
    if (PQstatus(c) == CONNECTION_OK) return true;
    std::fprintf(stderr, "eddy-bench pg: cannot connect: %s", PQerrorMessage(c));
    return false;
  }
  /// Runs `sql`; false (printed) on an error. `value`: the first row's first column.
  bool exec(const std::string& sql, std::string* value = nullptr) const {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    const bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!good) std::fprintf(stderr, "eddy-bench pg: %s: %s", sql.c_str(), PQerrorMessage(c));
    if (good && value) *value = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return good;
  }
};

/// libpq's conninfo for `c`: host, port, user, database, password (from password-file), ssl.
std::string conninfo(const postgres::connection_options& c) {
  auto quote = [](const std::string& v) {
    std::string r = "'";
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') r += '\\';
      r += ch;
    }
    return r + "'";
  };
  std::string s = "host=" + quote(c.host) + " port=" + std::to_string(c.port) +
                  " dbname=" + quote(c.database) + " connect_timeout=30";
  if (!c.user.empty()) s += " user=" + quote(c.user);
  if (!c.password_file.empty()) {
    std::ifstream in(c.password_file);
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    s += " password=" + quote(password);
  }
  for (const auto& [k, v] : c.ssl) s += " " + k + "=" + quote(v);
  return s;
}

/// The limit: COPY eddy_bench_copy FROM STDIN over one new connection, the rows formatted as
/// COPY text (std::to_chars, as the Eddy rows) in 256 KiB chunks. Seconds, or -1 (printed).
double copy_rows(const std::string& info, std::uint64_t n) {
  const auto t = clock_type::now();
  pg_conn c(info);
  if (!c.ok()) return -1;
  PGresult* r = PQexec(c.c, "COPY eddy_bench_copy (id, device, ts, temperature) FROM STDIN");
  const bool copying = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!copying) {
    std::fprintf(stderr, "eddy-bench pg: COPY: %s", PQerrorMessage(c.c));
    return -1;
  }
  std::string buf;
  buf.reserve(300 * 1024);
  bool ok = true;
  for (std::uint64_t i = 0; ok && i < n; ++i) {
    const auto row = make_reading(i);
    append_number(buf, row.id);
    buf += '\t';
    buf += row.device;  // never needs COPY escaping
    buf += '\t';
    append_number(buf, row.ts);
    buf += '\t';
    append_number(buf, row.temperature);
    buf += '\n';
    if (buf.size() >= 256 * 1024 || i + 1 == n) {
      ok = PQputCopyData(c.c, buf.data(), static_cast<int>(buf.size())) == 1;
      buf.clear();
    }
  }
  ok = PQputCopyEnd(c.c, ok ? nullptr : "eddy-bench gave up") == 1 && ok;
  while ((r = PQgetResult(c.c)) != nullptr) {
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!ok) {
    std::fprintf(stderr, "eddy-bench pg: COPY: %s", PQerrorMessage(c.c));
    return -1;
  }
  return since(t);
}

/// Eddy's run: generator -> postgres_sink<reading> into `table` in `mode` (append:
/// exactly-once, with checkpoints every `interval_ms` into `checkpoints`). Seconds (and the
/// number of checkpoints), or -1 (printed).
double eddy_write(const postgres::connection_options& conn, const std::string& table,
                  postgres::write_mode mode, std::uint64_t n, int parallelism, int interval_ms,
                  const std::string& checkpoints, std::size_t& completed) {
  postgres::sink_options o;
  o.connection = conn;
  o.table = table;
  o.mode = mode;
  o.guarantee = delivery_guarantee::exactly_once;
  o.transaction_prefix = txn_prefix;
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  if (mode == postgres::write_mode::append) {
    env.config().checkpoints.interval = std::chrono::milliseconds(interval_ms);
    env.config().checkpoints.mode = checkpointing_mode::exactly_once;
    env.config().checkpoints.directory = checkpoints;
  }
  env.from_generator(n, [](std::uint64_t i) { return make_reading(i); })
      .sink_to(postgres::postgres_sink<reading>(o, [](const reading& r) {
        std::string temperature;
        append_number(temperature, r.temperature);
        return postgres::pg_row{std::to_string(r.id), r.device, std::to_string(r.ts),
                                std::move(temperature)};
      }));
  env.runtime();  // start the actor system before timing
  const auto t = clock_type::now();
  const auto result = env.execute("pg bench");
  const double seconds = since(t);
  if (!result.ok()) {
    std::fprintf(stderr, "eddy-bench pg: the job into %s failed: %s\n", table.c_str(),
                 result.failure ? result.failure->message.c_str() : to_string(result.state));
    return -1;
  }
  completed = result.checkpoints.size();
  return seconds;
}

/// Whether `table` holds exactly the rows 0..n-1 with their values.
bool check_table(const pg_conn& c, const char* table, std::uint64_t n) {
  const auto ns = std::to_string(n);
  std::string v;
  if (!c.exec(std::string("SELECT count(*) = ") + ns + " AND sum(id) = " + ns + "::numeric * (" +
                  ns + " - 1) / 2 AND bool_and(ts = 1700000000000 + id * 37 AND device = 'dev-' " +
                  "|| (id % 1000) AND temperature = 15 + (id % 200) / 10.0::float8) FROM " + table,
              &v))
    return false;
  if (v != "t")
    std::fprintf(stderr, "eddy-bench pg: %s does not hold the %s rows written\n", table,
                 ns.c_str());
  return v == "t";
}

}  // namespace

bool postgres_sink_bench(const std::string& uri_text, std::uint64_t n, int parallelism, int repeat,
                         int interval_ms) {
  auto uri = connectors::parse_connector_uri(uri_text + (uri_text.find('?') == std::string::npos
                                                             ? "?table=eddy_bench"
                                                             : "&table=eddy_bench"));
  if (!uri) {
    std::fprintf(stderr, "eddy-bench pg: %s\n", uri.error().message.c_str());
    return false;
  }
  auto opts = postgres::parse_sink_uri(*uri);
  if (!opts) {
    std::fprintf(stderr, "eddy-bench pg: %s\n", opts.error().message.c_str());
    return false;
  }
  if (n == 0) {
    std::fprintf(stderr, "eddy-bench pg: --rows must be at least 1\n");
    return false;
  }
  const auto& conn = opts->connection;
  const std::string info = conninfo(conn);
  pg_conn admin(info);
  if (!admin.ok()) return false;
  // Prepared transactions of an earlier, interrupted run would hold locks on the tables.
  std::string strays;
  if (!admin.exec(std::string("SELECT string_agg(gid, ' ') FROM pg_prepared_xacts WHERE gid "
                              "LIKE '") +
                      txn_prefix + ":%' AND database = current_database()",
                  &strays))
    return false;
  for (std::size_t start = 0; start < strays.size();) {
    auto end = strays.find(' ', start);
    if (end == std::string::npos) end = strays.size();
    (void)admin.exec("ROLLBACK PREPARED '" + strays.substr(start, end - start) + "'");
    start = end + 1;
  }
  bool ok = admin.exec(
      "SET client_min_messages = warning; "
      "DROP TABLE IF EXISTS eddy_bench_copy, eddy_bench_upsert, eddy_bench_append; "
      "CREATE TABLE eddy_bench_copy (id BIGINT PRIMARY KEY, device TEXT NOT NULL, ts BIGINT NOT "
      "NULL, temperature DOUBLE PRECISION NOT NULL); "
      "CREATE TABLE eddy_bench_upsert (LIKE eddy_bench_copy INCLUDING ALL); "
      "CREATE TABLE eddy_bench_append (LIKE eddy_bench_copy INCLUDING ALL)");
  temp_dir chk("eddy-bench-pg-");
  if (chk.path().empty()) {
    std::fprintf(stderr, "eddy-bench pg: cannot create a temporary directory\n");
    ok = false;
  }
  struct run {
    double seconds;
    std::size_t checkpoints;
    bool operator<(const run& o) const { return seconds < o.seconds; }
  };
  std::vector<run> copy_runs, upsert_runs, append_runs;
  auto truncate = [&] {
    return admin.exec("TRUNCATE eddy_bench_copy, eddy_bench_upsert, eddy_bench_append");
  };
  for (int r = 0; ok && r < repeat; ++r) {
    ok = truncate();
    const double c = ok ? copy_rows(info, n) : -1;
    ok = c > 0 && check_table(admin, "eddy_bench_copy", n) && truncate();
    copy_runs.push_back({c, 0});
    std::size_t k = 0;
    const double u = ok ? eddy_write(conn, "eddy_bench_upsert", postgres::write_mode::upsert, n,
                                     parallelism, interval_ms, {}, k)
                        : -1;
    ok = u > 0 && check_table(admin, "eddy_bench_upsert", n) && truncate();
    upsert_runs.push_back({u, k});
    const auto dir = (std::filesystem::path(chk.path()) / ("run-" + std::to_string(r))).string();
    const double a = ok ? eddy_write(conn, "eddy_bench_append", postgres::write_mode::append, n,
                                     parallelism, interval_ms, dir, k)
                        : -1;
    ok = a > 0 && check_table(admin, "eddy_bench_append", n);
    append_runs.push_back({a, k});
    std::fprintf(stderr, "eddy-bench pg: run %d: copy %.3f s, upsert %.3f s, append %.3f s\n",
                 r + 1, c, u, a);
  }
  (void)admin.exec("DROP TABLE IF EXISTS eddy_bench_copy, eddy_bench_upsert, eddy_bench_append");
  if (!ok) return false;
  const auto c = median(copy_runs), u = median(upsert_runs), a = median(append_runs);
  auto line = [&](const char* impl, int par, const run& x, const std::string& extra) {
    std::printf(
        "{\"workload\":\"pg\",\"impl\":\"%s\",\"parallelism\":%d,\"rows\":%llu,\"seconds\":%.6f,"
        "\"rows_per_sec\":%.0f%s}\n",
        impl, par, static_cast<unsigned long long>(n), x.seconds,
        static_cast<double>(n) / x.seconds, extra.c_str());
  };
  line("copy", 1, c, "");
  line("eddy-upsert", parallelism, u, ",\"batch_size\":" + std::to_string(opts->batch_size));
  line("eddy-append-exactly-once", parallelism, a,
       ",\"batch_size\":" + std::to_string(opts->batch_size) + ",\"checkpoint_interval_ms\":" +
           std::to_string(interval_ms) + ",\"checkpoints\":" + std::to_string(a.checkpoints));
  std::printf("{\"workload\":\"pg\",\"upsert_ratio\":%.2f,\"append_exactly_once_ratio\":%.2f}\n",
              c.seconds / u.seconds, c.seconds / a.seconds);
  std::fflush(stdout);
  return true;
}

#endif  // EDDY_BENCH_POSTGRES

}  // namespace eddy::bench
