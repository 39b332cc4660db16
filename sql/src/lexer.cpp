// The SQL lexer (eddy/sql/lexer.hpp).
#include "eddy/sql/lexer.hpp"

#include <cctype>

#include "parse_failure.hpp"

namespace eddy::sql {

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool token::is_word(std::string_view keyword) const {
  if (kind != token_kind::word || text.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i]) return false;
  }
  return true;
}

namespace {

bool is_word_start(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool is_word_char(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

class lexer {
 public:
  explicit lexer(std::string_view sql) : sql_(sql) {}

  std::vector<token> run() {
    std::vector<token> out;
    for (;;) {
      skip_space_and_comments();
      token t;
      t.loc = here();
      const std::size_t start = pos_;
      if (pos_ >= sql_.size()) {
        t.kind = token_kind::end;
        out.push_back(std::move(t));
        return out;
      }
      lex_one(t);
      t.length = static_cast<std::uint32_t>(pos_ - start);
      out.push_back(std::move(t));
    }
  }

 private:
  [[nodiscard]] location here() const { return loc_; }
  [[nodiscard]] unsigned char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < sql_.size() ? static_cast<unsigned char>(sql_[pos_ + ahead]) : 0;
  }
  void advance() {
    const auto c = static_cast<unsigned char>(sql_[pos_]);
    ++pos_;
    loc_.offset = static_cast<std::uint32_t>(pos_);
    if (c == '\n') {
      ++loc_.line;
      loc_.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte: a new character
      // the column of the next character; continuation bytes follow their lead byte
      ++loc_.column;
    }
  }
  /// An exponent (e3, E-3, e+3) starts `ahead` characters on.
  [[nodiscard]] bool is_exponent(std::size_t ahead) const {
    const unsigned char e = peek(ahead), s = peek(ahead + 1);
    return (e == 'e' || e == 'E') &&
           (std::isdigit(s) || ((s == '+' || s == '-') && std::isdigit(peek(ahead + 2))));
  }
  void skip_space_and_comments() {
    for (;;) {
      while (pos_ < sql_.size() && std::isspace(peek())) advance();
      if (peek() == '-' && peek(1) == '-') {
        while (pos_ < sql_.size() && peek() != '\n') advance();
      } else if (peek() == '/' && peek(1) == '*') {
        const location start = here();
        advance();
        advance();
        while (pos_ < sql_.size() && !(peek() == '*' && peek(1) == '/')) advance();
        if (pos_ >= sql_.size()) fail(start, "unterminated comment: /* without */");
        advance();
        advance();
      } else {
        return;
      }
    }
  }
  [[noreturn]] static void fail(location where, std::string what) {
    throw_error(where, "Lexical error at line " + std::to_string(where.line) + ", column " +
                           std::to_string(where.column) + ": " + std::move(what));
  }
  /// Reads a quoted run after the opening quote; `q` doubled stands for itself.
  std::string quoted(char q, location start, const char* what) {
    std::string text;
    for (;;) {
      if (pos_ >= sql_.size()) fail(start, std::string("unterminated ") + what);
      if (peek() == static_cast<unsigned char>(q)) {
        advance();
        if (peek() == static_cast<unsigned char>(q)) {
          text.push_back(q);
          advance();
          continue;
        }
        return text;
      }
      text.push_back(sql_[pos_]);
      advance();
    }
  }
  void lex_one(token& t) {
    const unsigned char c = peek();
    if ((c == 'x' || c == 'X') && peek(1) == '\'') {
      advance();
      advance();
      t.kind = token_kind::binary;
      t.text = quoted('\'', t.loc, "binary string: X' without closing '");
      for (unsigned char h : t.text) {
        if (!std::isxdigit(h)) fail(t.loc, "binary string X'...' holds a non-hex character");
      }
      return;
    }
    if (is_word_start(c)) {
      const std::size_t start = pos_;
      while (pos_ < sql_.size() && is_word_char(peek())) advance();
      t.kind = token_kind::word;
      t.text = std::string(sql_.substr(start, pos_ - start));
      return;
    }
    if (std::isdigit(c) || (c == '.' && std::isdigit(peek(1)))) {
      const std::size_t start = pos_;
      while (std::isdigit(peek())) advance();
      if (peek() == '.' && std::isdigit(peek(1))) {
        advance();
        while (std::isdigit(peek())) advance();
      } else if (peek() == '.' && (!is_word_start(peek(1)) || is_exponent(1))) {
        advance();  // `1.` and `1.e3` are numbers
      }
      if (is_exponent(0)) {
        advance();
        if (peek() == '+' || peek() == '-') advance();
        while (std::isdigit(peek())) advance();
      }
      if (is_word_char(peek())) fail(here(), "a number runs into a name (add a space?)");
      t.kind = token_kind::number;
      t.text = std::string(sql_.substr(start, pos_ - start));
      return;
    }
    if (c == '\'') {
      advance();
      t.kind = token_kind::string;
      t.text = quoted('\'', t.loc, "string: ' without closing '");
      return;
    }
    if (c == '`') {
      advance();
      t.kind = token_kind::quoted_ident;
      t.text = quoted('`', t.loc, "identifier: ` without closing `");
      if (t.text.empty()) fail(t.loc, "empty identifier ``");
      return;
    }
    if (c == '"') {
      fail(t.loc,
           "double quotes: Flink SQL quotes identifiers with backticks (`name`) and "
           "strings with single quotes ('text')");
    }
    static constexpr std::string_view two[] = {"||", "<>", "!=", "<=", ">=", "=>"};
    for (auto op : two) {
      if (c == static_cast<unsigned char>(op[0]) && peek(1) == static_cast<unsigned char>(op[1])) {
        advance();
        advance();
        t.kind = token_kind::symbol;
        t.text = std::string(op);
        return;
      }
    }
    static constexpr std::string_view one = "()[]{},.;+-*/%=<>?|^$";
    if (one.find(static_cast<char>(c)) != std::string_view::npos && c != 0) {
      advance();
      t.kind = token_kind::symbol;
      t.text = std::string(1, static_cast<char>(c));
      return;
    }
    std::string shown = std::isprint(c) ? std::string(1, static_cast<char>(c))
                                        : "byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                                              std::string(1, "0123456789abcdef"[c & 15]);
    fail(t.loc, "unexpected character '" + shown + "'");
  }

  std::string_view sql_;
  std::size_t pos_ = 0;
  location loc_{0, 1, 1};
};

}  // namespace

result<std::vector<token>> tokenize(std::string_view sql) {
  try {
    return lexer(sql).run();
  } catch (parse_failure& f) {
    return std::move(f.error);
  }
}

std::vector<token> tokenize_or_throw(std::string_view sql) {
  return lexer(sql).run();
}

}  // namespace eddy::sql
