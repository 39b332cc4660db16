// The directory source's reader (directory_source.hpp).
#include "eddy/connectors/files/directory_source.hpp"

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy::files {

expected<directory_options> parse_directory_uri(const connectors::connector_uri& uri) {
  directory_options d;
  if (!uri.hosts.empty() || uri.path.empty() || uri.path.front() != '/')
    return connectors::uri_error(uri, "expected file:///ABSOLUTE/PATH");
  d.path = uri.path;
  connectors::uri_options o(uri);
  if (auto v = o.take("monitor")) {
    auto dur = connectors::parse_duration(*v);
    if (!dur || dur->count() == 0)
      return connectors::uri_error(uri, "monitor '" + *v + "': expected a duration like 1s");
    d.monitor_interval = *dur;
  }
  if (auto ok = o.check_all_taken({"monitor"}); !ok) return ok.error();
  return d;
}

namespace detail {

namespace {

constexpr const char* state_name = "__union:directory-files";
constexpr const char* state_type = "directory_files<v1>";
constexpr std::int64_t done = -1;
constexpr std::size_t chunk = 1 << 20;

/// FNV-1a: the same owner for a name in every build and on every node.
std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

class directory_reader final : public source_op<std::string> {
 public:
  directory_reader(directory_options o, input_op<std::string>* next)
      : source_op<std::string>(next), o_(std::move(o)), timer_(std::make_shared<timer>()) {}
  ~directory_reader() override {
    close_file();
    {
      std::lock_guard<std::mutex> lock(timer_->mu);
      timer_->stop = true;
    }
    timer_->cv.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void open(const subtask_info& info) override {
    source_op<std::string>::open(info);
    buffer_.reserve(info.batch_size);
    std::error_code ec;
    if (!std::filesystem::is_directory(o_.path, ec))
      throw std::runtime_error("input directory '" + o_.path +
                               "': " + (ec ? ec.message() : std::string("not a directory")));
    if (o_.monitor_interval.count() > 0)
      thread_ = std::thread([t = timer_, every = o_.monitor_interval, w = waker()] {
        std::unique_lock<std::mutex> lock(t->mu);
        while (!t->cv.wait_for(lock, every, [&] { return t->stop; })) w.wake();
      });
  }

  source_status produce(std::size_t max) override {
    const auto now = std::chrono::steady_clock::now();
    if (!scanned_ || (o_.monitor_interval.count() > 0 && now - last_scan_ >= o_.monitor_interval))
      scan(now);
    while (buffer_.size() < max) {
      if (!file_ && !open_next()) break;
      if (!read_lines(max)) close_current_as_done();
    }
    emit_buffer();
    if (buffer_.empty() && !file_ && !has_unread()) {
      if (o_.monitor_interval.count() == 0) return source_status::end;
      return source_status::wait;  // the timer wakes us for the next listing
    }
    return source_status::more;
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    std::vector<std::tuple<std::string, std::int64_t>> st(files_.begin(), files_.end());
    out.push_back(state_entry{state_name, -1, state_type, serialize(st)});
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    for (const auto& e : entries) {
      if (e.name != state_name) continue;
      if (e.type != state_type)
        throw std::runtime_error("source state '" + e.name + "' was written as " + e.type);
      std::vector<std::tuple<std::string, std::int64_t>> st;
      std::string err;
      if (!deserialize(e.data, st, &err))
        throw std::runtime_error("source state '" + e.name + "' does not decode: " + err);
      for (auto& [name, pos] : st)
        if (owned(name)) files_[name] = pos;
    }
  }

 private:
  struct timer {
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
  };

  [[nodiscard]] bool owned(const std::string& name) const {
    return name_hash(name) % static_cast<std::uint64_t>(info_.parallelism) ==
           static_cast<std::uint64_t>(info_.index);
  }
  [[nodiscard]] bool has_unread() const {
    for (const auto& [n, pos] : files_)
      if (pos != done) return true;
    return false;
  }

  void scan(std::chrono::steady_clock::time_point now) {
    scanned_ = true;
    last_scan_ = now;
    std::error_code ec;
    std::filesystem::directory_iterator it(o_.path, ec);
    if (ec)
      throw std::runtime_error("cannot list input directory '" + o_.path + "': " + ec.message());
    for (const auto& e : it) {
      const auto name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || name[0] == '_') continue;
      std::error_code fec;
      if (!e.is_regular_file(fec) || !owned(name)) continue;
      files_.emplace(name, 0);  // known files keep their position
    }
  }

  /// Opens the first unread file (by name) at its position; false if none is left.
  bool open_next() {
    for (auto& [name, pos] : files_) {
      if (pos == done) continue;
      const auto path = o_.path + "/" + name;
      file_ = std::fopen(path.c_str(), "rb");
      if (!file_)
        throw std::runtime_error("cannot open input file '" + path + "': " + std::strerror(errno));
      if (pos > 0 && std::fseek(file_, pos, SEEK_SET) != 0)
        throw std::runtime_error("cannot seek in input file '" + path +
                                 "': " + std::strerror(errno));
      current_ = name;
      buf_.clear();
      off_ = 0;
      eof_ = false;
      return true;
    }
    return false;
  }

  /// Emits lines of the current file until `max` are buffered; false at its end.
  bool read_lines(std::size_t max) {
    auto& pos = files_.at(current_);
    while (buffer_.size() < max) {
      const auto nl = buf_.find('\n', off_);
      if (nl != std::string::npos) {
        std::size_t end = nl;
        if (end > off_ && buf_[end - 1] == '\r') --end;
        buffer_.emplace_back(buf_, off_, end - off_);
        pos += static_cast<std::int64_t>(nl + 1 - off_);
        off_ = nl + 1;
        continue;
      }
      if (eof_) {
        if (off_ < buf_.size()) {  // a last line without "\n"
          buffer_.emplace_back(buf_, off_, buf_.size() - off_);
          off_ = buf_.size();
        }
        return false;
      }
      buf_.erase(0, off_);
      off_ = 0;
      const auto old = buf_.size();
      buf_.resize(old + chunk);
      const auto n = std::fread(buf_.data() + old, 1, chunk, file_);
      buf_.resize(old + n);
      if (n < chunk) {
        if (std::ferror(file_))
          throw std::runtime_error("cannot read input file '" + o_.path + "/" + current_ +
                                   "': " + std::strerror(errno));
        eof_ = true;
      }
    }
    return true;
  }

  void close_current_as_done() {
    files_.at(current_) = done;
    close_file();
  }
  void close_file() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
  }

  directory_options o_;
  std::shared_ptr<timer> timer_;
  std::thread thread_;
  std::map<std::string, std::int64_t> files_;  // owned files: next byte, or done
  bool scanned_ = false;
  std::chrono::steady_clock::time_point last_scan_{};
  std::FILE* file_ = nullptr;
  std::string current_;
  std::string buf_;
  std::size_t off_ = 0;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<source_base> make_directory_reader(const directory_options& o,
                                                   input_op<std::string>* next) {
  return std::make_unique<directory_reader>(o, next);
}

}  // namespace detail
}  // namespace eddy::files
