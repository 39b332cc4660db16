#pragma once
/// Decoding a stream of text records with a format, malformed ones to a dead-letter stream:
///
///     auto d = eddy::formats::decode<reading>(lines, eddy::formats::csv_decoder<reading>{});
///     d.records...                      // DataStream<reading>
///     d.dead_letters.write_text_file(dir);  // "ORIGIN: REASON: TEXT" per malformed record
///
/// Nothing is dropped silently: every record that does not decode becomes one dead letter,
/// naming where it came from and why (a CSV header line skipped by csv_options::header is not
/// a dead letter). The dead letters are counted as the job's dead letters (the "dead letters"
/// operator is marked with as_dead_letters: subtask_metrics::dead_letters, /metrics); do not
/// mark their sink too. Each subtask gets its own copy of the decoder.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "eddy/operators/datastream.hpp"

namespace eddy::formats {

template <class T>
struct decoded_streams {
  DataStream<T> records;
  DataStream<std::string> dead_letters;
};

namespace detail {
template <class T, class Decoder, class TextOf, class OriginOf>
struct decode_fn {
  Decoder decoder;
  TextOf text_of;
  OriginOf origin_of;
  std::string why;
  std::uint64_t n = 0;  // records this subtask decoded (each subtask has its own copy)
  template <class In>
  std::pair<std::optional<T>, std::string> operator()(const In& in) {
    ++n;
    std::pair<std::optional<T>, std::string> out;
    T value{};
    const std::string_view text = text_of(in);
    if (decoder.decode(text, value, why))
      out.first = std::move(value);
    else if (!why.empty())
      out.second = origin_of(in, n) + ": " + why + ": " + std::string(text);
    return out;
  }
};
}  // namespace detail

/// Decodes every record of `in`: `text_of(record)` is its text, `origin_of(record, n)` where it
/// came from (e.g. "topic/partition@offset"; n: the record's 1-based number in this subtask).
template <class T, class In, class Decoder, class TextOf, class OriginOf>
decoded_streams<T> decode(DataStream<In> in, Decoder decoder, TextOf text_of, OriginOf origin_of,
                          const std::string& name = "decode") {
  using result = std::pair<std::optional<T>, std::string>;
  auto both = in.map(detail::decode_fn<T, Decoder, TextOf, OriginOf>{
                         std::move(decoder), std::move(text_of), std::move(origin_of), {}})
                  .name(name);
  auto records = both.filter([](const result& r) { return r.first.has_value(); })
                     .name(name + " ok")
                     .map([](result r) { return std::move(*r.first); })
                     .name(name + " records");
  auto dead = both.filter([](const result& r) { return !r.second.empty(); })
                  .name(name + " malformed")
                  .map([](result r) { return std::move(r.second); })
                  .name(name + " dead letters")
                  .as_dead_letters();
  return {records, dead};
}

/// Decodes lines; a dead letter's origin is `source` and the line's number as this subtask
/// counted it ("readings.csv line 17": exact when one subtask reads and decodes).
template <class T, class Decoder>
decoded_streams<T> decode_lines(DataStream<std::string> lines, Decoder decoder,
                                const std::string& source, const std::string& name = "decode") {
  return decode<T>(
      std::move(lines), std::move(decoder),
      [](const std::string& s) -> std::string_view { return s; },
      [source](const std::string&, std::uint64_t n) {
        return source + " line " + std::to_string(n);
      },
      name);
}

}  // namespace eddy::formats
