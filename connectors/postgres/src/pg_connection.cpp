#include "pg_connection.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "eddy/runtime/log.hpp"

namespace eddy::postgres::detail {

namespace {

/// A libpq connection-string value: 'v' with \ and ' escaped.
std::string kv(const std::string& key, const std::string& value) {
  std::string out = key + "='";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "' ";
}

}  // namespace

std::string reason(const std::exception& e) {
  std::string s = e.what();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

pg_connection::pg_connection(connection_options o, std::string what)
    : o_(std::move(o)), what_(std::move(what)) {}

pg_connection::~pg_connection() = default;

std::string pg_connection::conninfo() const {
  std::string s = kv("host", o_.host) + kv("port", std::to_string(o_.port)) +
                  kv("dbname", o_.database) + kv("application_name", "eddy") +
                  kv("connect_timeout", "10");
  if (!o_.user.empty()) s += kv("user", o_.user);
  if (!o_.password_file.empty()) {
    std::ifstream in(o_.password_file);
    std::string password;
    if (!in || !std::getline(in, password))
      throw std::runtime_error(what_ + ": cannot read password-file '" + o_.password_file + "'");
    if (!password.empty() && password.back() == '\r') password.pop_back();
    s += kv("password", password);
  }
  for (const auto& [k, v] : o_.ssl) s += kv(k, v);
  return s;
}

void pg_connection::connect() {
  if (connected()) return;
  conn_.reset();
  const auto info = conninfo();
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  for (;;) {
    std::string why;
    try {
      conn_ = std::make_unique<pqxx::connection>(info);
      // A lost connection must fail what used it: libpqxx 6 would otherwise open a new one
      // silently, outside the transaction the statements belong to.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      conn_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
      return;
    } catch (const pqxx::broken_connection& e) {
      why = reason(e);
    }
    const auto now = std::chrono::steady_clock::now();
    // Wrong credentials or a missing database do not get better by waiting.
    if (why.find("password") != std::string::npos ||
        why.find("does not exist") != std::string::npos ||
        why.find("no pg_hba.conf entry") != std::string::npos || now - start >= o_.connect_timeout)
      throw std::runtime_error(what_ + ": cannot connect to " + o_.describe() + ": " + why);
    if (now - last_log >= std::chrono::seconds(5)) {
      eddy::log().warn("{}: waiting for PostgreSQL at {}: {}", what_, o_.describe(), why);
      last_log = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

bool pg_connection::connected() const {
  return conn_ && conn_->is_open();
}

void pg_connection::disconnect() {
  conn_.reset();
}

pqxx::result pg_connection::exec(const std::string& sql) {
  if (!conn_) throw pqxx::broken_connection("not connected");
  pqxx::nontransaction tx(*conn_);
  return tx.exec(sql);
}

pqxx::connection& pg_connection::get() {
  if (!conn_) throw pqxx::broken_connection("not connected");
  return *conn_;
}

std::string pg_connection::literal(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  return conn_->quote(*value);
}

std::string pg_connection::identifier(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto dot = name.find('.', start);
    out += conn_->quote_name(name.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return out;
    out += '.';
    start = dot + 1;
  }
}

std::vector<table_column> pg_connection::columns(const std::string& table) {
  const auto rel = "to_regclass(" + literal(identifier(table)) + ")";
  auto r = exec(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
      "COALESCE(a.attnum = ANY(i.indkey), false) FROM pg_attribute a LEFT JOIN pg_index i "
      "ON i.indrelid = a.attrelid AND i.indisprimary WHERE a.attrelid = " +
      rel + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
  std::vector<table_column> out;
  for (const auto& row : r)
    out.push_back({row[0].c_str(), row[1].c_str(), std::string(row[2].c_str()) == "t"});
  return out;
}

}  // namespace eddy::postgres::detail
