#pragma once
// Helpers of the REST tests that start `eddy` processes (test code only).
#include <catch2/catch.hpp>

#include <functional>
#include <regex>
#include <string>

#include "support/eddy_process.hpp"
#include "support/http_client.hpp"

namespace eddy::testing {

/// The port of the line "REST API on http://127.0.0.1:PORT/" once `output()` (a process's stdout
/// or stderr) has it; fails the test after 30 s.
inline std::uint16_t rest_port_in(const std::function<std::string()>& output) {
  using namespace std::chrono_literals;
  static const std::regex re("REST API on http://127\\.0\\.0\\.1:([0-9]+)/");
  std::smatch m;
  std::string text;
  const bool found = eventually(
      [&] {
        text = output();
        return std::regex_search(text, m, re);
      },
      30s);
  INFO(text);
  REQUIRE(found);
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

/// True once the server lists exactly one job and it runs.
inline bool one_running_job(http_client& c) {
  const auto jobs = c.get("/jobs/overview").json();
  return jobs.is_object() && jobs["jobs"].size() == 1 && jobs["jobs"][0]["state"] == "RUNNING";
}

}  // namespace eddy::testing
