#include "eddy/connectors/formats/json.hpp"

#include <simdjson.h>

#include <charconv>

namespace eddy::formats {

struct json_object::impl {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
};

json_object::json_object() : impl_(std::make_unique<impl>()) {}
json_object::~json_object() = default;
json_object::json_object(json_object&&) noexcept = default;
json_object& json_object::operator=(json_object&&) noexcept = default;

bool json_object::parse(std::string_view line, std::string& why) {
  simdjson::dom::element doc;
  if (auto err = impl_->parser.parse(line.data(), line.size(), true).get(doc)) {
    why = std::string("not JSON: ") + simdjson::error_message(err);
    return false;
  }
  if (doc.get_object().get(impl_->object) != simdjson::SUCCESS) {
    why = "not a JSON object";
    return false;
  }
  return true;
}

json_object::kind json_object::get(std::string_view key, std::string& text) {
  simdjson::dom::element v;
  if (impl_->object.at_key(key).get(v)) return kind::missing;
  text.clear();
  char buf[64];
  switch (v.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return kind::null;
    case simdjson::dom::element_type::STRING:
      text = std::string_view(v.get_string().value_unsafe());
      return kind::string;
    case simdjson::dom::element_type::BOOL:
      text = v.get_bool().value_unsafe() ? "true" : "false";
      return kind::boolean;
    case simdjson::dom::element_type::INT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64().value_unsafe());
      text.assign(buf, r.ptr);
      return kind::number;
    }
    case simdjson::dom::element_type::UINT64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe());
      text.assign(buf, r.ptr);
      return kind::number;
    }
    case simdjson::dom::element_type::DOUBLE: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_double().value_unsafe());
      text.assign(buf, r.ptr);
      return kind::number;
    }
    default:
      text = simdjson::minify(v);
      return kind::nested;
  }
}

}  // namespace eddy::formats
