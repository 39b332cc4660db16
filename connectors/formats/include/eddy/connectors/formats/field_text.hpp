#pragma once
/// Converting one field's text to its C++ type, for the CSV and JSON formats: integers and
/// floating point (std::from_chars: the whole text, no spaces), bool (true/false/1/0),
/// std::string (as is), std::optional<U> (empty or null: nullopt). Pure functions.
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace eddy::formats::detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// Parses `text` into `out`; on failure returns false and sets `why` ("is not an integer").
template <class T>
bool parse_field(std::string_view text, T& out, std::string& why) {
  if constexpr (is_optional<T>::value) {
    if (text.empty()) {
      out.reset();
      return true;
    }
    typename T::value_type v{};
    if (!parse_field(text, v, why)) return false;
    out = std::move(v);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.assign(text);
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (text == "true" || text == "1")
      out = true;
    else if (text == "false" || text == "0")
      out = false;
    else {
      why = "is not a boolean (true, false, 1, 0)";
      return false;
    }
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc::result_out_of_range) {
      why = "is out of range";
      return false;
    }
    if (ec != std::errc{} || p != text.data() + text.size() || text.empty()) {
      why = "is not an integer";
      return false;
    }
    return true;
  } else if constexpr (std::is_floating_point_v<T>) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || p != text.data() + text.size() || text.empty() ||
        !std::isfinite(out)) {
      why = "is not a finite number";
      return false;
    }
    return true;
  } else {
    static_assert(sizeof(T) == 0,
                  "eddy formats: fields must be integers, floating point, bool, std::string or "
                  "std::optional of those");
    return false;
  }
}

/// Calls `fn(index, field, name)` for the EDDY_FIELDS of `out` in order, until one returns
/// false; returns whether all returned true.
template <class T, class Fn>
bool assign_fields(T& out, Fn&& fn) {
  auto refs = eddy_fields(out);
  constexpr auto names = eddy_field_names(static_cast<const T*>(nullptr));
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    bool ok = true;
    ((ok = ok && fn(I, std::get<I>(refs), names[I])), ...);
    return ok;
  }
  (std::make_index_sequence<names.size()>{});
}

}  // namespace eddy::formats::detail
