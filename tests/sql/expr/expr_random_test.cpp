// Randomised: random expressions over random batches (NULLs in every column, with and without a
// selection vector) evaluated by the compiled kernels and, row by row, by a reference
// evaluator written here over rows::value (Java's wrap-around integers, three-valued logic,
// Flink's SUBSTRING, LIKE by recursion).
#include <cctype>
#include <cmath>
#include <functional>
#include <random>

#include "expr_test_support.hpp"

using namespace eddy;
using namespace eddy::sql;
using namespace eddy::sql::testing;
using rows::value;

namespace {

using row = std::vector<value>;
using ref_fn = std::function<value(const row&)>;

/// kind: 'i' INT, 'l' BIGINT, 'd' DOUBLE, 'b' BOOLEAN, 's' STRING, 'm' DECIMAL (scale in
/// `scale`, unscaled int64)
struct gen {
  std::string sql;
  ref_fn f;
  char kind;
  int scale = 0;
};

scope test_scope() {
  return {{"t", "a", rows::int_type()},    {"t", "b", rows::bigint_type()},
          {"t", "c", rows::double_type()}, {"t", "d", rows::decimal_type(10, 2)},
          {"t", "s", rows::string_type()}, {"t", "p", rows::boolean_type()},
          {"t", "q", rows::boolean_type()}};
}

std::int64_t i64(const value& v) {
  if (const auto* x = std::get_if<std::int32_t>(&v.data)) return *x;
  return v.as_int64();
}

value make_int(char kind, std::uint64_t v) {
  if (kind == 'i') return value(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
  return value(static_cast<std::int64_t>(v));
}

std::optional<bool> b3(const value& v) {
  if (v.is_null()) return std::nullopt;
  return v.as_bool();
}

value from3(std::optional<bool> b) {
  return b ? value(*b) : value();
}

bool like_ref(const std::string& s, std::size_t i, const std::string& p, std::size_t j) {
  if (j == p.size()) return i == s.size();
  if (p[j] == '%') {
    for (std::size_t k = i; k <= s.size(); ++k)
      if (like_ref(s, k, p, j + 1)) return true;
    return false;
  }
  if (i == s.size()) return false;
  if (p[j] == '_' || p[j] == s[i]) return like_ref(s, i + 1, p, j + 1);
  return false;
}

class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  gen integer(int depth) {
    const int choice = depth <= 0 ? pick(3) : pick(15);
    switch (choice) {
      case 0:
        return {"a", [](const row& r) { return r[0]; }, 'i'};
      case 1:
        return {"b", [](const row& r) { return r[1]; }, 'l'};
      case 2: {
        const int k = range(0, 100);
        return {std::to_string(k), [k](const row&) { return value(std::int32_t{k}); }, 'i'};
      }
      case 3:
      case 4:
      case 5: {
        auto x = integer(depth - 1);
        auto y = integer(depth - 1);
        const char op = "+-*"[choice - 3];
        const char kind = x.kind == 'l' || y.kind == 'l' ? 'l' : 'i';
        return {"(" + x.sql + " " + op + " " + y.sql + ")",
                [x, y, op, kind](const row& r) -> value {
                  const auto u = x.f(r);
                  const auto v = y.f(r);
                  if (u.is_null() || v.is_null()) return {};
                  const auto p = static_cast<std::uint64_t>(i64(u));
                  const auto q = static_cast<std::uint64_t>(i64(v));
                  return make_int(kind, op == '+' ? p + q : op == '-' ? p - q : p * q);
                },
                kind};
      }
      case 6: {
        auto x = integer(depth - 1);
        const int k = range(1, 7) * (pick(2) ? 1 : -1);
        const bool mod = pick(2) == 0;
        const char kind = mod ? 'i' : x.kind;  // MOD: the divisor's type
        return {
            mod ? "MOD(" + x.sql + ", " + std::to_string(k) + ")"
                : "(" + x.sql + " / " + std::to_string(k) + ")",
            [x, k, mod, kind](const row& r) -> value {
              const auto u = x.f(r);
              if (u.is_null()) return {};
              const auto v = i64(u);
              if (mod) return make_int(kind, static_cast<std::uint64_t>(v % k));
              if (x.kind == 'i')
                return make_int(kind, static_cast<std::uint64_t>(static_cast<std::int32_t>(v) / k));
              return make_int(
                  kind, static_cast<std::uint64_t>(
                            k == -1 ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v))
                                    : v / k));
            },
            kind};
      }
      case 7: {
        auto x = integer(depth - 1);
        return {"-(" + x.sql + ")",
                [x](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  return make_int(x.kind, 0 - static_cast<std::uint64_t>(i64(u)));
                },
                x.kind};
      }
      case 8:
      case 9: {
        auto c = boolean(depth - 1);
        auto x = integer(depth - 1);
        auto y = integer(depth - 1);
        const char kind = x.kind == 'l' || y.kind == 'l' ? 'l' : 'i';
        const bool use_if = choice == 9;
        return {use_if ? "IF(" + c.sql + ", " + x.sql + ", " + y.sql + ")"
                       : "CASE WHEN " + c.sql + " THEN " + x.sql + " ELSE " + y.sql + " END",
                [c, x, y, kind](const row& r) -> value {
                  const auto v = b3(c.f(r)).value_or(false) ? x.f(r) : y.f(r);
                  if (v.is_null()) return {};
                  return make_int(kind, static_cast<std::uint64_t>(i64(v)));
                },
                kind};
      }
      case 10: {
        auto x = integer(depth - 1);
        auto y = integer(depth - 1);
        const char kind = x.kind == 'l' || y.kind == 'l' ? 'l' : 'i';
        return {"COALESCE(" + x.sql + ", " + y.sql + ")",
                [x, y, kind](const row& r) -> value {
                  auto v = x.f(r);
                  if (v.is_null()) v = y.f(r);
                  if (v.is_null()) return {};
                  return make_int(kind, static_cast<std::uint64_t>(i64(v)));
                },
                kind};
      }
      case 11: {
        auto x = integer(depth - 1);
        return {"ABS(" + x.sql + ")",
                [x](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  const auto v = i64(u);
                  return make_int(x.kind, v < 0 ? 0 - static_cast<std::uint64_t>(v)
                                                : static_cast<std::uint64_t>(v));
                },
                x.kind};
      }
      case 12: {
        auto x = integer(depth - 1);
        return {"CAST(" + x.sql + " AS BIGINT)",
                [x](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  return value(i64(u));
                },
                'l'};
      }
      case 13: {
        auto s = string(depth - 1);
        return {"CHAR_LENGTH(" + s.sql + ")",
                [s](const row& r) -> value {
                  const auto u = s.f(r);
                  if (u.is_null()) return {};
                  return value(static_cast<std::int32_t>(u.as_string().size()));
                },
                'i'};
      }
      default: {
        auto s = string(depth - 1);
        return {"POSITION('a' IN " + s.sql + ")",
                [s](const row& r) -> value {
                  const auto u = s.f(r);
                  if (u.is_null()) return {};
                  const auto at = u.as_string().find('a');
                  return value(static_cast<std::int32_t>(at == std::string::npos ? 0 : at + 1));
                },
                'i'};
      }
    }
  }

  gen floating(int depth) {
    switch (depth <= 0 ? pick(2) : pick(5)) {
      case 0:
        return {"c", [](const row& r) { return r[2]; }, 'd'};
      case 1: {
        return {"1.5E0", [](const row&) { return value(1.5); }, 'd'};
      }
      case 2: {
        auto x = floating(depth - 1);
        auto y = integer(depth - 1);
        return {"(" + x.sql + " + " + y.sql + ")",
                [x, y](const row& r) -> value {
                  const auto u = x.f(r);
                  const auto v = y.f(r);
                  if (u.is_null() || v.is_null()) return {};
                  return value(u.as_double() + static_cast<double>(i64(v)));
                },
                'd'};
      }
      case 3: {
        auto x = floating(depth - 1);
        auto y = floating(depth - 1);
        return {"(" + x.sql + " * " + y.sql + ")",
                [x, y](const row& r) -> value {
                  const auto u = x.f(r);
                  const auto v = y.f(r);
                  if (u.is_null() || v.is_null()) return {};
                  return value(u.as_double() * v.as_double());
                },
                'd'};
      }
      default: {
        auto x = floating(depth - 1);
        return {"-(" + x.sql + ")",
                [x](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  return value(-u.as_double());
                },
                'd'};
      }
    }
  }

  gen decimal() {
    // d + d, d - d, d * d, d * 0.5, d + a, casts: exact, scales as Flink's.
    switch (pick(7)) {
      case 5:
        return {"CAST(a AS DECIMAL(12, 2))",
                [](const row& r) -> value {
                  if (r[0].is_null()) return {};
                  return value(std::int64_t{r[0].as_int32()} * 100);
                },
                'm', 2};
      case 6:
        // Values of b beyond 5 digits do not fit DECIMAL(6, 1): NULL.
        return {"TRY_CAST(b AS DECIMAL(6, 1))",
                [](const row& r) -> value {
                  if (r[1].is_null()) return {};
                  const auto v = r[1].as_int64() * 10;
                  if (v >= 1000000 || v <= -1000000) return {};
                  return value(v);
                },
                'm', 1};
      case 0:
      case 1: {
        const bool plus = pick(2) == 0;
        return {plus ? "(d + d)" : "(d - d)",
                [plus](const row& r) -> value {
                  if (r[3].is_null()) return {};
                  return value(plus ? r[3].as_int64() * 2 : std::int64_t{0});
                },
                'm', 2};
      }
      case 2:
        return {"(d * d)",
                [](const row& r) -> value {
                  if (r[3].is_null()) return {};
                  return value(r[3].as_int64() * r[3].as_int64());
                },
                'm', 4};
      case 3:
        return {"(d * 0.5)",
                [](const row& r) -> value {
                  if (r[3].is_null()) return {};
                  return value(r[3].as_int64() * 5);
                },
                'm', 3};
      default:
        return {"(d + a)",
                [](const row& r) -> value {
                  if (r[3].is_null() || r[0].is_null()) return {};
                  return value(r[3].as_int64() + 100 * static_cast<std::int64_t>(r[0].as_int32()));
                },
                'm', 2};
    }
  }

  gen string(int depth) {
    switch (depth <= 0 ? pick(2) : pick(8)) {
      case 0:
        return {"s", [](const row& r) { return r[4]; }, 's'};
      case 1:
        return {"'ab'", [](const row&) { return value(std::string("ab")); }, 's'};
      case 2: {
        auto x = string(depth - 1);
        auto y = string(depth - 1);
        const bool fn = pick(2) == 0;
        return {fn ? "CONCAT(" + x.sql + ", " + y.sql + ")" : "(" + x.sql + " || " + y.sql + ")",
                [x, y](const row& r) -> value {
                  const auto u = x.f(r);
                  const auto v = y.f(r);
                  if (u.is_null() || v.is_null()) return {};
                  return value(u.as_string() + v.as_string());
                },
                's'};
      }
      case 3: {
        auto x = string(depth - 1);
        const bool up = pick(2) == 0;
        return {(up ? "UPPER(" : "LOWER(") + x.sql + ")",
                [x, up](const row& r) -> value {
                  auto u = x.f(r);
                  if (u.is_null()) return {};
                  std::string s = u.as_string();
                  for (auto& c : s)
                    c = static_cast<char>(up ? std::toupper(static_cast<unsigned char>(c))
                                             : std::tolower(static_cast<unsigned char>(c)));
                  return value(s);
                },
                's'};
      }
      case 4: {
        auto x = string(depth - 1);
        const int k = range(-4, 5);
        const int m = range(0, 4);
        return {"SUBSTRING(" + x.sql + ", " + std::to_string(k) + ", " + std::to_string(m) + ")",
                [x, k, m](const row& r) -> value {
                  auto u = x.f(r);
                  if (u.is_null()) return {};
                  const auto& s = u.as_string();
                  const auto len = static_cast<int>(s.size());
                  int start = k > 0 ? k - 1 : k < 0 ? len + k : 0;
                  start = std::clamp(start, 0, len);
                  const int end = std::min(len, start + m);
                  return value(s.substr(static_cast<std::size_t>(start),
                                        static_cast<std::size_t>(std::max(0, end - start))));
                },
                's'};
      }
      case 5: {
        auto c = boolean(depth - 1);
        auto x = string(depth - 1);
        return {"CASE WHEN " + c.sql + " THEN " + x.sql + " ELSE 'zz' END",
                [c, x](const row& r) -> value {
                  return b3(c.f(r)).value_or(false) ? x.f(r) : value(std::string("zz"));
                },
                's'};
      }
      case 6: {
        auto x = string(depth - 1);
        return {"TRIM(" + x.sql + ")",
                [x](const row& r) -> value {
                  auto u = x.f(r);
                  if (u.is_null()) return {};
                  std::string s = u.as_string();
                  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
                  while (!s.empty() && s.back() == ' ') s.pop_back();
                  return value(s);
                },
                's'};
      }
      default: {
        auto x = string(depth - 1);
        return {"COALESCE(" + x.sql + ", 'n')",
                [x](const row& r) -> value {
                  auto u = x.f(r);
                  return u.is_null() ? value(std::string("n")) : u;
                },
                's'};
      }
    }
  }

  template <class Cmp>
  static value cmp_values(const value& u, const value& v, Cmp cmp) {
    if (u.is_null() || v.is_null()) return {};
    return value(cmp(u, v));
  }

  static bool compare(int op, const auto& x, const auto& y) {
    switch (op) {
      case 0:
        return x == y;
      case 1:
        return x != y;
      case 2:
        return x < y;
      case 3:
        return x <= y;
      case 4:
        return x > y;
      default:
        return x >= y;
    }
  }

  gen boolean(int depth) {
    static const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
    switch (depth <= 0 ? pick(3) : pick(14)) {
      case 0:
        return {"p", [](const row& r) { return r[5]; }, 'b'};
      case 1:
        return {"q", [](const row& r) { return r[6]; }, 'b'};
      case 2: {
        const int op = pick(6);
        const int k = range(-50, 50);
        return {"(a " + std::string(ops[op]) + " " + std::to_string(k) + ")",
                [op, k](const row& r) -> value {
                  if (r[0].is_null()) return {};
                  return value(compare(op, std::int64_t{r[0].as_int32()}, std::int64_t{k}));
                },
                'b'};
      }
      case 3: {
        auto x = integer(depth - 1);
        auto y = integer(depth - 1);
        const int op = pick(6);
        return {"(" + x.sql + " " + ops[op] + " " + y.sql + ")",
                [x, y, op](const row& r) -> value {
                  return cmp_values(x.f(r), y.f(r), [op](const value& u, const value& v) {
                    return compare(op, i64(u), i64(v));
                  });
                },
                'b'};
      }
      case 4: {
        auto x = floating(depth - 1);
        auto y = integer(depth - 1);
        const int op = pick(6);
        return {"(" + x.sql + " " + ops[op] + " " + y.sql + ")",
                [x, y, op](const row& r) -> value {
                  return cmp_values(x.f(r), y.f(r), [op](const value& u, const value& v) {
                    return compare(op, u.as_double(), static_cast<double>(i64(v)));
                  });
                },
                'b'};
      }
      case 5: {
        auto x = string(depth - 1);
        const int op = pick(6);
        const std::string lit = pick(2) ? "a" : "B b";
        return {"(" + x.sql + " " + ops[op] + " '" + lit + "')",
                [x, op, lit](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  return value(compare(op, u.as_string(), lit));
                },
                'b'};
      }
      case 6:
      case 7: {
        auto x = boolean(depth - 1);
        auto y = boolean(depth - 1);
        const bool is_and = choice_and_ = !choice_and_;
        return {"(" + x.sql + (is_and ? " AND " : " OR ") + y.sql + ")",
                [x, y, is_and](const row& r) -> value {
                  const auto u = b3(x.f(r));
                  const auto v = b3(y.f(r));
                  if (is_and) {
                    if (u == false || v == false) return value(false);
                    if (!u || !v) return {};
                    return value(true);
                  }
                  if (u == true || v == true) return value(true);
                  if (!u || !v) return {};
                  return value(false);
                },
                'b'};
      }
      case 8: {
        auto x = boolean(depth - 1);
        return {"NOT " + x.sql,
                [x](const row& r) -> value {
                  const auto u = b3(x.f(r));
                  return u ? value(!*u) : value();
                },
                'b'};
      }
      case 9: {
        auto x = integer(depth - 1);
        const bool neg = pick(2) == 0;
        return {x.sql + (neg ? " IS NOT NULL" : " IS NULL"),
                [x, neg](const row& r) { return value(x.f(r).is_null() == !neg); }, 'b'};
      }
      case 10: {
        auto x = boolean(depth - 1);
        const int w = pick(4);
        static const char* forms[] = {" IS TRUE", " IS NOT TRUE", " IS FALSE", " IS NOT FALSE"};
        return {"(" + x.sql + ")" + forms[w],
                [x, w](const row& r) {
                  const auto u = b3(x.f(r));
                  switch (w) {
                    case 0:
                      return value(u == true);
                    case 1:
                      return value(u != true);
                    case 2:
                      return value(u == false);
                    default:
                      return value(u != false);
                  }
                },
                'b'};
      }
      case 11: {
        auto x = integer(depth - 1);
        const int k1 = range(-3, 10);
        const int k2 = range(-3, 10);
        const bool neg = pick(2) == 0;
        return {x.sql + (neg ? " NOT IN (" : " IN (") + std::to_string(k1) + ", " +
                    std::to_string(k2) + ")",
                [x, k1, k2, neg](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  const bool in = i64(u) == k1 || i64(u) == k2;
                  return value(in != neg);
                },
                'b'};
      }
      case 12: {
        auto x = integer(depth - 1);
        const int lo = range(-20, 20);
        const int hi = range(-20, 20);
        const bool neg = pick(2) == 0;
        return {x.sql + (neg ? " NOT BETWEEN " : " BETWEEN ") + std::to_string(lo) + " AND " +
                    std::to_string(hi),
                [x, lo, hi, neg](const row& r) -> value {
                  const auto u = x.f(r);
                  if (u.is_null()) return {};
                  const bool in = i64(u) >= lo && i64(u) <= hi;
                  return value(in != neg);
                },
                'b'};
      }
      default: {
        auto x = integer(depth - 1);
        auto y = integer(depth - 1);
        const bool neg = pick(2) == 0;
        if (pick(3) == 0) {
          // A DECIMAL against an integer or a decimal literal (promoted to one DECIMAL type).
          auto m = decimal();
          const int op = pick(6);
          const bool lit = pick(2) == 0;
          const std::string rhs = lit ? "12.5" : "a";
          return {"(" + m.sql + " " + ops[op] + " " + rhs + ")",
                  [m, op, lit](const row& r) -> value {
                    const auto u = m.f(r);
                    if (u.is_null() || (!lit && r[0].is_null())) return {};
                    __int128 x = u.as_int64();
                    __int128 y = lit ? 125 : static_cast<__int128>(r[0].as_int32()) * 10;
                    // align scales: m.scale vs 1
                    int sx = m.scale;
                    int sy = 1;
                    while (sx < sy) {
                      x *= 10;
                      ++sx;
                    }
                    while (sy < sx) {
                      y *= 10;
                      ++sy;
                    }
                    return value(compare(op, x, y));
                  },
                  'b'};
        }
        if (pick(2) == 0) {
          static const char* pats[] = {"a%", "%b", "_a%", "%", "a_", "%A%"};
          const std::string pat = pats[pick(6)];
          auto s = string(depth - 1);
          return {"(" + s.sql + (neg ? " NOT LIKE '" : " LIKE '") + pat + "')",
                  [s, pat, neg](const row& r) -> value {
                    const auto u = s.f(r);
                    if (u.is_null()) return {};
                    return value(like_ref(u.as_string(), 0, pat, 0) != neg);
                  },
                  'b'};
        }
        return {"(" + x.sql + (neg ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ") + y.sql + ")",
                [x, y, neg](const row& r) -> value {
                  const auto u = x.f(r);
                  const auto v = y.f(r);
                  bool distinct = u.is_null() != v.is_null() || (!u.is_null() && i64(u) != i64(v));
                  return value(distinct != neg);
                },
                'b'};
      }
    }
  }

  row random_row() {
    auto null = [&]() { return pick(5) == 0; };
    row r(7);
    if (!null()) r[0] = value(static_cast<std::int32_t>(range(-1000, 1000)));
    if (!null()) r[1] = value(static_cast<std::int64_t>(range(-100000, 100000)));
    if (!null()) r[2] = value(static_cast<double>(range(-400, 400)) / 4.0);
    if (!null()) r[3] = value(static_cast<std::int64_t>(range(-1000000, 1000000)));
    if (!null()) {
      std::string s;
      const int n = range(0, 5);
      for (int i = 0; i < n; ++i) s += "aAbB _"[pick(6)];
      r[4] = value(s);
    }
    if (!null()) r[5] = value(pick(2) == 0);
    if (!null()) r[6] = value(pick(2) == 0);
    return r;
  }

  std::mt19937 rng_;
  bool choice_and_ = false;
};

