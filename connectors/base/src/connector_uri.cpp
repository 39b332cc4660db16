#include "eddy/connectors/connector_uri.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace eddy::connectors {

namespace {

eddy::error bad(std::string_view text, const std::string& what) {
  return {errc::invalid_argument, "'" + std::string(text) + "': " + what};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decodes `in` ('+' stays '+': these are not form fields).
std::optional<std::string> decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

bool is_connector_uri(std::string_view text) {
  const auto p = text.find("://");
  if (p == std::string_view::npos || p == 0) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(p), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

expected<connector_uri> parse_connector_uri(std::string_view text) {
  if (!is_connector_uri(text)) return bad(text, "not a URI (expected SCHEME://...)");
  connector_uri u;
  u.text = std::string(text);
  const auto sep = text.find("://");
  for (char c : text.substr(0, sep))
    u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = text.substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      // The message must not repeat the password.
      const auto from = sep + 3 + colon + 1;
      const auto redacted =
          std::string(text.substr(0, from)) + "***" + std::string(text.substr(sep + 3 + at));
      return bad(redacted,
                 "a password in the URI is not accepted: give it in a file (password-file=) "
                 "instead");
    }
    auto user = decode(userinfo);
    if (!user || user->empty()) return bad(text, "an empty or badly %-escaped user name");
    u.user = std::move(*user);
    authority = authority.substr(at + 1);
  }
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  std::size_t start = 0;
  while (start < authority.size()) {
    auto comma = authority.find(',', start);
    if (comma == std::string_view::npos) comma = authority.size();
    const auto host = authority.substr(start, comma - start);
    const auto colon = host.rfind(':');
    if (host.empty() || colon == std::string_view::npos || colon == 0)
      return bad(text, "'" + std::string(host) + "' is not HOST:PORT");
    const auto port = host.substr(colon + 1);
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || p != port.data() + port.size() || value < 1 || value > 65535)
      return bad(text, "the port of '" + std::string(host) + "' is not a number in 1..65535");
    u.hosts.emplace_back(host);
    start = comma + 1;
  }
  auto decoded_path = decode(path);
  if (!decoded_path) return bad(text, "a bad %-escape in the path");
  u.path = *decoded_path;
  if (u.scheme != "file" && !u.path.empty() && u.path.front() == '/') u.path.erase(0, 1);
  start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const auto item = query.substr(start, amp - start);
    start = amp + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto key = decode(item.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    if (!key || !value) return bad(text, "a bad %-escape in the options");
    if (key->empty()) return bad(text, "an option without a key");
    if (eq == std::string_view::npos) return bad(text, "option '" + *key + "' has no value");
    for (const auto& [k, v] : u.options)
      if (k == *key) return bad(text, "option '" + *key + "' is given twice");
    u.options.emplace_back(std::move(*key), std::move(*value));
  }
  return u;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p == text.data() || n < 0) return std::nullopt;
  const std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m" || unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return std::nullopt;
  if (n > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
  return std::chrono::milliseconds(n * scale);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p == text.data()) return std::nullopt;
  std::string unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    scale = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    scale = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    scale = 1ull << 30;
  else
    return std::nullopt;
  if (n > std::numeric_limits<std::uint64_t>::max() / scale) return std::nullopt;
  return n * scale;
}

std::optional<std::string> uri_options::take(std::string_view key) {
  for (std::size_t i = 0; i < uri_.options.size(); ++i)
    if (uri_.options[i].first == key) {
      taken_[i] = true;
      return uri_.options[i].second;
    }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> uri_options::take_prefixed(
    std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < uri_.options.size(); ++i) {
    const auto& [k, v] = uri_.options[i];
    if (k.size() > prefix.size() && k.compare(0, prefix.size(), prefix) == 0) {
      taken_[i] = true;
      out.emplace_back(k.substr(prefix.size()), v);
    }
  }
  return out;
}

expected<void> uri_options::check_all_taken(const std::vector<std::string>& known) const {
  for (std::size_t i = 0; i < uri_.options.size(); ++i) {
    if (taken_[i]) continue;
    const auto& key = uri_.options[i].first;
    std::string msg = "unknown option '" + key + "'";
    std::string best;
    std::size_t best_d = 3;
    for (const auto& k : known)
      if (auto d = edit_distance(key, k); d < best_d) {
        best_d = d;
        best = k;
      }
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    msg += "; " + uri_.scheme + " options:";
    for (std::size_t k = 0; k < known.size(); ++k) msg += (k ? ", " : " ") + known[k];
    return uri_error(uri_, msg);
  }
  return {};
}

eddy::error uri_error(const connector_uri& uri, const std::string& what) {
  return {errc::invalid_argument, uri.text + ": " + what};
}

}  // namespace eddy::connectors
