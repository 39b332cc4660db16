#pragma once
/// The PostgreSQL sink (libpqxx): one connection per sink subtask.
///
///     eddy::postgres::sink_options o;  // or parse_sink_uri("postgresql://eddy@host:5432/db?...")
///     o.connection = {"127.0.0.1", 5432, "eddy", "metrics"};
///     o.table = "sensor_windows";
///     windows.sink_to(eddy::postgres::postgres_sink<result>(o, [](const result& r) {
///       return eddy::postgres::pg_row{r.device, std::to_string(r.start), ...};
///     }));
///
/// A record is one row: `row_fn` gives its values in the table's column order, as text that
/// PostgreSQL converts to the column's type (nullopt: NULL). A row with another number of
/// values than the table has columns, or one the server rejects (a type it cannot convert, a
/// constraint), fails the job naming the table, the row and the server's reason.
///
/// Modes (sink_options::mode):
/// - upsert: per batch of up to batch_size rows, one transaction that COPYs them into the
///   connection's temporary staging table and runs `INSERT ... SELECT DISTINCT ON (key) ... ON
///   CONFLICT (key) DO UPDATE SET` every other column (rows of one batch with the same key: the
///   last wins, as if written in order). Each batch of records the subtask receives is
///   written before the next is taken, so every checkpoint covers what came before it; a restore
///   writes some rows again, with the same values: exactly-once in effect. Needs a key: key= or
///   the table's primary key.
/// - append: COPY into the table. With guarantee exactly-once (the default) the rows of a
/// checkpoint
///   interval are one transaction, prepared (`PREPARE TRANSACTION 'P:SUBTASK:NONCE'`) at the
///   checkpoint and committed (`COMMIT PREPARED`) when it completes (two_phase_commit_sink.hpp);
///   the server needs max_prepared_transactions > 0, which the sink checks at the start. After
///   a restore the restored checkpoint's prepared transactions are committed and every other
///   prepared transaction of the same old subtask (prepared for a checkpoint that never
///   completed) is rolled back. at-least-once commits every batch; none is the same here.
/// Creating the table (create_table) needs a table_schema from the job; otherwise the table
/// must exist and its columns are looked up at the start.
///
/// Connections: connecting waits for the server up to connect_timeout, saying in the log what
/// it waits for. A connection lost while upserting is opened again and the batch written again
/// (idempotent). In the exactly-once append mode the open transaction dies with the connection:
/// the sink keeps the rows of the open transaction (one checkpoint interval's, in memory) and
/// writes them again in a new transaction, also when the connection is lost at the checkpoint's
/// PREPARE; prepared transactions survive a server restart. Every method runs on
/// the sink subtask's actor and blocks it for the round trips (this is backpressure), except
/// the final commit after the job ended (the supervisor's thread, the subtask gone).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/postgres/postgres_options.hpp"
#include "eddy/operators/two_phase_commit_sink.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::postgres {

/// One row's values in column order, as text; nullopt is NULL.
using pg_row = std::vector<std::optional<std::string>>;

/// One transaction of the exactly-once append mode, as a checkpoint keeps it.
struct pg_txn {
  std::int32_t subtask = 0;      ///< the subtask that began it
  std::int32_t parallelism = 1;  ///< that subtask's parallelism
  std::string gid;               ///< the prepared transaction's name; empty: nothing written
};
EDDY_FIELDS(pg_txn, subtask, parallelism, gid)

namespace detail {

/// The libpqxx side (postgres_writer.cpp): a connection, the table's columns and key, batched
/// statements, and the prepared transactions of the append mode.
class table_writer {
 public:
  table_writer(sink_options options, std::optional<table_schema> schema, std::string name);
  ~table_writer();
  table_writer(const table_writer&) = delete;
  table_writer& operator=(const table_writer&) = delete;
  /// Connects, creates the table if asked, looks up its columns and key. `transactional`: the
  /// exactly-once append mode (checks that the server can prepare transactions).
  void open(const subtask_info& info, bool transactional);
  /// Buffers a row; writes the buffer (one COPY) when batch_size rows are buffered. `remove`
  /// (upsert mode only): the row deletes the table's row with its key.
  void add(pg_row row, bool remove = false);
  /// Writes the buffered rows (in the open transaction, if there is one).
  void flush();

