#pragma once
/// Flink's `csv` format for SQL tables: one line is one row of the table's physical columns.
///
/// Options (as Flink's, from the table's WITH clause): `csv.field-delimiter` (one character,
/// default `,`; `\t` for a tab), `csv.quote-character` (default `"`), `csv.allow-comments` (lines
/// starting with `#` are skipped), `csv.ignore-parse-errors` (a field that does not parse becomes
/// NULL and a line with the wrong number of fields is skipped, instead of failing the job),
/// `csv.null-literal` (a field equal to it is NULL; default none). An empty field is NULL for
/// every type but CHAR/VARCHAR/STRING (Flink's behaviour); text forms of values are
/// rows/value_text.hpp's. Another `csv.*` key is an error naming it.
///
/// Writing: fields joined by the delimiter; a field holding the delimiter, the quote, a line
/// break or a leading/trailing space is quoted (quotes doubled); NULL is the null literal (empty
/// by default).
///
/// One decoder/encoder per subtask; not thread-safe.
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/formats/csv.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/schema.hpp"

namespace eddy::table {

struct csv_row_options {
  char delimiter = ',';
  char quote = '"';
  bool allow_comments = false;
  bool ignore_parse_errors = false;
  std::string null_literal;
  bool has_null_literal = false;
};

/// The csv.* options of a table's WITH clause. Returns an error message naming the option, or
/// an empty string and fills `out`.
std::string parse_csv_options(const std::map<std::string, std::string>& with, csv_row_options& out);

class csv_row_decoder {
 public:
  /// `projection` (Flink's projection push-down): per field of `s`, its column in the batches
  /// `decode` appends to, or -1 for a field that is not parsed (only counted); empty: every
  /// field, in order.
  csv_row_decoder(rows::schema s, csv_row_options o, std::vector<int> projection = {});
  /// Appends the row of `line` to `out` (columns = the schema, or the projected fields). Returns
  /// false and sets `why`
  /// ("field 3 (price): 'x' is not a BIGINT") for a line that does not parse (nothing appended);
  /// with ignore_parse_errors bad fields are NULL and only a wrong field count returns false.
  /// Returns true with nothing appended (and `why` empty) for a skipped comment line.
  bool decode(std::string_view line, rows::row_batch& out, std::string& why);
  /// Lines whose fields were set to NULL by ignore_parse_errors so far.
  [[nodiscard]] std::uint64_t nulled_lines() const noexcept { return nulled_; }

 private:
  /// Appends `f` to `col` when it is of a type read without rows::value (integers, strings,
  /// timestamps) and well-formed; false: the general path decides.
  static bool append_fast(rows::column_vector& col, std::string_view f,
                          const rows::logical_type& t);
  /// Whether `f` reads as a `t` (a field that is not projected); false with `why` if not.
  static bool valid(std::string_view f, const rows::logical_type& t, rows::value& scratch,
                    std::string& why);

  rows::schema schema_;
  csv_row_options o_;
  std::vector<int> projection_;
  formats::csv_options split_;
  std::vector<std::string_view> fields_;
  std::deque<std::string> scratch_;
  std::vector<rows::value> row_;
  std::uint64_t nulled_ = 0;
};

class csv_row_encoder {
 public:
  csv_row_encoder(std::vector<rows::logical_type> types, csv_row_options o);
  /// Logical row `i` of `batch` as one line (no line break).
  [[nodiscard]] std::string encode(const rows::row_batch& batch, std::size_t i) const;

 private:
  void append_field(std::string& out, std::string_view text) const;
  std::vector<rows::logical_type> types_;
  csv_row_options o_;
};

}  // namespace eddy::table
