#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "eddy/operators/sources.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"
#include "fd_watcher.hpp"

namespace eddy {

namespace {
constexpr std::size_t chunk_size = 1 << 20;
constexpr const char* stream_state = "__union:stream_input";
constexpr const char* stream_state_type = "stream_input<v1>";
using wire_stream = std::tuple<std::int32_t, std::uint64_t, bool>;  // subtask, position, done

std::runtime_error io_error(const std::string& what, const std::string& path, int err) {
  return std::runtime_error(what + " '" + path + "': " + std::strerror(err));
}
}  // namespace

text_file_source::text_file_source(std::string path, input_op<std::string>* next,
                                   std::shared_ptr<detail::stream_input_progress> progress)
    : source_op<std::string>(next), path_(std::move(path)), progress_(std::move(progress)) {}

text_file_source::~text_file_source() {
  watcher_.reset();  // before the descriptor goes
  if (file_) std::fclose(file_);
  if (fd_ >= 0) ::close(fd_);
}

void text_file_source::open(const subtask_info& info) {
  source_op<std::string>::open(info);
  buffer_.reserve(info.batch_size);
  // `-` is stdin; anything that is not a regular file is a stream (st_size says nothing).
  struct stat st {};
  if (path_ == "-") {
    stream_ = true;
  } else {
    if (::stat(path_.c_str(), &st) != 0) throw io_error("cannot open input file", path_, errno);
    if (S_ISDIR(st.st_mode)) throw std::runtime_error("input '" + path_ + "' is a directory");
    stream_ = !S_ISREG(st.st_mode);
  }
  if (stream_) {
    open_stream(info);
    return;
  }
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw io_error("cannot open input file", path_, errno);
  if (fstat(fileno(file_), &st) != 0) throw io_error("cannot stat input file", path_, errno);
  auto [b, e] =
      detail::split_range(static_cast<std::uint64_t>(st.st_size), info.index, info.parallelism);
  splits_ = {detail::source_split{b, e, 1, b == 0}};
  ranges_bytes_ = e - b;
  start_split();
}

void text_file_source::open_stream(const subtask_info& info) {
  splits_.clear();
  buf_.clear();
  off_ = 0;
  pos_ = 0;
  end_ = detail::split_unbounded;
  eof_ = false;
  done_ = info.index != 0;  // one reader: a stream cannot be split
  if (done_) return;
  // Non-blocking: opening a named pipe does not wait for its writer. A dup of stdin shares its
  // file status flags with other processes, so it stays blocking; fill() polls before reading.
  fd_ = path_ == "-" ? ::fcntl(0, F_DUPFD_CLOEXEC, 0)
                     : ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw io_error("cannot open input", path_, errno);
  if (progress_) read_before_ = progress_->bytes_read.load();
  if (info.parallelism > 1)
    log().info(
        "input '{}' is a stream, not a regular file: subtask 0 of {} reads all of it, the "
        "others read nothing",
        path_, info.parallelism);
}

std::string text_file_source::stream_error(const std::string& why) const {
  return "input '" + path_ + "' is a stream and cannot be re-read after a failure: " + why +
         " (read a regular file for a job that must recover from failures)";
}

void text_file_source::start_split() {
  buf_.clear();
  off_ = 0;
  eof_ = false;
  while (!splits_.empty() && splits_.front().count() == 0) splits_.erase(splits_.begin());
  done_ = splits_.empty();
  if (done_) return;
  const auto& sp = splits_.front();
  end_ = sp.end;
  // A line belongs to the range that holds its first byte: unless the range is known to start a
  // line, start one byte early and skip through the first newline, which lands exactly on
  // `begin` if a line starts there.
  const bool aligned = sp.aligned || sp.begin == 0;
  pos_ = aligned ? sp.begin : sp.begin - 1;
  if (fseeko(file_, static_cast<off_t>(pos_), SEEK_SET) != 0)
    throw io_error("cannot seek in input file", path_, errno);
  if (!aligned) {
    for (;;) {
      auto nl = buf_.find('\n', off_);
      if (nl != std::string::npos) {
        off_ = nl + 1;
        break;
      }
      off_ = buf_.size();
      if (!fill()) break;
    }
  }
}

bool text_file_source::fill() {
  if (eof_) return false;
  buf_.erase(0, off_);
  pos_ += off_;
  off_ = 0;
  const std::size_t old = buf_.size();
  if (stream_) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 0);
    if (ready < 0 && errno != EINTR) throw io_error("cannot poll input", path_, errno);
    if (ready <= 0) {
      waiting_ = true;
      return false;
    }
    buf_.resize(old + chunk_size);
    const ssize_t n = ::read(fd_, buf_.data() + old, chunk_size);
    buf_.resize(old + static_cast<std::size_t>(n > 0 ? n : 0));
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        throw io_error("cannot read input", path_, errno);
      waiting_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (progress_) progress_->bytes_read += static_cast<std::uint64_t>(n);
    return true;
  }
  buf_.resize(old + chunk_size);
  const std::size_t n = std::fread(buf_.data() + old, 1, chunk_size, file_);
  buf_.resize(old + n);
  if (n < chunk_size) {
    if (std::ferror(file_)) throw io_error("cannot read input file", path_, errno);
    eof_ = true;
  }
  return n > 0;
}

