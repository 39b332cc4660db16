// The PostgreSQL source (postgres_source.hpp): the range enumerator and the cursor readers.
#include "eddy/connectors/postgres/postgres_source.hpp"

#include <charconv>
#include <map>
#include <stdexcept>
#include <tuple>

#include "eddy/connectors/split_positions.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/split_enumerator.hpp"
#include "eddy/runtime/state_snapshot.hpp"
#include "pg_connection.hpp"

namespace eddy::postgres::detail {

namespace {

constexpr const char* state_name = "__union:postgresql-ranges";
constexpr const char* state_type = "postgresql_ranges<v1>";

/// A split: the whole read ("all"), or "range:LO:HI[:null]" where LO / HI are bounds of the
/// partition column or "*" (open), and ":null" adds the rows where it is NULL.
struct range {
  std::optional<std::int64_t> lo, hi;
  bool nulls = false;
};

std::string range_id(const range& r) {
  auto bound = [](const std::optional<std::int64_t>& b) {
    return b ? std::to_string(*b) : std::string("*");
  };
  return "range:" + bound(r.lo) + ":" + bound(r.hi) + (r.nulls ? ":null" : "");
}

std::optional<range> parse_range(const std::string& id) {
  if (id.rfind("range:", 0) != 0) return std::nullopt;
  range r;
  std::vector<std::string> parts;
  std::size_t start = 6;
  for (;;) {
    const auto colon = id.find(':', start);
    parts.push_back(id.substr(start, colon == std::string::npos ? colon : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "null"))
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    if (parts[i] == "*") continue;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), v);
    if (ec != std::errc{} || p != parts[i].data() + parts[i].size()) return std::nullopt;
    (i == 0 ? r.lo : r.hi) = v;
  }
  r.nulls = parts.size() == 3;
  return r;
}

std::string base_query(pg_connection& c, const source_options& o) {
  return o.table.empty() ? o.query : "SELECT * FROM " + c.identifier(o.table);
}

std::string where(const std::string& by, const range& r) {
  std::string cond;
  if (r.lo) cond = by + " >= " + std::to_string(*r.lo);
  if (r.hi) cond += (cond.empty() ? "" : " AND ") + by + " <= " + std::to_string(*r.hi);
  if (cond.empty()) cond = by + " IS NOT NULL";
  if (r.nulls) cond = "(" + cond + ") OR " + by + " IS NULL";
  return " WHERE " + cond;
}

/// Cuts [lo, hi] into n ranges; the first is open below and takes NULLs, the last is open above.
std::vector<std::string> cut(std::int64_t lo, std::int64_t hi, int n) {
  const __int128 span = static_cast<__int128>(hi) - lo + 1;
  if (span < n) n = static_cast<int>(span);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    range r;
    const auto a = static_cast<std::int64_t>(lo + span * i / n);
    const auto b = static_cast<std::int64_t>(lo + span * (i + 1) / n - 1);
    if (i > 0) r.lo = a;
    if (i < n - 1) r.hi = b;
    r.nulls = i == 0;
    out.push_back(range_id(r));
  }
  return out;
}

class range_enumerator final : public split_enumerator {
 public:
  explicit range_enumerator(source_options o) : o_(std::move(o)) {}

  std::optional<std::vector<std::string>> discover(bool) override {
    if (o_.partition_column.empty()) return std::vector<std::string>{"all"};
    pg_connection c(o_.connection, "postgresql source (" + o_.connection.describe() + ")");
    c.connect();
    auto lo = o_.lower_bound;
    auto hi = o_.upper_bound;
    if (!lo || !hi) {
      const auto col = c.identifier(o_.partition_column);
      pqxx::result r;
      try {
        r = c.exec("SELECT min(" + col + ")::bigint, max(" + col + ")::bigint FROM (" +
                   base_query(c, o_) + ") AS eddy_q");
      } catch (const pqxx::sql_error& e) {
        throw std::runtime_error(c.what() + ": cannot find the range of partition-column " +
                                 o_.partition_column + ": " + reason(e));
      }
      if (r.empty() || r[0][0].is_null()) return std::vector<std::string>{"all"};  // no rows
      if (!lo) lo = r[0][0].as<std::int64_t>();
      if (!hi) hi = r[0][1].as<std::int64_t>();
      if (*lo > *hi) lo = hi;
    }
    return cut(*lo, *hi, o_.partition_num);
  }
  [[nodiscard]] std::chrono::milliseconds discovery_interval() const override {
    return std::chrono::milliseconds(0);
  }

 private:
  source_options o_;
};

