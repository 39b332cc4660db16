#include "eddy/table/csv_rows.hpp"

#include <utility>

#include "eddy/rows/value_text.hpp"

namespace eddy::table {

namespace {

bool one_char(const std::string& v, char& out) {
  if (v == "\\t") {
    out = '\t';
    return true;
  }
  if (v.size() != 1) return false;
  out = v[0];
  return true;
}

bool flag(const std::string& v, bool& out) {
  if (v == "true" || v == "TRUE") {
    out = true;
    return true;
  }
  if (v == "false" || v == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

}  // namespace

std::string parse_csv_options(const std::map<std::string, std::string>& with,
                              csv_row_options& out) {
  for (const auto& [k, v] : with) {
    if (k.rfind("csv.", 0) != 0) continue;
    bool ok = true;
    if (k == "csv.field-delimiter")
      ok = one_char(v, out.delimiter);
    else if (k == "csv.quote-character")
      ok = one_char(v, out.quote);
    else if (k == "csv.allow-comments")
      ok = flag(v, out.allow_comments);
    else if (k == "csv.ignore-parse-errors")
      ok = flag(v, out.ignore_parse_errors);
    else if (k == "csv.null-literal") {
      out.null_literal = v;
      out.has_null_literal = true;
    } else
      return "Unsupported option '" + k +
             "' (the csv format takes csv.field-delimiter, csv.quote-character, "
             "csv.allow-comments, csv.ignore-parse-errors, csv.null-literal)";
    if (!ok) return "Option '" + k + "' has an invalid value '" + v + "'";
  }
  return {};
}

csv_row_decoder::csv_row_decoder(rows::schema s, csv_row_options o)
    : schema_(std::move(s)), o_(std::move(o)) {
  split_.delimiter = o_.delimiter;
  split_.quote = o_.quote;
  row_.resize(schema_.size());
}

bool csv_row_decoder::decode(std::string_view line, rows::row_batch& out, std::string& why) {
  why.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (o_.allow_comments && !line.empty() && line.front() == '#') return true;
  if (!formats::split_csv(line, split_, fields_, scratch_, why)) return false;
  if (fields_.size() != schema_.size()) {
    why = "expected " + std::to_string(schema_.size()) + " fields, found " +
          std::to_string(fields_.size());
    return false;
  }
  bool nulled = false;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const auto& f = fields_[i];
    const auto& t = schema_[i].type;
    if ((o_.has_null_literal && f == o_.null_literal) || (f.empty() && !t.is_character_string())) {
      row_[i] = rows::value{};
      continue;
    }
    std::string reason;
    if (!rows::parse_value(f, t, row_[i], &reason)) {
      if (o_.ignore_parse_errors) {
        row_[i] = rows::value{};
        nulled = true;
        continue;
      }
      why = "field " + std::to_string(i + 1) + " (" + schema_[i].name + "): " + reason;
      return false;
    }
  }
  if (nulled) ++nulled_;
  out.append_row(row_);
  return true;
}

csv_row_encoder::csv_row_encoder(std::vector<rows::logical_type> types, csv_row_options o)
    : types_(std::move(types)), o_(std::move(o)) {}

void csv_row_encoder::append_field(std::string& out, std::string_view text) const {
  bool quote = !text.empty() && (text.front() == ' ' || text.back() == ' ');
  for (char c : text)
    if (c == o_.delimiter || c == o_.quote || c == '\n' || c == '\r') quote = true;
  if (!quote) {
    out += text;
    return;
  }
  out += o_.quote;
  for (char c : text) {
    if (c == o_.quote) out += o_.quote;
    out += c;
  }
  out += o_.quote;
}

std::string csv_row_encoder::encode(const rows::row_batch& batch, std::size_t i) const {
  std::string line;
  const auto r = batch.row(i);
  for (std::size_t c = 0; c < types_.size(); ++c) {
    if (c > 0) line += o_.delimiter;
    const auto& col = batch.column(c);
    if (col.is_null(r)) {
      line += o_.null_literal;
      continue;
    }
    append_field(line, rows::format_value(col.get(r), types_[c]));
  }
  return line;
}

}  // namespace eddy::table
