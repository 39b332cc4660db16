#pragma once
/// Command-line checks shared by the `eddy` binary and the sample jobs: CLI11 validators whose
/// messages say what a flag wants ("a positive number of milliseconds"), not CLI11's generic
/// range text, and helpers that name an unknown flag before CLI11 reports a missing one.
/// Used while parsing a command line only (one thread, may throw CLI11's exceptions).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace eddy::samples {

/// A whole number in [1, max]; `unit` names what it counts ("milliseconds", "slots").
CLI::Validator positive_integer(const std::string& unit, long long max);

/// A number > 0 and <= max (finite); `unit` names what it measures ("records per second").
CLI::Validator positive_number(const std::string& unit, double max);

/// Edit distance of two words (for "did you mean").
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` within an edit distance of 2 (or of a third of the word's
/// length for long words), or "" if none is.
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

/// The first word of `args` that looks like a flag (`-x`, `--name`, `--name=value`) but that
/// `cmd` does not define, or "" if all are known. `--help`/`-h` and `ignored` count as known.
/// Values of options that take one are skipped, so `--output --weird-dir-name` is fine.
std::string first_unknown_flag(const CLI::App& cmd, const std::vector<std::string>& args,
                               const std::vector<std::string>& ignored = {});

/// The message for an unknown flag of `cmd`: "unknown flag '--inptu' (did you mean '--input'?)".
std::string unknown_flag_message(const CLI::App& cmd, const std::string& flag);

}  // namespace eddy::samples
