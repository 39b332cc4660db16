#include "eddy/connectors/split_positions.hpp"

#include <stdexcept>
#include <tuple>

#include "eddy/runtime/serializer.hpp"

namespace eddy::connectors {

namespace {
using state = std::tuple<std::int32_t, std::vector<std::tuple<std::string, std::int64_t>>>;
}  // namespace

state_entry snapshot_split_positions(const std::string& name, const std::string& type,
                                     int parallelism,
                                     const std::map<std::string, std::int64_t>& splits) {
  state st{parallelism, {splits.begin(), splits.end()}};
  return state_entry{name, -1, type, serialize(st)};
}

std::map<std::string, std::int64_t> restore_split_positions(const std::vector<state_entry>& entries,
                                                            const std::string& name,
                                                            const std::string& type,
                                                            const subtask_info& info) {
  std::map<std::string, std::int64_t> all;
  bool own = false;
  for (const auto& e : entries) {
    if (e.name != name) continue;
    if (e.type != type)
      throw std::runtime_error("source state '" + e.name + "' was written as " + e.type);
    state st;
    std::string err;
    if (!deserialize(e.data, st, &err))
      throw std::runtime_error("source state '" + e.name + "' does not decode: " + err);
    own = std::get<0>(st) == info.parallelism;
    for (auto& [id, pos] : std::get<1>(st)) all[id] = pos;
  }
  std::map<std::string, std::int64_t> mine;
  std::size_t i = 0;
  for (const auto& [id, pos] : all)
    if (own ||
        i++ % static_cast<std::size_t>(info.parallelism) == static_cast<std::size_t>(info.index))
      mine[id] = pos;
  return mine;
}

}  // namespace eddy::connectors
