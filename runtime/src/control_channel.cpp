// Control channels: the job's log of messages and the split enumerator that hands them to the
// control source's reader (eddy/runtime/control_channel.hpp, control_log.hpp).
#include <charconv>
#include <random>

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
