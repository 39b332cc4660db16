#pragma once
/// Connector URIs: how a command line (and later SQL's WITH clause) names an external system.
///
///     kafka://HOST:PORT[,HOST:PORT...]/TOPIC?start=earliest&bounded=latest&group=G&format=csv
///     socket://HOST:PORT
///     file:///PATH?monitor=1s
///
/// The query options use the same keys as the connector's options; a key may appear once. Values
/// are percent-decoded. `uri_options` hands them out one by one and, at the end, reports the
/// first key nobody took as unknown (naming the keys the connector knows), so a misspelt option
/// is an error, never silently ignored. Pure functions; no I/O; thread-safe.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/runtime/error.hpp"

namespace eddy::connectors {

struct connector_uri {
  std::string text;                ///< the URI as given (for messages)
  std::string scheme;              ///< "kafka", "socket", "file", ... (lower case)
  std::string user;                ///< "USER@" before the hosts (postgresql://), decoded
  std::vector<std::string> hosts;  ///< "HOST:PORT" each, from the authority (may be empty)
  std::string path;                ///< after the authority, without the leading '/' for
                                   ///< kafka (the topic); the absolute path for file
  std::vector<std::pair<std::string, std::string>> options;  ///< the query, in order
};

/// Whether `text` looks like a connector URI ("SCHEME://..."), not a path.
[[nodiscard]] bool is_connector_uri(std::string_view text);

/// Parses "SCHEME://[USER@][HOST:PORT[,HOST:PORT...]][/PATH][?K=V&K=V...]". Errors
/// (invalid_argument) name the URI and what is wrong: no scheme, a host without a port, a port
/// out of range, a repeated or empty key, a bad %-escape, a password in the URI
/// ("USER:PASSWORD@": passwords belong in files).
[[nodiscard]] expected<connector_uri> parse_connector_uri(std::string_view text);

/// A duration such as "500ms", "1s", "2m", "1h" (a bare number is milliseconds); nullopt if
/// it is not one (or is negative).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// A size such as "64MB", "512kb", "1g" (a bare number is bytes; k/kb/kib, m/mb/mib and
/// g/gb/gib are powers of 1024 as in Flink's MemorySize; case-insensitive); nullopt if it is
/// not one.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

/// Hands out a URI's options, then checks that every one was taken.
class uri_options {
 public:
  explicit uri_options(const connector_uri& uri) : uri_(uri), taken_(uri.options.size()) {}
  /// The value of `key`, if given (and marks it taken).
  std::optional<std::string> take(std::string_view key);
  /// Every option whose key starts with `prefix` (e.g. "properties."), with the prefix removed.
  std::vector<std::pair<std::string, std::string>> take_prefixed(std::string_view prefix);
  /// An error naming the first option not taken and the `known` keys (with a "did you mean"),
  /// or success.
  [[nodiscard]] expected<void> check_all_taken(const std::vector<std::string>& known) const;

 private:
  const connector_uri& uri_;
  std::vector<bool> taken_;
};

/// "kafka://...: " + what: the prefix of every error about `uri`.
[[nodiscard]] eddy::error uri_error(const connector_uri& uri, const std::string& what);

}  // namespace eddy::connectors
