#include "eddy/table/row_operators.hpp"

#include <stdexcept>

#include "eddy/rows/value_text.hpp"

namespace eddy::table {

namespace {

sql::eval_context context_now(const operator_base& op) {
  sql::eval_context ctx;
  ctx.now_ms = op.current_processing_time();
  return ctx;
}

/// Appends the computed columns of `b` (evaluated over its rows).
void append_columns(rows::row_batch& b, const expr_list& exprs, const sql::eval_context& ctx) {
  for (const auto& e : exprs) {
    rows::column_vector col(e->type());
    e->eval(b, col, ctx);
    b.columns().push_back(std::move(col));
  }
}

/// Appends the computed columns to a decoded batch and hands it to `next` (through `out`).
void pass_on(rows::row_batch& b, const expr_list& computed, const sql::eval_context& ctx,
             input_op<rows::row_batch>* next, std::vector<rows::row_batch>& out,
             std::vector<std::int64_t>& no_ts) {
  append_columns(b, computed, ctx);
  out.clear();
  out.push_back(std::move(b));
  no_ts.clear();
  next->process(out, no_ts);
  out.clear();
}

}  // namespace

bool parse_text_value(std::string_view text, const rows::logical_type& t, rows::value& out,
                      std::string* why) {
  if (t.id == rows::type_id::boolean && (text == "t" || text == "f")) {
    out = rows::value(text == "t");
    return true;
  }
  return rows::parse_value(text, t, out, why);
}

decode_op::decode_op(std::string table, rows::schema physical, const row_format& f,
                     expr_list computed, input_op<rows::row_batch>* next,
                     const std::vector<int>& projection)
    : table_(std::move(table)),
      physical_(projection.empty() ? physical : project(physical, projection)),
      decoder_(std::move(physical), f, projection),
      computed_(std::move(computed)),
      next_(next) {
  this->downstream_ = next;
}

void decode_op::process(std::vector<std::string>& lines, std::vector<std::int64_t>&) {
  counters_.records_in += lines.size();
  guarded([&] {
    rows::row_batch b(physical_);
    std::string why;
    for (const auto& line : lines) {
      if (!decoder_.decode(line, b, why)) {
        std::string shown = line.substr(0, 200);
        throw std::runtime_error("table '" + table_ + "': " + why + " in the line '" + shown + "'");
      }
    }
    if (b.empty()) return;
    counters_.records_out += b.size();
    pass_on(b, computed_, context_now(*this), next_, out_, no_ts_);
  });
}

text_row_decode_op::text_row_decode_op(std::string table, rows::schema physical, expr_list computed,
                                       input_op<rows::row_batch>* next)
    : table_(std::move(table)),
      physical_(std::move(physical)),
      computed_(std::move(computed)),
      next_(next) {
  this->downstream_ = next;
}

void text_row_decode_op::process(std::vector<text_row>& in, std::vector<std::int64_t>&) {
  counters_.records_in += in.size();
  guarded([&] {
    rows::row_batch b(physical_);
    std::string why;
    for (const auto& r : in) {
      if (r.size() != physical_.size())
        throw std::runtime_error("table '" + table_ + "': a row of " + std::to_string(r.size()) +
                                 " values, the table has " + std::to_string(physical_.size()) +
                                 " columns");
      row_.assign(r.size(), rows::value());
      for (std::size_t c = 0; c < r.size(); ++c) {
        if (!r[c]) continue;
        if (!parse_text_value(*r[c], physical_[c].type, row_[c], &why))
          throw std::runtime_error("table '" + table_ + "', column " + physical_[c].name + ": " +
                                   why);
      }
      b.append_row(row_);
    }
    if (b.empty()) return;
    counters_.records_out += b.size();
    pass_on(b, computed_, context_now(*this), next_, out_, no_ts_);
  });
}

calc_op::calc_op(std::shared_ptr<const sql::vector_expr> where, expr_list projections,
                 input_op<rows::row_batch>* next)
    : where_(std::move(where)), projections_(std::move(projections)), next_(next) {
  this->downstream_ = next;
}

void calc_op::process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>& ts) {
  guarded([&] {
    const auto ctx = context_now(*this);
    out_.clear();
    out_ts_.clear();
    for (std::size_t i = 0; i < batches.size(); ++i) {
      auto& in = batches[i];
      counters_.records_in += in.size();
      if (where_) {
        sql::select_true(*where_, in, selected_, ctx);
        if (selected_.size() != in.size()) in.set_selection(selected_);
        if (in.empty()) continue;
      }
      rows::row_batch out;
      for (const auto& p : projections_) {
        rows::column_vector col(p->type());
        p->eval(in, col, ctx);
        out.columns().push_back(std::move(col));
      }
      if (projections_.empty()) {  // no columns (COUNT(*) needs none): the rows still count
        for (std::size_t r = 0; r < in.size(); ++r)
          out.append_row(std::span<const rows::value>{}, in.kind(r));
      } else if (!in.insert_only()) {  // a changelog keeps its row kinds
        for (std::size_t r = 0; r < in.size(); ++r) out.set_kind(r, in.kind(r));
      }
      counters_.records_out += out.size();
      out_.push_back(std::move(out));
      if (!ts.empty()) out_ts_.push_back(ts[i]);
    }
    if (out_.empty()) return;
    next_->process(out_, out_ts_);
    out_.clear();
  });
}

}  // namespace eddy::table
