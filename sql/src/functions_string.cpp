// Built-in string functions (Flink's "String Functions"): LOWER, UPPER, CHAR_LENGTH, SUBSTRING,
// TRIM/LTRIM/RTRIM, CONCAT, CONCAT_WS, REPLACE, POSITION, SPLIT_INDEX, REGEXP_EXTRACT,
// REGEXP_REPLACE, REGEXP, LPAD, RPAD, REPEAT, REVERSE, INITCAP, LEFT, RIGHT, and the LIKE and
// SIMILAR TO predicates.
//
// Characters: lengths and positions count UTF-8 code points (Flink counts UTF-16 units, which
// differ only outside the Basic Multilingual Plane); LOWER/UPPER/INITCAP change ASCII letters
// only. Regular expressions use std::regex's ECMAScript grammar, not Java's: the common syntax
// (classes, groups, quantifiers, anchors) is the same; possessive quantifiers, \p{...} classes
// and inline flags are not supported. A pattern that does not compile gives NULL (as Flink's
// REGEXP_EXTRACT does for an invalid pattern).
#include <algorithm>
#include <regex>

#include "functions_internal.hpp"

namespace eddy::sql::detail {

namespace {

using rows::logical_type;
using rows::type_id;
using rows::value;

/// The longest string REPEAT, LPAD and RPAD make (more is an eval_error, not an exhausted
/// memory).
constexpr std::int64_t max_result = std::int64_t{64} << 20;

/// Byte offsets of the code points of s (and s.size() at the end).
std::vector<std::size_t> code_points(std::string_view s) {
  std::vector<std::size_t> r;
  r.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) r.push_back(i);
  r.push_back(s.size());
  return r;
}

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

/// Code points [begin, end) of s (clamped).
std::string char_range(std::string_view s, std::int64_t begin, std::int64_t end) {
  const auto cp = code_points(s);
  const auto len = static_cast<std::int64_t>(cp.size() - 1);
  begin = std::clamp<std::int64_t>(begin, 0, len);
  end = std::clamp<std::int64_t>(end, begin, len);
  return std::string(
      s.substr(cp[static_cast<std::size_t>(begin)],
               cp[static_cast<std::size_t>(end)] - cp[static_cast<std::size_t>(begin)]));
}

builtin_result require_strings(bound_call& call, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < std::min(to, call.args.size()); ++i)
    if (!string_arg(call, i)) return wrong_arg(call, i, "a character string");
  return {};
}

#define EDDY_REQUIRE(expr) \
  if (auto e_ = (expr); !e_.error.empty()) return e_

builtin_result bind_case(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  const bool up = call.name == "UPPER";
  const bool initcap = call.name == "INITCAP";
  auto t = call.args[0]->type();
  return done(make_vector_function(
      std::move(call.args), t,
      [up, initcap](std::span<const rows::column_vector* const> a, std::size_t n,
                    rows::column_vector& out) {
        merge_nulls(out, {a[0]});
        const auto& src = a[0]->data<std::string>();
        auto& dst = out.data<std::string>();
        for (std::size_t i = 0; i < n; ++i) {
          if (out.is_null(i)) continue;
          std::string& s = dst[i];
          s = src[i];
          bool start = true;
          for (auto& c : s) {
            const auto u = static_cast<unsigned char>(c);
            if (initcap) {
              c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
              start = !std::isalnum(u);
            } else {
              c = static_cast<char>(up ? std::toupper(u) : std::tolower(u));
            }
          }
        }
      },
      call.text));
}

builtin_result bind_char_length(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  return strict_row(call, rows::int_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) {
                      return value(static_cast<std::int32_t>(char_count(a[0].as_string())));
                    });
}

builtin_result bind_substring(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  for (std::size_t i = 1; i < call.args.size(); ++i)
    if (!integer_arg(call, i)) return wrong_arg(call, i, "an integer");
  return strict_row(call, rows::string_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) -> value {
                      const auto& s = a[0].as_string();
                      const auto len = static_cast<std::int64_t>(char_count(s));
                      const auto pos = as_i64(a[1]);
                      // Flink's BinaryStringDataUtil.substringSQL: a negative start counts
                      // from the end.
                      std::int64_t start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
                      start = std::max<std::int64_t>(start, 0);
                      std::int64_t end = len;
                      if (a.size() > 2) {
                        const auto n = as_i64(a[2]);
                        if (n < 0) return value(std::string());
                        end = start + std::min(n, len - start);
                      }
                      return value(char_range(s, start, end));
                    });
}

