// Projection pruning (Flink's projection push-down, in its simplest form): a table's columns
// that the statement never names are dropped right after its scan, so window TVFs, exchanges
// and state do not copy them; a generator table (nexmark) does not even make them.
//
// Which names a statement uses is read off its tokens (the query printed back to SQL, and the
// views it reads, recursively): a column is kept when any identifier of the statement has its
// name, whatever table it was meant for. A `*` that selects columns (`SELECT *`, `t.*`, `, *`)
// turns pruning off for the statement. Over-keeping is harmless; a dropped column that is used
// would be an "unknown column" error, never a wrong result.
#include <set>

#include "eddy/sql/lexer.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/table/nexmark_table.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

using namespace planning;

namespace {

/// Passes on each batch's kept columns (moved, not copied).
class column_pruning_op final : public timed_input_op<rows::row_batch> {
 public:
  column_pruning_op(std::vector<std::size_t> keep, input_op<rows::row_batch>* next)
      : keep_(std::move(keep)), next_(next) {
    this->downstream_ = next;
  }
  using timed_input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>& ts) override {
    for (auto& b : batches) {
      counters_.records_in += b.size();
      counters_.records_out += b.size();
      auto& cols = b.columns();
      std::vector<rows::column_vector> kept;
      kept.reserve(keep_.size());
      for (const auto c : keep_) kept.push_back(std::move(cols[c]));
      cols = std::move(kept);
    }
    next_->process(batches, ts);
  }
  void finish() override { next_->finish(); }

 private:
  std::vector<std::size_t> keep_;
  input_op<rows::row_batch>* next_;
};

/// Adds the identifiers of `text` to `names`; false if a `*` selects columns.
bool collect_names(const std::string& text, const catalog& c, std::set<std::string>& names,
                   std::set<std::string>& views_seen) {
  auto tokens = sql::tokenize(text);
  if (!tokens) return false;
  const auto& t = *tokens;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == sql::token_kind::word || t[i].kind == sql::token_kind::quoted_ident) {
      names.insert(t[i].text);
      if (const auto* v = c.find_view(t[i].text); v && views_seen.insert(v->name).second) {
        for (const auto& n : v->column_names) names.insert(n);
        if (!collect_names(sql::to_sql(v->body), c, names, views_seen)) return false;
      }
      continue;
    }
    if (!t[i].is_symbol("*") || i == 0) continue;
    const auto& prev = t[i - 1];
    if (prev.is_symbol(",") || prev.is_symbol(".") || prev.is_word("SELECT") ||
        prev.is_word("DISTINCT") || prev.is_word("ALL"))
      return false;  // a star: every column may be used
  }
  return true;
}

}  // namespace

std::optional<std::set<std::string>> planner::used_names(const sql::query& q) const {
  std::set<std::string> names, views;
  if (!collect_names(sql::to_sql(q), catalog_, names, views)) return std::nullopt;
  return names;
}

bool planner::column_used(const std::string& name) const {
  return !used_names_ || used_names_->count(name) > 0;
}

void planner::prune_nexmark_columns(nexmark_table_config& c, const std::string& rowtime) const {
  if (!used_names_) return;
  rows::schema physical;
  std::vector<int> fields;
  for (std::size_t i = 0; i < c.physical.size(); ++i) {
    if (c.physical[i].name != rowtime && !column_used(c.physical[i].name)) continue;
    physical.add(c.physical[i].name, c.physical[i].type);
    fields.push_back(c.fields[i]);
  }
  if (physical.empty()) return;
  c.physical = std::move(physical);
  c.fields = std::move(fields);
}

namespace planning {

void column_names(const sql::expr& e, std::set<std::string>& out) {
  if (const auto* id = e.as<sql::identifier>(); id && !id->parts.empty())
    out.insert(id->parts.back().value);
  for_each_child(e, [&](const sql::expr& child) { column_names(child, out); });
}

}  // namespace planning

std::vector<int> planner::scan_projection(const table_def& t) const {
  if (!used_names_ || !t.computed.empty()) return {};
  std::set<std::string> watermark;
  if (t.watermark) planning::column_names(*t.watermark, watermark);
  std::vector<int> projection(t.columns.size(), -1);
  int kept = 0;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& name = t.columns[i].name;
    if (name == t.rowtime.value_or("") || watermark.contains(name) || column_used(name))
      projection[i] = kept++;
  }
  if (kept == 0 || static_cast<std::size_t>(kept) == t.columns.size()) return {};
  return projection;
}

void planner::prune_scan(relation& r, const std::string& table) {
  if (!used_names_) return;
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < r.columns.size(); ++i)
    if (static_cast<int>(i) == r.rowtime || static_cast<int>(i) == r.proctime ||
        column_used(r.columns[i].name))
      keep.push_back(i);
  if (keep.size() == r.columns.size() || keep.empty()) return;
  sql::scope columns;
  int rowtime = -1, proctime = -1;
  for (const auto i : keep) {
    if (static_cast<int>(i) == r.rowtime) rowtime = static_cast<int>(columns.size());
    if (static_cast<int>(i) == r.proctime) proctime = static_cast<int>(columns.size());
    columns.push_back(r.columns[i]);
  }
  r.stream = r.stream->add_op<rows::row_batch>(
      "prune " + table + " #" + std::to_string(next_id_++), [keep](operator_base* next) {
        return std::make_unique<column_pruning_op>(keep, detail::as_input<rows::row_batch>(next));
      });
  r.columns = std::move(columns);
  r.rowtime = rowtime;
  r.proctime = proctime;
  std::vector<std::string> below = std::move(r.explain);
  indent(below);
  r.explain = {"Calc(select=[" + join_names(r.columns) + "])"};
  r.explain.insert(r.explain.end(), below.begin(), below.end());
}

}  // namespace eddy::table