void check_random(generator& g, const gen& e, int round) {
  const auto columns = test_scope();
  rows::row_batch batch(std::vector<rows::logical_type>{
      rows::int_type(), rows::bigint_type(), rows::double_type(), rows::decimal_type(10, 2),
      rows::string_type(), rows::boolean_type(), rows::boolean_type()});
  const int n = g.range(0, 70);
  for (int i = 0; i < n; ++i) {
    auto r = g.random_row();
    batch.append_row(std::span<const value>(r.data(), r.size()));
  }
  if (round % 2 == 1) {
    std::vector<std::uint32_t> sel;
    for (int i = 0; i < n; ++i)
      if (g.pick(3) != 0) sel.push_back(static_cast<std::uint32_t>(i));
    batch.set_selection(std::move(sel));
  }
  INFO("expression: " << e.sql);
  auto compiled = compile_ok(e.sql, columns);
  rows::column_vector out;
  compiled->eval(batch, out, eval_context{});
  REQUIRE(out.size() == batch.size());
  REQUIRE(out.type() == compiled->type());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto input = batch.row_values(i);
    const auto want = e.f(input);
    const auto got = out.get(i);
    INFO("row " << i);
    CHECK(got == want);
    if (!compiled->type().nullable) CHECK(!got.is_null());
  }
  // select_true keeps exactly the rows the reference says are TRUE.
  if (e.kind == 'b') {
    std::vector<std::uint32_t> kept;
    select_true(*compiled, batch, kept, eval_context{});
    std::vector<std::uint32_t> want;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto v = e.f(batch.row_values(i));
      if (!v.is_null() && v.as_bool()) want.push_back(batch.row(i));
    }
    CHECK(kept == want);
  }
}

}  // namespace

