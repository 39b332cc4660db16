#pragma once
/// SQL tables of the external connectors: registers `kafka`, `mqtt` and `jdbc` (alias
/// `postgresql`) with table_connector.hpp, each one this build has (EDDY_WITH_KAFKA,
/// EDDY_WITH_MQTT, EDDY_WITH_POSTGRES). `eddy` calls it at start-up; so do tests and programs
/// that embed a sql_session. Idempotent; call before planning (not thread-safe).
///
/// The WITH options (docs/sql.md "Connectors"): Flink's keys where Flink has the connector
/// ('topic', 'properties.bootstrap.servers', 'scan.startup.mode', 'url', 'table-name', ...), and
/// besides them the same keys as the connector's URI (docs/connectors.md: 'start', 'bounded',
/// 'group', 'qos', 'client-id', 'mode', 'key', 'create-table', ...). An unknown key is an error
/// naming the table, the key and the keys there are.
namespace eddy::table {

void register_connector_tables();

}  // namespace eddy::table
