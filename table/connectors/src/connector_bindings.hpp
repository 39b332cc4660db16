#pragma once
// One registration function per connector this build has (connector_tables.cpp calls them).
// Internal to eddy_table_connectors.
namespace eddy::table {
void register_kafka_table();
void register_mqtt_table();
void register_jdbc_table();
}  // namespace eddy::table
