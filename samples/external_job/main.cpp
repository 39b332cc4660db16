// A complete job in its own project, linked against an installed Eddy (see CMakeLists.txt):
// the squares of 1..1000 that are even, summed per last digit.
#include <eddy/operators/datastream.hpp>

#include <cstdio>
#include <map>

int main() {
  eddy::StreamEnvironment env;
  env.set_parallelism(2).set_runtime_mode(eddy::runtime_mode::batch);
  auto sums = env.from_generator(1000, [](std::uint64_t i) { return i + 1; })
                  .map([](std::uint64_t x) { return std::pair<int, std::uint64_t>(x % 10, x * x); })
                  .filter([](const std::pair<int, std::uint64_t>& p) { return p.second % 2 == 0; })
                  .key_by([](const std::pair<int, std::uint64_t>& p) { return p.first; })
                  .sum<1>()
                  .collect();
  auto result = env.execute("external job");
  std::map<int, std::uint64_t> by_digit;
  for (const auto& [digit, sum] : sums.values()) by_digit[digit] = sum;
  for (const auto& [digit, sum] : by_digit)
    std::printf("%d,%llu\n", digit, static_cast<unsigned long long>(sum));
  std::fprintf(stderr, "%s in %.3f s\n", eddy::to_string(result.state),
               std::chrono::duration<double>(result.wall_time).count());
  return 0;
}
