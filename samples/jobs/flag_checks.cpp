#include "flag_checks.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace eddy::samples {

CLI::Validator positive_integer(const std::string& unit, long long max) {
  return CLI::Validator(
      [unit, max](std::string& value) -> std::string {
        long long v = 0;
        const auto* end = value.data() + value.size();
        auto [p, ec] = std::from_chars(value.data(), end, v);
        if (ec != std::errc() || p != end || v < 1 || v > max)
          return "must be a whole number of " + unit + " from 1 to " + std::to_string(max) +
                 " (got '" + value + "')";
        return {};
      },
      unit, "POSITIVE");
}

CLI::Validator positive_number(const std::string& unit, double max) {
  return CLI::Validator(
      [unit, max](std::string& value) -> std::string {
        double v = 0;
        const auto* end = value.data() + value.size();
        auto [p, ec] = std::from_chars(value.data(), end, v);
        if (ec != std::errc() || p != end || !std::isfinite(v) || v <= 0 || v > max) {
          char bound[32];
          std::snprintf(bound, sizeof bound, "%g", max);
          return "must be a number of " + unit + " above 0 and at most " + bound + " (got '" +
                 value + "')";
        }
        return {};
      },
      unit, "POSITIVE");
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {

bool looks_like_flag(const std::string& a) {
  if (a.size() < 2 || a[0] != '-') return false;
  // A negative number is a value, not a flag.
  return !(std::isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.');
}

/// Every spelling of every option of `cmd`: "--input", "-p", ...
std::vector<std::string> flag_names(const CLI::App& cmd) {
  std::vector<std::string> names = {"--help", "-h"};
  for (const auto* o : cmd.get_options()) {
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

}  // namespace

std::string first_unknown_flag(const CLI::App& cmd, const std::vector<std::string>& args,
                               const std::vector<std::string>& ignored) {
  const auto known = flag_names(cmd);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") break;
    if (!looks_like_flag(a)) continue;
    const auto name = a.substr(0, a.find('='));
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) return name;
    const auto* opt = cmd.get_option_no_throw(name);
    // `--flag VALUE`: skip the value, whatever it looks like.
    if (opt && name == a && opt->get_type_size_max() > 0 && i + 1 < args.size()) ++i;
  }
  return {};
}

std::string unknown_flag_message(const CLI::App& cmd, const std::string& flag) {
  auto guess = closest_word(flag, flag_names(cmd));
  return "unknown flag '" + flag + "'" +
         (guess.empty() ? std::string(" (see --help)") : " (did you mean '" + guess + "'?)");
}

}  // namespace eddy::samples
