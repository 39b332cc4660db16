// Fuzz target: the JSON a cluster exchanges about jobs (runtime/src/job_spec.cpp): the job
// description a client submits (job_spec_from_json) and the job result sent back
// (job_result_from_json). The input is the JSON text, fed to both.
// Checks: malformed JSON or fields of the wrong type give an error value naming the problem,
// never a crash, an escaping exception or undefined behaviour; what parses re-serializes with
// to_json into JSON that parses to the same values.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "job_spec.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "job_spec_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_job_spec(std::string_view text) {
  auto spec = eddy::detail::job_spec_from_json(text);
  if (!spec) {
    if (spec.error().message.empty()) fail("job spec error without a message", "");
    return;
  }
  const std::string json = eddy::detail::to_json(*spec);
  auto again = eddy::detail::job_spec_from_json(json);
  if (!again) fail("own job spec JSON does not parse", again.error().message);
  if (again->program != spec->program || again->args != spec->args ||
      again->lib_name != spec->lib_name || again->lib_hash != spec->lib_hash ||
      again->restore_from != spec->restore_from || again->job_id != spec->job_id)
    fail("job spec changed in a round trip", json);
}

void check_job_result(std::string_view text) {
  auto result = eddy::detail::job_result_from_json(text);
  if (!result) {
    if (result.error().message.empty()) fail("job result error without a message", "");
    return;
  }
  const std::string json = eddy::detail::to_json(*result);
  auto again = eddy::detail::job_result_from_json(json);
  if (!again) fail("own job result JSON does not parse", again.error().message);
  if (eddy::detail::to_json(*again) != json) fail("job result changed in a round trip", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_job_spec(text);
  check_job_result(text);
  return 0;
}
