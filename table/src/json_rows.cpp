#include "eddy/table/json_rows.hpp"

#include <cstdio>

#include "eddy/rows/value_text.hpp"

namespace eddy::table {

namespace {

bool is_true(const std::string& v) {
  return v == "true" || v == "TRUE" || v == "True";
}

/// `s` as a JSON string literal (quotes, escapes; control characters as \u00XX).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string parse_json_options(const std::map<std::string, std::string>& with,
                               json_row_options& out) {
  for (const auto& [k, v] : with) {
    if (k.rfind("json.", 0) != 0) continue;
    if (k == "json.fail-on-missing-field") {
      out.fail_on_missing_field = is_true(v);
    } else if (k == "json.ignore-parse-errors") {
      out.ignore_parse_errors = is_true(v);
    } else if (k == "json.timestamp-format.standard") {
      if (v != "SQL" && v != "ISO-8601")
        return "option 'json.timestamp-format.standard' must be 'SQL' or 'ISO-8601', not '" + v +
               "'";
      out.iso_timestamps = v == "ISO-8601";
    } else if (k.rfind("json.map-null-key.", 0) == 0 ||
               k == "json.encode.decimal-as-plain-number") {
      // Accepted: Eddy's tables have no MAP columns, and decimals are written plainly.
    } else {
      return "unsupported option '" + k +
             "' (json supports json.fail-on-missing-field, json.ignore-parse-errors, "
             "json.timestamp-format.standard)";
    }
  }
  if (out.fail_on_missing_field && out.ignore_parse_errors)
    return "options 'json.fail-on-missing-field' and 'json.ignore-parse-errors' are exclusive "
           "(as in Flink)";
  return {};
}

json_row_decoder::json_row_decoder(rows::schema s, json_row_options o)
    : schema_(std::move(s)), o_(o), row_(schema_.size()) {}

bool json_row_decoder::decode(std::string_view line, rows::row_batch& out, std::string& why) {
  why.clear();
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
  if (!obj_.parse(line, why)) {
    if (o_.ignore_parse_errors) {
      why.clear();
      return true;
    }
    return false;
  }
  using kind = formats::json_object::kind;
  for (std::size_t i = 0; i < schema_.size(); ++i) {
    const auto& f = schema_[i];
    auto fail = [&](const std::string& reason) {
      why = "key '" + f.name + "': " + reason;
      return false;
    };
    const kind k = obj_.get(f.name, text_);
    row_[i] = rows::value{};
    if (k == kind::missing) {
      if (o_.fail_on_missing_field) return fail("missing");
      continue;
    }
    if (k == kind::null) continue;
    std::string reason;
    bool ok = true;
    if (k == kind::nested && !f.type.is_character_string()) {
      ok = false;
      reason = text_ + " is not a " + f.type.to_string();
    } else if (k == kind::boolean && f.type.id != rows::type_id::boolean &&
               !f.type.is_character_string()) {
      ok = false;
      reason = text_ + " is not a " + f.type.to_string();
    } else {
      ok = rows::parse_value(text_, f.type, row_[i], &reason);
    }
    if (!ok) {
      if (o_.ignore_parse_errors) {
        row_[i] = rows::value{};
        continue;
      }
      return fail(reason);
    }
  }
  out.append_row(row_);
  return true;
}

json_row_encoder::json_row_encoder(std::vector<std::string> names,
                                   std::vector<rows::logical_type> types, json_row_options o)
    : types_(std::move(types)), o_(o) {
  for (const auto& n : names) {
    std::string key;
    append_json_string(key, n);
    keys_.push_back(key + ":");
  }
}

std::string json_row_encoder::encode(const rows::row_batch& batch, std::size_t i) const {
  std::string out = "{";
  const auto row = batch.row(i);
  for (std::size_t c = 0; c < types_.size(); ++c) {
    if (c) out += ',';
    out += keys_[c];
    const auto v = batch.column(c).get(row);
    const auto& t = types_[c];
    if (v.is_null()) {
      out += "null";
    } else if (t.is_numeric() || t.id == rows::type_id::boolean) {
      const auto text = rows::format_value(v, t);
      // NaN and infinities are no JSON numbers: written as strings (as Jackson's option does).
      if (text.find_first_of("NI") != std::string::npos)
        append_json_string(out, text);
      else
        out += text;
    } else {
      auto text = rows::format_value(v, t);
      if (o_.iso_timestamps && t.is_timestamp() && text.size() > 10 && text[10] == ' ')
        text[10] = 'T';
      append_json_string(out, text);
    }
  }
  out += '}';
  return out;
}

}  // namespace eddy::table
