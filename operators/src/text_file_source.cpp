#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "eddy/operators/sources.hpp"

namespace eddy {

namespace {
constexpr std::size_t chunk_size = 1 << 20;

std::runtime_error io_error(const std::string& what, const std::string& path, int err) {
  return std::runtime_error(what + " '" + path + "': " + std::strerror(err));
}
}  // namespace

text_file_source::text_file_source(std::string path, input_op<std::string>* next)
    : source_op<std::string>(next), path_(std::move(path)) {}

text_file_source::~text_file_source() {
  if (file_) std::fclose(file_);
}

void text_file_source::open(const subtask_info& info) {
  source_op<std::string>::open(info);
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw io_error("cannot open input file", path_, errno);
  struct stat st {};
  if (fstat(fileno(file_), &st) != 0) throw io_error("cannot stat input file", path_, errno);
  if (S_ISDIR(st.st_mode)) throw std::runtime_error("input '" + path_ + "' is a directory");
  auto [b, e] =
      detail::split_range(static_cast<std::uint64_t>(st.st_size), info.index, info.parallelism);
  splits_ = {detail::source_split{b, e, 1, b == 0}};
  start_split();
  buffer_.reserve(info.batch_size);
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
  buf_.resize(old + chunk_size);
  const std::size_t n = std::fread(buf_.data() + old, 1, chunk_size, file_);
  buf_.resize(old + n);
  if (n < chunk_size) {
    if (std::ferror(file_)) throw io_error("cannot read input file", path_, errno);
    eof_ = true;
  }
  return n > 0;
}

source_status text_file_source::produce(std::size_t max_records) {
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
  auto left = splits_;
  if (!done_ && !left.empty()) {
    left.front().begin = pos_ + off_;  // the next line starts here
    left.front().aligned = true;
  }
  detail::put_splits(out, info_, left);
}

void text_file_source::restore_state(const std::vector<state_entry>& entries) {
  if (auto s = detail::get_splits(entries, info_)) {
    splits_ = std::move(*s);
    start_split();
  }
}

}  // namespace eddy
