#pragma once
/// Flink's `json` format for SQL tables: one JSON object per line, its keys matched to the
/// table's physical columns by name (as Flink's JsonRowDataDeserializationSchema).
///
/// Reading: a key that is no column is ignored; a missing key or `null` is NULL (a missing key
/// fails the line with `json.fail-on-missing-field` = 'true'); numbers, strings and booleans are
/// read as the column's type from their text (a number in a string, `"12"`, is accepted for a
/// numeric column, as Flink's converters do); a nested object or array is refused for a scalar
/// column. Timestamps are text, `2015-07-15 00:00:01.234` (Flink's 'SQL' standard) or
/// `2015-07-15T00:00:01.234` ('ISO-8601'); both are read. `json.ignore-parse-errors` = 'true'
/// makes a value that does not parse NULL and skips a line that is no JSON object, instead of
/// failing the job. Other options: `json.timestamp-format.standard` ('SQL' or 'ISO-8601', for
/// writing), `json.map-null-key.*` and `json.encode.decimal-as-plain-number` (accepted; Eddy
/// writes decimals as plain numbers). Another `json.*` key is an error naming it.
///
/// Writing: `{"col":value,...}` in column order; numbers bare (DECIMAL plainly), strings and
/// timestamps quoted with JSON escapes, NULL as `null`.
///
/// One decoder/encoder per subtask; not thread-safe. Parsed with simdjson (formats/json.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/formats/json.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/schema.hpp"

namespace eddy::table {

struct json_row_options {
  bool fail_on_missing_field = false;
  bool ignore_parse_errors = false;
  bool iso_timestamps = false;  ///< json.timestamp-format.standard = 'ISO-8601'
};

/// The json.* options of a table's WITH clause. Returns an error message naming the option, or
/// an empty string and fills `out`.
std::string parse_json_options(const std::map<std::string, std::string>& with,
                               json_row_options& out);

class json_row_decoder {
 public:
  json_row_decoder(rows::schema s, json_row_options o);
  json_row_decoder(const json_row_decoder& other) : json_row_decoder(other.schema_, other.o_) {}
  /// Appends the row of `line` to `out` (columns = the schema). Returns false and sets `why`
  /// ("key 'price': 'x' is not a BIGINT") for a line that does not fit (nothing appended); with
  /// ignore_parse_errors bad values are NULL and a line that is no object is skipped (true,
  /// nothing appended). An empty line is skipped.
  bool decode(std::string_view line, rows::row_batch& out, std::string& why);

 private:
  rows::schema schema_;
  json_row_options o_;
  formats::json_object obj_;
  std::string text_;
  std::vector<rows::value> row_;
};

class json_row_encoder {
 public:
  json_row_encoder(std::vector<std::string> names, std::vector<rows::logical_type> types,
                   json_row_options o);
  /// Logical row `i` of `batch` as one JSON object (no line break).
  [[nodiscard]] std::string encode(const rows::row_batch& batch, std::size_t i) const;

 private:
  std::vector<std::string> keys_;  ///< `"name":` per column, escaped
  std::vector<rows::logical_type> types_;
  json_row_options o_;
};

}  // namespace eddy::table
