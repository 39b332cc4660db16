#pragma once
/// Pattern definitions (dynamic.hpp) as one line of text, for definitions that arrive as lines:
/// a control channel (`eddy shell`'s `pattern` command sends the JSON form on the channel
/// "patterns"), a file, a Kafka topic.
///
/// Two forms, told apart by the first non-blank character:
/// - JSON: `{"id": "ID", "version": N, "pattern": "TEXT"}`. `version` is optional (then
///   `default_version`); an absent or empty `pattern`, or `"remove": true`, removes the pattern.
///   Other keys are an error (a misspelt key must not silently remove a pattern).
/// - The line form: `ID: TEXT` or `ID@VERSION: TEXT` (an empty TEXT removes), e.g.
///   `small_large@3: small(amount < 1.00) followed_by large(amount > 500.00) within 60s`.
/// An id is a non-empty run of characters other than blanks, ':', '@' and '"'.
///
/// The pattern text itself is not compiled here (that needs the record type): the dynamic
/// pattern operator refuses a text that does not compile (dynamic.hpp).
///
/// Errors: malformed_definition (a std::invalid_argument) with the 1-based column of the
/// problem: `pattern definition, column 12: unknown key 'patern' (keys: id, version, pattern,
/// remove)`. Thread-safe (no shared state); header-only (nlohmann json).
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "eddy/cep/dynamic.hpp"

namespace eddy::cep {

/// A definition line that does not parse; column() is 1-based.
class malformed_definition : public std::invalid_argument {
 public:
  malformed_definition(std::size_t column, const std::string& what)
      : std::invalid_argument("pattern definition, column " + std::to_string(column) + ": " + what),
        column_(column) {}
  [[nodiscard]] std::size_t column() const noexcept { return column_; }

 private:
  std::size_t column_;
};

namespace detail {

inline bool definition_id_char(char c) {
  return c != ' ' && c != '\t' && c != ':' && c != '@' && c != '"' && c != '\r' && c != '\n';
}

/// Checks an id found at `column` (1-based); `exact`: the id's characters start there (the line
/// form), so a bad one is reported at its own column.
inline void check_definition_id(const std::string& id, std::size_t column, bool exact) {
  if (id.empty()) throw malformed_definition(column, "the pattern id is empty");
  for (std::size_t i = 0; i < id.size(); ++i)
    if (!definition_id_char(id[i]))
      throw malformed_definition(exact ? column + i : column,
                                 std::string("the pattern id '") + id +
                                     "' has a character an id cannot have ('" + id[i] + "')");
}

/// The column of `"key"` in `line` (1 if it cannot be found).
inline std::size_t key_column(std::string_view line, const std::string& key) {
  const auto at = line.find("\"" + key + "\"");
  return at == std::string_view::npos ? 1 : at + 1;
}

inline pattern_definition parse_json_definition(std::string_view line,
                                                std::int64_t default_version) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (auto at = what.find(": "); at != std::string::npos) what = what.substr(at + 2);
    throw malformed_definition(e.byte == 0 ? 1 : e.byte, "not valid JSON: " + what);
  }
  if (!j.is_object())
    throw malformed_definition(line.find_first_not_of(" \t") + 1, "expected a JSON object");
  pattern_definition d;
  d.version = default_version;
  bool has_id = false, remove = false;
  for (const auto& [key, value] : j.items()) {
    const auto col = key_column(line, key);
    if (key == "id") {
      if (!value.is_string()) throw malformed_definition(col, "\"id\" must be a string");
      d.id = value.get<std::string>();
      check_definition_id(d.id, col, false);
      has_id = true;
    } else if (key == "version") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
        throw malformed_definition(col, "\"version\" must be a whole number, 0 or more");
      d.version = value.get<std::int64_t>();
    } else if (key == "pattern") {
      if (!value.is_string() && !value.is_null())
        throw malformed_definition(col, "\"pattern\" must be a string (the pattern text)");
      d.text = value.is_null() ? std::string{} : value.get<std::string>();
    } else if (key == "remove") {
      if (!value.is_boolean()) throw malformed_definition(col, "\"remove\" must be true or false");
      remove = value.get<bool>();
    } else {
      throw malformed_definition(col,
                                 "unknown key '" + key + "' (keys: id, version, pattern, remove)");
    }
  }
  if (!has_id) throw malformed_definition(1, "no \"id\"");
  if (remove && !d.text.empty())
    throw malformed_definition(key_column(line, "remove"),
                               "\"remove\": true with a pattern (remove it, or give a pattern)");
  return d;
}

inline pattern_definition parse_line_definition(std::string_view line,
                                                std::int64_t default_version) {
  const auto start = line.find_first_not_of(" \t");
  const auto colon = line.find(':');
  if (start == std::string_view::npos || colon == std::string_view::npos)
    throw malformed_definition(start == std::string_view::npos ? 1 : start + 1,
                               "expected 'ID: PATTERN', 'ID@VERSION: PATTERN' or a JSON object");
  auto head = line.substr(start, colon - start);
  while (!head.empty() && (head.back() == ' ' || head.back() == '\t')) head.remove_suffix(1);
  pattern_definition d;
  d.version = default_version;
  const auto at = head.find('@');
  d.id = std::string(head.substr(0, at));
  check_definition_id(d.id, start + 1, true);
  if (at != std::string_view::npos) {
    const auto v = head.substr(at + 1);
    const auto vcol = start + at + 2;
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string_view::npos)
      throw malformed_definition(
          vcol, "the version '" + std::string(v) + "' is not a whole number (ID@VERSION: PATTERN)");
    d.version = std::stoll(std::string(v));
  }
  auto text = line.substr(colon + 1);
  const auto b = text.find_first_not_of(" \t");
  const auto e = text.find_last_not_of(" \t\r\n");
  d.text = b == std::string_view::npos ? std::string{} : std::string(text.substr(b, e - b + 1));
  return d;
}

}  // namespace detail

/// Parses one definition line (either form above). `default_version`: the version of a line that
/// gives none. Throws malformed_definition.
[[nodiscard]] inline pattern_definition parse_definition(std::string_view line,
                                                         std::int64_t default_version = 0) {
  const auto first = line.find_first_not_of(" \t");
  if (first != std::string_view::npos && line[first] == '{')
    return detail::parse_json_definition(line, default_version);
  return detail::parse_line_definition(line, default_version);
}

/// The JSON form of `d` on one line: {"id":..,"version":..,"pattern":..}, or with
/// "remove":true instead of the pattern for an empty text. parse_definition reads it back.
[[nodiscard]] inline std::string to_json(const pattern_definition& d) {
  nlohmann::json j = {{"id", d.id}, {"version", d.version}};
  if (d.text.empty())
    j["remove"] = true;
  else
    j["pattern"] = d.text;
  return j.dump();
}

}  // namespace eddy::cep
