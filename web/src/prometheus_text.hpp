#pragma once
// Internal: /metrics in the Prometheus text format (prometheus-cpp's registry and
// TextSerializer, filled afresh for every scrape from the backend's JSON). Any thread.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eddy::web {

/// `jobs`: the backend's job list; `details`: job_view() of each job that has not ended;
/// `workers`: the backend's workers. Names and labels: docs/rest-api.md "Prometheus".
[[nodiscard]] std::string prometheus_text(const nlohmann::json& jobs,
                                          const std::vector<nlohmann::json>& details,
                                          const nlohmann::json& workers);

}  // namespace eddy::web
