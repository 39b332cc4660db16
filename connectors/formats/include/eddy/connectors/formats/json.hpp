#pragma once
/// The JSON lines format: one JSON object per line, mapped to a struct's EDDY_FIELDS by name.
///
///     struct reading { std::string device; std::int64_t ts; std::optional<double> temperature; };
///     EDDY_FIELDS(reading, device, ts, temperature)
///     eddy::formats::json_decoder<reading> dec;
///     dec.decode(R"({"device":"d1","ts":1000,"temperature":null})", r, why);
///
/// As Flink's JSON format: keys that are not fields are ignored; a missing key leaves the field
/// at its default (or fails with json_options::fail_on_missing_field); null sets an optional
/// field to nullopt and is an error for any other. Numbers go to integer, floating point and
/// string fields, strings only to string fields, true/false to bool and string fields; a nested
/// object or array goes to a string field as its JSON text. Parsed with simdjson (Debian's
/// libsimdjson-dev, chosen over nlohmann-json for reading speed: the decoder is on every
/// record's path); one decoder per subtask (not thread-safe).
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "eddy/connectors/formats/field_text.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::formats {

struct json_options {
  bool fail_on_missing_field = false;
};

/// One parsed JSON object (json.cpp, over simdjson's DOM parser, reused line after line).
class json_object {
 public:
  enum class kind { missing, null, string, number, boolean, nested };
  json_object();
  ~json_object();
  json_object(const json_object&) = delete;
  json_object& operator=(const json_object&) = delete;
  json_object(json_object&&) noexcept;
  json_object& operator=(json_object&&) noexcept;
  /// Parses `line`; false with `why` if it is not one JSON object.
  bool parse(std::string_view line, std::string& why);
  /// The value of `key` in the last parsed object as text (strings unescaped, numbers in their
  /// shortest form, nested values as JSON) and its kind.
  kind get(std::string_view key, std::string& text);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

template <class T>
class json_decoder {
 public:
  explicit json_decoder(json_options o = {}) : o_(o) {}
  json_decoder(const json_decoder& other) : o_(other.o_) {}  // a fresh parser per copy
  json_decoder& operator=(const json_decoder& other) {
    o_ = other.o_;
    return *this;
  }

  /// Decodes `line` into `out`; false with `why` ("key 'ts': 'x' is a string, expected a
  /// number") if it does not fit.
  bool decode(std::string_view line, T& out, std::string& why) {
    why.clear();
    if (!obj_.parse(line, why)) return false;
    return detail::assign_fields(
        out, [&](std::size_t, auto& f, std::string_view name) { return field(f, name, why); });
  }

 private:
  template <class F>
  bool field(F& f, std::string_view name, std::string& why) {
    using kind = json_object::kind;
    using V = std::remove_cvref_t<F>;
    const kind k = obj_.get(name, text_);
    auto fail = [&](const std::string& reason) {
      why = "key '" + std::string(name) + "': " + reason;
      return false;
    };
    if (k == kind::missing) return o_.fail_on_missing_field ? fail("missing") : true;
    if (k == kind::null) {
      if constexpr (detail::is_optional<V>::value) {
        f.reset();
        return true;
      } else {
        return fail("is null, and the field is not optional");
      }
    }
    using base = typename unwrap<V>::type;
    if constexpr (!std::is_same_v<base, std::string>) {
      if (k == kind::string)
        return fail("'" + text_ + "' is a string, expected " + expected<base>());
      if (k == kind::nested) return fail(text_ + " is not " + expected<base>());
      if (std::is_same_v<base, bool> != (k == kind::boolean))
        return fail(text_ + " is not " + expected<base>());
    }
    std::string reason;
    if (detail::parse_field(text_, f, reason)) return true;
    return fail("'" + text_ + "' " + reason);
  }
  template <class V>
  struct unwrap {
    using type = V;
  };
  template <class V>
  struct unwrap<std::optional<V>> {
    using type = V;
  };
  template <class B>
  static std::string expected() {
    if constexpr (std::is_same_v<B, bool>)
      return "a boolean";
    else
      return "a number";
  }

  json_options o_;
  json_object obj_;
  std::string text_;
};

}  // namespace eddy::formats
