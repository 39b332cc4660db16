#include "eddy/rows/schema.hpp"

#include <stdexcept>
#include <utility>

namespace eddy::rows {

schema::schema(std::vector<field> fields) {
  for (auto& f : fields) add(std::move(f.name), std::move(f.type));
}

schema& schema::add(std::string name, logical_type type) {
  if (index_of(name)) throw std::invalid_argument("column '" + name + "' is defined twice");
  fields_.push_back(field{std::move(name), std::move(type)});
  return *this;
}

std::optional<std::size_t> schema::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return i;
  return std::nullopt;
}

std::vector<logical_type> schema::types() const {
  std::vector<logical_type> out;
  out.reserve(fields_.size());
  for (const auto& f : fields_) out.push_back(f.type);
  return out;
}

std::string schema::to_string() const {
  std::string s = "(";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) s += ", ";
    s += "`" + fields_[i].name + "` " + fields_[i].type.to_string();
  }
  return s + ")";
}

}  // namespace eddy::rows
