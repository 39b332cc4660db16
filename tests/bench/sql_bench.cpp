// The SQL workload of eddy-bench (issue 18; see sql_bench.hpp and docs/performance.md): Nexmark q1
// and q2 over N generated bids in CSV files, as SQL and as the hand-written DataStream job.
//
//   q1: SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bid
//   q2: SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
//
// Both implementations read the same files through the same directory source and parse every
// field of every line (SQL: the table's csv decoder into row batches; DataStream: a hand-written
// split into a struct, the timestamp through rows::parse_timestamp). SQL writes into a
// 'blackhole' table (Flink's usual sink for measuring a query), the DataStream job into a counting
// sink; neither formats output, so the two do the same work. Both are timed from the creation of
// their environment (the session creates one per INSERT) to the end of the job. SQL's rows are
// checked once per query and parallelism, untimed, through a 'filesystem' csv sink read back.
#include "sql_bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/files/directory_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/rows/temporal.hpp"
#include "eddy/table/sql_session.hpp"

namespace fs = std::filesystem;

namespace eddy::bench {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A temporary directory, removed with its contents on destruction.
class scratch_dir {
 public:
  scratch_dir() {
    path_ = fs::temp_directory_path() / ("eddy-bench-sql-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Bid i (Nexmark's bid columns; deterministic): auctions 1000..5999 (about 1 in 123 passes q2),
/// prices 1..10^7, a timestamp 7 ms apart plus jitter, extra empty, short, or quoted with a comma
/// and doubled quotes (so both parsers handle quoting).
void write_bids(const fs::path& dir, std::uint64_t n, int files) {
  fs::create_directories(dir);
  std::vector<std::ofstream> out;
  for (int f = 0; f < files; ++f) out.emplace_back(dir / ("bids-" + std::to_string(f) + ".csv"));
  const std::int64_t start = *rows::parse_timestamp("2015-07-15 00:00:00");
  std::string line;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t h = mix(i), g = mix(h);
    line.clear();
    line += std::to_string(1000 + h % 5000);
    line += ',';
    line += std::to_string(2000 + (h >> 20) % 3000);
    line += ',';
    line += std::to_string(1 + g % 10'000'000);
    line += ",channel-";
    line += std::to_string((g >> 30) % 10);
    line += ",https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=";
    line += std::to_string((g >> 40) % 50);
    line += ',';
    line += rows::format_timestamp(start + static_cast<std::int64_t>(i) * 7 +
                                   static_cast<std::int64_t>((h >> 40) % 4000));
    line += ',';
    switch ((g >> 50) % 3) {
      case 0:
        line += "\"x,\"\"y\"\"\"";
        break;
      case 1:
        line.append((g >> 52) % 5, 'e');
        break;
      default:
        break;
    }
    line += '\n';
    out[i % out.size()] << line;
  }
  for (auto& o : out) {
    o.flush();
    if (!o) throw std::runtime_error("eddy-bench sql: cannot write the bids into " + dir.string());
  }
}

// ---- the hand-written DataStream job ----

struct bid {
  std::int64_t auction = 0, bidder = 0, price = 0;
  std::string channel, url;
  std::int64_t date_time = 0;  ///< ms since the epoch
  std::string extra;
};
EDDY_FIELDS(bid, auction, bidder, price, channel, url, date_time, extra)

struct q1_row {
  std::int64_t auction = 0, bidder = 0;
  std::int64_t price = 0;  ///< DECIMAL(23, 3): unscaled (price * 908)
  std::int64_t date_time = 0;
  std::string extra;
};
EDDY_FIELDS(q1_row, auction, bidder, price, date_time, extra)

struct q2_row {
  std::int64_t auction = 0, price = 0;
};
EDDY_FIELDS(q2_row, auction, price)

std::int64_t to_int(std::string_view s, std::string_view line) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw std::runtime_error("bad number in line: " + std::string(line));
  return v;
}

/// One CSV field from `pos` (RFC 4180 quoting, as the bench writes it); moves `pos` past the
/// comma.
std::string_view next_field(std::string_view line, std::size_t& pos, std::string& unquoted) {
  if (pos < line.size() && line[pos] == '"') {
    unquoted.clear();
    std::size_t i = pos + 1;
    for (;;) {
      if (i >= line.size()) throw std::runtime_error("unterminated quote: " + std::string(line));
      if (line[i] == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          unquoted += '"';
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      unquoted += line[i++];
    }
    pos = i + 1;
    return unquoted;
  }
  const auto end = std::min(line.find(',', pos), line.size());
  const auto f = line.substr(pos, end - pos);
  pos = end + 1;
  return f;
}

bid parse_bid(const std::string& line) {
  bid b;
  std::size_t pos = 0;
  std::string q;
  b.auction = to_int(next_field(line, pos, q), line);
  b.bidder = to_int(next_field(line, pos, q), line);
  b.price = to_int(next_field(line, pos, q), line);
  b.channel = next_field(line, pos, q);
  b.url = next_field(line, pos, q);
  const auto ts = rows::parse_timestamp(next_field(line, pos, q));
  if (!ts) throw std::runtime_error("bad timestamp in line: " + line);
  b.date_time = *ts;
  b.extra = next_field(line, pos, q);
  return b;
}

struct totals {
  std::atomic<std::uint64_t> rows{0};
  std::atomic<std::int64_t> a{0}, b{0};
};

/// "rows:sum a:sum b" (q1: a = price unscaled, b = auction; q2: a = auction, b = price).
std::string checksum(std::uint64_t rows, std::int64_t a, std::int64_t b) {
  return std::to_string(rows) + ":" + std::to_string(a) + ":" + std::to_string(b);
}

/// Per-subtask counting sink: accumulates locally, publishes once at the end.
template <class Row>
struct counting_sink {
  std::shared_ptr<totals> out;
  std::uint64_t rows = 0;
  std::int64_t a = 0, b = 0;
  void operator()(const Row& r) {
    ++rows;
    if constexpr (std::is_same_v<Row, q1_row>) {
      a += r.price;
      b += r.auction;
    } else {
      a += r.auction;
      b += r.price;
    }
  }
  void close() {
    out->rows += rows;
    out->a += a;
    out->b += b;
  }
};

/// The job's checksum, or "failed: ...".
std::string datastream_job(int query, const fs::path& dir, int parallelism, double& seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = std::make_shared<totals>();
  files::directory_options o;
  o.path = dir.string();
  auto bids = env.from_source(files::directory_lines_source(o), "scan bid")
                  .map([](const std::string& line) { return parse_bid(line); });
  if (query == 1) {
    bids.map([](bid&& b) {
          return q1_row{b.auction, b.bidder, b.price * 908, b.date_time, std::move(b.extra)};
        })
        .add_sink(counting_sink<q1_row>{out}, "count");
  } else {
    bids.filter([](const bid& b) { return b.auction % 123 == 0; })
        .map([](const bid& b) {
          return q2_row{b.auction, b.price};
        })
        .add_sink(counting_sink<q2_row>{out}, "count");
  }
  const auto r = env.execute("q" + std::to_string(query));
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) return "failed: " + (r.failure ? r.failure->message : std::string("?"));
  return checksum(out->rows.load(), out->a.load(), out->b.load());
}

// ---- SQL ----

std::string bid_ddl(const fs::path& dir) {
  return "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, "
         "url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, "
         "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) WITH ("
         "'connector' = 'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv');\n";
}

const char* sink_columns(int query) {
  return query == 1 ? "auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), `dateTime` "
                      "TIMESTAMP(3), extra VARCHAR"
                    : "auction BIGINT, price BIGINT";
}

const char* query_text(int query) {
  return query == 1 ? "SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bid"
                    : "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0";
}

/// Runs the script in a new session; "" or the error.
std::string run_sql(const std::string& script) {
  table::sql_session s;
  auto r = s.execute_script(script, [](const table::statement_result&) {});
  return r ? std::string() : sql::render_error(script, r.error());
}

/// INSERT INTO a blackhole table, timed (the session, its DDL, planning and the job). "" or
/// "failed: ...".
std::string sql_job(int query, const fs::path& dir, int parallelism, double& seconds) {
  const std::string script = "SET 'parallelism.default' = '" + std::to_string(parallelism) +
                             "';\n" + bid_ddl(dir) + "CREATE TABLE out (" + sink_columns(query) +
                             ") WITH ('connector' = 'blackhole');\n" + "INSERT INTO out " +
                             query_text(query) + ";\n";
  const auto t0 = std::chrono::steady_clock::now();
  const auto e = run_sql(script);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e.empty() ? e : "failed: " + e;
}

/// The query's rows through a filesystem csv sink, read back into a checksum (untimed).
std::string sql_checksum(int query, const fs::path& dir, const fs::path& out, int parallelism) {
  const std::string script = "SET 'parallelism.default' = '" + std::to_string(parallelism) +
                             "';\n" + bid_ddl(dir) + "CREATE TABLE out (" + sink_columns(query) +
                             ") WITH ('connector' = 'filesystem', 'path' = '" + out.string() +
                             "', 'format' = 'csv');\n" + "INSERT INTO out " + query_text(query) +
                             ";\n";
  if (const auto e = run_sql(script); !e.empty()) return "failed: " + e;
  std::uint64_t rows = 0;
  std::int64_t a = 0, b = 0;
  for (const auto& f : fs::directory_iterator(out)) {
    const auto name = f.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::ifstream in(f.path());
    std::string line, q;
    while (std::getline(in, line)) {
      ++rows;
      std::size_t pos = 0;
      const auto auction = to_int(next_field(line, pos, q), line);
      if (query == 1) {
        next_field(line, pos, q);                           // bidder
        const std::string price(next_field(line, pos, q));  // DECIMAL(23, 3): "int.fff"
        const auto dot = price.find('.');
        std::string digits =
            dot == std::string::npos ? price + "000" : price.substr(0, dot) + price.substr(dot + 1);
        if (dot != std::string::npos)
          for (auto k = price.size() - dot - 1; k < 3; ++k) digits += '0';
        a += to_int(digits, line);
        b += auction;
      } else {
        a += auction;
        b += to_int(next_field(line, pos, q), line);
      }
    }
  }
  return checksum(rows, a, b);
}

// ---- the driver ----

struct run {
  double seconds = 0;
  std::string checksum;
  bool operator<(const run& o) const { return seconds < o.seconds; }
};

run median(std::vector<run> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void print_run(int query, const char* impl, int parallelism, std::uint64_t events, const run& r) {
  std::printf(
      "{\"workload\":\"sql\",\"query\":\"q%d\",\"impl\":\"%s\",\"parallelism\":%d,\"events\":%llu,"
      "\"seconds\":%.6f,\"events_per_sec\":%.0f,\"checksum\":\"%s\"}\n",
      query, impl, parallelism, static_cast<unsigned long long>(events), r.seconds,
      static_cast<double>(events) / r.seconds, r.checksum.c_str());
  std::fflush(stdout);
}

}  // namespace

bool sql_bench(const sql_options& opts) {
  std::vector<int> parallelisms;
  if (opts.parallelism > 0)
    parallelisms.push_back(opts.parallelism);
  else
    parallelisms = {1, 2};
  scratch_dir tmp;
  const auto data = tmp.path() / "bid";
  {
    const auto t0 = std::chrono::steady_clock::now();
    write_bids(data, opts.events, std::max(1, opts.files));
    std::uintmax_t bytes = 0;
    for (const auto& f : fs::directory_iterator(data)) bytes += f.file_size();
    std::printf(
        "{\"workload\":\"sql\",\"impl\":\"data\",\"events\":%llu,\"files\":%d,\"bytes\":%llu,"
        "\"generate_seconds\":%.3f}\n",
        static_cast<unsigned long long>(opts.events), std::max(1, opts.files),
        static_cast<unsigned long long>(bytes),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
  }

  bool ok = true;
  std::string ratios;
  bool all_met = true;
  for (const int query : {1, 2}) {
    for (const int p : parallelisms) {
      std::vector<run> sql_runs, ds_runs;
      if (!opts.only.empty()) {  // one side alone, for a profiler
        std::vector<run> runs;
        for (int r = 0; r < opts.repeat; ++r) {
          run x;
          x.checksum = opts.only == "sql" ? sql_job(query, data, p, x.seconds)
                                          : datastream_job(query, data, p, x.seconds);
          if (x.checksum.rfind("failed", 0) == 0) {
            std::fprintf(stderr, "eddy-bench: %s q%d at parallelism %d: %s\n", opts.only.c_str(),
                         query, p, x.checksum.c_str());
            return false;
          }
          if (x.checksum.empty()) x.checksum = "unchecked";  // a blackhole sink
          runs.push_back(std::move(x));
        }
        print_run(query, opts.only.c_str(), p, opts.events, median(runs));
        continue;
      }
      for (int r = 0; r < opts.repeat; ++r) {
        run s;
        s.checksum = sql_job(query, data, p, s.seconds);
        if (!s.checksum.empty()) {
          std::fprintf(stderr, "eddy-bench: SQL q%d at parallelism %d failed: %s\n", query, p,
                       s.checksum.c_str());
          return false;
        }
        sql_runs.push_back(std::move(s));
        run d;
        d.checksum = datastream_job(query, data, p, d.seconds);
        if (d.checksum.rfind("failed", 0) == 0) {
          std::fprintf(stderr, "eddy-bench: the DataStream q%d at parallelism %d failed: %s\n",
                       query, p, d.checksum.c_str());
          return false;
        }
        ds_runs.push_back(std::move(d));
      }
      const auto out = tmp.path() / ("out-q" + std::to_string(query) + "-p" + std::to_string(p));
      const auto sql_sum = sql_checksum(query, data, out, p);
      fs::remove_all(out);
      for (auto& s : sql_runs) s.checksum = sql_sum;  // blackhole: the checked run's rows
      auto sm = median(sql_runs), dm = median(ds_runs);
      print_run(query, "sql", p, opts.events, sm);
      print_run(query, "datastream", p, opts.events, dm);
      for (const auto& d : ds_runs)
        if (d.checksum != sql_sum) {
          ok = false;
          std::fprintf(stderr,
                       "eddy-bench: SQL RESULTS DIFFER: q%d at parallelism %d: SQL %s, DataStream "
                       "%s (rows:sum:sum)\n",
                       query, p, sql_sum.c_str(), d.checksum.c_str());
        }
      const double ratio = sm.seconds > 0 ? dm.seconds / sm.seconds : 0;  // = rate ratio
      all_met = all_met && ratio >= 0.7;
      char buf[64];
      std::snprintf(buf, sizeof buf, ",\"q%d_p%d_sql_to_datastream\":%.3f", query, p, ratio);
      ratios += buf;
    }
  }
  if (!opts.only.empty()) return true;
  std::printf(
      "{\"workload\":\"sql\",\"impl\":\"ratios\"%s,\"target\":0.7,\"target_met\":%s,"
      "\"checksums_agree\":%s}\n",
      ratios.c_str(), all_met ? "true" : "false", ok ? "true" : "false");
  std::fflush(stdout);
  return ok;
}

}  // namespace eddy::bench
