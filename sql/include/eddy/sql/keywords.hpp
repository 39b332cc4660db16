#pragma once
/// SQL keywords: the words the parser gives a meaning to (for "did you mean", Tab completion and
/// the printer's quoting), and the reserved ones, which cannot be used as identifiers without
/// backquotes (a subset of Flink's reserved keywords: those the grammar needs to tell a name from
/// a clause). Pure functions over static tables; thread-safe.
#include <span>
#include <string>
#include <string_view>

namespace eddy::sql {

/// Every keyword, upper case, sorted.
[[nodiscard]] std::span<const std::string_view> keywords();

/// `word` (any case) is a reserved keyword: an identifier spelled so must be backquoted.
[[nodiscard]] bool is_reserved(std::string_view word);

/// Edit distance (insert, delete, substitute, swap two adjacent letters), case-insensitive, for
/// "did you mean".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word` by edit distance (case-insensitive), if near enough to be a
/// likely typo (distance <= 1 for words up to 4 letters, <= 2 beyond); empty otherwise.
[[nodiscard]] std::string nearest_keyword(std::string_view word,
                                          std::span<const std::string_view> candidates);

}  // namespace eddy::sql
