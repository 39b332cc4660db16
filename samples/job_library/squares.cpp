// [job_library]
// A job library: a shared library whose programs a cluster runs (see docs/deployment.md).
//   eddy run --cluster HOST:PORT --job-lib libeddy_squares.so squares --count 100000 \
//     --output /tmp/squares -p 4
// ships this library to the coordinator, which passes it to the workers; every node loads it
// and builds the same graph from the same arguments.
#include <stdexcept>
#include <string>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace {

/// Sums i*i over i in [0, count) per residue i % 10; one "residue,sum" line per residue.
eddy::built_job squares(const std::vector<std::string>& args, const eddy::job_build_context&) {
  std::uint64_t count = 0;
  std::string output;
  int parallelism = 1;
  if (args.size() % 2 != 0) throw std::invalid_argument("every flag needs a value");
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const auto& flag = args[i];
    const auto& value = args[i + 1];
    if (flag == "--count") {
      count = std::stoull(value);
    } else if (flag == "--output") {
      output = value;
    } else if (flag == "-p") {
      parallelism = std::stoi(value);
    } else {
      throw std::invalid_argument("unknown flag '" + flag + "'");
    }
  }
  if (output.empty()) throw std::invalid_argument("--output is required");
  using kv = std::pair<std::uint64_t, std::uint64_t>;
  auto residue_and_square = [](std::uint64_t i) { return kv{i % 10, i * i}; };
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.set_runtime_mode(eddy::runtime_mode::batch);
  env.from_generator(count, residue_and_square)
      .key_by([](const kv& r) { return r.first; })
      .sum<1>()
      .write_text_file(output);
  return env.take_job("squares");
}

}  // namespace

extern "C" void eddy_register_jobs(eddy::job_registry& registry) {
  registry.add("squares", "sums of squares per residue mod 10 (batch)", squares);
}
// [job_library]
