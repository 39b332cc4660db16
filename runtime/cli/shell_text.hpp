#pragma once
// Text helpers of `eddy shell` (shell.cpp): splitting command lines into words, the free text
// after them, and tables. Pure functions, any thread.
#include <cstddef>
#include <string>
#include <vector>

namespace eddy::cli {

/// Splits a line into words at blanks; '...' and "..." group words (the quotes are dropped).
std::vector<std::string> split_words(const std::string& line);

/// The rest of `line` after its first `n` words (split_words' rules; "--json" does not count), as
/// typed: quotes are kept, surrounding blanks and a trailing " --json" are not.
std::string rest_after_words(const std::string& line, std::size_t n);

/// Joins words[from..] with single spaces.
std::string join_words(const std::vector<std::string>& words, std::size_t from);

/// Columns padded to their widest cell, one line per row.
std::string table(const std::vector<std::vector<std::string>>& rows);

}  // namespace eddy::cli
