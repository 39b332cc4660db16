#pragma once
/// The Nexmark generator (connectors/nexmark) as a SQL table: `CREATE TABLE bid (...) WITH
/// ('connector' = 'nexmark', 'event.type' = 'bid', 'events.num' = '10000000')`.
///
/// nexmark-flink's DDL declares one table of ROW columns (person, auction, bid) and three views
/// over it; Eddy has no ROW columns yet, so a table holds the events of one type,
/// 'event.type' = 'person' | 'auction' | 'bid' (required), with flat columns named as the
/// fields of nexmark-flink's views: person (id, name, emailAddress, creditCard, city, state,
/// dateTime, extra), auction (id, itemName, description, initialBid, reserve, dateTime,
/// expires, seller, category, extra), bid (auction, bidder, price, channel, url, dateTime,
/// extra). A table declares any of them, in any order (names as written, case-sensitive):
/// ids, prices and the like BIGINT, text VARCHAR / STRING, times TIMESTAMP(3) or
/// TIMESTAMP_LTZ(3). Tables with the same generator options see one consistent event stream
/// (the same seed, ids and times), whatever their event types. The other options are the
/// generator's (nexmark::parse_options: nexmark-flink's keys plus 'seed', 'base-time' and
/// 'out-of-order.group-size').
#include <cstdint>
#include <string>
#include <vector>

#include "eddy/connectors/nexmark/generator.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/schema.hpp"
#include "eddy/table/row_operators.hpp"

namespace eddy::table {

struct nexmark_table_config {
  std::string table;
  nexmark::config generator;
  nexmark::event_type type = nexmark::event_type::bid;
  rows::schema physical;
  std::vector<int> fields;  ///< per physical column, the field's number in its event type
};

/// Reads a nexmark table's options and columns into `out`; returns the error text (naming the
/// table and the option or column), or empty.
std::string parse_nexmark_table(const std::string& table, const rows::schema& physical,
                                const std::map<std::string, std::string>& options,
                                nexmark_table_config& out);

/// The source (bounded iff the generator is): row batches of the physical columns, then
/// `computed` appended (evaluated at the processing time).
Source<rows::row_batch> nexmark_rows_source(nexmark_table_config config, expr_list computed);

}  // namespace eddy::table
