#pragma once
/// A table's line format: its `format` option ('csv' or 'json') with the format's options, and a
/// decoder / encoder of lines in it (csv_rows.hpp, json_rows.hpp). One decoder / encoder per
/// subtask; not thread-safe.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/table/csv_rows.hpp"
#include "eddy/table/json_rows.hpp"

namespace eddy::table {

struct row_format {
  enum class kind { csv, json };
  kind format = kind::csv;
  csv_row_options csv;
  json_row_options json;
  [[nodiscard]] const char* name() const { return format == kind::csv ? "csv" : "json"; }
};

/// The format named by `format` with its csv.* / json.* options from `with`. Returns an error
/// message ("format 'avro' is not supported yet (supported: csv, json)") or an empty string.
std::string parse_row_format(const std::string& format,
                             const std::map<std::string, std::string>& with, row_format& out);

/// The fields of `s` a projection (see csv_row_decoder) keeps, at their projected positions.
rows::schema project(const rows::schema& s, const std::vector<int>& projection);

class line_row_decoder {
 public:
  /// `projection`: as csv_row_decoder's (JSON reads only the projected fields by name).
  line_row_decoder(rows::schema s, const row_format& f, const std::vector<int>& projection = {});
  /// As csv_row_decoder::decode / json_row_decoder::decode.
  bool decode(std::string_view line, rows::row_batch& out, std::string& why) {
    return csv_ ? csv_->decode(line, out, why) : json_->decode(line, out, why);
  }

 private:
  std::optional<csv_row_decoder> csv_;
  std::optional<json_row_decoder> json_;
};

class line_row_encoder {
 public:
  line_row_encoder(std::vector<std::string> names, std::vector<rows::logical_type> types,
                   const row_format& f);
  [[nodiscard]] std::string encode(const rows::row_batch& b, std::size_t i) const {
    return csv_ ? csv_->encode(b, i) : json_->encode(b, i);
  }

 private:
  std::optional<csv_row_encoder> csv_;
  std::optional<json_row_encoder> json_;
};

}  // namespace eddy::table