std::string trim_chars(std::string s, std::string_view chars, bool lead, bool trail) {
  const auto is_trim = [&](char c) { return chars.find(c) != std::string_view::npos; };
  std::size_t b = 0;
  std::size_t e = s.size();
  if (lead)
    while (b < e && is_trim(s[b])) ++b;
  if (trail)
    while (e > b && is_trim(s[e - 1])) --e;
  return s.substr(b, e - b);
}

/// TRIM(mode, chars, s) as the binder builds it from TRIM([mode] [chars] FROM s).
builtin_result bind_trim(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 3));
  const auto* mode = constant_arg(call, 0);
  if (mode == nullptr) return error("Function TRIM: the mode must be BOTH, LEADING or TRAILING");
  const std::string m = mode->as_string();
  const bool lead = m != "TRAILING";
  const bool trail = m != "LEADING";
  return strict_row(call, rows::string_type().with_nullable(false),
                    [lead, trail](std::span<const value> a, const eval_context&) {
                      return value(trim_chars(a[2].as_string(), a[1].as_string(), lead, trail));
                    });
}

builtin_result bind_ltrim(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 2));
  const bool left = call.name == "LTRIM";
  return strict_row(call, rows::string_type().with_nullable(false),
                    [left](std::span<const value> a, const eval_context&) {
                      const std::string chars = a.size() > 1 ? a[1].as_string() : " ";
                      return value(trim_chars(a[0].as_string(), chars, left, !left));
                    });
}

builtin_result bind_concat(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, call.args.size()));
  return strict_row(call, rows::string_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) {
                      std::string r;
                      for (const auto& v : a) r += v.as_string();
                      return value(std::move(r));
                    });
}

builtin_result bind_concat_ws(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, call.args.size()));
  const bool nullable = call.args[0]->type().nullable;
  return done(make_row_function(
      std::move(call.args), rows::string_type().with_nullable(nullable),
      [](std::span<const value> a, const eval_context&) -> value {
        if (a[0].is_null()) return {};
        std::string r;
        bool first = true;
        for (std::size_t i = 1; i < a.size(); ++i) {
          if (a[i].is_null()) continue;
          if (!first) r += a[0].as_string();
          r += a[i].as_string();
          first = false;
        }
        return value(std::move(r));
      },
      false, call.text));
}

builtin_result bind_replace(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 3));
  return strict_row(call, rows::string_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) {
                      const auto& s = a[0].as_string();
                      const auto& from = a[1].as_string();
                      const auto& to = a[2].as_string();
                      if (from.empty()) return value(s);
                      std::string r;
                      std::size_t i = 0;
                      for (auto j = s.find(from); j != std::string::npos; j = s.find(from, i)) {
                        r.append(s, i, j - i);
                        r += to;
                        i = j + from.size();
                      }
                      r.append(s, i, std::string::npos);
                      return value(std::move(r));
                    });
}

builtin_result bind_position(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 2));
  return strict_row(call, rows::int_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) {
                      const auto& needle = a[0].as_string();
                      const auto& hay = a[1].as_string();
                      const auto at = hay.find(needle);
                      if (at == std::string::npos) return value(std::int32_t{0});
                      return value(static_cast<std::int32_t>(
                          char_count(std::string_view(hay).substr(0, at)) + 1));
                    });
}

builtin_result bind_split_index(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 2));
  if (!integer_arg(call, 2)) return wrong_arg(call, 2, "an integer");
  return strict_row(
      call, rows::string_type(), [](std::span<const value> a, const eval_context&) -> value {
        const auto& s = a[0].as_string();
        const auto& sep = a[1].as_string();
        auto idx = as_i64(a[2]);
        if (idx < 0 || sep.empty() || s.empty()) return {};
        // Commons' splitByWholeSeparatorPreserveAllTokens.
        std::size_t from = 0;
        while (true) {
          const auto at = s.find(sep, from);
          if (idx == 0)
            return value(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
          if (at == std::string::npos) return {};
          from = at + sep.size();
          --idx;
        }
      });
}

