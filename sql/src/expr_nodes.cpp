// Expression nodes shared by all kernels: column references, literals, per-row and per-batch
// function calls, and the column helpers of expr_internal.hpp.
#include <stdexcept>
#include <variant>

#include "eddy/rows/value_text.hpp"
#include "expr_internal.hpp"

namespace eddy::sql::detail {

void prepare(rows::column_vector& out, const rows::logical_type& t, std::size_t n) {
  out = rows::column_vector(t);
  out.resize(n);
}

void merge_nulls(rows::column_vector& out, std::initializer_list<const rows::column_vector*> ins) {
  for (const auto* in : ins) {
    if (in->all_valid()) continue;
    auto& v = out.validity_for_write();
    const auto& src = in->validity();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] &= src[i];
  }
}

std::vector<std::uint32_t> sub_selection(const std::uint32_t* sel,
                                         const std::vector<std::uint32_t>& idx) {
  if (sel == nullptr) return idx;
  std::vector<std::uint32_t> rows(idx.size());
  for (std::size_t j = 0; j < idx.size(); ++j) rows[j] = sel[idx[j]];
  return rows;
}

void scatter(const rows::column_vector& part, const std::vector<std::uint32_t>& idx,
             rows::column_vector& out) {
  std::visit(
      [&](const auto& src) {
        using vec = std::decay_t<decltype(src)>;
        auto& dst = out.data<typename vec::value_type>();
        for (std::size_t j = 0; j < idx.size(); ++j) dst[idx[j]] = src[j];
      },
      part.raw());
  if (!part.all_valid() || !out.all_valid()) {
    auto& v = out.validity_for_write();
    for (std::size_t j = 0; j < idx.size(); ++j) v[idx[j]] = part.is_null(j) ? 0 : 1;
  }
}

