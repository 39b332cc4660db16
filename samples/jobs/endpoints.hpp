#pragma once
/// Where the sample jobs read and write lines: `--input`, `--output`, `--late`, `--alerts` and
/// `--dead-letter` take a path or a connector URI (docs/connectors.md):
///
///     PATH or file:///PATH   a text file (input) or a directory of part files (output;
///                            file:///DIR?rolling.size=64MB&rolling.interval=10min)
///     file:///DIR[?monitor=1s]  input: the lines of the directory's files, once or as they
///                            appear (connectors/files/directory_source.hpp)
///     -                      stdin (input only)
///     kafka://HOST:PORT[,HOST:PORT...]/TOPIC?OPTIONS
///                            one message value is one line (input) / one output line (output);
///                            format=json: one JSON object per message (the sensors job)
///     postgresql://USER@HOST:PORT/DB?table=NAME
///                            input: the table's rows (or query=...) as CSV lines; output: each
///                            line's CSV fields are a row's values in the table's column order
///                            (upserts by the primary key; mode=append&guarantee=exactly-once
///                            for two-phase-commit inserts)
///
/// Checks run before a job is built, so a bad URI or option fails with the flag named.
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace eddy::samples {

/// Whether `value` is a connector URI (SCHEME://...), not a path.
[[nodiscard]] bool is_endpoint_uri(const std::string& value);

/// Checks an input flag's value: an existing file, `-`, or a valid source URI. `batch`: the job
/// needs a bounded input (a kafka:// input then needs bounded=latest). Throws
/// std::invalid_argument naming the flag.
/// `json`: the job maps JSON objects (a kafka:// input may say format=json); otherwise such an
/// input is refused.
void check_input(const std::string& flag, const std::string& value, bool batch = false,
                 bool json = false);
/// The `format=` of an input URI ("raw", "csv" or "json"); "raw" for paths and URIs without it.
[[nodiscard]] std::string input_format(const std::string& value);
/// Checks an output flag's URI (paths are checked by the job's output-directory rules).
void check_output_uri(const std::string& flag, const std::string& value);

/// The directory an output flag's value names (a path or file:///PATH), or empty for a
/// connector URI (which has no directory to prepare).
[[nodiscard]] std::string output_directory(const std::string& value);

/// The rolling policy of an output flag's value (file:///DIR?rolling.size=...&rolling.interval=
/// ...; the defaults for a path).
[[nodiscard]] rolling_policy output_rolling(const std::string& value);

/// What a job knows of the table its output would be in a database (postgresql:// outputs use
/// it for create-table=true and as the default key).
struct output_table {
  std::vector<std::pair<std::string, std::string>> columns;  ///< name, SQL type
  std::vector<std::string> primary_key;
};

/// The lines of the input `value` (checked with check_input). `with_topics`: an mqtt:// input's
/// lines are "TOPIC" + topic_separator + "PAYLOAD" (for dead letters that name the topic).
DataStream<std::string> read_lines(StreamEnvironment& env, const std::string& value,
                                   bool with_topics = false);
/// What separates the topic from the payload in read_lines(..., true) (a byte MQTT topics do
/// not contain: it is a control character).
inline constexpr char topic_separator = '\x1f';
/// Writes `lines` to the connector URI `uri` (checked with check_output_uri); `table`: the
/// table the lines are rows of, if the job knows it.
DataStreamSink write_lines_to_uri(DataStream<std::string> lines, const std::string& uri,
                                  const output_table* table = nullptr);

/// Writes `stream` to the output `value`, each record as the line `fmt(record)`: part files in
/// a directory, or a connector.
template <class T, class Fmt>
DataStreamSink write_lines(DataStream<T> stream, const std::string& value, Fmt fmt,
                           const output_table* table = nullptr) {
  if (auto dir = output_directory(value); !dir.empty())
    return stream.write_text_file(dir, fmt, output_rolling(value));
  return write_lines_to_uri(stream.map(fmt).name("format"), value, table);
}
/// The same for strings (written as they are).
inline DataStreamSink write_lines(DataStream<std::string> stream, const std::string& value) {
  if (auto dir = output_directory(value); !dir.empty())
    return stream.write_text_file(dir, output_rolling(value));
  return write_lines_to_uri(std::move(stream), value);
}

}  // namespace eddy::samples