/// std::regex of a constant pattern compiled once (nullptr if the pattern is not constant or
/// does not compile).
std::shared_ptr<const std::regex> constant_regex(const bound_call& call, std::size_t i) {
  const auto* c = constant_arg(call, i);
  if (c == nullptr || c->is_null()) return nullptr;
  try {
    return std::make_shared<const std::regex>(c->as_string(), std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return nullptr;
  }
}

/// The regex for this row: the precompiled one or one compiled now; nullopt if invalid.
const std::regex* row_regex(const std::shared_ptr<const std::regex>& pre, const value& pattern,
                            std::optional<std::regex>& holder) {
  if (pre) return pre.get();
  try {
    holder.emplace(pattern.as_string(), std::regex::ECMAScript);
    return &*holder;
  } catch (const std::regex_error&) {
    return nullptr;
  }
}

builtin_result bind_regexp_extract(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 2));
  if (call.args.size() > 2 && !integer_arg(call, 2)) return wrong_arg(call, 2, "an integer");
  auto pre = constant_regex(call, 1);
  return strict_row(
      call, rows::string_type(), [pre](std::span<const value> a, const eval_context&) -> value {
        std::optional<std::regex> holder;
        const auto* re = row_regex(pre, a[1], holder);
        if (re == nullptr) return {};
        const auto idx = a.size() > 2 ? as_i64(a[2]) : 0;  // Flink: group 0 by default
        std::smatch m;
        const auto& s = a[0].as_string();
        if (!std::regex_search(s, m, *re)) return {};
        if (idx < 0 || static_cast<std::size_t>(idx) >= m.size() ||
            !m[static_cast<std::size_t>(idx)].matched)
          return {};
        return value(m[static_cast<std::size_t>(idx)].str());
      });
}

builtin_result bind_regexp_replace(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 3));
  auto pre = constant_regex(call, 1);
  return strict_row(call, rows::string_type(),
                    [pre](std::span<const value> a, const eval_context&) -> value {
                      std::optional<std::regex> holder;
                      const auto* re = row_regex(pre, a[1], holder);
                      if (re == nullptr) return {};
                      return value(std::regex_replace(a[0].as_string(), *re, a[2].as_string()));
                    });
}

builtin_result bind_regexp(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 2));
  auto pre = constant_regex(call, 1);
  return strict_row(call, rows::boolean_type(),
                    [pre](std::span<const value> a, const eval_context&) -> value {
                      std::optional<std::regex> holder;
                      const auto* re = row_regex(pre, a[1], holder);
                      if (re == nullptr) return {};
                      return value(std::regex_search(a[0].as_string(), *re));
                    });
}

builtin_result bind_pad(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  if (!integer_arg(call, 1)) return wrong_arg(call, 1, "an integer");
  EDDY_REQUIRE(require_strings(call, 2, 3));
  const bool left = call.name == "LPAD";
  return strict_row(call, rows::string_type(),
                    [left](std::span<const value> a, const eval_context&) -> value {
                      const auto& s = a[0].as_string();
                      const auto n = as_i64(a[1]);
                      const auto& pad = a[2].as_string();
                      if (n < 0) return {};
                      const auto len = static_cast<std::int64_t>(char_count(s));
                      if (n <= len) return value(char_range(s, 0, n));
                      if (pad.empty()) return value(s);
                      if (n > max_result) throw eval_error("LPAD/RPAD result longer than 64 MiB");
                      std::string fill;
                      while (static_cast<std::int64_t>(char_count(fill)) < n - len) fill += pad;
                      fill = char_range(fill, 0, n - len);
                      return value(left ? fill + s : s + fill);
                    });
}

