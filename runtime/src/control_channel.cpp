// Control channels: the job's log of messages and the split enumerator that hands them to the
// control source's reader (eddy/runtime/control_channel.hpp, control_log.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "control_log.hpp"

namespace eddy {

namespace detail {

namespace {

std::uint64_t random_incarnation() {
  std::random_device rd;
  std::uint64_t v = 0;
  while (v == 0) v = (std::uint64_t{rd()} << 32) | rd();
  return v;
}

}  // namespace

control_log::control_log(std::uint64_t incarnation)
    : incarnation_(incarnation != 0 ? incarnation : random_incarnation()) {}

control_log::~control_log() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

constexpr std::string_view file_magic = "eddy control log v1 ";

/// Writes all of `data` to fd and flushes it to the disk; false with `why` on failure.
bool write_durably(int fd, std::string_view data, std::string& why) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fdatasync(fd) != 0) {
    why = std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool control_log::open_for_append(std::string& why) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) why = std::strerror(errno);
  return fd_ >= 0;
}

expected<std::shared_ptr<control_log>> control_log::create_file(const std::string& path) {
  auto log = std::make_shared<control_log>();
  log->path_ = path;
  std::string why;
  const auto header = std::string(file_magic) + std::to_string(log->incarnation_) + "\n";
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) why = std::strerror(errno);
  if (why.empty() && log->open_for_append(why) && write_durably(log->fd_, header, why)) return log;
  return error{errc::runtime_error, "cannot write the control log " + path + ": " + why};
}

expected<std::shared_ptr<control_log>> control_log::load_file(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return create_file(path);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return error{errc::runtime_error, "cannot read the control log " + path};
  const std::string data = ss.str();
  auto bad = [&](std::size_t record, const std::string& what) {
    return error{errc::runtime_error,
                 "control log " + path + ", record " + std::to_string(record) + ": " + what};
  };
  std::size_t pos = 0, record = 0;
  std::shared_ptr<control_log> log;
  while (pos < data.size()) {
    const auto eol = data.find('\n', pos);
    if (eol == std::string::npos) break;  // a write the coordinator died in: never acknowledged
    const std::string_view head(data.data() + pos, eol - pos);
    if (!log) {
      std::uint64_t inc = 0;
      const auto* b = head.data() + file_magic.size();
      if (head.substr(0, file_magic.size()) != file_magic ||
          std::from_chars(b, head.data() + head.size(), inc).ec != std::errc{} || inc == 0)
        return bad(
            0, "not an eddy control log (expected \"" + std::string(file_magic) + "INCARNATION\")");
      log = std::make_shared<control_log>(inc);
      pos = eol + 1;
      continue;
    }
    ++record;
    // "m SEQ CHANNEL_BYTES TEXT_BYTES\n" CHANNEL TEXT "\n"
    std::uint64_t seq = 0, ch_len = 0, text_len = 0;
    std::istringstream hs{std::string(head)};
    char tag = 0;
    if (!(hs >> tag >> seq >> ch_len >> text_len) || tag != 'm' || !hs.eof())
      return bad(record, "not a message header: '" + std::string(head.substr(0, 60)) + "'");
    const auto body = eol + 1;
    if (data.size() - body < ch_len + text_len + 1) break;  // torn: never acknowledged
    if (data[body + ch_len + text_len] != '\n')
      return bad(record, "the message does not end where its header says");
    std::string channel = data.substr(body, ch_len);
    auto& c = log->channels_[channel];
    if (seq != c.messages.size() + 1)
      return bad(record, "message " + std::to_string(seq) + " of channel '" + channel +
                             "' follows message " + std::to_string(c.messages.size()));
    c.messages.push_back(control_message{seq, data.substr(body + ch_len, text_len)});
    pos = body + ch_len + text_len + 1;
  }
  if (!log) return bad(0, "no header (an empty or torn file)");
  log->path_ = path;
  std::string why;
  if (!log->open_for_append(why))
    return error{errc::runtime_error, "cannot write the control log " + path + ": " + why};
  if (pos < data.size() && ::ftruncate(log->fd_, static_cast<off_t>(pos)) != 0)
    return error{errc::runtime_error, "cannot cut the torn last line of the control log " + path +
                                          ": " + std::strerror(errno)};
  return log;
}

