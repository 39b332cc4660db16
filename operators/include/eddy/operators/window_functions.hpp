#pragma once
/// Window functions: how a window's records are accumulated and what a firing emits (the
/// adapters behind WindowedStream::reduce / aggregate / process). Each has
///   using accumulator, output;  create(), add(acc&, const T&), merge(acc&, acc&&) (sessions),
///   emit(key, window, const acc&, collector<output>&).
/// Copied into every subtask; called on the subtask's actor only.
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"

namespace eddy {

// ---- window functions: how records are accumulated and what a firing emits ----

/// reduce(fn): keeps one reduced value; emits it.
template <class T, class F>
struct reduce_window_fn {
  using accumulator = std::optional<T>;
  using output = T;
  F fn;
  accumulator create() const { return std::nullopt; }
  void add(accumulator& acc, const T& v) const { acc = acc ? fn(*acc, v) : v; }
  void merge(accumulator& into, accumulator&& from) const {
    if (from) add(into, *from);
  }
  template <class K, class W>
  void emit(const K&, const W&, const accumulator& acc, collector<T>& out) const {
    if (acc) out.collect(*acc);
  }
};

/// aggregate(agg): agg.create_accumulator(), agg.add(acc&, value), agg.get_result(acc).
template <class T, class Agg>
struct aggregate_window_fn {
  using accumulator = std::decay_t<decltype(std::declval<const Agg&>().create_accumulator())>;
  using output = std::decay_t<decltype(std::declval<const Agg&>().get_result(
      std::declval<const accumulator&>()))>;
  Agg agg;
  accumulator create() const { return agg.create_accumulator(); }
  void add(accumulator& acc, const T& v) const { agg.add(acc, v); }
  /// Merging (session) windows need agg.merge(const ACC&, const ACC&) -> ACC.
  void merge(accumulator& into, accumulator&& from) const { into = agg.merge(into, from); }
  template <class K, class W>
  void emit(const K&, const W&, const accumulator& acc, collector<output>& out) const {
    out.collect(agg.get_result(acc));
  }
};

/// aggregate(agg, fn): the aggregate's result handed to fn(key, window, result, out).
template <class T, class Agg, class Out, class WinFn>
struct aggregate_process_window_fn {
  using accumulator = typename aggregate_window_fn<T, Agg>::accumulator;
  using output = Out;
  Agg agg;
  WinFn fn;
  accumulator create() const { return agg.create_accumulator(); }
  void add(accumulator& acc, const T& v) const { agg.add(acc, v); }
  void merge(accumulator& into, accumulator&& from) const { into = agg.merge(into, from); }
  template <class K, class W>
  void emit(const K& key, const W& w, const accumulator& acc, collector<Out>& out) const {
    fn(key, w, agg.get_result(acc), out);
  }
};

/// process(fn): buffers the window's records; fn(key, window, const std::vector<T>&, out).
template <class T, class Out, class WinFn>
struct process_window_fn {
  using accumulator = std::vector<T>;
  using output = Out;
  WinFn fn;
  accumulator create() const { return {}; }
  void add(accumulator& acc, const T& v) const { acc.push_back(v); }
  void merge(accumulator& into, accumulator&& from) const {
    into.insert(into.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
  }
  template <class K, class W>
  void emit(const K& key, const W& w, const accumulator& acc, collector<Out>& out) const {
    fn(key, w, static_cast<const std::vector<T>&>(acc), out);
  }
};

}  // namespace eddy
