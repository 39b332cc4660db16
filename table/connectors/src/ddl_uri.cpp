#include "ddl_uri.hpp"

#include <algorithm>

#include "eddy/sql/keywords.hpp"

namespace eddy::table::ddl {

std::optional<std::string> take(table_options& o, std::string_view key) {
  const auto it = std::find_if(o.begin(), o.end(), [&](const auto& kv) { return kv.first == key; });
  if (it == o.end()) return std::nullopt;
  auto v = std::move(it->second);
  o.erase(it);
  return v;
}

void rename(table_options& o, std::string_view from, std::string_view to) {
  const bool has_to =
      std::any_of(o.begin(), o.end(), [&](const auto& kv) { return kv.first == to; });
  if (has_to) return;
  for (auto& kv : o)
    if (kv.first == from) kv.first = std::string(to);
}

eddy::error table_error(const table_def& t, const std::string& what) {
  return {errc::invalid_argument,
          "Table '" + t.name + "' (connector '" + t.option("connector") + "'): " + what};
}

connectors::connector_uri make_uri(const table_def& t, std::string scheme,
                                   std::vector<std::string> hosts, std::string path,
                                   const table_options& options) {
  connectors::connector_uri u;
  u.text = "Table '" + t.name + "' (connector '" + t.option("connector") + "')";
  u.scheme = std::move(scheme);
  u.hosts = std::move(hosts);
  u.path = std::move(path);
  u.options = options;
  return u;
}

expected<std::vector<std::string>> hosts(const table_def& t, std::string_view key,
                                         std::string_view value, int default_port) {
  std::vector<std::string> out;
  for (auto item : split_list(value)) {
    const auto colon = item.rfind(':');
    const bool bracketed = item.find(']') != std::string::npos;
    if ((colon == std::string::npos || (bracketed && colon < item.find(']'))) && default_port > 0)
      item += ":" + std::to_string(default_port);
    auto u = connectors::parse_connector_uri("x://" + item + "/");
    if (!u || u->hosts.size() != 1)
      return table_error(t, "'" + std::string(key) + "' = '" + std::string(value) +
                                "': expected HOST:PORT" +
                                (default_port > 0 ? "" : std::string(" items separated by ','")));
    out.push_back(u->hosts.front());
  }
  if (out.empty()) return table_error(t, "'" + std::string(key) + "' is empty: expected HOST:PORT");
  return out;
}

expected<void> check_keys(const table_def& t, const table_options& o,
                          const std::vector<std::string>& known) {
  for (const auto& [key, value] : o) {
    bool ok = false;
    for (const auto& k : known) {
      if (k.size() > 1 && k.back() == '*')
        ok = ok || key.rfind(std::string_view(k).substr(0, k.size() - 1), 0) == 0;
      else
        ok = ok || k == key;
    }
    if (ok) continue;
    std::string msg = "unknown option '" + key + "'";
    std::string best;
    std::size_t best_d = 4;
    for (const auto& k : known)
      if (const auto d = sql::edit_distance(key, k); d < best_d) {
        best_d = d;
        best = k;
      }
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    const auto connector = t.option("connector");
    msg += "; its options: 'connector'";
    if (connector != "jdbc" && connector != "postgresql") msg += ", 'format'";
    for (const auto& k : known) msg += ", '" + k + "'";
    return table_error(t, msg);
  }
  return {};
}

void drop_keys(table_options& o, const std::vector<std::string>& other_side) {
  std::erase_if(o, [&](const auto& kv) {
    return std::find(other_side.begin(), other_side.end(), kv.first) != other_side.end();
  });
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    auto item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace eddy::table::ddl
