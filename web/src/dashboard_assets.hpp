#pragma once
// Internal: the dashboard's files (web/dashboard/), compiled into the binary by CMake
// (dashboard_assets.cpp.in), so that the page needs nothing outside the machine.
#include <string_view>

namespace eddy::web {

struct dashboard_asset {
  std::string_view path;          ///< "/", "/app.js", "/style.css"
  std::string_view content_type;  ///< with charset
  std::string_view body;
};

/// The asset served at `path`, or nullptr.
[[nodiscard]] const dashboard_asset* find_dashboard_asset(std::string_view path);

}  // namespace eddy::web
