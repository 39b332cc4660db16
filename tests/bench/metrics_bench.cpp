#include "metrics_bench.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "eddy/web/local_jobs.hpp"
#include "eddy/web/rest_server.hpp"

namespace eddy::bench {

namespace {

/// The REST server over this process's jobs and a client scraping /metrics once a second.
class scraped {
 public:
  scraped() {
    jobs_.listen_to_local_runtimes();
    web::rest_options o;
    o.port = 0;
    auto s = web::rest_server::start(jobs_, o);
    if (!s) throw std::runtime_error(s.error().message);
    server_ = std::move(*s);
    scraper_ = std::thread([this] {
      httplib::Client c("127.0.0.1", server_->port());
      std::unique_lock g(mtx_);
      while (!stop_) {
        g.unlock();
        auto r = c.Get("/metrics");
        if (r && r->status == 200) {
          ++scrapes;
          bytes += r->body.size();
        }
        g.lock();
        cv_.wait_for(g, std::chrono::seconds(1), [this] { return stop_; });
      }
    });
  }
  ~scraped() {
    {
      std::lock_guard g(mtx_);
      stop_ = true;
    }
    cv_.notify_all();
    scraper_.join();
  }
  std::atomic<int> scrapes{0};
  std::atomic<std::size_t> bytes{0};

 private:
  web::local_jobs jobs_;
  std::unique_ptr<web::rest_server> server_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread scraper_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

bool w2_metrics_bench(
    int parallelism, std::uint64_t events, int repeat,
    const std::function<std::string(double& seconds, std::chrono::milliseconds latency_interval,
                                    job_result* result)>& run_w2) {
  constexpr std::chrono::milliseconds marker_interval{100};
  latency_histogram latency;
  std::vector<double> plain, observed;
  std::string checksum;
  bool ok = true;
  int scrapes = 0;
  std::size_t scrape_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    double s = 0;
    auto c = run_w2(s, std::chrono::milliseconds(0), nullptr);
    plain.push_back(s);
    ok = ok && (checksum.empty() || c == checksum);
    checksum = c;
    {
      scraped m;
      job_result result;
      c = run_w2(s, marker_interval, &result);
      latency.merge(result.latency());
      scrapes += m.scrapes.load();
      scrape_bytes = m.bytes.load() / std::max(1, m.scrapes.load());
    }
    observed.push_back(s);
    ok = ok && c == checksum;
  }
  const double p = median(plain), o = median(observed);
  std::printf(
      "{\"workload\":\"w2\",\"impl\":\"metrics\",\"parallelism\":%d,\"events\":%llu,"
      "\"events_per_sec_plain\":%.0f,\"events_per_sec_metrics\":%.0f,\"scrapes\":%d,"
      "\"scrape_bytes\":%zu,\"throughput_ratio\":%.3f,\"latency_markers\":%llu,"
      "\"latency_p50_us\":%.1f,\"latency_p99_us\":%.1f}\n",
      parallelism, static_cast<unsigned long long>(events), static_cast<double>(events) / p,
      static_cast<double>(events) / o, scrapes, scrape_bytes, p / o,
      static_cast<unsigned long long>(latency.total()), latency.quantile(0.5) / 1e3,
      latency.quantile(0.99) / 1e3);
  std::fflush(stdout);
  if (!ok) std::fprintf(stderr, "eddy-bench: w2 --metrics checksums differ\n");
  if (latency.empty()) {  // every source subtask stamps a marker when it starts
    std::fprintf(stderr, "eddy-bench: w2 --metrics: no latency marker reached the sinks\n");
    ok = false;
  }
  return ok;
}

}  // namespace eddy::bench