TEST_CASE(
    "expr: random integer, boolean, double, decimal and string expressions match a "
    "row-at-a-time reference",
    "[sql][expr]") {
  generator g(20261206);
  for (int round = 0; round < 1500; ++round) {
    gen e;
    switch (round % 5) {
      case 0:
        e = g.integer(3);
        break;
      case 1:
        e = g.boolean(3);
        break;
      case 2:
        e = g.floating(3);
        break;
      case 3:
        e = g.decimal();
        break;
      default:
        e = g.string(3);
        break;
    }
    check_random(g, e, round);
  }
}

TEST_CASE(
    "expr: random values survive CAST to STRING and back, and TRY_CAST of text "
    "agrees with rows' parser",
    "[sql][expr]") {
  std::mt19937_64 rng(99);
  const std::vector<rows::logical_type> types = {
      rows::int_type(),          rows::bigint_type(), rows::double_type(),
      rows::decimal_type(12, 3), rows::date_type(),   rows::timestamp_type(3),
      rows::boolean_type(),      rows::time_type(0),  rows::smallint_type()};
  for (const auto& t : types) {
    scope s = {{"", "x", t}, {"", "txt", rows::string_type()}};
    rows::row_batch b(std::vector<rows::logical_type>{t, rows::string_type()});
    for (int i = 0; i < 300; ++i) {
      value v;
      switch (t.id) {
        case rows::type_id::int_:
          v = value(static_cast<std::int32_t>(rng()));
          break;
        case rows::type_id::smallint:
          v = value(static_cast<std::int32_t>(static_cast<std::int16_t>(rng())));
          break;
        case rows::type_id::bigint:
        case rows::type_id::timestamp:
          // years 385 .. 8307 (the text forms have 4-digit years)
          v = value(static_cast<std::int64_t>(rng() % 200'000'000'000'000ULL) -
                    std::int64_t{50'000'000'000'000});
          break;
        case rows::type_id::decimal:
          v = value(static_cast<std::int64_t>(rng() % 2'000'000'000'000ULL) -
                    std::int64_t{1'000'000'000'000});
          break;
        case rows::type_id::double_: {
          const double d =
              std::ldexp(static_cast<double>(static_cast<std::int64_t>(rng() >> 11)) - (1LL << 52),
                         static_cast<int>(rng() % 80) - 40);
          v = value(d);
          break;
        }
        case rows::type_id::date:
          v = value(static_cast<std::int32_t>(rng() % 2'000'000) - 700'000);
          break;
        case rows::type_id::time:
          v = value(static_cast<std::int32_t>(rng() % 86'400) * 1000);
          break;
        default:
          v = value(rng() % 2 == 0);
      }
      if (rng() % 9 == 0) v = value();
      // Text: rows' form of a value, or garbage.
      std::string text = v.is_null() ? "x" : rows::format_value(v, t);
      if (rng() % 4 == 0) text += "z";
      b.append_row({v, value(text)});
    }
    INFO("type " << t.to_string());
    auto round = compile_ok("CAST(CAST(x AS STRING) AS " + t.to_string() + ")", s);
    auto parse = compile_ok("TRY_CAST(txt AS " + t.to_string() + ")", s);
    rows::column_vector r1;
    rows::column_vector r2;
    round->eval(b, r1, eval_context{});
    parse->eval(b, r2, eval_context{});
    for (std::size_t i = 0; i < b.size(); ++i) {
      CHECK(r1.get(i) == b.column(0).get(i));
      value want;
      const auto& text = b.column(1).data<std::string>()[i];
      if (!rows::parse_value(text, t, want)) want = value();
      if (t.id == rows::type_id::boolean || t.id == rows::type_id::timestamp) {
        // CAST accepts more forms than rows' CSV parser (T/F/YES/NO/1/0; a DATE as a TIMESTAMP).
        if (!want.is_null()) CHECK(r2.get(i) == want);
      } else {
        CHECK(r2.get(i) == want);
      }
    }
  }
}
