#include "eddy/table/table_connector.hpp"

#include <map>

namespace eddy::table {

namespace {
std::map<std::string, table_connector, std::less<>>& registry() {
  static std::map<std::string, table_connector, std::less<>> r;
  return r;
}
}  // namespace

void register_table_connector(std::string name, table_connector c) {
  registry()[std::move(name)] = std::move(c);
}

const table_connector* find_table_connector(std::string_view name) {
  const auto& r = registry();
  const auto it = r.find(name);
  return it == r.end() ? nullptr : &it->second;
}

std::vector<std::string> table_connector_names() {
  std::vector<std::string> out;
  for (const auto& [name, c] : registry()) out.push_back(name);
  return out;
}

}  // namespace eddy::table
