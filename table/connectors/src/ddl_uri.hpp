#pragma once
// A table's WITH options as a connector URI (connector_uri.hpp), so that a table is checked
// and read by the same code as `eddy run`'s --input / --output URIs. Internal to
// eddy_table_connectors.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/table/table_connector.hpp"

namespace eddy::table::ddl {

/// Removes `key` from `o` and returns its value, if there.
std::optional<std::string> take(table_options& o, std::string_view key);
/// Renames `from` to `to` (Flink's key to the URI's), unless `to` is given too.
void rename(table_options& o, std::string_view from, std::string_view to);
/// "Table 'T' (connector 'kafka'): " + what, as an invalid_argument error.
eddy::error table_error(const table_def& t, const std::string& what);
/// The URI `scheme://hosts/path?options`, described in messages as the table.
connectors::connector_uri make_uri(const table_def& t, std::string scheme,
                                   std::vector<std::string> hosts, std::string path,
                                   const table_options& options);
/// The HOST:PORT items of option `key` (`value`: "h1:p1,h2:p2"), each checked; an item without
/// a port gets `default_port` (0: a port is required).
expected<std::vector<std::string>> hosts(const table_def& t, std::string_view key,
                                         std::string_view value, int default_port);
/// An error naming the first key of `o` that is not in `known` (an entry "p.*" takes every key
/// starting "p."), with the nearest known key and the list; success if there is none.
expected<void> check_keys(const table_def& t, const table_options& o,
                          const std::vector<std::string>& known);
/// Removes the keys of `o` that are in `other_side` (a table read and written takes the
/// options of both; each side ignores the other's, as Flink does). "p.*" entries are ignored.
void drop_keys(table_options& o, const std::vector<std::string>& other_side);
/// "a,b" -> {"a", "b"} (blanks around items removed, empty items left out).
std::vector<std::string> split_list(std::string_view s);

}  // namespace eddy::table::ddl
