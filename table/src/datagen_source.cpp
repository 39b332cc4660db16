#include "eddy/table/datagen_source.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

#include "duration_text.hpp"
#include "eddy/connectors/datagen.hpp"
#include "eddy/connectors/rate_limiter.hpp"

namespace eddy::table {

namespace {

using rows::type_id;

using random = eddy::datagen::random;  // splitmix64, seeded per value

std::optional<std::int64_t> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::int64_t pow10(int n) {
  std::int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

/// The range of an integer type, or of a DECIMAL's unscaled value.
std::pair<std::int64_t, std::int64_t> integer_range(const rows::logical_type& t) {
  switch (t.id) {
    case type_id::tinyint:
      return {-128, 127};
    case type_id::smallint:
      return {-32768, 32767};
    case type_id::int_:
      return {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
    case type_id::decimal: {
      const auto m = pow10(std::min(t.precision, rows::max_decimal_digits)) - 1;
      return {-m, m};
    }
    default:
      return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  }
}

bool is_float(const rows::logical_type& t) {
  return t.id == type_id::float_ || t.id == type_id::double_;
}
bool is_string(const rows::logical_type& t) {
  return t.is_character_string();
}

/// Seeds one value's generator from (seed, row index, column).
std::uint64_t value_seed(std::uint64_t seed, std::uint64_t row, std::size_t column) {
  return seed * 0x2545F4914F6CDD1Dull + row * 0x9E3779B97F4A7C15ull +
         (static_cast<std::uint64_t>(column) + 1) * 0xD1B54A32D192ED03ull;
}

class datagen_reader final : public source_op<rows::row_batch> {
 public:
  datagen_reader(datagen_config c, expr_list computed, input_op<rows::row_batch>* next)
      : source_op<rows::row_batch>(next), c_(std::move(c)), computed_(std::move(computed)) {}

  void open(const subtask_info& info) override {
    source_op<rows::row_batch>::open(info);
    splits_.open(info, c_.rows);
    if (c_.rows_per_second > 0) limiter_.set_rate(c_.rows_per_second / info.parallelism);
  }

  source_status produce(std::size_t max_records) override {
    max_records = limiter_.allowance(max_records);
    if (max_records == 0) return source_status::idle;
    max_records = std::max<std::size_t>(1, std::min(max_records, info_.batch_size));
    std::uint64_t base = 0, step = 1;
    std::size_t n = 0;
    if (!splits_.take(max_records, base, step, n)) return source_status::end;
    limiter_.spend(n);
    if (n > 0) {
      guarded([&] {
        const std::int64_t now = current_processing_time();
        rows::row_batch b(c_.physical);
        for (std::size_t col = 0; col < c_.fields.size(); ++col)
          fill(b.column(col), col, base, step, n, now);
        sql::eval_context ctx;
        ctx.now_ms = now;
        for (const auto& e : computed_) {
          rows::column_vector v(e->type());
          e->eval(b, v, ctx);
          b.columns().push_back(std::move(v));
        }
        counters_.records_out += n;
        buffer_.clear();
        buffer_.push_back(std::move(b));
        next_->process(buffer_);
        buffer_.clear();
      });
    }
    return splits_.done() ? source_status::end : source_status::more;
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    splits_.snapshot(info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    splits_.restore(info_, entries);
  }

 private:
  void fill(rows::column_vector& out, std::size_t col, std::uint64_t base, std::uint64_t step,
            std::size_t n, std::int64_t now) const {
    const auto& f = c_.fields[col];
    const auto& t = c_.physical[col].type;
    out.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t i = base + k * step;
      random r(value_seed(c_.seed, i, col));
      if (f.null_rate > 0 && r.unit() < f.null_rate) {
        out.set_null(k, true);
        continue;
      }
      const std::int64_t seq = f.start + static_cast<std::int64_t>(i);
      switch (t.physical()) {
        case rows::physical_kind::boolean:
          out.data<std::uint8_t>()[k] = static_cast<std::uint8_t>(r.next() & 1);
          break;
        case rows::physical_kind::int32: {
          std::int64_t v = 0;
          if (f.sequence) {
            v = seq;
          } else if (t.id == type_id::date) {
            const std::int64_t ts = now - r.uniform(0, f.max_past_ms);
            v = ts >= 0 ? ts / 86'400'000 : -((-ts + 86'399'999) / 86'400'000);
          } else {
            v = r.uniform(f.min_i, f.max_i);
          }
          out.data<std::int32_t>()[k] = static_cast<std::int32_t>(v);
          break;
        }
        case rows::physical_kind::int64: {
          std::int64_t v = 0;
          if (f.sequence)
            v = t.id == type_id::decimal ? seq * pow10(t.scale) : seq;
          else if (t.is_timestamp())
            v = now - r.uniform(0, f.max_past_ms);
          else
            v = r.uniform(f.min_i, f.max_i);
          out.data<std::int64_t>()[k] = v;
          break;
        }
        case rows::physical_kind::float64: {
          double v = 0;
          if (f.sequence) {
            v = static_cast<double>(seq);
          } else {
            const double u = r.unit();
            v = f.min_d * (1 - u) + f.max_d * u;
          }
          if (t.id == type_id::float_) v = static_cast<float>(v);
          out.data<double>()[k] = v;
          break;
        }
        case rows::physical_kind::string: {
          auto& s = out.data<std::string>()[k];
          if (f.sequence) {
            s = std::to_string(seq);
          } else {
            static constexpr char hex[] = "0123456789abcdef";
            s.resize(static_cast<std::size_t>(f.length));
            std::uint64_t bits = 0;
            for (std::size_t j = 0; j < s.size(); ++j) {
              if (j % 16 == 0) bits = r.next();
              s[j] = hex[bits & 15];
              bits >>= 4;
            }
          }
          break;
        }
        case rows::physical_kind::nested:
          break;  // refused by parse_datagen_options
      }
    }
  }

  datagen_config c_;
  expr_list computed_;
  eddy::detail::generator_splits splits_;
  eddy::detail::rate_limiter limiter_;
};

const char* const field_keys[] = {"kind",   "min",   "max", "max-past",
                                  "length", "start", "end", "null-rate"};

}  // namespace

std::string parse_datagen_options(const std::string& table, const rows::schema& physical,
                                  const std::map<std::string, std::string>& options,
                                  datagen_config& out) {
  out = datagen_config{};
  out.table = table;
  out.physical = physical;
  out.fields.assign(physical.size(), datagen_field{});
  auto bad = [&](const std::string& key, const std::string& why) {
    return "Invalid value '" + options.at(key) + "' of option '" + key + "' for table '" + table +
           "': " + why;
  };
  auto unsupported = [&](const std::string& key, const std::string& why) {
    return "Unsupported option '" + key + "' for table '" + table + "' (connector 'datagen'" +
           (why.empty() ? std::string(")") : "): " + why);
  };
  // Which keys each field has (validated per field below).
  std::vector<std::map<std::string, std::string>> per_field(physical.size());
  for (const auto& [key, value] : options) {
    if (key == "connector") continue;
    if (key == "rows-per-second") {
      const auto v = parse_int(value);
      if (!v || *v <= 0) return bad(key, "expected a positive number of rows");
      out.rows_per_second = static_cast<double>(*v);
      continue;
    }
    if (key == "number-of-rows") {
      const auto v = parse_int(value);
      if (!v || *v < 0) return bad(key, "expected a number of rows (0 or more)");
      out.rows = static_cast<std::uint64_t>(*v);
      continue;
    }
    if (key.rfind("fields.", 0) != 0)
      return unsupported(key,
                         "it takes 'rows-per-second', 'number-of-rows' and 'fields.NAME.kind', "
                         "'.min', '.max', '.max-past', '.length', '.start', '.end', '.null-rate'");
    const auto dot = key.rfind('.');
    const std::string name = key.substr(7, dot > 7 ? dot - 7 : 0);
    const std::string what = dot > 7 ? key.substr(dot + 1) : std::string();
    const auto col = physical.index_of(name);
    if (dot <= 7 || name.empty() || !col)
      return unsupported(key, "'" + name + "' is not a physical column of the table");
    if (std::find(std::begin(field_keys), std::end(field_keys), what) == std::end(field_keys))
      return unsupported(key,
                         "a field takes 'kind', 'min', 'max', 'max-past', 'length', "
                         "'start', 'end' or 'null-rate'");
    per_field[*col][what] = key;
  }
  for (std::size_t c = 0; c < physical.size(); ++c) {
    auto& f = out.fields[c];
    const auto& t = physical[c].type;
    const auto& keys = per_field[c];
    auto has = [&](const char* k) { return keys.count(k) > 0; };
    auto key = [&](const char* k) { return keys.at(k); };
    auto val = [&](const char* k) { return options.at(keys.at(k)); };
    const std::string type = t.to_string();
    if (has("kind")) {
      if (val("kind") == "sequence")
        f.sequence = true;
      else if (val("kind") != "random")
        return bad(key("kind"), "expected 'random' or 'sequence'");
    }
    if (has("null-rate")) {
      const auto v = parse_double(val("null-rate"));
      if (!v || *v < 0 || *v > 1) return bad(key("null-rate"), "expected a number in [0, 1]");
      if (*v > 0 && !t.nullable)
        return bad(key("null-rate"), "the column is " + type + " and cannot be NULL");
      f.null_rate = *v;
    }
    const bool integral = t.is_integer() || t.id == type_id::decimal;
    if (f.sequence) {
      for (const char* k : {"min", "max", "max-past", "length"})
        if (has(k)) return unsupported(key(k), "the field's kind is 'sequence'");
      if (!integral && !is_float(t) && !is_string(t))
        return bad(key("kind"), "a sequence cannot generate " + type);
      for (const char* k : {"start", "end"})
        if (!has(k))
          return "Table '" + table + "': the sequence field '" + physical[c].name +
                 "' needs the option 'fields." + physical[c].name + "." + k + "'";
      const auto s = parse_int(val("start"));
      if (!s) return bad(key("start"), "expected an integer");
      const auto e = parse_int(val("end"));
      if (!e) return bad(key("end"), "expected an integer");
      if (*e < *s) return bad(key("end"), "the end is before the start " + std::to_string(*s));
      if (integral) {
        auto [lo, hi] = integer_range(t);
        if (t.id == type_id::decimal) {
          const auto p = pow10(t.scale);
          lo /= p;
          hi /= p;
        }
        if (*s < lo || *s > hi) return bad(key("start"), "out of the range of " + type);
        if (*e < lo || *e > hi) return bad(key("end"), "out of the range of " + type);
      }
      if (is_string(t) && t.id == type_id::char_)
        return bad(key("kind"), "a sequence cannot generate " + type + " (use VARCHAR)");
      f.start = *s;
      f.end = *e;
      const auto len = static_cast<std::uint64_t>(*e) - static_cast<std::uint64_t>(*s) + 1;
      if (len != 0) out.rows = std::min(out.rows, len);  // 0: the whole int64 range
      continue;
    }
    for (const char* k : {"start", "end"})
      if (has(k)) return unsupported(key(k), "the field's kind is 'random'");
    const bool numeric = integral || is_float(t);
    for (const char* k : {"min", "max"})
      if (has(k) && !numeric) return unsupported(key(k), "'" + std::string(k) + "' is for numbers");
    if (has("max-past") && !t.is_timestamp() && t.id != type_id::date)
      return unsupported(key("max-past"), "'max-past' is for TIMESTAMP, TIMESTAMP_LTZ and DATE");
    if (has("length") && !is_string(t))
      return unsupported(key("length"), "'length' is for CHAR, VARCHAR and STRING");
    switch (t.id) {
      case type_id::boolean:
      case type_id::date:
      case type_id::timestamp:
      case type_id::timestamp_ltz:
        break;
      case type_id::time:
        f.min_i = 0;
        f.max_i = 86'399'999;
        break;
      default:
        if (!numeric && !is_string(t))
          return "Table '" + table + "': the datagen connector cannot generate the column '" +
                 physical[c].name + "' of type " + type;
    }
    if (integral) {
      const auto [lo, hi] = integer_range(t);
      f.min_i = lo;
      f.max_i = hi;
      const std::int64_t scale = t.id == type_id::decimal ? pow10(t.scale) : 1;
      for (const char* k : {"min", "max"}) {
        if (!has(k)) continue;
        std::int64_t v = 0;
        if (t.id == type_id::decimal) {
          const auto d = parse_double(val(k));
          if (!d) return bad(key(k), "expected a number");
          const double u = std::round(*d * static_cast<double>(scale));
          if (u < static_cast<double>(lo) || u > static_cast<double>(hi))
            return bad(key(k), "out of the range of " + type);
          v = static_cast<std::int64_t>(u);
        } else {
          const auto i = parse_int(val(k));
          if (!i) return bad(key(k), "expected an integer");
          if (*i < lo || *i > hi) return bad(key(k), "out of the range of " + type);
          v = *i;
        }
        (std::string(k) == "min" ? f.min_i : f.max_i) = v;
      }
      if (f.min_i > f.max_i) return bad(key(has("max") ? "max" : "min"), "min is above max");
    } else if (is_float(t)) {
      const double m = t.id == type_id::float_ ? std::numeric_limits<float>::max()
                                               : std::numeric_limits<double>::max();
      f.min_d = -m;
      f.max_d = m;
      for (const char* k : {"min", "max"}) {
        if (!has(k)) continue;
        const auto d = parse_double(val(k));
        if (!d) return bad(key(k), "expected a number");
        if (*d < -m || *d > m) return bad(key(k), "out of the range of " + type);
        (std::string(k) == "min" ? f.min_d : f.max_d) = *d;
      }
      if (f.min_d > f.max_d) return bad(key(has("max") ? "max" : "min"), "min is above max");
    } else if (is_string(t)) {
      const bool fixed = t.id == type_id::char_;
      f.length = fixed ? t.precision : std::min<std::int32_t>(100, t.precision);
      if (has("length")) {
        const auto v = parse_int(val("length"));
        if (!v || *v < 0) return bad(key("length"), "expected a length (0 or more)");
        if (*v > t.precision) return bad(key("length"), "longer than the column's " + type);
        if (fixed && *v != t.precision)
          return bad(key("length"), "the column is " + type + " (of that length)");
        f.length = static_cast<std::int32_t>(*v);
      }
    }
    if (has("max-past")) {
      const auto d = parse_duration(val("max-past"));
      if (!d) return bad(key("max-past"), "expected a duration such as '10 s' or '1 h'");
      f.max_past_ms = *d;
    }
  }
  return {};
}

Source<rows::row_batch> datagen_rows_source(datagen_config config, expr_list computed) {
  const bool bounded = config.rows != unbounded;
  return Source<rows::row_batch>{
      "datagen", bounded,
      [config = std::move(config), computed = std::move(computed)](
          input_op<rows::row_batch>* next) -> std::unique_ptr<source_base> {
        return std::make_unique<datagen_reader>(config, computed, next);
      },
      nullptr};
}

}  // namespace eddy::table
