#include "eddy/table/csv_rows.hpp"

#include <charconv>
#include <cstdint>
#include <system_error>
#include <utility>

#include "eddy/rows/temporal.hpp"
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

csv_row_decoder::csv_row_decoder(rows::schema s, csv_row_options o, std::vector<int> projection)
    : schema_(std::move(s)), o_(std::move(o)), projection_(std::move(projection)) {
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
  if (schema_.empty()) {
    out.append_row(row_);
    return true;
  }
  // Straight into the columns (no rows::value per field); a line that fails is taken back out.
  const auto before = out.physical_size();
  bool nulled = false;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const int to = projection_.empty() ? static_cast<int>(i) : projection_[i];
    const auto& f = fields_[i];
    const auto& t = schema_[i].type;
    if (to < 0) {  // not projected: strings not even copied, other values still checked
      if (t.is_character_string() || f.empty() || (o_.has_null_literal && f == o_.null_literal))
        continue;
      std::string reason;
      if (valid(f, t, row_[i], reason)) continue;
      if (o_.ignore_parse_errors) {
        nulled = true;
        continue;
      }
      for (auto& c : out.columns()) c.resize(before);
      why = "field " + std::to_string(i + 1) + " (" + schema_[i].name + "): " + reason;
      return false;
    }
    auto& col = out.column(static_cast<std::size_t>(to));
    if ((o_.has_null_literal && f == o_.null_literal) || (f.empty() && !t.is_character_string())) {
      col.append_null();
      continue;
    }
    if (append_fast(col, f, t)) continue;
    std::string reason;
    if (!rows::parse_value(f, t, row_[i], &reason)) {
      if (o_.ignore_parse_errors) {
        col.append_null();
        nulled = true;
        continue;
      }
      for (auto& c : out.columns()) c.resize(before);
      why = "field " + std::to_string(i + 1) + " (" + schema_[i].name + "): " + reason;
      return false;
    }
    col.append(row_[i]);
  }
  if (nulled) ++nulled_;
  return true;
}

bool csv_row_decoder::valid(std::string_view f, const rows::logical_type& t, rows::value& scratch,
                            std::string& why) {
  if (t.id == rows::type_id::bigint || t.id == rows::type_id::int_) {
    std::int64_t v = 0;
    const auto* end = f.data() + f.size();
    const auto [p, ec] = std::from_chars(f.data(), end, v);
    if (ec == std::errc{} && p == end &&
        (t.id == rows::type_id::bigint || (v >= INT32_MIN && v <= INT32_MAX)))
      return true;
  } else if (t.id == rows::type_id::timestamp && rows::parse_timestamp(f)) {
    return true;
  }
  return rows::parse_value(f, t, scratch, &why);  // the general path says why
}

bool csv_row_decoder::append_fast(rows::column_vector& col, std::string_view f,
                                  const rows::logical_type& t) {
  switch (t.id) {
    case rows::type_id::bigint:
    case rows::type_id::int_: {
      std::int64_t v = 0;
      const auto* end = f.data() + f.size();
      const auto [p, ec] = std::from_chars(f.data(), end, v);
      if (ec != std::errc{} || p != end) return false;
      if (t.id == rows::type_id::bigint) {
        col.append_physical<std::int64_t>(v);
        return true;
      }
      if (v < INT32_MIN || v > INT32_MAX) return false;
      col.append_physical<std::int32_t>(static_cast<std::int32_t>(v));
      return true;
    }
    case rows::type_id::char_:
    case rows::type_id::varchar:
    case rows::type_id::binary:
    case rows::type_id::varbinary:
      col.append_physical<std::string>(f);
      return true;
    case rows::type_id::timestamp:
      if (auto ts = rows::parse_timestamp(f)) {
        col.append_physical<std::int64_t>(*ts);
        return true;
      }
      return false;
    default:
      return false;  // the general path (rows::parse_value) reads it, or says why not
  }
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
