// The real `eddy` binary (EDDY_BIN): `eddy run wordcount` against a reference word count, the
// help and list output, and the form of its errors (one "eddy: ..." line on stderr, non-zero
// exit code, nothing on stdout).
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#ifndef EDDY_BIN
#error "EDDY_BIN must name the eddy binary"
#endif

namespace fs = std::filesystem;

namespace {

using eddy::testing::read_file;
using eddy::testing::temp_dir;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

struct cli_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs the eddy binary with `args`, capturing stdout and stderr into files of `tmp`.
cli_result run_eddy(const temp_dir& tmp, const std::vector<std::string>& args) {
  static std::atomic<int> counter{0};
  const int n = counter++;
  const auto out = tmp.path() / ("stdout-" + std::to_string(n));
  const auto err = tmp.path() / ("stderr-" + std::to_string(n));
  std::string cmd = shell_quote(EDDY_BIN);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " </dev/null >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int status = std::system(cmd.c_str());
  cli_result r;
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  r.exit_code = WEXITSTATUS(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

/// The reference word count: ASCII letters lower-cased; every maximal run of [a-z0-9] is a
/// word; every other byte (including '\r', '\n' and bytes >= 0x80) separates words.
std::map<std::string, std::uint64_t> reference_word_count(const std::string& text) {
  std::map<std::string, std::uint64_t> counts;
  std::string word;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      word.push_back(static_cast<char>(c));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  if (!word.empty()) ++counts[word];
  return counts;
}

/// A text with mixed case, digits, punctuation, bytes >= 0x80, tabs, empty lines and CRLF
/// line ends. Deterministic.
std::string generate_text() {
  static const char* const pieces[] = {"Hello",
                                       "hello",
                                       "HELLO",
                                       "wOrLd",
                                       "foo123",
                                       "123",
                                       "0",
                                       "x",
                                       "Stream",
                                       "stream-ing",
                                       "don't",
                                       "e-mail",
                                       "caf\xc3\xa9",
                                       "na\xefve",
                                       "\xff\xfe",
                                       "\x80word",
                                       "word\x80",
                                       "UPPER_lower",
                                       "a1b2c3",
                                       "tab\tbed",
                                       "comma,split",
                                       "(paren)",
                                       "semi;colon.",
                                       "Eddy!",
                                       "\xe2\x82\xac"
                                       "100",
                                       "q?",
                                       "--",
                                       "...",
                                       "Zz9",
                                       "MiXeD42Case"};
  constexpr std::size_t piece_count = sizeof(pieces) / sizeof(pieces[0]);
  std::uint64_t s = 42;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  };
  std::string text;
  for (int line = 0; line < 6000; ++line) {
    const auto kind = next() % 10;
    if (kind == 0) {
      // empty line
    } else {
      const auto words = 1 + next() % 12;
      for (std::uint64_t w = 0; w < words; ++w) {
        if (w) text += (next() % 5 == 0) ? "  " : " ";
        text += pieces[next() % piece_count];
        if (next() % 7 == 0) text += std::to_string(next() % 50);
      }
    }
    text += (next() % 3 == 0) ? "\r\n" : "\n";
  }
  return text;
}

/// Reads the "word,count" lines of every part file in `dir`.
std::map<std::string, std::uint64_t> read_counts(const fs::path& dir) {
  std::map<std::string, std::uint64_t> counts;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    INFO("output file " << name);
    CHECK(name.front() != '.');
    for (const auto& line : split_lines(read_file(e.path()))) {
      INFO("line '" << line << "'");
      const auto comma = line.rfind(',');
      REQUIRE(comma != std::string::npos);
      const auto word = line.substr(0, comma);
      CHECK(counts.count(word) == 0);  // one line per word
      counts[word] = std::stoull(line.substr(comma + 1));
    }
  }
  return counts;
}

/// "word=count" per line, for readable failure messages.
std::string render(const std::map<std::string, std::uint64_t>& counts) {
  std::string s;
  for (const auto& [w, c] : counts) s += w + "=" + std::to_string(c) + "\n";
  return s;
}

/// Checks that a failed invocation wrote exactly one "eddy: " line to stderr, nothing to stdout
/// and exited non-zero.
void check_single_error_line(const cli_result& r, const std::string& mention) {
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("eddy: ", 0) == 0);
  CHECK(lines[0].find(mention) != std::string::npos);
  CHECK(r.err.back() == '\n');
}

}  // namespace

