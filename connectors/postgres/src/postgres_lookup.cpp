#include "eddy/connectors/postgres/postgres_lookup.hpp"

#include <stdexcept>

#include "pg_connection.hpp"

namespace eddy::postgres {

struct lookup_client::impl {
  detail::pg_connection conn;
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::string> keys;
  int max_retries;
  std::string select;  ///< SELECT ... FROM ... WHERE, built at the first lookup

  impl(connection_options o, std::string t, std::vector<std::string> c, std::vector<std::string> k,
       int retries)
      : conn(std::move(o), "postgresql lookup of table '" + t + "'"),
        table(std::move(t)),
        columns(std::move(c)),
        keys(std::move(k)),
        max_retries(retries) {}
};

lookup_client::lookup_client(connection_options o, std::string table,
                             std::vector<std::string> columns, std::vector<std::string> key_columns,
                             int max_retries)
    : impl_(std::make_unique<impl>(std::move(o), std::move(table), std::move(columns),
                                   std::move(key_columns), max_retries)) {}

lookup_client::~lookup_client() = default;

std::vector<std::vector<std::optional<std::string>>> lookup_client::lookup(
    const std::vector<std::string>& key) {
  auto& s = *impl_;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!s.conn.connected()) s.conn.connect();
      if (s.select.empty()) {
        std::string cols;
        for (const auto& c : s.columns) cols += (cols.empty() ? "" : ", ") + s.conn.identifier(c);
        s.select = "SELECT " + cols + " FROM " + s.conn.identifier(s.table) + " WHERE ";
      }
      std::string sql = s.select;
      for (std::size_t k = 0; k < s.keys.size(); ++k)
        sql += (k ? " AND " : "") + s.conn.identifier(s.keys[k]) + " = " + s.conn.literal(key[k]);
      const auto r = s.conn.exec(sql);
      std::vector<std::vector<std::optional<std::string>>> out;
      out.reserve(r.size());
      for (const auto& row : r) {
        std::vector<std::optional<std::string>> values;
        values.reserve(row.size());
        for (const auto& f : row)
          values.push_back(f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()));
        out.push_back(std::move(values));
      }
      return out;
    } catch (const pqxx::broken_connection& e) {
      s.conn.disconnect();
      if (attempt >= s.max_retries)
        throw std::runtime_error(s.conn.what() + ": the connection was lost " +
                                 std::to_string(attempt + 1) + " time(s): " + detail::reason(e));
    } catch (const pqxx::sql_error& e) {
      throw std::runtime_error(s.conn.what() + ": " + detail::reason(e));
    }
  }
}

}  // namespace eddy::postgres
