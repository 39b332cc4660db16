#pragma once
/// How records are written as text by print() and write_text_file(): strings as they are,
/// numbers in their shortest round-tripping form, pairs and tuples as comma-separated fields,
/// optionals as their value or nothing. Other types: provide `std::string to_text(const T&)`
/// findable by ADL, or an `operator<<`, or pass a format function to the sink.
#include <charconv>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace eddy {

template <class T>
void append_text(std::string& out, const T& v);

namespace detail {
template <class T, class = void>
struct has_adl_to_text : std::false_type {};
template <class T>
struct has_adl_to_text<T, std::void_t<decltype(to_text(std::declval<const T&>()))>>
    : std::true_type {};
template <class T, class = void>
struct has_ostream : std::false_type {};
template <class T>
struct has_ostream<T,
                   std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
template <class T>
struct is_pair_or_tuple : std::false_type {};
template <class A, class B>
struct is_pair_or_tuple<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_pair_or_tuple<std::tuple<Ts...>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
void append_text(std::string& out, const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, char>) {
    out.push_back(v);
  } else if constexpr (std::is_arithmetic_v<T>) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  } else if constexpr (detail::is_pair_or_tuple<T>::value) {
    bool first = true;
    std::apply(
        [&](const auto&... xs) {
          ((out.append(first ? "" : ","), first = false, append_text(out, xs)), ...);
        },
        v);
  } else if constexpr (detail::is_optional<T>::value) {
    if (v) append_text(out, *v);
  } else if constexpr (detail::has_adl_to_text<T>::value) {
    out.append(to_text(v));
  } else if constexpr (detail::has_ostream<T>::value) {
    std::ostringstream os;
    os << v;
    out.append(os.str());
  } else {
    static_assert(sizeof(T) == 0,
                  "eddy: no text form for this record type; define to_text(const T&) or pass a "
                  "format function");
  }
}

template <class T>
[[nodiscard]] std::string format_text(const T& v) {
  std::string s;
  append_text(s, v);
  return s;
}

namespace detail {

/// The sinks' default line format: append_text of the record.
struct default_text_format {
  template <class T>
  void operator()(std::string& out, const T& v) const {
    append_text(out, v);
  }
};

/// Adapts a `std::string(const T&)` format function to the sinks' append form.
template <class F>
struct string_format {
  F f;
  template <class T>
  void operator()(std::string& out, const T& v) const {
    out.append(f(v));
  }
};

}  // namespace detail

}  // namespace eddy