builtin_result bind_repeat(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  if (!integer_arg(call, 1)) return wrong_arg(call, 1, "an integer");
  return strict_row(
      call, rows::string_type().with_nullable(false),
      [](std::span<const value> a, const eval_context&) {
        std::string r;
        const auto times = as_i64(a[1]);
        if (times > 0 && static_cast<std::int64_t>(a[0].as_string().size()) > max_result / times)
          throw eval_error("REPEAT result longer than 64 MiB");
        for (std::int64_t i = 0; i < times; ++i) r += a[0].as_string();
        return value(std::move(r));
      });
}

builtin_result bind_reverse(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  return strict_row(call, rows::string_type().with_nullable(false),
                    [](std::span<const value> a, const eval_context&) {
                      const auto& s = a[0].as_string();
                      const auto cp = code_points(s);
                      std::string r;
                      for (std::size_t i = cp.size() - 1; i > 0; --i)
                        r.append(s, cp[i - 1], cp[i] - cp[i - 1]);
                      return value(std::move(r));
                    });
}

builtin_result bind_left_right(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, 1));
  if (!integer_arg(call, 1)) return wrong_arg(call, 1, "an integer");
  const bool left = call.name == "LEFT";
  return strict_row(call, rows::string_type().with_nullable(false),
                    [left](std::span<const value> a, const eval_context&) {
                      const auto& s = a[0].as_string();
                      const auto n = std::max<std::int64_t>(as_i64(a[1]), 0);
                      const auto len = static_cast<std::int64_t>(char_count(s));
                      return value(left ? char_range(s, 0, n) : char_range(s, len - n, len));
                    });
}

// ---- LIKE / SIMILAR TO ----

struct like_token {
  enum kind_t { literal, one, many } kind;
  std::string text;  // one code point for `literal`
};

/// The pattern's tokens; false if the escape is misused (Flink: "Invalid escape sequence").
bool like_tokens(std::string_view p, std::string_view escape, std::vector<like_token>& out) {
  const auto cp = code_points(p);
  for (std::size_t i = 0; i + 1 < cp.size(); ++i) {
    std::string_view c = p.substr(cp[i], cp[i + 1] - cp[i]);
    if (!escape.empty() && c == escape) {
      if (i + 2 >= cp.size()) return false;
      ++i;
      std::string_view next = p.substr(cp[i], cp[i + 1] - cp[i]);
      if (next != "%" && next != "_" && next != escape) return false;
      out.push_back({like_token::literal, std::string(next)});
    } else if (c == "%") {
      out.push_back({like_token::many, {}});
    } else if (c == "_") {
      out.push_back({like_token::one, {}});
    } else {
      out.push_back({like_token::literal, std::string(c)});
    }
  }
  return true;
}

