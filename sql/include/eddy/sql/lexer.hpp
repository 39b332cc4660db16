#pragma once
/// The SQL lexer (Flink's lexical rules): words (keywords and identifiers; keywords are matched
/// case-insensitively by the parser, identifiers keep their case), `backquoted` identifiers
/// (`` `` `` inside is a backquote), 'strings' ('' inside is a quote), X'hex' binary strings,
/// numbers (`1`, `1.5`, `.5`, `1e3`, `1.5E-3`), symbols, `-- line` and `/* block */` comments.
/// Double-quoted identifiers are refused (Flink quotes identifiers with backticks).
/// Pure functions; no allocation beyond the tokens.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/sql/ast_expr.hpp"
#include "eddy/sql/error.hpp"

namespace eddy::sql {

enum class token_kind {
  word,          ///< a keyword or an unquoted identifier; `text` as written
  quoted_ident,  ///< `...`: `text` without the backquotes, `` `` `` unescaped
  string,        ///< '...': `text` without the quotes, '' unescaped
  binary,        ///< X'...': `text` the hex digits
  number,        ///< `text` as written
  symbol,        ///< one of: ( ) [ ] { } , . ; + - * / % || = <> != < <= > >= => ? | ^ $
  end,           ///< the end of the input; `text` empty
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  location loc;
  std::uint32_t length = 0;  ///< bytes of the source it spans

  /// A word equal to `keyword` (upper case) ignoring case.
  [[nodiscard]] bool is_word(std::string_view keyword) const;
  [[nodiscard]] bool is_symbol(std::string_view s) const {
    return kind == token_kind::symbol && text == s;
  }
};

/// The tokens of `sql`, ending with one token_kind::end; or the first lexical error (an
/// unterminated string, identifier or comment, a character that starts no token).
[[nodiscard]] result<std::vector<token>> tokenize(std::string_view sql);

/// Upper-case ASCII copy.
[[nodiscard]] std::string to_upper(std::string_view s);

}  // namespace eddy::sql
