// The PostgreSQL sink's libpqxx side (postgres_sink.hpp): batched upserts and inserts, and the
// prepared transactions of the exactly-once append mode.
#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>

#include <pqxx/tablewriter>

#include "eddy/connectors/formats/csv.hpp"
#include "eddy/connectors/postgres/postgres_sink.hpp"
#include "eddy/runtime/log.hpp"
#include "pg_connection.hpp"

namespace eddy::postgres::detail {

namespace {

std::string hex_nonce() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string show_row(const pg_row& row) {
  std::string s = "(";
  for (std::size_t i = 0; i < row.size(); ++i)
    s += (i ? ", " : "") + (row[i] ? "'" + *row[i] + "'" : std::string("NULL"));
  return s + ")";
}

}  // namespace

struct table_writer::impl {
  sink_options o;
  std::optional<table_schema> schema;
  std::string name;
  subtask_info info;
  std::unique_ptr<pg_connection> conn;
  // COMMIT / ROLLBACK PREPARED cannot run inside a transaction block, and `conn` holds the open
  // transaction of the next checkpoint while earlier ones complete: they go through this one.
  std::unique_ptr<pg_connection> control;
  std::vector<std::string> columns;
  std::vector<std::size_t> key;             // column indexes of the upsert key
  std::vector<std::string> quoted_columns;  // the columns as identifiers
  std::string stage = "eddy_stage";         // upsert: the session's staging table (temporary)
  std::string upsert_from_stage;            // INSERT ... SELECT ... FROM stage ON CONFLICT ...
  std::string delete_from_stage;            // DELETE ... USING (the last row of each key) ...
  std::vector<pg_row> rows;                 // buffered
  std::vector<bool> removes;                // upsert: per buffered row, whether it deletes its key
  bool any_remove = false;                  // among `rows`
  std::vector<pg_row> txn_rows;  // exactly-once append: the open transaction's rows so far
  bool transactional = false;
  bool in_txn = false;  // BEGIN was sent for the open transaction

  [[nodiscard]] std::string what() const {
    return "postgresql sink '" + name + "' (subtask " + std::to_string(info.index + 1) + "/" +
           std::to_string(info.parallelism) + ", table " + o.table + " on " +
           o.connection.describe() + ")";
  }

  void create_table() {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + conn->identifier(o.table) + " (";
    for (std::size_t i = 0; i < schema->columns.size(); ++i)
      sql += (i ? ", " : "") + conn->identifier(schema->columns[i].name) + " " +
             schema->columns[i].type;
    if (!schema->primary_key.empty()) {
      sql += ", PRIMARY KEY (";
      for (std::size_t i = 0; i < schema->primary_key.size(); ++i)
        sql += (i ? ", " : "") + conn->identifier(schema->primary_key[i]);
      sql += ")";
    }
    // CREATE TABLE IF NOT EXISTS is not atomic: subtasks creating the table at once can fail
    // with "type ... already exists". A transaction-scoped advisory lock on the table's name
    // makes them take turns; the later ones then find the table.
    try {
      conn->exec("BEGIN");
      conn->exec("SELECT pg_advisory_xact_lock(hashtext(" + conn->literal(o.table) + "))");
      conn->exec(sql + ")");
      conn->exec("COMMIT");
    } catch (const pqxx::sql_error& e) {
      try {
        conn->exec("ROLLBACK");
      } catch (const std::exception&) {
      }
      throw std::runtime_error(what() + ": cannot create table " + o.table + ": " + reason(e));
    }
  }

