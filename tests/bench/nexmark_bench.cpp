// The Nexmark workload of eddy-bench (issue 20; see nexmark_bench.hpp and docs/performance.md).
#include "nexmark_bench.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/connectors/nexmark/source.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/table/sql_session.hpp"
#include "eddy/table/table_connector.hpp"
#include "nexmark_checksum.hpp"
#include "nexmark_datastream.hpp"
#include "nexmark_queries.hpp"  // generated from tests/sql/nexmark (nexmark_queries.cmake)

namespace eddy::bench {

namespace {

using namespace nexmark_checksum;

/// The sink of the 'eddy-bench-checksum' table connector: each subtask sums locally and adds
/// per batch.
class checksum_sink final : public timed_input_op<rows::row_batch> {
 public:
  using timed_input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>&) override {
    std::int64_t rows = 0;
    std::uint64_t hash = 0;
    for (const auto& b : batches) {
      for (std::size_t i = 0; i < b.size(); ++i) {
        const auto row = b.row(i);
        row_hasher h;
        for (std::size_t c = 0; c < b.column_count(); ++c) {
          const auto& col = b.column(c);
          if (col.is_null(row)) {
            h.add_null();
            continue;
          }
          switch (col.type().physical()) {
            case rows::physical_kind::boolean:
              h.add(static_cast<std::uint64_t>(col.data<std::uint8_t>()[row]));
              break;
            case rows::physical_kind::int32:
              h.add(static_cast<std::uint64_t>(col.data<std::int32_t>()[row]));
              break;
            case rows::physical_kind::int64:
              h.add(static_cast<std::uint64_t>(col.data<std::int64_t>()[row]));
              break;
            case rows::physical_kind::float64: {
              const double d = col.data<double>()[row];
              std::uint64_t bits = 0;
              std::memcpy(&bits, &d, sizeof bits);
              h.add(bits);
              break;
            }
            case rows::physical_kind::string:
              h.add(std::string_view(col.data<std::string>()[row]));
              break;
            case rows::physical_kind::nested:
              h.add_null();
              break;
          }
        }
        const auto kind = b.kind(i);
        if (kind == rows::row_kind::update_before || kind == rows::row_kind::delete_) {
          --rows;
          hash -= h.h;
        } else {
          ++rows;
          hash += h.h;
        }
      }
    }
    totals().rows += rows;
    totals().hash += hash;
  }
  void finish() override {}
};

void register_checksum_connector() {
  static std::once_flag once;
  std::call_once(once, [] {
    table::table_connector c;
    c.row_batches = true;
    c.sink = [](const table::table_def&, const table::table_options& o,
                bool) -> expected<table::table_sink> {
      if (!o.empty()) return error{errc::invalid_argument, "unknown option " + o.front().first};
      table::table_sink s;
      s.batches = Sink<rows::row_batch>{
          "checksum", delivery_guarantee::at_least_once,
          [](const sink_context&) { return std::make_unique<checksum_sink>(); }};
      return s;
    };
    table::register_table_connector("eddy-bench-checksum", std::move(c));
  });
}

// ---- published figures (events/s per core) ----

/// Flink 2.0's example result in the nexmark repository's GUIDE_V2.md (8 TaskManagers of one
/// slot, 50 M events): throughput / cores.
std::optional<double> flink_per_core(std::string_view q) {
  static const std::map<std::string_view, double> t = {
      {"q0", 2.65e6 / 7},        {"q1", 2.86e6 / 7.24},     {"q2", 2.95e6 / 7.13},
      {"q3", 1.9e6 / 8.69},      {"q4", 347.84e3 / 12.33},  {"q5", 920.4e3 / 12.35},
      {"q7", 262.46e3 / 11.45},  {"q8", 2.08e6 / 12.83},    {"q9", 149.52e3 / 10.86},
      {"q10", 904.32e3 / 6.81},  {"q11", 427.88e3 / 9.29},  {"q12", 1.95e6 / 10.03},
      {"q13", 1.5e6 / 7.97},     {"q14", 2.03e6 / 7.83},    {"q15", 1.37e6 / 8.16},
      {"q16", 487.29e3 / 10.77}, {"q17", 1.63e6 / 10.15},   {"q18", 769.77e3 / 11.77},
      {"q19", 558.84e3 / 13.09}, {"q20", 194.96e3 / 10.98}, {"q21", 1.15e6 / 7.81},
      {"q22", 1.63e6 / 7.7}};
  const auto it = t.find(q);
  return it == t.end() ? std::nullopt : std::optional<double>(it->second);
}

/// Feldera's figures against Flink (16 cores), as issue 20 quotes them; the others are not
/// in that table.
std::optional<double> feldera_per_core(std::string_view q) {
  if (q == "q0") return 436e3;
  if (q == "q5") return 412e3;
  if (q == "q7") return 196e3;
  return std::nullopt;
}

// ---- running ----

struct measurement {
  double seconds = 0;
  double cpu_seconds = 0;
  std::string checksum;
  std::string error;  // set: the run failed (or the query is not supported)
  bool operator<(const measurement& o) const { return seconds < o.seconds; }
};

double cpu_seconds_now() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peak_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

template <class F>
measurement timed(F&& run) {
  totals().reset();
  measurement m;
  const double cpu0 = cpu_seconds_now();
  const auto t0 = std::chrono::steady_clock::now();
  m.error = run();
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu_seconds = cpu_seconds_now() - cpu0;
  m.checksum = totals().text();
  return m;
}

std::string table_ddl(std::uint64_t events, std::int64_t rate) {
  const std::string with = "WITH ('connector' = 'nexmark', 'events.num' = '" +
                           std::to_string(events) + "', 'first-event.rate' = '" +
                           std::to_string(rate) + "', ";
  const std::string watermark = "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) ";
  return "CREATE TABLE person (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard "
         "VARCHAR, city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, " +
         watermark + with + "'event.type' = 'person');\n" +
         "CREATE TABLE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid "
         "BIGINT, reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, "
         "category BIGINT, extra VARCHAR, " +
         watermark + with + "'event.type' = 'auction');\n" +
         "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url "
         "VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, " +
         watermark + with + "'event.type' = 'bid');\n";
}

/// The query's text with its blackhole sink replaced by the checksum sink.
std::string with_checksum_sink(std::string_view text) {
  std::string s(text);
  const std::string from = "'connector' = 'blackhole'";
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at))
    s.replace(at, from.size(), "'connector' = 'eddy-bench-checksum'");
  return s;
}

