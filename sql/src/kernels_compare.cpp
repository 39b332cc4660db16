// Comparison and logic kernels: = <> < <= > >= (NULL in, NULL out; strings bytewise),
// IS [NOT] DISTINCT FROM, AND/OR/NOT with SQL's three-valued logic (the right operand of AND/OR
// is evaluated only where the left one does not decide, as Flink's generated code does),
// IS [NOT] NULL/TRUE/FALSE/UNKNOWN, searched CASE and COALESCE (lazy per branch).
#include <algorithm>

#include "expr_internal.hpp"

namespace eddy::sql::detail {

namespace {

using rows::column_vector;
using rows::logical_type;

template <class P, class Cmp>
void compare_loop(const std::vector<P>& x, const std::vector<P>& y, std::vector<std::uint8_t>& r,
                  std::size_t n, Cmp cmp) {
  for (std::size_t i = 0; i < n; ++i) r[i] = cmp(x[i], y[i]) ? 1 : 0;
}

template <class P>
void compare_typed(cmp_op op, const std::vector<P>& x, const std::vector<P>& y,
                   std::vector<std::uint8_t>& r, std::size_t n) {
  switch (op) {
    case cmp_op::eq:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a == b; });
      break;
    case cmp_op::neq:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a != b; });
      break;
    case cmp_op::lt:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a < b; });
      break;
    case cmp_op::le:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a <= b; });
      break;
    case cmp_op::gt:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a > b; });
      break;
    case cmp_op::ge:
      compare_loop(x, y, r, n, [](const P& a, const P& b) { return a >= b; });
      break;
  }
}

class compare final : public node {
 public:
  compare(cmp_op op, node_ptr a, node_ptr b, bool null_safe, std::string text)
      : op_(op), a_(std::move(a)), b_(std::move(b)), null_safe_(null_safe) {
    set_type(rows::boolean_type().with_nullable(!null_safe &&
                                                (a_->type().nullable || b_->type().nullable)));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    column_vector a;
    column_vector b;
    a_->run(in, sel, n, a, ctx);
    b_->run(in, sel, n, b, ctx);
    prepare(out, type_, n);
    auto& r = out.data<std::uint8_t>();
    std::visit(
        [&](const auto& x) {
          using vec = std::decay_t<decltype(x)>;
          compare_typed(null_safe_ ? cmp_op::eq : op_, x, b.data<typename vec::value_type>(), r, n);
        },
        a.raw());
    if (!null_safe_) {
      merge_nulls(out, {&a, &b});
      return;
    }
    if (!a.all_valid() || !b.all_valid()) {
      for (std::size_t i = 0; i < n; ++i) {
        const bool an = a.is_null(i);
        const bool bn = b.is_null(i);
        if (an || bn) r[i] = an && bn ? 1 : 0;
      }
    }
    if (op_ == cmp_op::neq)
      for (auto& v : r) v = v ? 0 : 1;
  }

 private:
  cmp_op op_;
  node_ptr a_;
  node_ptr b_;
  bool null_safe_;
};

class and_or final : public node {
 public:
  and_or(bool is_and, node_ptr a, node_ptr b, std::string text)
      : and_(is_and), a_(std::move(a)), b_(std::move(b)) {
    set_type(rows::boolean_type().with_nullable(a_->type().nullable || b_->type().nullable));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    a_->run(in, sel, n, out, ctx);
    retag(out, type_);
    // Rows the left operand decides: FALSE for AND, TRUE for OR.
    const std::uint8_t decisive = and_ ? 0 : 1;
    std::vector<std::uint32_t> rest;
    const auto& av = out.data<std::uint8_t>();
    for (std::size_t i = 0; i < n; ++i)
      if (out.is_null(i) || av[i] != decisive) rest.push_back(static_cast<std::uint32_t>(i));
    if (rest.empty()) return;
    column_vector b;
    if (rest.size() == n) {
      b_->run(in, sel, n, b, ctx);
    } else {
      const auto rows = sub_selection(sel, rest);
      b_->run(in, rows.data(), rows.size(), b, ctx);
    }
    auto& r = out.data<std::uint8_t>();
    const auto& bv = b.data<std::uint8_t>();
    for (std::size_t j = 0; j < rest.size(); ++j) {
      const auto i = rest[j];
      const bool a_null = out.is_null(i);
      const bool b_null = b.is_null(j);
      if (!b_null && bv[j] == decisive) {
        r[i] = decisive;
        if (a_null) out.set_null(i, false);
      } else if (b_null) {
        if (!a_null) out.set_null(i, true);
      }
      // else: b is the neutral value, the result is a (already in out)
    }
  }

 private:
  bool and_;
  node_ptr a_;
  node_ptr b_;
};

