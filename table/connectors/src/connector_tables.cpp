#include "eddy/table/connector_tables.hpp"

#include "connector_bindings.hpp"

namespace eddy::table {

void register_connector_tables() {
#ifdef EDDY_HAVE_KAFKA
  register_kafka_table();
#endif
#ifdef EDDY_HAVE_MQTT
  register_mqtt_table();
#endif
#ifdef EDDY_HAVE_POSTGRES
  register_jdbc_table();
#endif
}

}  // namespace eddy::table