TEST_CASE("eddy run wordcount produces exactly the reference word counts", "[cli]") {
  const int p = GENERATE(1, 2, 4);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-cli-test"};
  const std::string text = generate_text();
  const auto input = tmp.path() / "input.txt";
  { std::ofstream(input, std::ios::binary) << text; }
  const auto output = tmp.path() / "counts";
  const auto expected = reference_word_count(text);
  REQUIRE(expected.size() > 20);

  const auto r = run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output",
                                output.string(), "--parallelism", std::to_string(p)});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::is_directory(output));
  CHECK(render(read_counts(output)) == render(expected));

  // stdout holds the summary only: a status line, a header, one line per operator.
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() >= 3);
  CHECK(lines[0].rfind("job 'wordcount' FINISHED", 0) == 0);
  CHECK(lines[1].rfind("operator", 0) == 0);
  std::uint64_t total_words = 0;
  for (const auto& [w, c] : expected) total_words += c;
  const auto line_count = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  std::map<std::string, std::vector<std::uint64_t>> table;  // name -> parallelism, in, out
  for (std::size_t i = 2; i < lines.size(); ++i) {
    INFO("summary line '" << lines[i] << "'");
    // name (may contain spaces), then three numbers
    std::vector<std::string> fields;
    std::istringstream in(lines[i]);
    std::string f;
    while (in >> f) fields.push_back(f);
    REQUIRE(fields.size() >= 4);
    std::string name = fields[0];
    for (std::size_t k = 1; k + 3 < fields.size(); ++k) name += " " + fields[k];
    std::vector<std::uint64_t> nums;
    for (std::size_t k = fields.size() - 3; k < fields.size(); ++k)
      nums.push_back(std::stoull(fields[k]));
    CHECK(nums[0] == static_cast<std::uint64_t>(p));
    table[name] = nums;
  }
  REQUIRE(table.count("read_text_file"));
  REQUIRE(table.count("tokenize"));
  REQUIRE(table.count("count"));
  REQUIRE(table.count("write"));
  CHECK(table["read_text_file"][2] == line_count);
  CHECK(table["tokenize"][1] == line_count);
  CHECK(table["tokenize"][2] == total_words);
  CHECK(table["count"][2] == expected.size());
  CHECK(table["write"][1] == expected.size());
}

TEST_CASE("eddy sends its log to stderr and only the summary to stdout", "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto input = tmp.path() / "in.txt";
  { std::ofstream(input, std::ios::binary) << "b a\nA b c\n"; }
  const auto output = tmp.path() / "out";
  const auto r = run_eddy(tmp, {"--log-level", "debug", "run", "wordcount", "--input",
                                input.string(), "--output", output.string(), "-p", "2"});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(!r.err.empty());  // debug log lines
  const auto lines = split_lines(r.out);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0].rfind("job 'wordcount' FINISHED", 0) == 0);
  CHECK(lines[1].rfind("operator", 0) == 0);
  for (const auto& l : lines) {
    INFO("stdout line '" << l << "'");
    CHECK(l.find("debug") == std::string::npos);
  }
  CHECK(render(read_counts(output)) == "a=2\nb=2\nc=1\n");
}

TEST_CASE("eddy run --latency-interval prints the sinks' marker latency in the summary",
          "[cli][latency]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto input = tmp.path() / "in.txt";
  {
    std::ofstream in(input, std::ios::binary);
    for (int i = 0; i < 20000; ++i) in << "w" << i % 100 << " x\n";
  }
  const auto output = tmp.path() / "out";
  const auto r =
      run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output", output.string(),
                     "-p", "2", "--latency-interval", "1", "--source-rate", "100000"});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  const std::regex line(
      "latency: [1-9][0-9]* markers, p50 [0-9.]+ ms, p99 [0-9.]+ ms, p99.9 [0-9.]+ ms\n");
  CHECK(std::regex_search(r.out, line));
  // Without the flag there is no such line.
  const auto plain = run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output",
                                    (tmp.path() / "out2").string(), "-p", "2"});
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out.find("latency:") == std::string::npos);
}

TEST_CASE("eddy run wordcount counts an empty input as no words", "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto input = tmp.path() / "empty.txt";
  { std::ofstream(input, std::ios::binary) << ""; }
  const auto output = tmp.path() / "out";
  const auto r = run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output",
                                output.string(), "--parallelism", "4"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::is_directory(output));
  CHECK(read_counts(output).empty());
}