/// q13's side input as the nexmark repository's SideInputGenerator writes it (10,000 lines
/// "i,i"), in a directory of this process (written once, removed at exit), and q13's legacy
/// filesystem DDL for it ('connector.type', 'connector.path', 'format.type') in today's keys.
std::string with_side_input(std::string_view text) {
  struct side_file {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("eddy-bench-side-input-" + std::to_string(::getpid()));
    std::string path;
    side_file() {
      std::filesystem::create_directories(dir);
      path = (dir / "side_input.txt").string();
      std::ofstream out(path);
      for (int i = 0; i < 10'000; ++i) out << i << ',' << i << '\n';
    }
    ~side_file() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static const side_file side;
  std::string s(text);
  const std::pair<std::string, std::string> legacy[] = {
      {"'connector.type' = 'filesystem'", "'connector' = 'filesystem'"},
      {"'connector.path' = 'file://${FLINK_HOME}/data/side_input.txt'",
       "'path' = '" + side.path + "'"},
      {"'format.type' = 'csv'", "'format' = 'csv'"}};
  for (const auto& [from, to] : legacy)
    if (const auto at = s.find(from); at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

/// q10's output directory for one run: ${NEXMARK_DIR} a directory of this process, removed
/// when the run ends (its partitioned CSV files are what q10 measures; nothing reads them).
struct q10_output {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("eddy-bench-q10-" + std::to_string(::getpid()));
  ~q10_output() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  [[nodiscard]] std::string substitute(std::string s) const {
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"${NEXMARK_DIR}", dir}, {"${SUBMIT_TIME}", "run"}})
      for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at))
        s.replace(at, from.size(), to);
    return s;
  }
};