bool like_match(std::string_view s, const std::vector<like_token>& pat) {
  const auto cp = code_points(s);
  const std::size_t n = cp.size() - 1;
  std::size_t si = 0;
  std::size_t pi = 0;
  std::size_t star_p = std::string::npos;
  std::size_t star_s = 0;
  auto ch = [&](std::size_t i) { return s.substr(cp[i], cp[i + 1] - cp[i]); };
  while (si < n) {
    if (pi < pat.size() && (pat[pi].kind == like_token::one ||
                            (pat[pi].kind == like_token::literal && pat[pi].text == ch(si)))) {
      ++si;
      ++pi;
    } else if (pi < pat.size() && pat[pi].kind == like_token::many) {
      star_p = pi++;
      star_s = si;
    } else if (star_p != std::string::npos) {
      pi = star_p + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < pat.size() && pat[pi].kind == like_token::many) ++pi;
  return pi == pat.size();
}

/// SIMILAR TO's pattern as an ECMAScript regex matching the whole string.
bool similar_regex(std::string_view p, std::string_view escape, std::string& out) {
  out = "^(?:";
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (!escape.empty() && c == escape[0]) {
      if (i + 1 >= p.size()) return false;
      out += '\\';
      out += p[++i];
    } else if (c == '%') {
      out += "[\\s\\S]*";
    } else if (c == '_') {
      out += "[\\s\\S]";
    } else if (c == '.' || c == '^' || c == '$' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  out += ")$";
  return true;
}

builtin_result bind_like(bound_call& call) {
  EDDY_REQUIRE(require_strings(call, 0, call.args.size()));
  const bool similar = call.name == "SIMILAR";
  const auto* pat = constant_arg(call, 1);
  const auto* esc = call.args.size() > 2 ? constant_arg(call, 2) : nullptr;
  if (call.args.size() > 2 && esc != nullptr && !esc->is_null() &&
      char_count(esc->as_string()) != 1)
    return error("Invalid escape character '" + esc->as_string() + "' (it must be one character)");
  // A constant pattern is compiled once.
  std::shared_ptr<const std::vector<like_token>> pre;
  std::shared_ptr<const std::regex> pre_re;
  const bool fixed = pat != nullptr && !pat->is_null() && (call.args.size() < 3 || esc != nullptr);
  if (fixed) {
    const std::string e = esc != nullptr && !esc->is_null() ? esc->as_string() : "";
    if (similar) {
      std::string re;
      if (!similar_regex(pat->as_string(), e, re))
        return error("Invalid escape sequence in '" + pat->as_string() + "'");
      try {
        pre_re = std::make_shared<const std::regex>(re, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return error("Invalid SIMILAR TO pattern '" + pat->as_string() + "'");
      }
    } else {
      std::vector<like_token> toks;
      if (!like_tokens(pat->as_string(), e, toks))
        return error("Invalid escape sequence in LIKE pattern '" + pat->as_string() + "'");
      pre = std::make_shared<const std::vector<like_token>>(std::move(toks));
    }
  }
  return strict_row(
      call, rows::boolean_type().with_nullable(false),
      [similar, pre, pre_re](std::span<const value> a, const eval_context&) -> value {
        const std::string e = a.size() > 2 ? a[2].as_string() : "";
        if (similar) {
          if (pre_re) return value(std::regex_match(a[0].as_string(), *pre_re));
          std::string re;
          if (!similar_regex(a[1].as_string(), e, re))
            throw eval_error("Invalid escape sequence in '" + a[1].as_string() + "'");
          try {
            return value(std::regex_match(a[0].as_string(), std::regex(re)));
          } catch (const std::regex_error&) {
            throw eval_error("Invalid SIMILAR TO pattern '" + a[1].as_string() + "'");
          }
        }
        if (pre) return value(like_match(a[0].as_string(), *pre));
        std::vector<like_token> toks;
        if (!like_tokens(a[1].as_string(), e, toks))
          throw eval_error("Invalid escape sequence in LIKE pattern '" + a[1].as_string() + "'");
        return value(like_match(a[0].as_string(), toks));
      });
}

#undef EDDY_REQUIRE

constexpr builtin_def string_table[] = {
    {"LOWER", 1, 1, bind_case},
    {"UPPER", 1, 1, bind_case},
    {"INITCAP", 1, 1, bind_case},
    {"CHAR_LENGTH", 1, 1, bind_char_length},
    {"CHARACTER_LENGTH", 1, 1, bind_char_length},
    {"SUBSTRING", 2, 3, bind_substring},
    {"SUBSTR", 2, 3, bind_substring},
    {"TRIM", 3, 3, bind_trim},
    {"LTRIM", 1, 2, bind_ltrim},
    {"RTRIM", 1, 2, bind_ltrim},
    {"CONCAT", 1, -1, bind_concat},
    {"CONCAT_WS", 2, -1, bind_concat_ws},
    {"REPLACE", 3, 3, bind_replace},
    {"POSITION", 2, 2, bind_position},
    {"SPLIT_INDEX", 3, 3, bind_split_index},
    {"REGEXP_EXTRACT", 2, 3, bind_regexp_extract},
    {"REGEXP_REPLACE", 3, 3, bind_regexp_replace},
    {"REGEXP", 2, 2, bind_regexp},
    {"LPAD", 3, 3, bind_pad},
    {"RPAD", 3, 3, bind_pad},
    {"REPEAT", 2, 2, bind_repeat},
    {"REVERSE", 1, 1, bind_reverse},
    {"LEFT", 2, 2, bind_left_right},
    {"RIGHT", 2, 2, bind_left_right},
    {"LIKE", 2, 3, bind_like},
    {"SIMILAR", 2, 3, bind_like},
};

}  // namespace

std::span<const builtin_def> string_functions() {
  return string_table;
}

}  // namespace eddy::sql::detail
