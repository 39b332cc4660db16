#pragma once
// Helpers shared by the test suites (test code only).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace eddy::testing {

/// A unique temporary directory, removed with its contents on destruction.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "eddy-test") {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
             std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file ("" if it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Every line of the committed files of output directory `dir` (names not starting with a dot:
/// a file sink's in-progress files are hidden), sorted. Empty if `dir` does not exist.
inline std::vector<std::string> committed_lines(const std::filesystem::path& dir) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(dir)) return lines;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().filename().string().front() == '.') continue;
    std::istringstream in(read_file(f.path()));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// Deterministic pseudo-random numbers (no dependence on the platform's std distributions).
struct lcg {
  std::uint64_t s;
  explicit lcg(std::uint64_t seed) : s(seed * 2862933555777941757ULL + 3037000493ULL) {}
  std::uint64_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 17;
  }
  /// Uniform-ish in [0, n).
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
  }
};

}  // namespace eddy::testing