  void look_up_table() {
    const auto cols = conn->columns(o.table);
    if (cols.empty())
      throw std::runtime_error(what() + ": there is no table " + o.table +
                               " (create it, or add create-table=true)");
    columns.clear();
    std::vector<std::string> pk;
    for (const auto& c : cols) {
      columns.push_back(c.name);
      if (c.in_primary_key) pk.push_back(c.name);
    }
    std::vector<std::string> key_names = o.key;
    if (key_names.empty() && schema && !schema->primary_key.empty() && pk.empty())
      key_names = schema->primary_key;
    if (key_names.empty()) key_names = pk;
    key.clear();
    if (o.mode == write_mode::upsert) {
      if (key_names.empty())
        throw std::runtime_error(what() + ": upserts need a key, and table " + o.table +
                                 " has no primary key: add key=COLUMN[,COLUMN...] (a unique "
                                 "index on them) or mode=append");
      for (const auto& k : key_names) {
        auto it = std::find(columns.begin(), columns.end(), k);
        if (it == columns.end())
          throw std::runtime_error(what() + ": key column '" + k + "' is not a column of " +
                                   o.table);
        key.push_back(static_cast<std::size_t>(it - columns.begin()));
      }
    }
    quoted_columns.clear();
    std::string list;
    for (const auto& c : columns) {
      quoted_columns.push_back(conn->identifier(c));
      list += (list.empty() ? "" : ", ") + quoted_columns.back();
    }
    upsert_from_stage.clear();
    if (o.mode == write_mode::upsert) {
      std::string keys;
      for (auto k : key) keys += (keys.empty() ? "" : ", ") + quoted_columns[k];
      std::string set;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (std::find(key.begin(), key.end(), i) != key.end()) continue;
        set += (set.empty() ? "" : ", ") + quoted_columns[i] + " = EXCLUDED." + quoted_columns[i];
      }
      // The last row of each key in the batch wins (a statement may not update a row twice):
      // an upsert, or a delete when that row is one (eddy_delete).
      const std::string last_of_each_key = "(SELECT DISTINCT ON (" + keys + ") " + list +
                                           ", eddy_delete FROM " + stage + " ORDER BY " + keys +
                                           ", eddy_seq DESC) AS eddy_last";
      upsert_from_stage = "INSERT INTO " + conn->identifier(o.table) + " (" + list + ") SELECT " +
                          list + " FROM " + last_of_each_key +
                          " WHERE NOT eddy_last.eddy_delete ON CONFLICT (" + keys + ") " +
                          (set.empty() ? "DO NOTHING" : "DO UPDATE SET " + set);
      std::string match;
      for (auto k : key)
        match += " AND eddy_target." + quoted_columns[k] + " = eddy_last." + quoted_columns[k];
      delete_from_stage = "DELETE FROM " + conn->identifier(o.table) + " AS eddy_target USING " +
                          last_of_each_key + " WHERE eddy_last.eddy_delete" + match;
      // Temporary: one per session, emptied by every commit.
      conn->exec("CREATE TEMP TABLE IF NOT EXISTS " + stage + " (LIKE " +
                 conn->identifier(o.table) + " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
      conn->exec("ALTER TABLE " + stage + " ADD COLUMN IF NOT EXISTS eddy_seq BIGSERIAL");
      conn->exec("ALTER TABLE " + stage +
                 " ADD COLUMN IF NOT EXISTS eddy_delete BOOLEAN NOT NULL DEFAULT false");
    }
  }

  void connect() {
    conn->connect();
    if (o.create_table && schema) create_table();
    look_up_table();
  }

  /// A row as a line of COPY's text format (tab-separated, \N for NULL, escapes).
  static void copy_line(const pg_row& row, std::string& line) {
    line.clear();
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += '\t';
      if (!row[c]) {
        line += "\\N";
        continue;
      }
      for (char ch : *row[c]) {
        switch (ch) {
          case '\\':
            line += "\\\\";
            break;
          case '\t':
            line += "\\t";
            break;
          case '\n':
            line += "\\n";
            break;
          case '\r':
            line += "\\r";
            break;
          default:
            line += ch;
        }
      }
    }
  }

