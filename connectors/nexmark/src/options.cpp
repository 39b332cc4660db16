// Reading the Nexmark generator's options (nexmark-flink's NexmarkSourceOptions keys, plus
// Eddy's 'seed', 'base-time' and 'out-of-order.group-size'); see generator.hpp.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>

#include "eddy/connectors/nexmark/generator.hpp"

namespace eddy::nexmark {

namespace {

std::optional<std::int64_t> parse_int(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<bool> parse_bool(const std::string& s) {
  std::string l;
  for (char ch : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  if (l == "true") return true;
  if (l == "false") return false;
  return std::nullopt;
}

/// Flink's MemorySize text: a number and an optional unit (b, k/kb, m/mb, g/gb; any case).
std::optional<std::int64_t> parse_memory_size(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return std::nullopt;
  const auto n = parse_int(s.substr(0, i));
  if (!n) return std::nullopt;
  std::string unit;
  for (std::size_t j = i; j < s.size(); ++j)
    if (!std::isspace(static_cast<unsigned char>(s[j])))
      unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[j]))));
  std::int64_t m = 1;
  if (unit.empty() || unit == "b" || unit == "bytes")
    m = 1;
  else if (unit == "k" || unit == "kb" || unit == "kibibytes")
    m = 1024;
  else if (unit == "m" || unit == "mb" || unit == "mebibytes")
    m = 1024 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gibibytes")
    m = 1024 * 1024 * 1024;
  else
    return std::nullopt;
  if (*n > std::numeric_limits<std::int32_t>::max() / m) return std::nullopt;
  return *n * m;
}

/// 'base-time': epoch milliseconds, or 'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC).
std::optional<std::int64_t> parse_time(const std::string& s) {
  if (auto v = parse_int(s)) return v;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
    return std::nullopt;
  std::string rest = s.substr(static_cast<std::size_t>(used));
  if (!rest.empty()) {
    if (rest.size() != 4 || rest[0] != '.') return std::nullopt;
    const auto f = parse_int(rest.substr(1));
    if (!f || *f < 0) return std::nullopt;
    ms = static_cast<int>(*f);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm).
  const int yy = y - (mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000 + sec * 1000 + ms;
}

}  // namespace

std::string parse_options(const std::map<std::string, std::string>& options, config& out,
                          std::initializer_list<std::string_view> ignored) {
  out = config{};
  for (const auto& [key, value] : options) {
    bool skip = false;
    for (auto k : ignored) skip = skip || key == k;
    if (skip) continue;
    auto bad = [&](const char* why) {
      return "Invalid value '" + value + "' of option '" + key + "' (connector 'nexmark'): " + why;
    };
    auto positive_int = [&](std::int32_t& field) -> std::string {
      const auto v = parse_int(value);
      if (!v || *v <= 0 || *v > std::numeric_limits<std::int32_t>::max())
        return bad("expected a positive integer");
      field = static_cast<std::int32_t>(*v);
      return {};
    };
    auto boolean = [&](bool& field) -> std::string {
      const auto v = parse_bool(value);
      if (!v) return bad("expected 'true' or 'false'");
      field = *v;
      return {};
    };
    auto size = [&](std::int32_t& field) -> std::string {
      const auto v = parse_memory_size(value);
      if (!v) return bad("expected a size such as '100b' or '1kb'");
      field = static_cast<std::int32_t>(*v);
      return {};
    };
    std::string e;
    if (key == "events.num") {
      const auto v = parse_int(value);
      if (!v || *v < 0) return bad("expected a number of events (0: unbounded)");
      out.events = static_cast<std::uint64_t>(*v);
    } else if (key == "stop-at") {
      const auto v = parse_int(value);
      if (!v || *v < -1) return bad("expected a number of events (-1: none)");
      out.stop_at = *v;
    } else if (key == "keep-alive") {
      e = boolean(out.keep_alive);
    } else if (key == "max-emit-speed") {
      e = boolean(out.max_emit_speed);
    } else if (key == "rate.limited") {
      bool ignored_value = false;
      e = boolean(ignored_value);
    } else if (key == "rate.shape") {
      if (value != "SQUARE" && value != "SINE") return bad("expected 'SQUARE' or 'SINE'");
    } else if (key == "rate.period") {
      if (value.empty()) return bad("expected a duration");
    } else if (key == "first-event.rate") {
      e = positive_int(out.first_event_rate);
    } else if (key == "next-event.rate") {
      e = positive_int(out.next_event_rate);
    } else if (key == "person.proportion") {
      e = positive_int(out.person_proportion);
    } else if (key == "auction.proportion") {
      e = positive_int(out.auction_proportion);
    } else if (key == "bid.proportion") {
      e = positive_int(out.bid_proportion);
    } else if (key == "person.avg-size") {
      e = size(out.avg_person_bytes);
    } else if (key == "auction.avg-size") {
      e = size(out.avg_auction_bytes);
    } else if (key == "bid.avg-size") {
      e = size(out.avg_bid_bytes);
    } else if (key == "bid.hot-ratio.auctions") {
      e = positive_int(out.hot_auction_ratio);
    } else if (key == "bid.hot-ratio.bidders") {
      e = positive_int(out.hot_bidders_ratio);
    } else if (key == "auction.hot-ratio.sellers") {
      e = positive_int(out.hot_sellers_ratio);
    } else if (key == "out-of-order.group-size") {
      const auto v = parse_int(value);
      if (!v || *v <= 0) return bad("expected a positive integer");
      out.out_of_order_group_size = *v;
    } else if (key == "base-time") {
      const auto v = parse_time(value);
      if (!v) return bad("expected epoch milliseconds or 'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC)");
      out.base_time = *v;
    } else if (key == "seed") {
      const auto v = parse_int(value);
      if (!v) return bad("expected an integer");
      out.seed = static_cast<std::uint64_t>(*v);
    } else {
      return "Unsupported option '" + key +
             "' (connector 'nexmark'): it takes 'events.num', 'stop-at', 'keep-alive', "
             "'max-emit-speed', 'first-event.rate', 'next-event.rate', 'rate.shape', "
             "'rate.period', 'rate.limited', 'person.proportion', 'auction.proportion', "
             "'bid.proportion', 'person.avg-size', 'auction.avg-size', 'bid.avg-size', "
             "'bid.hot-ratio.auctions', 'bid.hot-ratio.bidders', 'auction.hot-ratio.sellers', "
             "'out-of-order.group-size', 'base-time' and 'seed'";
    }
    if (!e.empty()) return e;
  }
  return {};
}

}  // namespace eddy::nexmark
