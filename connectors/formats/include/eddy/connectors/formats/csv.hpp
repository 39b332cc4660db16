#pragma once
/// The CSV format (RFC 4180): one record per line, mapped to a struct by its EDDY_FIELDS order.
///
///     struct reading { std::string device; std::int64_t ts; double temperature; };
///     EDDY_FIELDS(reading, device, ts, temperature)
///     eddy::formats::csv_decoder<reading> dec;
///     reading r; std::string why;
///     if (!dec.decode("d1,1000,21.5", r, why)) ...  // why: "field 2 (ts): 'x' is not an integer"
///
/// Fields are separated by `delimiter`; a field in `quote`s may hold delimiters and doubled
/// quotes ("a ""b"", c"); a quoted field must be followed by a delimiter or the end. A record
/// must have exactly as many fields as the struct. `header`: a line equal to the field names
/// (joined by the delimiter) is skipped (decode returns false with an empty `why`). Records
/// spanning lines (a line break inside quotes) are not supported: each line is one record.
/// Not thread-safe (one decoder per subtask); no allocation per record beyond the strings.
#include <deque>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/connectors/formats/field_text.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::formats {

struct csv_options {
  char delimiter = ',';
  char quote = '"';
  bool header = false;  ///< skip a line that equals the field names
};

/// Splits one CSV line into fields (views into `line`, or into `scratch` for fields with
/// doubled quotes). Returns false with `why` set if the quoting is broken.
bool split_csv(std::string_view line, const csv_options& o, std::vector<std::string_view>& fields,
               std::deque<std::string>& scratch, std::string& why);

template <class T>
class csv_decoder {
 public:
  explicit csv_decoder(csv_options o = {}) : o_(o) {
    constexpr auto names = eddy_field_names(static_cast<const T*>(nullptr));
    for (std::size_t i = 0; i < names.size(); ++i)
      header_ += (i ? std::string(1, o_.delimiter) : std::string()) + std::string(names[i]);
  }

  /// Decodes `line` into `out`. False: malformed (`why` says where and why) or the header line
  /// (`why` empty).
  bool decode(std::string_view line, T& out, std::string& why) {
    why.clear();
    if (o_.header && line == header_) return false;
    if (!split_csv(line, o_, fields_, scratch_, why)) return false;
    constexpr std::size_t n = eddy_field_names(static_cast<const T*>(nullptr)).size();
    if (fields_.size() != n) {
      why = "expected " + std::to_string(n) + " fields, found " + std::to_string(fields_.size());
      return false;
    }
    return detail::assign_fields(out, [&](std::size_t i, auto& f, std::string_view name) {
      std::string reason;
      if (detail::parse_field(fields_[i], f, reason)) return true;
      why = "field " + std::to_string(i + 1) + " (" + std::string(name) + "): '" +
            std::string(fields_[i]) + "' " + reason;
      return false;
    });
  }

 private:
  csv_options o_;
  std::string header_;
  std::vector<std::string_view> fields_;
  std::deque<std::string> scratch_;
};

}  // namespace eddy::formats
