// Text helpers of the shell (shell_text.hpp).
#include "shell_text.hpp"

#include <algorithm>

namespace eddy::cli {

/// Splits a line into words; '...' and "..." group words.
std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

/// The rest of `line` after its first `n` words (split_words' rules; "--json" does not count), as
/// typed: quotes are kept, surrounding blanks and a trailing " --json" are not.
std::string rest_after_words(const std::string& line, std::size_t n) {
  std::size_t i = 0, words = 0;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  skip_blanks();
  while (words < n && i < line.size()) {
    const std::size_t begin = i;
    char quote = 0;
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == ' ' || c == '\t') {
        break;
      }
    }
    if (line.compare(begin, i - begin, "--json") != 0) ++words;
    skip_blanks();
  }
  auto out = line.substr(i);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t' || out.back() == '\r'))
    out.pop_back();
  if (out.size() >= 7 && out.compare(out.size() - 7, 7, " --json") == 0) {
    out.resize(out.size() - 7);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  }
  return out;
}

/// Joins words with single spaces.
std::string join_words(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (i > from ? " " : "") + words[i];
  return out;
}

/// Columns padded to their widest cell.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace eddy::cli