/// Reads the ranges its enumerator assigns, one after another, through a cursor.
template <class T>
class range_reader final : public source_op<T> {
 public:
  range_reader(source_options o, input_op<T>* next) : source_op<T>(next), o_(std::move(o)) {}
  ~range_reader() override {
    if (cursor_open_ && conn_ && conn_->connected()) {
      try {
        conn_->exec("ROLLBACK");
      } catch (const std::exception&) {
      }
    }
  }

  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    conn_ = std::make_unique<pg_connection>(
        o_.connection, "postgresql source (subtask " + std::to_string(info.index + 1) + "/" +
                           std::to_string(info.parallelism) + ", " + o_.connection.describe() +
                           ")");
  }

  source_status produce(std::size_t max) override {
    while (this->buffer_.size() < max && !splits_.empty()) {
      if (!cursor_open_) open_cursor();
      if (!fetch(max - this->buffer_.size())) close_cursor_as_done();
    }
    this->emit_buffer();
    if (splits_.empty() && !no_more_ && !requested_) {
      requested_ = true;
      this->request_split();
    }
    if (splits_.empty()) return no_more_ ? source_status::end : source_status::wait;
    return source_status::more;
  }

  void add_splits(const std::vector<std::string>& ids, const std::vector<std::string>&) override {
    for (const auto& id : ids) splits_.emplace(id, 0);
    requested_ = false;
  }
  void no_more_splits() override {
    no_more_ = true;
    requested_ = false;
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    out.push_back(connectors::snapshot_split_positions(state_name, state_type,
                                                       this->info_.parallelism, splits_));
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    for (auto& [id, pos] :
         connectors::restore_split_positions(entries, state_name, state_type, this->info_))
      splits_[id] = pos;
  }

 private:
  void open_cursor() {
    conn_->connect();
    const auto& [id, pos] = *splits_.begin();
    std::string sql = "SELECT * FROM (" + base_query(*conn_, o_) + ") AS eddy_q";
    if (id != "all") {
      auto r = parse_range(id);
      if (!r) throw std::runtime_error(conn_->what() + ": '" + id + "' is not a range split");
      sql += where("eddy_q." + conn_->identifier(o_.partition_column), *r);
    }
    // A position is a row count, so the order must be the same after a restore: a query read
    // whole keeps its own ORDER BY, everything else is ordered by the whole row.
    if (id != "all" || o_.query.empty()) sql += " ORDER BY eddy_q::text";
    try {
      conn_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      cursor_open_ = true;
      conn_->exec("DECLARE eddy_cursor NO SCROLL CURSOR FOR " + sql);
      if (pos > 0) conn_->exec("MOVE FORWARD " + std::to_string(pos) + " IN eddy_cursor");
    } catch (const pqxx::sql_error& e) {
      throw std::runtime_error(conn_->what() + ": cannot read " +
                               (o_.table.empty() ? "the query" : "table " + o_.table) + " (" + id +
                               "): " + reason(e));
    }
  }

  /// Fetches up to `want` rows of the current split into the buffer; false at its end.
  bool fetch(std::size_t want) {
    const auto n = std::min(want, o_.fetch_size);
    pqxx::result r;
    try {
      r = conn_->exec("FETCH FORWARD " + std::to_string(n) + " FROM eddy_cursor");
    } catch (const pqxx::sql_error& e) {
      throw std::runtime_error(conn_->what() + ": reading " + splits_.begin()->first + ": " +
                               reason(e));
    }
    for (const auto& row : r) {
      pg_row values;
      values.reserve(row.size());
      for (const auto& f : row) {
        if (f.is_null())
          values.emplace_back(std::nullopt);
        else
          values.emplace_back(std::string(f.c_str(), f.size()));
      }
      this->buffer_.push_back(convert(std::move(values)));
    }
    splits_.begin()->second += static_cast<std::int64_t>(r.size());
    return r.size() == n;
  }

  void close_cursor_as_done() {
    conn_->exec("COMMIT");
    cursor_open_ = false;
    splits_.erase(splits_.begin());
  }

  static T convert(pg_row&& row) {
    if constexpr (std::is_same_v<T, pg_row>) {
      return std::move(row);
    } else {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i) line += ',';
        if (!row[i]) continue;
        const auto& v = *row[i];
        if (v.find_first_of(",\"\r\n") == std::string::npos) {
          line += v;
          continue;
        }
        line += '"';
        for (char c : v) {
          if (c == '"') line += '"';
          line += c;
        }
        line += '"';
      }
      return line;
    }
  }

  source_options o_;
  std::unique_ptr<pg_connection> conn_;
  std::map<std::string, std::int64_t> splits_;  // assigned, unfinished: rows read
  bool cursor_open_ = false;                    // on splits_.begin()
  bool requested_ = false;
  bool no_more_ = false;
};

}  // namespace

std::unique_ptr<source_base> make_row_reader(const source_options& o, input_op<pg_row>* next) {
  return std::make_unique<range_reader<pg_row>>(o, next);
}

std::unique_ptr<source_base> make_line_reader(const source_options& o,
                                              input_op<std::string>* next) {
  return std::make_unique<range_reader<std::string>>(o, next);
}

std::unique_ptr<split_enumerator> make_range_enumerator(const source_options& o) {
  return std::make_unique<range_enumerator>(o);
}

}  // namespace eddy::postgres::detail
