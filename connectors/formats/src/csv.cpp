#include "eddy/connectors/formats/csv.hpp"

namespace eddy::formats {

bool split_csv(std::string_view line, const csv_options& o, std::vector<std::string_view>& fields,
               std::deque<std::string>& scratch, std::string& why) {
  fields.clear();
  scratch.clear();  // a deque: pushing keeps the earlier strings (and views into them) in place
  std::size_t i = 0;
  const std::size_t n = line.size();
  // The next quote at or after i (found again only once i has passed it): an unquoted field
  // holds a quote iff it is before the field's end, so each field is scanned once.
  std::size_t next_quote = line.find(o.quote);
  for (;;) {
    if (i < n && line[i] == o.quote) {
      // A quoted field: up to the closing quote; "" is one quote.
      std::size_t start = ++i;
      bool doubled = false;
      for (;;) {
        if (i >= n) {
          why = "unterminated quoted field starting at column " + std::to_string(start);
          return false;
        }
        if (line[i] == o.quote) {
          if (i + 1 < n && line[i + 1] == o.quote) {
            doubled = true;
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      std::string_view raw = line.substr(start, i - start);
      ++i;  // the closing quote
      if (i < n && line[i] != o.delimiter) {
        why = "unexpected character after the quoted field ending at column " + std::to_string(i);
        return false;
      }
      if (doubled) {
        std::string unq;
        unq.reserve(raw.size());
        for (std::size_t k = 0; k < raw.size(); ++k) {
          unq += raw[k];
          if (raw[k] == o.quote) ++k;  // skip the second quote of a pair
        }
        scratch.push_back(std::move(unq));
        fields.emplace_back(scratch.back());
      } else {
        fields.push_back(raw);
      }
    } else {
      const std::size_t end = line.find(o.delimiter, i);
      const std::size_t stop = end == std::string_view::npos ? n : end;
      auto f = line.substr(i, stop - i);
      if (next_quote < i) next_quote = line.find(o.quote, i);
      if (next_quote < stop) {
        why = "a quote inside an unquoted field at column " + std::to_string(i + 1);
        return false;
      }
      fields.push_back(f);
      i = stop;
    }
    if (i >= n) return true;
    ++i;           // the delimiter
    if (i == n) {  // a trailing delimiter: one more, empty field
      fields.emplace_back();
      return true;
    }
  }
}

}  // namespace eddy::formats