std::optional<int> control_log::attach(const std::string& channel, int source,
                                       std::function<void()> wake) {
  std::lock_guard g(mtx_);
  auto& c = channels_[channel];
  if (c.source >= 0 && c.source != source) return c.source;
  c.source = source;
  c.wake = std::move(wake);
  c.closed.reset();
  return std::nullopt;
}

expected<std::uint64_t> control_log::append(const std::string& job, const std::string& channel,
                                            std::string text) {
  std::function<void()> wake;
  std::uint64_t seq = 0;
  {
    std::lock_guard g(mtx_);
    auto it = channels_.find(channel);
    if (it == channels_.end()) {
      std::string names;
      for (const auto& [n, c] : channels_) names += (names.empty() ? "" : ", ") + n;
      return error{errc::invalid_argument,
                   "job " + job + " has no control channel '" + channel + "' (" +
                       (names.empty() ? std::string("it has none") : "its channels: " + names) +
                       ")"};
    }
    auto& c = it->second;
    if (c.closed)
      return error{errc::invalid_argument,
                   "control channel '" + channel + "' of job " + job + " has ended: " + *c.closed};
    seq = c.messages.size() + 1;
    if (fd_ >= 0) {
      const auto line = "m " + std::to_string(seq) + " " + std::to_string(channel.size()) + " " +
                        std::to_string(text.size()) + "\n" + channel + text + "\n";
      std::string why;
      if (!write_durably(fd_, line, why))
        return error{errc::runtime_error, "cannot record the message for control channel '" +
                                              channel + "' of job " + job + " in " + path_ + ": " +
                                              why};
    }
    c.messages.push_back(control_message{seq, std::move(text)});
    wake = c.wake;
  }
  if (wake) wake();
  return seq;
}

std::vector<control_message> control_log::messages(const std::string& channel) const {
  std::lock_guard g(mtx_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) return {};
  return it->second.messages;
}

std::optional<std::string> control_log::text(const std::string& channel, std::uint64_t seq) const {
  std::lock_guard g(mtx_);
  auto it = channels_.find(channel);
  if (it == channels_.end() || seq == 0 || seq > it->second.messages.size()) return std::nullopt;
  return it->second.messages[seq - 1].text;
}

void control_log::close(const std::string& channel, std::string why) {
  std::lock_guard g(mtx_);
  if (auto it = channels_.find(channel); it != channels_.end()) it->second.closed = std::move(why);
}

bool control_log::has(const std::string& channel) const {
  std::lock_guard g(mtx_);
  return channels_.count(channel) > 0;
}

std::vector<std::string> control_log::channels() const {
  std::lock_guard g(mtx_);
  std::vector<std::string> out;
  for (const auto& [n, c] : channels_) out.push_back(n);
  return out;
}

}  // namespace detail

namespace {

/// "INCARNATION/SEQ" (both decimal).
std::string split_id(std::uint64_t incarnation, std::uint64_t seq) {
  return std::to_string(incarnation) + "/" + std::to_string(seq);
}

/// The sequence number of a split id of log `incarnation`; nullopt for another log's id.
std::optional<std::uint64_t> seq_of(const std::string& id, std::uint64_t incarnation) {
  const auto slash = id.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::uint64_t inc = 0, seq = 0;
  const char* b = id.data();
  if (std::from_chars(b, b + slash, inc).ec != std::errc{} || inc != incarnation)
    return std::nullopt;
  if (std::from_chars(b + slash + 1, b + id.size(), seq).ec != std::errc{}) return std::nullopt;
  return seq;
}

}  // namespace

std::optional<std::vector<std::string>> control_channel_enumerator::discover(bool) {
  std::vector<std::string> ids;
  if (!log_) return ids;
  for (const auto& m : log_->messages(channel_))
    ids.push_back(split_id(log_->incarnation(), m.seq));
  return ids;
}

std::string control_channel_enumerator::split_data(const std::string& id) const {
  if (!log_) return {};
  auto seq = seq_of(id, log_->incarnation());
  if (!seq) return {};
  return log_->text(channel_, *seq).value_or(std::string{});
}

}  // namespace eddy