void retag(rows::column_vector& c, const rows::logical_type& t) {
  if (c.type() == t) return;
  rows::column_vector tmp;
  prepare(tmp, t, c.size());
  std::vector<std::uint32_t> all(c.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint32_t>(i);
  scatter(c, all, tmp);
  c = std::move(tmp);
}

void eval_subset(const node& child, const rows::row_batch& in, const std::uint32_t* sel,
                 const std::vector<std::uint32_t>& idx, rows::column_vector& out,
                 const eval_context& ctx) {
  if (idx.empty()) return;
  const auto rows = sub_selection(sel, idx);
  rows::column_vector part;
  child.run(in, rows.data(), rows.size(), part, ctx);
  scatter(part, idx, out);
}

__int128 pow10_i128(int k) {
  __int128 r = 1;
  for (int i = 0; i < k; ++i) r *= 10;
  return r;
}

bool rescale(__int128 v, int from, int to, __int128& out) {
  if (to == from) {
    out = v;
    return true;
  }
  if (to > from) {
    const int k = to - from;
    if (k > 38) return v == 0 ? (out = 0, true) : false;
    return !__builtin_mul_overflow(v, pow10_i128(k), &out);
  }
  const int k = from - to;
  if (k > 38) {
    out = 0;
    return true;
  }
  const __int128 d = pow10_i128(k);
  __int128 q = v / d;
  const __int128 r = v % d;
  if (r * 2 >= d) ++q;
  if (r * 2 <= -d) --q;
  out = q;
  return true;
}

bool fits_precision(__int128 v, int precision) {
  const __int128 lim = pow10_i128(precision);
  return v < lim && v > -lim;
}

void throw_decimal_overflow(const rows::logical_type& t) {
  throw eval_error("value out of range of " + t.with_nullable(true).to_string());
}

namespace {

class column_ref final : public node {
 public:
  column_ref(std::size_t index, rows::logical_type t, std::string text) : index_(index) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context&) const override {
    const auto& col = in.column(index_);
    if (sel == nullptr && n == col.size()) {
      out = col;
      retag(out, type_);
      return;
    }
    prepare(out, type_, n);
    std::visit(
        [&](const auto& src) {
          using vec = std::decay_t<decltype(src)>;
          auto& dst = out.data<typename vec::value_type>();
          for (std::size_t i = 0; i < n; ++i) dst[i] = src[sel != nullptr ? sel[i] : i];
        },
        col.raw());
    if (!col.all_valid()) {
      auto& v = out.validity_for_write();
      const auto& src = col.validity();
      for (std::size_t i = 0; i < n; ++i) v[i] = src[sel != nullptr ? sel[i] : i];
    }
  }

 private:
  std::size_t index_;
};

class literal_node final : public node {
 public:
  literal_node(rows::value v, rows::logical_type t, std::string text) : value_(std::move(v)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch&, const std::uint32_t*, std::size_t n, rows::column_vector& out,
           const eval_context&) const override {
    prepare(out, type_, n);
    if (value_.is_null()) {
      out.validity_for_write().assign(n, 0);
      return;
    }
    std::visit(
        [&](const auto& proto) {
          using P = typename std::decay_t<decltype(proto)>::value_type;
          auto& dst = out.data<P>();
          P x{};
          if constexpr (std::is_same_v<P, std::uint8_t>) {
            x = value_.as_bool() ? 1 : 0;
          } else {
            x = std::get<P>(value_.data);
          }
          std::fill(dst.begin(), dst.end(), x);
        },
        out.raw());
  }
  [[nodiscard]] const rows::value* constant() const noexcept override { return &value_; }

 private:
  rows::value value_;
};

class row_function final : public node {
 public:
  row_function(std::vector<node_ptr> args, rows::logical_type t, row_fn fn, bool strict,
               std::string text)
      : args_(std::move(args)), fn_(std::move(fn)), strict_(strict) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    // Literal arguments (patterns, separators, indices) are read once, not once per row.
    std::vector<rows::column_vector> cols(args_.size());
    std::vector<rows::value> vals(args_.size());
    std::vector<std::size_t> varying;
    bool const_null = false;
    for (std::size_t a = 0; a < args_.size(); ++a) {
      if (const auto* c = args_[a]->constant()) {
        vals[a] = *c;
        const_null = const_null || c->is_null();
      } else {
        args_[a]->run(in, sel, n, cols[a], ctx);
        varying.push_back(a);
      }
    }
    out = rows::column_vector(type_);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      bool any_null = const_null;
      for (const auto a : varying) {
        vals[a] = cols[a].get(i);
        any_null = any_null || vals[a].is_null();
      }
      if (strict_ && any_null) {
        out.append_null();
        continue;
      }
      out.append(fn_(vals, ctx));
    }
  }

 private:
  std::vector<node_ptr> args_;
  row_fn fn_;
  bool strict_;
};

class vector_function final : public node {
 public:
  vector_function(std::vector<node_ptr> args, rows::logical_type t, vector_fn fn, std::string text)
      : args_(std::move(args)), fn_(std::move(fn)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    std::vector<rows::column_vector> cols(args_.size());
    std::vector<const rows::column_vector*> ptrs(args_.size());
    for (std::size_t a = 0; a < args_.size(); ++a) {
      args_[a]->run(in, sel, n, cols[a], ctx);
      ptrs[a] = &cols[a];
    }
    prepare(out, type_, n);
    fn_(ptrs, n, out);
    if (out.size() != n || !(out.type().physical() == type_.physical()))
      throw eval_error("function " + text_ + " returned a column of the wrong size or type");
  }

 private:
  std::vector<node_ptr> args_;
  vector_fn fn_;
};

}  // namespace

node_ptr make_column_ref(std::size_t index, rows::logical_type t, std::string text) {
  return std::make_unique<column_ref>(index, std::move(t), std::move(text));
}
node_ptr make_literal(rows::value v, rows::logical_type t, std::string text) {
  return std::make_unique<literal_node>(std::move(v), std::move(t), std::move(text));
}
node_ptr make_row_function(std::vector<node_ptr> args, rows::logical_type result, row_fn fn,
                           bool strict, std::string text) {
  return std::make_unique<row_function>(std::move(args), std::move(result), std::move(fn), strict,
                                        std::move(text));
}
node_ptr make_vector_function(std::vector<node_ptr> args, rows::logical_type result, vector_fn fn,
                              std::string text) {
  return std::make_unique<vector_function>(std::move(args), std::move(result), std::move(fn),
                                           std::move(text));
}

}  // namespace eddy::sql::detail