  // The exactly-once append mode (two_phase_commit_sink).
  pg_txn begin();
  void prepare(pg_txn& txn);
  void commit(const pg_txn& txn);
  void abort(const pg_txn& txn);
  /// Rolls back the prepared transactions the restored `open` transaction's subtask left that
  /// no checkpoint covers (its restored pending ones were committed just before).
  void roll_back_strays(const pg_txn& open);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The upsert / at-least-once writer.
template <class T>
class writer final : public input_op<T> {
 public:
  using row_fn = std::function<pg_row(const T&)>;
  using remove_fn = std::function<bool(const T&)>;
  writer(sink_options o, std::optional<table_schema> s, row_fn f, remove_fn r = {})
      : options_(std::move(o)), schema_(std::move(s)), row_(std::move(f)), remove_(std::move(r)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded([&] {
      core_ = std::make_unique<table_writer>(options_, schema_, this->name_);
      core_->open(info, false);
    });
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      for (const auto& r : records) core_->add(row_(r), remove_ && remove_(r));
      core_->flush();
    });
  }
  void finish() override {
    this->guarded([&] { core_->flush(); });
  }

 private:
  sink_options options_;
  std::optional<table_schema> schema_;
  row_fn row_;
  remove_fn remove_;
  std::unique_ptr<table_writer> core_;
};

/// The exactly-once append mode.
template <class T>
class txn_writer final : public two_phase_commit_sink<T, pg_txn> {
 public:
  using row_fn = std::function<pg_row(const T&)>;
  txn_writer(sink_options o, std::optional<table_schema> s, row_fn f, std::string name)
      : core_(std::move(o), std::move(s), std::move(name)), row_(std::move(f)) {}
  void open(const subtask_info& info) override { core_.open(info, true); }
  pg_txn begin_transaction() override { return core_.begin(); }
  void invoke(pg_txn& txn, const T& r) override {
    (void)txn;  // rows go into the connection's open transaction, which is txn's
    core_.add(row_(r));
  }
  void pre_commit(pg_txn& txn) override { core_.prepare(txn); }
  void commit(const pg_txn& txn) override { core_.commit(txn); }
  void abort(const pg_txn& txn) override { core_.abort(txn); }
  void recover_and_abort(const pg_txn& txn) override { core_.roll_back_strays(txn); }

 private:
  table_writer core_;
  row_fn row_;
};

}  // namespace detail

/// A PostgreSQL sink of records of type T: `row(record)` is the record's row (values in the
/// table's column order). `schema`: the table as the job knows it (for create_table, and its
/// primary key as the default upsert key). `remove` (upsert mode; a changelog's deletes):
/// whether a record deletes the row with its key instead of upserting it; in one batch the last
/// record of a key decides (deletes run before the batch's upserts, in its transaction).
template <class T>
Sink<T> postgres_sink(sink_options options, std::function<pg_row(const T&)> row,
                      std::optional<table_schema> schema = std::nullopt,
                      std::function<bool(const T&)> remove = {}) {
  if (options.create_table && !schema)
    throw std::invalid_argument("postgresql sink (table " + options.table +
                                "): create-table needs the table's columns from the job");
  const bool txn =
      options.mode == write_mode::append && options.guarantee == delivery_guarantee::exactly_once;
  if (txn) {
    return Sink<T>{"postgresql sink", delivery_guarantee::exactly_once,
                   [options, row, schema](const sink_context&) -> std::unique_ptr<input_op<T>> {
                     using op = two_phase_commit_sink_op<T, pg_txn>;
                     return std::make_unique<op>([options, row, schema](const subtask_info&) {
                       return std::make_unique<detail::txn_writer<T>>(options, schema, row,
                                                                      "postgresql sink");
                     });
                   }};
  }
  return Sink<T>{
      "postgresql sink",
      options.mode == write_mode::append ? options.guarantee : delivery_guarantee::exactly_once,
      [options, row, schema, remove](const sink_context&) {
        return std::make_unique<detail::writer<T>>(options, schema, row, remove);
      }};
}

/// A PostgreSQL sink of CSV lines (the sample jobs' output lines): the line's fields are the
/// row's values in column order; an empty field is NULL. A line that is not valid CSV fails
/// the job naming it.
Sink<std::string> postgres_sink_csv_lines(sink_options options,
                                          std::optional<table_schema> schema = std::nullopt);

}  // namespace eddy::postgres
