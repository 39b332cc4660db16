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

line_row_decoder::line_row_decoder(rows::schema s, const row_format& f,
                                   const std::vector<int>& projection) {
  if (f.format == row_format::kind::csv) {
    csv_.emplace(std::move(s), f.csv, projection);
    return;
  }
  if (!projection.empty()) s = project(s, projection);
  json_.emplace(std::move(s), f.json);
}

rows::schema project(const rows::schema& s, const std::vector<int>& projection) {
  std::size_t n = 0;
  for (const int to : projection) n += to >= 0 ? 1 : 0;
  std::vector<rows::field> kept(n);
  for (std::size_t i = 0; i < projection.size(); ++i)
    if (projection[i] >= 0) kept[static_cast<std::size_t>(projection[i])] = s[i];
  return rows::schema(std::move(kept));
}

line_row_encoder::line_row_encoder(std::vector<std::string> names,
                                   std::vector<rows::logical_type> types, const row_format& f) {
  if (f.format == row_format::kind::csv)
    csv_.emplace(std::move(types), f.csv);
  else
    json_.emplace(std::move(names), std::move(types), f.json);
}

}  // namespace eddy::table