TEST_CASE("rerunning wordcount into the same output directory never mixes in stale counts",
          "[cli]") {
  // Regression: part files of an earlier run with a higher parallelism used to stay in the
  // directory and mix into the output. `eddy run` now refuses a non-empty output directory.
  temp_dir tmp{"eddy-cli-test"};
  const auto first = tmp.path() / "first.txt";
  { std::ofstream(first, std::ios::binary) << "alpha beta gamma delta\nepsilon zeta eta theta\n"; }
  const auto second = tmp.path() / "second.txt";
  { std::ofstream(second, std::ios::binary) << "omega\n"; }
  const auto output = tmp.path() / "out";
  REQUIRE(run_eddy(tmp, {"run", "wordcount", "--input", first.string(), "--output", output.string(),
                         "--parallelism", "4"})
              .exit_code == 0);
  const auto r = run_eddy(tmp, {"run", "wordcount", "--input", second.string(), "--output",
                                output.string(), "--parallelism", "1"});
  INFO("stderr: " << r.err);
  if (r.exit_code == 0) {
    CHECK(render(read_counts(output)) == "omega=1\n");
  } else {
    check_single_error_line(r, "--output");
  }
}

TEST_CASE("eddy reports a failed job on stderr with a non-zero exit code and no summary", "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto input = tmp.path() / "in.txt";
  { std::ofstream(input, std::ios::binary) << "some words\n"; }
  // The output directory cannot be created below a regular file: the sink fails when it opens.
  const auto output = (input / "sub").string();
  const auto r = run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output", output,
                                "--parallelism", "2"});
  INFO("stdout: " << r.out);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  const auto lines = split_lines(r.err);
  REQUIRE(!lines.empty());
  // The log may report the failure too; the last line is the error.
  CHECK(lines.back().rfind("eddy: ", 0) == 0);
  CHECK(lines.back().find("write") != std::string::npos);
  CHECK(lines.back().find(output) != std::string::npos);
}

TEST_CASE("eddy run --list lists the wordcount job", "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto r = run_eddy(tmp, {"run", "--list"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("wordcount") != std::string::npos);
  CHECK(r.err.empty());
}

TEST_CASE(
    "eddy --help, eddy run --help and eddy run wordcount --help exit 0 and describe the "
    "flags",
    "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  SECTION("eddy --help") {
    const auto r = run_eddy(tmp, {"--help"});
    INFO("stdout: " << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--help") != std::string::npos);
    CHECK(r.out.find("--log-level") != std::string::npos);
    CHECK(r.out.find("run") != std::string::npos);
  }
  SECTION("eddy run --help") {
    const auto r = run_eddy(tmp, {"run", "--help"});
    INFO("stdout: " << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--help") != std::string::npos);
    CHECK(r.out.find("--list") != std::string::npos);
    CHECK(r.out.find("wordcount") != std::string::npos);
  }
  SECTION("eddy run wordcount --help") {
    const auto r = run_eddy(tmp, {"run", "wordcount", "--help"});
    INFO("stdout: " << r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--input") != std::string::npos);
    CHECK(r.out.find("--output") != std::string::npos);
    CHECK(r.out.find("--parallelism") != std::string::npos);
  }
}

TEST_CASE("eddy reports bad invocations in one 'eddy: ' line on stderr with a non-zero exit code",
          "[cli]") {
  temp_dir tmp{"eddy-cli-test"};
  const auto input = tmp.path() / "in.txt";
  { std::ofstream(input, std::ios::binary) << "some words\n"; }
  const auto output = (tmp.path() / "out").string();

  SECTION("unknown job") {
    check_single_error_line(run_eddy(tmp, {"run", "nosuchjob"}), "nosuchjob");
  }
  SECTION("missing input file") {
    const auto missing = (tmp.path() / "missing.txt").string();
    check_single_error_line(
        run_eddy(tmp, {"run", "wordcount", "--input", missing, "--output", output}), missing);
  }
  SECTION("input is a directory") {
    check_single_error_line(
        run_eddy(tmp, {"run", "wordcount", "--input", tmp.path().string(), "--output", output}),
        "--input");
  }
  SECTION("output is an existing file") {
    check_single_error_line(
        run_eddy(tmp, {"run", "wordcount", "--input", input.string(), "--output", input.string()}),
        "--output");
  }
  SECTION("unknown flag") {
    check_single_error_line(run_eddy(tmp, {"run", "wordcount", "--input", input.string(),
                                           "--output", output, "--frobnicate"}),
                            "--frobnicate");
  }
  SECTION("parallelism 0") {
    check_single_error_line(run_eddy(tmp, {"run", "wordcount", "--input", input.string(),
                                           "--output", output, "--parallelism", "0"}),
                            "--parallelism");
  }
  SECTION("bad log level") {
    check_single_error_line(run_eddy(tmp, {"--log-level", "loud", "run", "wordcount", "--input",
                                           input.string(), "--output", output}),
                            "loud");
  }
  SECTION("missing job name") {
    check_single_error_line(run_eddy(tmp, {"run"}), "job");
  }
  // None of the failed invocations ran a job.
  CHECK(!fs::exists(output));
}
