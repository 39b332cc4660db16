// The directory source's split enumerator and reader (directory_source.hpp).
#include "eddy/connectors/files/directory_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "eddy/connectors/split_positions.hpp"
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
constexpr const char* state_type = "directory_files<v2>";
constexpr std::size_t chunk = 1 << 20;

/// Lists the directory: every regular file directly in it whose name does not start with '.'
/// or '_' is a split (by name).
class directory_enumerator final : public split_enumerator {
 public:
  explicit directory_enumerator(directory_options o) : o_(std::move(o)) {}

  std::optional<std::vector<std::string>> discover(bool) override {
    std::error_code ec;
    if (!std::filesystem::is_directory(o_.path, ec))
      throw std::runtime_error("input directory '" + o_.path +
                               "': " + (ec ? ec.message() : std::string("not a directory")));
    std::filesystem::directory_iterator it(o_.path, ec);
    if (ec)
      throw std::runtime_error("cannot list input directory '" + o_.path + "': " + ec.message());
    std::vector<std::string> names;
    for (const auto& e : it) {
      auto name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || name[0] == '_') continue;
      std::error_code fec;
      if (e.is_regular_file(fec)) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  [[nodiscard]] std::chrono::milliseconds discovery_interval() const override {
    return o_.monitor_interval;
  }

 private:
  directory_options o_;
};

/// Reads the files its enumerator assigns, one after another, asking for the next one when it
/// has none left.
class directory_reader final : public source_op<std::string> {
 public:
  directory_reader(directory_options o, input_op<std::string>* next)
      : source_op<std::string>(next), o_(std::move(o)) {}
  ~directory_reader() override { close_file(); }

  void open(const subtask_info& info) override {
    source_op<std::string>::open(info);
    buffer_.reserve(info.batch_size);
  }

  source_status produce(std::size_t max) override {
    while (buffer_.size() < max) {
      if (!file_ && !open_next()) break;
      if (!read_lines(max)) close_current_as_done();
    }
    emit_buffer();
    if (files_.empty() && !no_more_ && !requested_) {
      requested_ = true;  // the answer comes as add_splits or no_more_splits
      request_split();
    }
    if (buffer_.empty() && files_.empty())
      return no_more_ ? source_status::end : source_status::wait;
    return source_status::more;
  }

  void add_splits(const std::vector<std::string>& ids, const std::vector<std::string>&) override {
    for (const auto& name : ids) files_.emplace(name, 0);
    requested_ = false;
  }
  void no_more_splits() override {
    no_more_ = true;
    requested_ = false;
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    out.push_back(
        connectors::snapshot_split_positions(state_name, state_type, info_.parallelism, files_));
  }
  /// At the same parallelism a reader gets back its own unfinished files; at another, every
  /// old reader's (union state) are dealt out by name among the new readers. The enumerator
  /// holds the files no reader had yet.
  void restore_state(const std::vector<state_entry>& entries) override {
    for (auto& [id, pos] :
         connectors::restore_split_positions(entries, state_name, state_type, info_))
      files_[id] = pos;
  }

 private:
  /// Opens the first assigned file (by name) at its position; false if none is left.
  bool open_next() {
    if (files_.empty()) return false;
    const auto& [name, pos] = *files_.begin();
    const auto path = o_.path + "/" + name;
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_)
      throw std::runtime_error("cannot open input file '" + path + "': " + std::strerror(errno));
    if (pos > 0 && std::fseek(file_, pos, SEEK_SET) != 0)
      throw std::runtime_error("cannot seek in input file '" + path + "': " + std::strerror(errno));
    current_ = name;
    buf_.clear();
    off_ = 0;
    eof_ = false;
    return true;
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
    files_.erase(current_);
    close_file();
  }
  void close_file() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
  }

  directory_options o_;
  std::map<std::string, std::int64_t> files_;  // assigned, unfinished files: next byte
  bool requested_ = false;                     // a split request is unanswered
  bool no_more_ = false;                       // the enumerator has no more (bounded)
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

std::unique_ptr<split_enumerator> make_directory_enumerator(const directory_options& o) {
  return std::make_unique<directory_enumerator>(o);
}

}  // namespace detail
}  // namespace eddy::files
