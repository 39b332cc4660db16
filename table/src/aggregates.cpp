#include "eddy/table/aggregates.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace eddy::table {

namespace {

using rows::type_id;

bool less(const rows::value& a, const rows::value& b) {
  return a.data < b.data;
}

/// 10^k for 0 <= k <= 36.
__int128 pow10(int k) {
  __int128 r = 1;
  for (int i = 0; i < k; ++i) r *= 10;
  return r;
}

constexpr std::int64_t decimal_limit = 1'000'000'000'000'000'000;  // 10^18

std::int64_t checked_decimal(__int128 v, const char* what) {
  if (v >= decimal_limit || v <= -decimal_limit)
    throw std::overflow_error(std::string(what) +
                              " overflowed DECIMAL: the value needs more than " +
                              std::to_string(rows::max_decimal_digits) + " digits");
  return static_cast<std::int64_t>(v);
}

/// `v` wrapped into the width of integer type `t` (Java's narrowing), as the column stores it.
rows::value wrap_integer(std::int64_t v, const rows::logical_type& t) {
  switch (t.id) {
    case type_id::tinyint:
      return rows::value(static_cast<std::int32_t>(static_cast<std::int8_t>(v)));
    case type_id::smallint:
      return rows::value(static_cast<std::int32_t>(static_cast<std::int16_t>(v)));
    case type_id::int_:
      return rows::value(static_cast<std::int32_t>(v));
    default:
      return rows::value(v);
  }
}

std::int64_t as_integer(const rows::value& v) {
  if (const auto* i = std::get_if<std::int32_t>(&v.data)) return *i;
  return v.as_int64();
}

void add_to_sum(const rows::logical_type& arg, rows::value& sum, const rows::value& v) {
  if (arg.is_integer()) {
    const auto old = sum.is_null() ? 0 : sum.as_int64();
    // Wrapping addition (Java's long arithmetic), without signed overflow in C++.
    sum = rows::value(static_cast<std::int64_t>(static_cast<std::uint64_t>(old) +
                                                static_cast<std::uint64_t>(as_integer(v))));
  } else if (arg.id == type_id::decimal) {
    const __int128 old = sum.is_null() ? 0 : sum.as_int64();
    sum = rows::value(checked_decimal(old + v.as_int64(), "SUM"));
  } else {
    sum = rows::value((sum.is_null() ? 0.0 : sum.as_double()) + v.as_double());
  }
}

}  // namespace

std::optional<aggregate_kind> find_aggregate(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "COUNT") return aggregate_kind::count;
  if (upper == "SUM") return aggregate_kind::sum;
  if (upper == "AVG") return aggregate_kind::avg;
  if (upper == "MIN") return aggregate_kind::min;
  if (upper == "MAX") return aggregate_kind::max;
  return std::nullopt;
}

std::optional<rows::logical_type> aggregate_result_type(aggregate_kind kind,
                                                        const rows::logical_type& argument,
                                                        std::string& why) {
  switch (kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count:
      return rows::bigint_type().with_nullable(false);
    case aggregate_kind::sum:
    case aggregate_kind::avg:
      if (!argument.is_numeric()) {
        why = std::string(kind == aggregate_kind::sum ? "SUM" : "AVG") +
              " needs a numeric argument, not " + argument.to_string();
        return std::nullopt;
      }
      if (argument.id == type_id::decimal)
        return kind == aggregate_kind::sum
                   ? rows::decimal_type(38, argument.scale)
                   : rows::decimal_type(38, std::max<std::int32_t>(6, argument.scale));
      return argument.with_nullable(true);
    case aggregate_kind::min:
    case aggregate_kind::max:
      if (argument.physical() == rows::physical_kind::nested) {
        why = "MIN and MAX of " + argument.to_string() + " are not supported";
        return std::nullopt;
      }
      return argument.with_nullable(true);
  }
  return std::nullopt;
}

namespace {

/// Adds one non-NULL value (already known to be new for a DISTINCT call).
void fold(const aggregate_call& call, accumulator& acc, const rows::value& v) {
  ++acc.count;
  switch (call.kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count:
      break;
    case aggregate_kind::sum:
    case aggregate_kind::avg:
      add_to_sum(call.argument_type, acc.value, v);
      break;
    case aggregate_kind::min:
      if (acc.value.is_null() || less(v, acc.value)) acc.value = v;
      break;
    case aggregate_kind::max:
      if (acc.value.is_null() || less(acc.value, v)) acc.value = v;
      break;
  }
}

/// For DISTINCT calls: records `v`, false if it was seen already.
bool first_sight(accumulator& acc, const rows::value& v) {
  auto it = std::lower_bound(acc.seen.begin(), acc.seen.end(), v, less);
  if (it != acc.seen.end() && *it == v) return false;
  acc.seen.insert(it, v);
  return true;
}

/// Retractable accumulators: counts `v` in `seen` / `seen_counts`; true if it is new there.
bool count_in(accumulator& acc, const rows::value& v) {
  auto it = std::lower_bound(acc.seen.begin(), acc.seen.end(), v, less);
  const auto at = it - acc.seen.begin();
  if (it != acc.seen.end() && *it == v) {
    ++acc.seen_counts[static_cast<std::size_t>(at)];
    return false;
  }
  acc.seen.insert(it, v);
  acc.seen_counts.insert(acc.seen_counts.begin() + at, 1);
  return true;
}

/// Retractable accumulators: uncounts `v`; true if its count reached 0 (it left `seen`); false
/// also when it was not there.
bool uncount(accumulator& acc, const rows::value& v, bool& found) {
  auto it = std::lower_bound(acc.seen.begin(), acc.seen.end(), v, less);
  found = it != acc.seen.end() && *it == v;
  if (!found) return false;
  const auto at = static_cast<std::size_t>(it - acc.seen.begin());
  if (--acc.seen_counts[at] > 0) return false;
  acc.seen.erase(it);
  acc.seen_counts.erase(acc.seen_counts.begin() + static_cast<std::ptrdiff_t>(at));
  return true;
}

/// MIN / MAX of a retractable accumulator: the extreme of what `seen` holds.
void extreme_from_seen(const aggregate_call& call, accumulator& acc) {
  if (acc.seen.empty())
    acc.value = rows::value{};
  else
    acc.value = call.kind == aggregate_kind::min ? acc.seen.front() : acc.seen.back();
}

void subtract_from_sum(const rows::logical_type& arg, rows::value& sum, const rows::value& v) {
  if (arg.is_integer()) {
    sum = rows::value(static_cast<std::int64_t>(static_cast<std::uint64_t>(sum.as_int64()) -
                                                static_cast<std::uint64_t>(as_integer(v))));
  } else if (arg.id == type_id::decimal) {
    sum = rows::value(checked_decimal(static_cast<__int128>(sum.as_int64()) - v.as_int64(), "SUM"));
  } else {
    sum = rows::value(sum.as_double() - v.as_double());
  }
}

bool filtered_out(const aggregate_call& call, const std::vector<rows::value>& row) {
  if (call.filter < 0) return false;
  const auto& f = row[static_cast<std::size_t>(call.filter)];
  return f.is_null() || !f.as_bool();
}

}  // namespace