source_status text_file_source::produce_stream(std::size_t max_records) {
  if (!checked_) {
    checked_ = true;
    // Not restored: this attempt starts the stream at byte 0, so nothing may be gone yet.
    if (!done_ && !restored_ && read_before_ > 0)
      throw std::runtime_error(stream_error("an earlier attempt of the job already read " +
                                            std::to_string(read_before_) + " bytes of it"));
  }
  waiting_ = false;
  guarded([&] {
    while (!done_ && buffer_.size() < max_records) {
      auto nl = buf_.find('\n', off_);
      if (nl == std::string::npos) {
        if (fill()) continue;
        if (waiting_) break;
        if (off_ < buf_.size()) {  // last line without a trailing newline
          std::string line = buf_.substr(off_);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          buffer_.push_back(std::move(line));
        }
        off_ = buf_.size();
        done_ = true;
        ::close(fd_);
        fd_ = -1;
        break;
      }
      std::size_t len = nl - off_;
      if (len > 0 && buf_[nl - 1] == '\r') --len;
      buffer_.emplace_back(buf_.data() + off_, len);
      off_ = nl + 1;
    }
    emit_buffer();
  });
  if (done_) return source_status::end;
  if (!waiting_) return source_status::more;
  if (!watcher_) watcher_ = std::make_unique<detail::fd_watcher>(fd_, waker());
  watcher_->arm();
  return source_status::wait;
}

source_status text_file_source::produce(std::size_t max_records) {
  if (stream_) return produce_stream(max_records);
  guarded([&] {
    while (!done_ && buffer_.size() < max_records) {
      if (pos_ + off_ >= end_ || (eof_ && off_ >= buf_.size())) {
        splits_.erase(splits_.begin());  // this range is done
        start_split();
        continue;
      }
      auto nl = buf_.find('\n', off_);
      if (nl == std::string::npos) {
        if (!fill()) {  // last line without a trailing newline
          if (off_ < buf_.size()) {
            std::string line = buf_.substr(off_);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            buffer_.push_back(std::move(line));
          }
          off_ = buf_.size();
        }
        continue;
      }
      std::size_t len = nl - off_;
      if (len > 0 && buf_[nl - 1] == '\r') --len;
      buffer_.emplace_back(buf_.data() + off_, len);
      off_ = nl + 1;
    }
    emit_buffer();
  });
  return done_ ? source_status::end : source_status::more;
}

}  // namespace eddy

namespace eddy {

void text_file_source::snapshot_state(std::uint64_t, std::vector<state_entry>& out) {
  if (stream_) {
    const wire_stream st{info_.index, pos_ + off_, done_};
    out.push_back(state_entry{stream_state, -1, stream_state_type, serialize(st)});
    return;
  }
  auto left = splits_;
  if (!done_ && !left.empty()) {
    left.front().begin = pos_ + off_;  // the next line starts here
    left.front().aligned = true;
  }
  detail::put_splits(out, info_, left);
}

void text_file_source::restore_state(const std::vector<state_entry>& entries) {
  if (stream_) {
    if (info_.index != 0) return;  // reads nothing whatever the checkpoint says
    for (const auto& e : entries) {
      if (e.name != stream_state) continue;
      if (e.type != stream_state_type)
        throw std::runtime_error("source state '" + e.name + "' was written as " + e.type +
                                 ", expected " + stream_state_type);
      wire_stream st;
      std::string err;
      if (!deserialize(e.data, st, &err))
        throw std::runtime_error("source state '" + e.name + "' does not decode: " + err);
      const auto& [old_index, position, done] = st;
      if (old_index != 0) continue;  // only subtask 0 read the stream
      restored_ = true;
      if (done) {  // everything was read before the checkpoint: nothing is left to re-read
        done_ = true;
        ::close(fd_);
        fd_ = -1;
        return;
      }
      // The stream goes on where earlier attempts stopped reading it; only if that is exactly
      // the checkpoint's position is nothing lost or read twice.
      if (position != read_before_)
        throw std::runtime_error(stream_error(
            "the checkpoint resumes it at byte " + std::to_string(position) + ", but " +
            (read_before_ > position
                 ? std::to_string(read_before_) + " bytes of it were read already"
                 : std::string("this is a new stream, at byte ") + std::to_string(read_before_))));
      pos_ = position;
      return;
    }
    return;
  }
  if (auto s = detail::get_splits(entries, info_)) {
    splits_ = std::move(*s);
    ranges_bytes_ = 0;
    for (const auto& sp : splits_) ranges_bytes_ += sp.end > sp.begin ? sp.end - sp.begin : 0;
    start_split();
  }
}

std::optional<input_progress> text_file_source::progress() const {
  if (stream_) return std::nullopt;
  std::uint64_t left = 0;
  if (!done_)
    for (std::size_t i = 0; i < splits_.size(); ++i) {
      const auto& sp = splits_[i];
      // The current range: from the reader's position (the first may start a byte early).
      const auto from = i == 0 ? std::max(sp.begin, pos_ + off_) : sp.begin;
      left += sp.end > from ? sp.end - from : 0;
    }
  return input_progress{ranges_bytes_ - std::min(left, ranges_bytes_), ranges_bytes_};
}

}  // namespace eddy
