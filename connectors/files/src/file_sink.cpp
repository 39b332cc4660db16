#include "eddy/connectors/files/file_sink.hpp"

namespace eddy::files {

expected<file_sink_options> parse_file_sink_uri(const connectors::connector_uri& uri) {
  file_sink_options f;
  if (!uri.hosts.empty() || uri.path.empty() || uri.path.front() != '/')
    return connectors::uri_error(uri, "expected file:///ABSOLUTE/PATH");
  f.path = uri.path;
  connectors::uri_options o(uri);
  if (auto v = o.take("rolling.size")) {
    auto size = connectors::parse_size(*v);
    if (!size)
      return connectors::uri_error(uri, "rolling.size '" + *v + "': expected a size like 64MB");
    f.rolling.max_part_size = *size;
  }
  if (auto v = o.take("rolling.interval")) {
    auto dur = connectors::parse_duration(*v);
    if (!dur)
      return connectors::uri_error(
          uri, "rolling.interval '" + *v + "': expected a duration like 10min (0: off)");
    f.rolling.rollover_interval = *dur;
  }
  if (auto ok = o.check_all_taken({"rolling.size", "rolling.interval"}); !ok) return ok.error();
  return f;
}

}  // namespace eddy::files
