#pragma once
/// `collector<T>`: where flat_map and process functions put their output (Flink's Collector).
/// Only valid during the call it was passed to; not thread-safe.
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace eddy {

/// Names a side output of record type T (Flink's OutputTag). Operators emit to it and
/// DataStream::get_side_output(tag) reads it.
template <class T>
struct output_tag {
  explicit output_tag(std::string tag_id) : id(std::move(tag_id)) {}
  std::string id;
};

template <class T>
class collector {
 public:
  explicit collector(std::vector<T>& out) : out_(&out) {}
  void collect(const T& x) { out_->push_back(x); }
  void collect(T&& x) { out_->push_back(std::move(x)); }
  template <class... Args>
  void emplace(Args&&... args) {
    out_->emplace_back(std::forward<Args>(args)...);
  }

 private:
  std::vector<T>* out_;
};

namespace detail {
/// Argument types of a callable with one non-template call operator (lambdas, functors,
/// function pointers). Used to deduce flat_map's output type from `collector<Out>&`.
template <class F>
struct callable_args : callable_args<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class... A>
struct callable_args<R (C::*)(A...) const> {
  using type = std::tuple<A...>;
};
template <class C, class R, class... A>
struct callable_args<R (C::*)(A...)> {
  using type = std::tuple<A...>;
};
template <class R, class... A>
struct callable_args<R (*)(A...)> {
  using type = std::tuple<A...>;
};
template <class R, class... A>
struct callable_args<R(A...)> {
  using type = std::tuple<A...>;
};

template <class C>
struct collector_value;
template <class T>
struct collector_value<collector<T>&> {
  using type = T;
};

/// The Out of a window function `void(key, window, input, collector<Out>&)`.
template <class F>
using window_fn_output_t =
    typename collector_value<std::tuple_element_t<3, typename callable_args<F>::type>>::type;

/// The Out of a member function `void process_element(In, Context&, collector<Out>&)`.
template <class F>
using process_fn_output_t = typename collector_value<std::tuple_element_t<
    2, typename callable_args<decltype(&std::decay_t<F>::process_element)>::type>>::type;

/// Out if given, else deduced from process_element (lazily: only when Out is void).
template <class Out, class F>
struct process_output {
  using type = Out;
};
template <class F>
struct process_output<void, F> {
  using type = process_fn_output_t<F>;
};

/// The Out of a function `void(In, collector<Out>&)`.
template <class F>
using flat_map_output_t =
    typename collector_value<std::tuple_element_t<1, typename callable_args<F>::type>>::type;
}  // namespace detail

}  // namespace eddy