void accumulate(const aggregate_call& call, accumulator& acc, const std::vector<rows::value>& row,
                bool retractable) {
  if (filtered_out(call, row)) return;
  if (call.kind == aggregate_kind::count_star) {
    ++acc.count;
    return;
  }
  const auto& v = row[static_cast<std::size_t>(call.argument)];
  if (v.is_null()) return;
  if (!retractable) {
    if (call.distinct && !first_sight(acc, v)) return;
    fold(call, acc, v);
    return;
  }
  const bool extreme = call.kind == aggregate_kind::min || call.kind == aggregate_kind::max;
  if (call.distinct || extreme) {
    const bool fresh = count_in(acc, v);
    if (call.distinct && !fresh) return;
  }
  fold(call, acc, v);
}

void retract(const aggregate_call& call, accumulator& acc, const std::vector<rows::value>& row) {
  if (filtered_out(call, row)) return;
  if (call.kind == aggregate_kind::count_star) {
    --acc.count;
    return;
  }
  const auto& v = row[static_cast<std::size_t>(call.argument)];
  if (v.is_null()) return;
  const bool extreme = call.kind == aggregate_kind::min || call.kind == aggregate_kind::max;
  if (call.distinct || extreme) {
    bool found = false;
    const bool gone = uncount(acc, v, found);
    if (!found || (call.distinct && !gone)) return;
  }
  --acc.count;
  if (extreme) {
    extreme_from_seen(call, acc);
  } else if (call.kind == aggregate_kind::sum || call.kind == aggregate_kind::avg) {
    if (acc.count == 0)
      acc.value = rows::value{};
    else
      subtract_from_sum(call.argument_type, acc.value, v);
  }
}

void merge(const aggregate_call& call, accumulator& into, const accumulator& from) {
  if (call.distinct && call.kind != aggregate_kind::count_star) {
    for (const auto& v : from.seen)
      if (first_sight(into, v)) fold(call, into, v);
    return;
  }
  switch (call.kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count:
      into.count += from.count;
      return;
    case aggregate_kind::sum:
    case aggregate_kind::avg:
      if (from.count == 0) return;
      if (into.count == 0)
        into.value = from.value;
      else
        add_to_sum(call.argument_type, into.value, from.value);
      into.count += from.count;
      return;
    case aggregate_kind::min:
    case aggregate_kind::max:
      if (from.count == 0) return;
      if (into.count == 0 || (call.kind == aggregate_kind::min ? less(from.value, into.value)
                                                               : less(into.value, from.value)))
        into.value = from.value;
      into.count += from.count;
      return;
  }
}

rows::value aggregate_result(const aggregate_call& call, const accumulator& acc) {
  if (call.kind == aggregate_kind::count_star || call.kind == aggregate_kind::count)
    return rows::value(acc.count);
  if (acc.count == 0) return {};
  const auto& arg = call.argument_type;
  if (call.kind == aggregate_kind::sum) {
    if (arg.is_integer()) return wrap_integer(acc.value.as_int64(), arg);
    return acc.value;
  }
  if (call.kind == aggregate_kind::avg) {
    if (arg.is_integer()) return wrap_integer(acc.value.as_int64() / acc.count, arg);
    if (arg.id == type_id::decimal) {
      const int shift = call.result_type.scale - arg.scale;
      const __int128 scaled = static_cast<__int128>(acc.value.as_int64()) * pow10(shift);
      __int128 q = scaled / acc.count;
      const __int128 r = scaled % acc.count;
      // Half up (away from zero on a tie), as Java's RoundingMode.HALF_UP.
      if ((r < 0 ? -r : r) * 2 >= acc.count) q += scaled < 0 ? -1 : 1;
      return rows::value(checked_decimal(q, "AVG"));
    }
    const double avg = acc.value.as_double() / static_cast<double>(acc.count);
    return rows::value(arg.id == type_id::float_ ? static_cast<double>(static_cast<float>(avg))
                                                 : avg);
  }
  return acc.value;  // MIN, MAX
}

}  // namespace eddy::table