class not_node final : public node {
 public:
  not_node(node_ptr a, std::string text) : a_(std::move(a)) {
    set_type(a_->type());
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    a_->run(in, sel, n, out, ctx);
    for (auto& v : out.data<std::uint8_t>()) v = v ? 0 : 1;
  }

 private:
  node_ptr a_;
};

class is_node final : public node {
 public:
  is_node(is_kind what, bool negated, node_ptr a, std::string text)
      : what_(what), negated_(negated), a_(std::move(a)) {
    set_type(rows::boolean_type().with_nullable(false));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    column_vector a;
    a_->run(in, sel, n, a, ctx);
    prepare(out, type_, n);
    auto& r = out.data<std::uint8_t>();
    const std::uint8_t* bools = a.type().physical() == rows::physical_kind::boolean
                                    ? a.data<std::uint8_t>().data()
                                    : nullptr;
    for (std::size_t i = 0; i < n; ++i) {
      const bool null = a.is_null(i);
      bool v = false;
      switch (what_) {
        case is_kind::null:
        case is_kind::unknown:
          v = null;
          break;
        case is_kind::true_:
          v = !null && bools[i] != 0;
          break;
        case is_kind::false_:
          v = !null && bools[i] == 0;
          break;
      }
      r[i] = v != negated_ ? 1 : 0;
    }
  }

 private:
  is_kind what_;
  bool negated_;
  node_ptr a_;
};

class case_node final : public node {
 public:
  case_node(std::vector<std::pair<node_ptr, node_ptr>> whens, node_ptr otherwise, logical_type t,
            std::string text)
      : whens_(std::move(whens)), else_(std::move(otherwise)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    prepare(out, type_, n);
    out.validity_for_write().assign(n, 0);  // rows no branch takes are NULL
    std::vector<std::uint32_t> rest(n);
    for (std::size_t i = 0; i < n; ++i) rest[i] = static_cast<std::uint32_t>(i);
    for (const auto& [cond, res] : whens_) {
      if (rest.empty()) return;
      column_vector c;
      const auto rows = sub_selection(sel, rest);
      cond->run(in, sel == nullptr && rest.size() == n ? nullptr : rows.data(), rest.size(), c,
                ctx);
      std::vector<std::uint32_t> hit;
      std::vector<std::uint32_t> miss;
      const auto& cv = c.data<std::uint8_t>();
      for (std::size_t j = 0; j < rest.size(); ++j)
        (!c.is_null(j) && cv[j] ? hit : miss).push_back(rest[j]);
      eval_subset(*res, in, sel, hit, out, ctx);
      rest = std::move(miss);
    }
    if (else_ && !rest.empty()) eval_subset(*else_, in, sel, rest, out, ctx);
  }

 private:
  std::vector<std::pair<node_ptr, node_ptr>> whens_;
  node_ptr else_;
};

class coalesce_node final : public node {
 public:
  coalesce_node(std::vector<node_ptr> args, logical_type t, std::string text)
      : args_(std::move(args)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n, column_vector& out,
           const eval_context& ctx) const override {
    args_.front()->run(in, sel, n, out, ctx);
    retag(out, type_);
    for (std::size_t a = 1; a < args_.size(); ++a) {
      if (out.all_valid()) return;
      std::vector<std::uint32_t> nulls;
      for (std::size_t i = 0; i < n; ++i)
        if (out.is_null(i)) nulls.push_back(static_cast<std::uint32_t>(i));
      if (nulls.empty()) return;
      eval_subset(*args_[a], in, sel, nulls, out, ctx);
    }
  }

 private:
  std::vector<node_ptr> args_;
};

}  // namespace

node_ptr make_compare(cmp_op op, node_ptr a, node_ptr b, bool null_safe, std::string text) {
  return std::make_unique<compare>(op, std::move(a), std::move(b), null_safe, std::move(text));
}
node_ptr make_and_or(bool is_and, node_ptr a, node_ptr b, std::string text) {
  return std::make_unique<and_or>(is_and, std::move(a), std::move(b), std::move(text));
}
node_ptr make_not(node_ptr a, std::string text) {
  return std::make_unique<not_node>(std::move(a), std::move(text));
}
node_ptr make_is(is_kind what, bool negated, node_ptr a, std::string text) {
  return std::make_unique<is_node>(what, negated, std::move(a), std::move(text));
}
node_ptr make_case(std::vector<std::pair<node_ptr, node_ptr>> whens, node_ptr otherwise,
                   logical_type result, std::string text) {
  return std::make_unique<case_node>(std::move(whens), std::move(otherwise), std::move(result),
                                     std::move(text));
}
node_ptr make_coalesce(std::vector<node_ptr> args, logical_type result, std::string text) {
  return std::make_unique<coalesce_node>(std::move(args), std::move(result), std::move(text));
}

}  // namespace eddy::sql::detail
