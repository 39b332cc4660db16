#include "eddy/table/row_format.hpp"

namespace eddy::table {

std::string parse_row_format(const std::string& format,
                             const std::map<std::string, std::string>& with, row_format& out) {
  const bool json = format == "json";
  if (format != "csv" && !json)
    return "format '" + format + "' is not supported yet (supported: csv, json)";
  out.format = json ? row_format::kind::json : row_format::kind::csv;
  for (const auto& [k, v] : with)
    if (k.rfind(json ? "csv." : "json.", 0) == 0)
      return "option '" + k + "' does not apply to format '" + format + "'";
  return json ? parse_json_options(with, out.json) : parse_csv_options(with, out.csv);
}

line_row_decoder::line_row_decoder(rows::schema s, const row_format& f) {
  if (f.format == row_format::kind::csv)
    csv_.emplace(std::move(s), f.csv);
  else
    json_.emplace(std::move(s), f.json);
}

line_row_encoder::line_row_encoder(std::vector<std::string> names,
                                   std::vector<rows::logical_type> types, const row_format& f) {
  if (f.format == row_format::kind::csv)
    csv_.emplace(std::move(types), f.csv);
  else
    json_.emplace(std::move(names), std::move(types), f.json);
}

}  // namespace eddy::table
