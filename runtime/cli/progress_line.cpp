#include "progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "eddy/runtime/local_runtime.hpp"

namespace eddy::cli {

namespace {

std::string grouped(std::uint64_t n) {
  auto s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string duration_text(double secs) {
  const auto s = static_cast<long>(secs);
  char buf[32];
  if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::size_t terminal_width(int fd) {
  winsize w{};
  if (::ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

}  // namespace

progress_counters progress_of(const job_handle& job) {
  // Source vertices have no inputs; sink vertices are nobody's input.
  const auto plan = nlohmann::json::parse(job.plan_json(), nullptr, false);
  std::set<std::string> sources, sinks;
  if (plan.is_object() && plan.contains("nodes")) {
    std::set<int> feeding;
    for (const auto& n : plan["nodes"])
      for (const auto& i : n["inputs"]) feeding.insert(i.value("id", -1));
    for (const auto& n : plan["nodes"]) {
      if (n["inputs"].empty()) sources.insert(n.value("name", ""));
      if (!feeding.count(n.value("id", -1))) sinks.insert(n.value("name", ""));
    }
  }
  progress_counters c;
  c.in_known = !sources.empty();
  c.out_known = !sinks.empty();
  for (const auto& m : job.metrics()) {
    c.input_read += m.input_read;
    c.input_size += m.input_size;
    if (sources.count(m.task)) c.in += m.source_records;
    if (sinks.count(m.task)) c.out += m.tail_records_in;
  }
  return c;
}

std::string progress_text(const job_handle& job, const progress_counters& now,
                          const progress_counters& previous, double seconds) {
  const double up =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started()).count();
  std::string line = job.name() + " " + to_string(job.state()) + " " + duration_text(up);
  const auto rate = [&](std::uint64_t a, std::uint64_t b) {
    return seconds > 0 && a >= b ? grouped(static_cast<std::uint64_t>((a - b) / seconds)) : "0";
  };
  if (now.in_known) line += " | in " + grouped(now.in) + " (" + rate(now.in, previous.in) + "/s)";
  if (now.out_known)
    line += " | out " + grouped(now.out) + " (" + rate(now.out, previous.out) + "/s)";
  if (now.input_size > 0) {
    const double share = static_cast<double>(now.input_read) / static_cast<double>(now.input_size);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", 100 * share);
    line += std::string(" | ") + pct;
    const double per_second =
        seconds > 0 && now.input_read >= previous.input_read
            ? static_cast<double>(now.input_read - previous.input_read) / seconds
            : 0;
    if (per_second > 0 && now.input_read < now.input_size)
      line += " ETA " +
              duration_text(static_cast<double>(now.input_size - now.input_read) / per_second);
  }
  const auto checkpoints = job.checkpoints().size();
  if (checkpoints > 0) line += " | checkpoints " + std::to_string(checkpoints);
  if (const int r = job.restarts(); r > 0) line += " | restarts " + std::to_string(r);
  return line;
}

progress_line::progress_line(int fd) : fd_(fd) {
  if (!::isatty(fd_)) return;
  listener_ = add_job_submitted_listener([this](const job_handle& h) {
    std::lock_guard g(mtx_);
    job_ = h;
  });
  thread_ = std::thread([this] { run(); });
}

progress_line::~progress_line() {
  if (listener_ == 0) return;
  remove_job_submitted_listener(listener_);
  {
    std::lock_guard g(mtx_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void progress_line::run() {
  progress_counters previous;
  auto previous_at = std::chrono::steady_clock::now();
  bool shown = false;
  std::unique_lock g(mtx_);
  while (!cv_.wait_for(g, std::chrono::milliseconds(500), [this] { return stop_; })) {
    if (!job_) continue;
    const auto job = *job_;
    g.unlock();
    const auto now = progress_of(job);
    const auto at = std::chrono::steady_clock::now();
    auto text =
        progress_text(job, now, previous, std::chrono::duration<double>(at - previous_at).count());
    previous = now;
    previous_at = at;
    const auto width = terminal_width(fd_);
    if (text.size() >= width) text.resize(width - 1);
    const auto out = "\r\033[K" + text;
    (void)!::write(fd_, out.data(), out.size());
    shown = true;
    g.lock();
  }
  if (shown) (void)!::write(fd_, "\r\033[K", 4);
}

}  // namespace eddy::cli
