#include "eddy/table/lookup_join.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "eddy/rows/value_text.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/table/aggregate_operators.hpp"  // rows::value's serializer (the keys)
#include "eddy/table/row_operators.hpp"        // parse_text_value

namespace eddy::table {

struct lookup_join_fn::cache {
  /// The serialized key -> the table's rows with that key.
  absl::flat_hash_map<std::string, std::vector<std::vector<rows::value>>> rows;
  std::chrono::steady_clock::time_point loaded;
  // A connector's lookup: the client, the partial cache's entries by age, this row's rows.
  std::unique_ptr<table_lookup> client;
  absl::flat_hash_map<std::string, std::chrono::steady_clock::time_point> written;
  std::deque<std::string> order;  ///< keys of `rows`, oldest first
  std::vector<std::vector<rows::value>> fetched;
  std::vector<rows::value> key;  // scratch
  std::string key_bytes;         // scratch
};

lookup_join_fn::lookup_join_fn(std::shared_ptr<const lookup_plan> p) : plan_(std::move(p)) {}
lookup_join_fn::lookup_join_fn(const lookup_join_fn& o) : plan_(o.plan_) {}
lookup_join_fn::~lookup_join_fn() = default;

void lookup_join_fn::load() {
  namespace fs = std::filesystem;
  const auto& p = *plan_;
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(p.path, ec)) {
    for (const auto& e : fs::directory_iterator(p.path, ec)) {
      const auto name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || name[0] == '_' || !e.is_regular_file()) continue;
      files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(p.path);
  }
  if (ec)
    throw std::runtime_error("lookup table '" + p.table + "': cannot list '" + p.path +
                             "': " + ec.message());
  auto fresh = std::make_unique<cache>();
  line_row_decoder decoder(p.columns, p.format);
  std::size_t count = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in)
      throw std::runtime_error("lookup table '" + p.table + "': cannot read '" + f.string() + "'");
    rows::row_batch b(p.columns);
    std::string line, why;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      if (!decoder.decode(line, b, why))
        throw std::runtime_error("lookup table '" + p.table + "': " + why + " in line " +
                                 std::to_string(n) + " of '" + f.string() + "'");
    }
    for (std::size_t i = 0; i < b.size(); ++i) {
      auto values = b.row_values(i);
      fresh->key.clear();
      bool null_key = false;
      for (const auto c : p.key_columns) {
        null_key = null_key || values[c].is_null();
        fresh->key.push_back(values[c]);
      }
      if (null_key) continue;  // never matches
      fresh->rows[serialize(fresh->key)].push_back(std::move(values));
      ++count;
    }
  }
  fresh->loaded = std::chrono::steady_clock::now();
  log().debug("lookup table '{}': {} row(s) of {} file(s) loaded", p.table, count, files.size());
  cache_ = std::move(fresh);
}

const std::vector<std::vector<rows::value>>& lookup_join_fn::fetch(
    const std::vector<rows::value>& key, const std::string& key_bytes) {
  const auto& p = *plan_;
  auto& c = *cache_;
  const auto now = std::chrono::steady_clock::now();
  if (p.cache_max_rows > 0) {
    const auto it = c.rows.find(key_bytes);
    if (it != c.rows.end() &&
        std::chrono::duration_cast<std::chrono::milliseconds>(now - c.written[key_bytes]).count() <
            p.cache_ttl_ms)
      return it->second;
  }
  std::vector<std::string> text;
  for (std::size_t k = 0; k < key.size(); ++k)
    text.push_back(rows::format_value(key[k], p.columns[p.key_columns[k]].type));
  c.fetched.clear();
  std::string why;
  for (const auto& r : c.client->lookup(text)) {
    if (r.size() != p.columns.size())
      throw std::runtime_error("lookup table '" + p.table + "': a row of " +
                               std::to_string(r.size()) + " values, the table has " +
                               std::to_string(p.columns.size()) + " columns");
    std::vector<rows::value> values(r.size());
    for (std::size_t col = 0; col < r.size(); ++col)
      if (r[col] && !parse_text_value(*r[col], p.columns[col].type, values[col], &why))
        throw std::runtime_error("lookup table '" + p.table + "', column " + p.columns[col].name +
                                 ": " + why);
    c.fetched.push_back(std::move(values));
  }
  if (p.cache_max_rows == 0 || (c.fetched.empty() && !p.cache_missing_keys)) return c.fetched;
  if (!c.rows.contains(key_bytes)) {
    while (c.rows.size() >= p.cache_max_rows && !c.order.empty()) {  // the oldest key goes
      c.rows.erase(c.order.front());
      c.written.erase(c.order.front());
      c.order.pop_front();
    }
    c.order.push_back(key_bytes);
  }
  c.written[key_bytes] = now;
  return c.rows[key_bytes] = c.fetched;
}

void lookup_join_fn::operator()(rows::row_batch&& b, collector<rows::row_batch>& out) {
  const auto& p = *plan_;
  if (p.connector) {
    if (!cache_) {
      cache_ = std::make_unique<cache>();
      cache_->client = p.connector->make();
    }
  } else if (!cache_ || std::chrono::steady_clock::now() - cache_->loaded >=
                            std::chrono::milliseconds(p.cache_ttl_ms)) {
    load();
  }
  auto& c = *cache_;
  rows::row_batch result(p.out_types);
  std::vector<rows::value> joined;
  const std::size_t right_width = p.columns.size();
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto row = b.row(i);
    c.key.clear();
    bool null_key = false;
    for (std::size_t k = 0; k < p.key_columns.size(); ++k) {
      c.key.push_back(b.column(p.left_width + k).get(row));
      null_key = null_key || c.key.back().is_null();
    }
    const std::vector<std::vector<rows::value>>* matches = nullptr;
    if (!null_key) {
      c.key_bytes.clear();
      serialize_append(c.key_bytes, c.key);
      if (p.connector) {
        const auto& found = fetch(c.key, c.key_bytes);
        if (!found.empty()) matches = &found;
      } else if (const auto it = c.rows.find(c.key_bytes); it != c.rows.end()) {
        matches = &it->second;
      }
    }
    if (!matches && !p.left_outer) continue;
    joined.clear();
    for (std::size_t col = 0; col < p.left_width; ++col) joined.push_back(b.column(col).get(row));
    if (!matches) {
      joined.resize(p.left_width + right_width);  // NULLs
      result.append_row(joined, b.kind(i));
      continue;
    }
    for (const auto& m : *matches) {
      joined.resize(p.left_width);
      joined.insert(joined.end(), m.begin(), m.end());
      result.append_row(joined, b.kind(i));
    }
  }
  if (!result.empty()) out.collect(std::move(result));
}

}  // namespace eddy::table