std::string run_sql(const nexmark_query& q, const nexmark_options& o) {
  const q10_output q10;
  std::string text =
      q.name == std::string_view("q13") ? with_side_input(q.text) : std::string(q.text);
  if (q.name == std::string_view("q10")) text = q10.substitute(std::move(text));
  const std::string script = "SET 'parallelism.default' = '" + std::to_string(o.parallelism) +
                             "';\n" + table_ddl(o.events, o.rate) + with_checksum_sink(text);
  table::sql_session s;
  auto r = s.execute_script(script, [](const table::statement_result&) {});
  if (r) return {};
  return r.error().message;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string figure(std::optional<double> v) {
  if (!v) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", *v);
  return buf;
}

void print_line(std::string_view q, const char* impl, const nexmark_options& o,
                const measurement& m, bool supported) {
  if (!m.error.empty()) {
    std::printf(
        "{\"workload\":\"nexmark\",\"query\":\"%s\",\"parallelism\":%d,"
        "\"implementation\":\"%s\",\"events\":%llu,\"supported\":%s,\"error\":\"%s\"}\n",
        std::string(q).c_str(), o.parallelism, impl, static_cast<unsigned long long>(o.events),
        supported ? "true" : "false", json_escape(m.error.substr(0, m.error.find('\n'))).c_str());
    std::fflush(stdout);
    return;
  }
  const double eps = static_cast<double>(o.events) / m.seconds;
  const double cores = m.cpu_seconds / m.seconds;
  const double per_core = static_cast<double>(o.events) / std::max(m.cpu_seconds, 1e-9);
  const auto flink = flink_per_core(q);
  char ratio[32] = "null";
  if (flink) std::snprintf(ratio, sizeof ratio, "%.2f", per_core / *flink);
  std::printf(
      // The keys issue 20 names first, in its order; then the others.
      "{\"workload\":\"nexmark\",\"query\":\"%s\",\"parallelism\":%d,\"events_per_sec\":%.0f,"
      "\"events_per_sec_per_core\":%.0f,\"checksum\":\"%s\",\"implementation\":\"%s\","
      "\"events\":%llu,\"seconds\":%.3f,\"cores\":%.2f,\"flink_events_per_sec_per_core\":%s,"
      "\"feldera_events_per_sec_per_core\":%s,\"per_core_to_flink\":%s,\"peak_rss_mb\":%.0f}\n",
      std::string(q).c_str(), o.parallelism, eps, per_core, m.checksum.c_str(), impl,
      static_cast<unsigned long long>(o.events), m.seconds, cores, figure(flink).c_str(),
      figure(feldera_per_core(q)).c_str(), ratio, peak_rss_mb());
  std::fflush(stdout);
}

/// Runs `run` o.repeat times; the median by time, or the first failure. Sets `consistent`
/// false if two successful runs' checksums differ.
template <class F>
measurement repeated(const nexmark_options& o, F&& run, bool& consistent) {
  std::vector<measurement> v;
  for (int i = 0; i < o.repeat; ++i) {
    auto m = timed(run);
    if (!m.error.empty()) return m;
    if (!v.empty() && v.front().checksum != m.checksum) consistent = false;
    v.push_back(std::move(m));
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

CLI::App* add_nexmark_command(CLI::App& app, nexmark_options& o) {
  auto* c = app.add_subcommand(
      "nexmark",
      "Nexmark queries (the nexmark repository's SQL) over the generator, and q0-q2 also as "
      "DataStream jobs; events/s per core against Flink's and Feldera's published figures");
  c->add_option("--query,-q", o.queries, "queries to run (q0 ... q22; repeat or comma-separate)")
      ->delimiter(',');
  c->add_flag("--all", o.all, "run every query");
  c->add_option("--events,-n", o.events, "events generated (all types)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  c->add_option("--parallelism,-p", o.parallelism, "parallelism of the jobs")
      ->capture_default_str()
      ->check(CLI::Range(1, 128));
  c->add_option("--rate", o.rate,
                "events per second of event time ('first-event.rate'; the generator runs "
                "unthrottled)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2'000'000'000}));
  c->add_option("--repeat", o.repeat, "runs of each; the median is printed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  c->add_flag("--latency", o.latency,
              "latency at a fixed input rate: the DataStream versions, the source paced at "
              "--rate, latency markers every 1 ms");
  c->add_option("--batch", o.batch_sizes,
                "batch sizes to try (latency mode; comma-separated), or the batch size of the "
                "DataStream jobs")
      ->delimiter(',');
  c->add_option("--flush-us", o.flush_us,
                "flush intervals in microseconds to try (latency mode; comma-separated), or the "
                "flush interval of the DataStream jobs")
      ->delimiter(',');
  c->add_option("--only", o.only, "run one implementation alone")
      ->check(CLI::IsMember({"sql", "datastream"}));
  return c;
}

/// Latency mode (see nexmark_options::latency).
bool latency_runs(const std::vector<const nexmark_query*>& chosen, const nexmark_options& o) {
  const std::vector<std::size_t> batches =
      o.batch_sizes.empty() ? std::vector<std::size_t>{0} : o.batch_sizes;
  const std::vector<std::int64_t> flushes =
      o.flush_us.empty() ? std::vector<std::int64_t>{0} : o.flush_us;
  bool ok = true;
  for (const auto* q : chosen) {
    if (!has_datastream(q->name)) {
      std::fprintf(stderr, "eddy-bench nexmark --latency: %s has no DataStream version, skipped\n",
                   std::string(q->name).c_str());
      continue;
    }
    for (const auto batch : batches) {
      for (const auto flush : flushes) {
        latency_histogram h;
        datastream_run run{o.events,
                           o.rate,
                           o.parallelism,
                           true,
                           std::chrono::milliseconds(1),
                           batch,
                           std::chrono::microseconds(flush),
                           &h};
        const auto m = timed([&] { return run_datastream(q->name, run); });
        if (!m.error.empty()) {
          std::fprintf(stderr, "eddy-bench nexmark: %s failed: %s\n", std::string(q->name).c_str(),
                       m.error.c_str());
          ok = false;
          continue;
        }
        std::printf(
            "{\"workload\":\"nexmark-latency\",\"query\":\"%s\",\"parallelism\":%d,"
            "\"rate\":%lld,\"events\":%llu,\"batch_size\":%zu,\"flush_interval_us\":%lld,"
            "\"seconds\":%.3f,\"events_per_sec\":%.0f,\"cores\":%.2f,\"latency_markers\":%llu,"
            "\"latency_p50_us\":%.1f,\"latency_p99_us\":%.1f,\"latency_p999_us\":%.1f,"
            "\"checksum\":\"%s\"}\n",
            std::string(q->name).c_str(), o.parallelism, static_cast<long long>(o.rate),
            static_cast<unsigned long long>(o.events), batch == 0 ? std::size_t{1024} : batch,
            static_cast<long long>(flush == 0 ? 2000 : flush), m.seconds,
            static_cast<double>(o.events) / m.seconds, m.cpu_seconds / m.seconds,
            static_cast<unsigned long long>(h.total()), h.quantile(0.5) / 1e3,
            h.quantile(0.99) / 1e3, h.quantile(0.999) / 1e3, m.checksum.c_str());
        std::fflush(stdout);
        if (h.empty()) {
          std::fprintf(stderr, "eddy-bench nexmark: %s: no latency marker reached the sink\n",
                       std::string(q->name).c_str());
          ok = false;
        }
      }
    }
  }
  return ok;
}

bool nexmark_bench(const nexmark_options& o) {
  register_checksum_connector();
  std::vector<const nexmark_query*> chosen;
  if (o.all || o.queries.empty()) {
    for (const auto& q : nexmark_queries) chosen.push_back(&q);
  } else {
    for (const auto& name : o.queries) {
      const auto it = std::find_if(nexmark_queries.begin(), nexmark_queries.end(),
                                   [&](const nexmark_query& q) { return q.name == name; });
      if (it == nexmark_queries.end()) {
        std::fprintf(stderr,
                     "eddy-bench nexmark: unknown query '%s' (q0 ... q22 without q6, which "
                     "Flink does not support either)\n",
                     name.c_str());
        return false;
      }
      chosen.push_back(&*it);
    }
  }
  if (o.latency) return latency_runs(chosen, o);
  bool ok = true;
  for (const auto* q : chosen) {
    const bool datastream = has_datastream(q->name);
    std::string sql_sum;
    if (o.only != "datastream") {
      bool consistent = true;
      const auto m = repeated(
          o, [&] { return run_sql(*q, o); }, consistent);
      print_line(q->name, "sql", o, m, true);
      if (!m.error.empty()) {
        std::fprintf(stderr, "eddy-bench nexmark: %s failed: %s\n", std::string(q->name).c_str(),
                     m.error.c_str());
        ok = false;
      }
      if (!consistent) {
        std::fprintf(stderr, "eddy-bench nexmark: %s: the SQL checksums differ between runs\n",
                     std::string(q->name).c_str());
        ok = false;
      }
      if (m.error.empty()) sql_sum = m.checksum;
    }
    if (datastream && o.only != "sql") {
      bool consistent = true;
      const auto m = repeated(
          o,
          [&] {
            return run_datastream(
                q->name,
                datastream_run{
                    o.events, o.rate, o.parallelism, false, std::chrono::milliseconds(0),
                    o.batch_sizes.empty() ? 0 : o.batch_sizes.front(),
                    std::chrono::microseconds(o.flush_us.empty() ? 0 : o.flush_us.front())});
          },
          consistent);
      print_line(q->name, "datastream", o, m, true);
      if (!m.error.empty() || !consistent) ok = false;
      if (!sql_sum.empty() && m.error.empty() && m.checksum != sql_sum) {
        std::fprintf(stderr, "NEXMARK RESULTS DIFFER: %s sql %s, datastream %s\n",
                     std::string(q->name).c_str(), sql_sum.c_str(), m.checksum.c_str());
        ok = false;
      }
    }
  }
  return ok;
}

}  // namespace eddy::bench