  /// COPY of the buffered rows into `table` (an identifier, quoted); `flags`: also the staging
  /// table's eddy_delete column, one per row.
  void copy_rows(const std::string& table, const std::vector<pg_row>& data,
                 const std::vector<bool>* flags = nullptr) {
    pqxx::nontransaction tx(conn->get());
    auto names = quoted_columns;
    if (flags) names.emplace_back("eddy_delete");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    // libpqxx 6.4's stream_to takes tuples only; tablewriter writes the lines we make.
    pqxx::tablewriter w(tx, table, names.begin(), names.end());
#pragma GCC diagnostic pop
    std::string line;
    for (std::size_t i = 0; i < data.size(); ++i) {
      copy_line(data[i], line);
      if (flags) line += (*flags)[i] ? "\tt" : "\tf";
      w.write_raw_line(line);
    }
    w.complete();
  }

  /// One attempt at writing the buffered rows. Append: COPY into the table (inside the open
  /// transaction, or in one of its own). Upsert: COPY into the session's staging table, then
  /// INSERT ... SELECT the last row of each key ... ON CONFLICT DO UPDATE, in one transaction.
  void write_once() {
    if (transactional) {
      if (!in_txn) {
        conn->exec("BEGIN");
        in_txn = true;
        // After a lost connection: the transaction so far, again.
        if (!txn_rows.empty()) copy_rows(conn->identifier(o.table), txn_rows);
      }
      copy_rows(conn->identifier(o.table), rows);
      return;
    }
    conn->exec("BEGIN");
    try {
      if (o.mode == write_mode::append) {
        copy_rows(conn->identifier(o.table), rows);
      } else {
        copy_rows(stage, rows, &removes);
        if (any_remove) conn->exec(delete_from_stage);
        conn->exec(upsert_from_stage);
      }
      conn->exec("COMMIT");
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const std::exception&) {
      try {
        conn->exec("ROLLBACK");
      } catch (const std::exception&) {
      }
      throw;
    }
  }

  void write_rows() {
    // Upserts (and at-least-once appends) are written again after a lost connection: the
    // server either committed them or not; rows written twice are the same rows. The open
    // transaction of the exactly-once append is lost with the connection (the server rolls it
    // back): its rows so far (txn_rows) are written again in a new one.
    for (int attempt = 0;; ++attempt) {
      try {
        write_once();
        break;
      } catch (const pqxx::broken_connection& e) {
        if (attempt > 0) throw;
        in_txn = false;
        reconnect(reason(e));
      } catch (const pqxx::sql_error& e) {
        if (attempt == 0 && lost_connection(e)) {
          in_txn = false;
          reconnect(reason(e));
          continue;
        }
        throw std::runtime_error(what() + ": writing rows " + show_row(rows.front()) +
                                 (rows.size() > 1
                                      ? " and " + std::to_string(rows.size() - 1) + " more"
                                      : std::string()) +
                                 ": " + reason(e));
      }
    }
    if (transactional)
      txn_rows.insert(txn_rows.end(), std::make_move_iterator(rows.begin()),
                      std::make_move_iterator(rows.end()));
    rows.clear();
    removes.clear();
    any_remove = false;
  }

  /// Whether the server ended the session (a shutdown, a terminated backend, a lost link).
  bool lost_connection(const pqxx::sql_error& e) const {
    return lost_connection_of(*conn, e);
  }
  static bool lost_connection_of(const pg_connection& c, const pqxx::sql_error& e) {
    const auto& state = e.sqlstate();
    return !c.connected() || state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0;
  }

  void reconnect(const std::string& why) {
    eddy::log().warn("{}: connection lost ({}); connecting again", what(), why);
    conn->disconnect();
    connect();
  }

  pg_connection& control_connection() {
    if (!control) control = std::make_unique<pg_connection>(o.connection, what());
    control->connect();
    return *control;
  }

  std::vector<std::string> prepared(const std::string& like) {
    auto& c = control_connection();
    auto r = c.exec(
        "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE " +
        c.literal(like));
    std::vector<std::string> out;
    for (const auto& row : r) out.emplace_back(row[0].c_str());
    return out;
  }

