// `eddy run wordcount` must handle inputs far larger than its memory: it streams the file in
// chunks and holds only the vocabulary. Measured as the child process's peak RSS (a memory bound,
// not a timing).
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace fs = std::filesystem;

TEST_CASE("wordcount on an input larger than its peak memory streams it in bounded memory") {
  const fs::path dir = fs::temp_directory_path() / ("eddy-wc-mem-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path input = dir / "big.txt";
  constexpr std::uint64_t target_bytes = 256ull << 20;  // 256 MiB
  std::map<std::string, std::uint64_t> expected;
  {
    std::ofstream out(input, std::ios::binary);
    std::string line;
    std::uint64_t written = 0, n = 0;
    while (written < target_bytes) {
      line.clear();
      for (int w = 0; w < 10; ++w, ++n) {
        std::string word = "w" + std::to_string((n * 2654435761u) % 5000);
        ++expected[word];
        line += word;
        line += w % 3 == 0 ? ", " : " ";
      }
      line += '\n';
      out << line;
      written += line.size();
    }
  }

  const fs::path output = dir / "out";
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    execl(EDDY_BIN, EDDY_BIN, "--log-level", "warn", "run", "wordcount", "--input", input.c_str(),
          "--output", output.c_str(), "--parallelism", "2", nullptr);
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  REQUIRE(wait4(pid, &status, 0, &usage) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const long peak_mib = usage.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
  INFO("peak RSS " << peak_mib << " MiB for a " << (target_bytes >> 20) << " MiB input");
#ifdef EDDY_SANITIZED
  // ASan's shadow memory and quarantine (576 MiB measured) or TSan's: the bound is a property of
  // the normal build; under a sanitizer only the output is checked.
  WARN("sanitizer build: peak RSS " << peak_mib << " MiB not checked against 128 MiB");
#else
  CHECK(peak_mib < 128);
#endif

  std::map<std::string, std::uint64_t> got;
  for (const auto& f : fs::directory_iterator(output)) {
    if (f.path().filename().string().front() == '.') continue;
    std::ifstream in(f.path());
    for (std::string l; std::getline(in, l);) {
      auto comma = l.rfind(',');
      REQUIRE(comma != std::string::npos);
      CHECK(got.emplace(l.substr(0, comma), std::stoull(l.substr(comma + 1))).second);
    }
  }
  CHECK(got == expected);
  fs::remove_all(dir);
}
