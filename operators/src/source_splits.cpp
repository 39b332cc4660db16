#include "eddy/operators/source_splits.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "eddy/runtime/serializer.hpp"

namespace eddy::detail {

namespace {
constexpr const char* splits_state = "__union:splits";
constexpr const char* splits_type = "source_splits<v1>";
using wire_split = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, bool>;
using wire_state = std::tuple<std::int32_t, std::int32_t, std::vector<wire_split>>;
}  // namespace

void put_splits(std::vector<state_entry>& out, const subtask_info& info,
                const std::vector<source_split>& remaining) {
  wire_state st{info.index, info.parallelism, {}};
  for (const auto& s : remaining)
    if (s.count() > 0) std::get<2>(st).emplace_back(s.begin, s.end, s.step, s.aligned);
  out.push_back(state_entry{splits_state, -1, splits_type, serialize(st)});
}

std::optional<std::vector<source_split>> get_splits(const std::vector<state_entry>& entries,
                                                    const subtask_info& info) {
  std::map<std::int32_t, std::vector<source_split>> by_old;  // old subtask -> splits
  bool found = false;
  bool same = true;
  for (const auto& e : entries) {
    if (e.name != splits_state) continue;
    if (e.type != splits_type)
      throw std::runtime_error("source state '" + e.name + "' was written as " + e.type +
                               ", expected " + splits_type);
    wire_state st;
    std::string err;
    if (!deserialize(e.data, st, &err))
      throw std::runtime_error("source state '" + e.name + "' does not decode: " + err);
    found = true;
    auto& [old_index, old_parallelism, splits] = st;
    same = same && old_parallelism == info.parallelism;
    auto& v = by_old[old_index];
    for (const auto& [b, en, step, aligned] : splits) {
      if (step == 0) throw std::runtime_error("source state holds a split with step 0");
      v.push_back(source_split{b, en, step, aligned});
    }
  }
  if (!found) return std::nullopt;
  if (same) {
    auto it = by_old.find(info.index);
    return it == by_old.end() ? std::vector<source_split>{} : it->second;
  }
  std::vector<source_split> all;
  for (auto& [i, v] : by_old) all.insert(all.end(), v.begin(), v.end());
  return redistribute_splits(all, info.index, info.parallelism);
}

std::vector<source_split> redistribute_splits(const std::vector<source_split>& all, int index,
                                              int parallelism) {
  std::vector<source_split> finite;
  std::uint64_t resume = 0;  // unbounded generators continue here
  bool unbounded = false;
  for (const auto& s : all)
    if (s.end == split_unbounded) {
      unbounded = true;
      resume = std::max(resume, s.begin);
    }
  for (const auto& s : all) {
    source_split f = s;
    if (s.end == split_unbounded) f.end = resume;  // what this residue class left below `resume`
    if (f.count() > 0) finite.push_back(f);
  }
  std::uint64_t total = 0;
  for (const auto& s : finite) total += s.count();
  const auto lo =
      static_cast<std::uint64_t>((static_cast<unsigned __int128>(total) * index) / parallelism);
  const auto hi = static_cast<std::uint64_t>((static_cast<unsigned __int128>(total) * (index + 1)) /
                                             parallelism);
  std::vector<source_split> mine;
  std::uint64_t at = 0;  // position of the current split's first index in the concatenation
  for (const auto& s : finite) {
    const std::uint64_t n = s.count();
    const std::uint64_t from = std::max(lo, at), to = std::min(hi, at + n);
    if (from < to) {
      source_split piece = s;
      piece.begin = s.begin + (from - at) * s.step;
      piece.end = to - at == n ? s.end : s.begin + (to - at) * s.step;
      piece.aligned = from == at ? s.aligned : false;
      mine.push_back(piece);
    }
    at += n;
  }
  if (unbounded)
    mine.push_back(source_split{resume + static_cast<std::uint64_t>(index), split_unbounded,
                                static_cast<std::uint64_t>(parallelism), true});
  return mine;
}

}  // namespace eddy::detail