  void finish_prepared(const std::string& verb, const std::string& gid) {
    try {
      auto& c = control_connection();
      c.exec(verb + " PREPARED " + c.literal(gid));
      return;
    } catch (const pqxx::broken_connection& e) {
      eddy::log().warn("{}: connection lost ({}); connecting again", what(), reason(e));
      control->disconnect();
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() == "42704") return;  // undefined_object: committed / rolled back already
      if (!lost_connection_of(*control, e)) throw;
      control->disconnect();
    }
    auto& c = control_connection();
    try {
      c.exec(verb + " PREPARED " + c.literal(gid));
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "42704") throw;  // undefined_object: already committed / rolled back
    }
  }
};

table_writer::table_writer(sink_options options, std::optional<table_schema> schema,
                           std::string name)
    : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(options);
  impl_->schema = std::move(schema);
  impl_->name = std::move(name);
}

table_writer::~table_writer() {
  auto& d = *impl_;
  if (d.in_txn && d.conn && d.conn->connected()) {
    try {
      d.conn->exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
}

void table_writer::open(const subtask_info& info, bool transactional) {
  auto& d = *impl_;
  d.info = info;
  d.transactional = transactional;
  d.conn = std::make_unique<pg_connection>(d.o.connection, d.what());
  d.connect();
  if (transactional) {
    const auto r = d.conn->exec("SHOW max_prepared_transactions");
    if (r.empty() || std::string(r[0][0].c_str()) == "0")
      throw std::runtime_error(
          d.what() +
          ": exactly-once appends prepare a transaction per checkpoint, and this server has "
          "max_prepared_transactions = 0: set it (postgresql.conf) or use "
          "guarantee=at-least-once");
    if (!info.checkpointing && info.index == 0)
      eddy::log().warn(
          "{}: checkpoints are off, so the rows are committed only when the job finishes",
          d.what());
  }
}

void table_writer::add(pg_row row, bool remove) {
  auto& d = *impl_;
  if (remove && d.o.mode != write_mode::upsert)
    throw std::runtime_error(d.what() + ": the row " + show_row(row) +
                             " is a delete, and deleting needs the upsert mode (a key)");
  if (row.size() != d.columns.size()) {
    std::string cols;
    for (const auto& c : d.columns) cols += (cols.empty() ? "" : ", ") + c;
    throw std::runtime_error(d.what() + ": the row " + show_row(row) + " has " +
                             std::to_string(row.size()) + " values, the table has " +
                             std::to_string(d.columns.size()) + " columns (" + cols + ")");
  }
  d.rows.push_back(std::move(row));
  d.removes.push_back(remove);
  d.any_remove = d.any_remove || remove;
  if (d.rows.size() >= d.o.batch_size) d.write_rows();
}

void table_writer::flush() {
  if (!impl_->rows.empty()) impl_->write_rows();
}

pg_txn table_writer::begin() {
  return pg_txn{impl_->info.index, impl_->info.parallelism, {}};
}

void table_writer::prepare(pg_txn& txn) {
  auto& d = *impl_;
  flush();
  if (!d.in_txn) return;  // nothing written: nothing to prepare
  txn.gid = d.o.transaction_prefix + ":" + std::to_string(d.info.index) + ":" + hex_nonce();
  for (int attempt = 0;; ++attempt) {
    std::string why;
    try {
      if (!d.in_txn) {  // the connection was lost: the transaction again, from its rows
        d.conn->exec("BEGIN");
        d.in_txn = true;
        d.copy_rows(d.conn->identifier(d.o.table), d.txn_rows);
      }
      d.conn->exec("PREPARE TRANSACTION " + d.conn->literal(txn.gid));
      break;
    } catch (const pqxx::broken_connection& e) {
      why = reason(e);
    } catch (const pqxx::sql_error& e) {
      if (attempt > 0 && e.sqlstate() == "42710") {
        // The first PREPARE went through before its answer was lost: this copy is not needed.
        d.conn->exec("ROLLBACK");
        break;
      }
      if (!d.lost_connection(e))
        throw std::runtime_error(d.what() + ": cannot prepare transaction " + txn.gid + ": " +
                                 reason(e));
      why = reason(e);
    }
    if (attempt > 0)
      throw std::runtime_error(d.what() + ": cannot prepare transaction " + txn.gid + ": " + why);
    d.in_txn = false;
    d.reconnect(why);
  }
  d.in_txn = false;
  d.txn_rows.clear();
}

void table_writer::commit(const pg_txn& txn) {
  auto& d = *impl_;
  if (txn.gid.empty()) return;
  try {
    d.finish_prepared("COMMIT", txn.gid);
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(d.what() + ": cannot commit prepared transaction " + txn.gid + ": " +
                             reason(e));
  }
}

void table_writer::abort(const pg_txn& txn) {
  auto& d = *impl_;
  try {
    if (txn.gid.empty()) {
      // The open transaction (not prepared yet), if this run began it.
      if (d.in_txn && d.conn && d.conn->connected()) d.conn->exec("ROLLBACK");
      d.in_txn = false;
      d.rows.clear();
      d.removes.clear();
      d.any_remove = false;
      d.txn_rows.clear();
      return;
    }
    d.finish_prepared("ROLLBACK", txn.gid);
  } catch (const std::exception& e) {
    eddy::log().warn("{}: rolling back {}: {} (roll it back by hand: ROLLBACK PREPARED)", d.what(),
                     txn.gid.empty() ? std::string("the open transaction") : txn.gid, reason(e));
  }
}

void table_writer::roll_back_strays(const pg_txn& open) {
  auto& d = *impl_;
  // Names are "PREFIX:SUBTASK:NONCE". The restored checkpoint's transactions of old subtask
  // open.subtask were just committed; what else it prepared belongs to checkpoints that never
  // completed. Subtasks with an index >= the old parallelism (a failed attempt at a higher
  // one) have no checkpoint entry: old subtask (index mod old parallelism) cleans up for them.
  std::string like;
  for (char c : d.o.transaction_prefix) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  const auto head = d.o.transaction_prefix + ":";
  for (const auto& gid : d.prepared(like + ":%")) {
    const auto colon = gid.find(':', head.size());
    if (colon == std::string::npos) continue;
    int index = -1;
    try {
      index = std::stoi(gid.substr(head.size(), colon - head.size()));
    } catch (const std::exception&) {
      continue;
    }
    const bool stray = index == open.subtask ||
                       (index >= open.parallelism && index % open.parallelism == open.subtask);
    if (!stray) continue;
    eddy::log().info("{}: rolling back {}, prepared for a checkpoint that did not complete",
                     d.what(), gid);
    d.finish_prepared("ROLLBACK", gid);
  }
}

}  // namespace eddy::postgres::detail

namespace eddy::postgres {

Sink<std::string> postgres_sink_csv_lines(sink_options options,
                                          std::optional<table_schema> schema) {
  // One splitter per copy of the function, that is per subtask.
  struct splitter {
    formats::csv_options o;
    std::vector<std::string_view> fields;
    std::deque<std::string> scratch;
    splitter() = default;
    splitter(const splitter& other) : o(other.o) {}
  };
  return postgres_sink<std::string>(
      std::move(options),
      [state = splitter{}](const std::string& line) mutable {
        std::string why;
        state.scratch.clear();
        if (!formats::split_csv(line, state.o, state.fields, state.scratch, why))
          throw std::runtime_error("the line '" + line + "' is not CSV: " + why);
        pg_row row;
        row.reserve(state.fields.size());
        for (auto f : state.fields) {
          if (f.empty())
            row.emplace_back(std::nullopt);
          else
            row.emplace_back(std::string(f));
        }
        return row;
      },
      std::move(schema));
}

}  // namespace eddy::postgres
