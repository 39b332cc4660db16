// A job between PostgreSQL tables (docs/connectors.md): readings are appended to a table
// exactly once, read back split into ranges of their id, and each device's hottest reading is
// upserted into another table. Run it against your server:
//
//     sample-postgres-pipeline postgresql://USER@HOST:PORT/DB
//
// It creates the tables `eddy_sample_readings` and `eddy_sample_device_max` if they are missing
// and prints the second one (another run appends the readings again; the maxima stay).
#include <cstdio>
#include <string>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/postgres/postgres_sink.hpp"
#include "eddy/connectors/postgres/postgres_source.hpp"
#include "eddy/operators/datastream.hpp"

namespace pg = eddy::postgres;

namespace {

struct reading {
  std::int64_t id = 0;
  std::string device;
  double temperature = 0;
};
EDDY_FIELDS(reading, id, device, temperature)

template <class Options>
Options options(const std::string& base, const std::string& query,
                eddy::expected<Options> (*parse)(const eddy::connectors::connector_uri&)) {
  auto u = eddy::connectors::parse_connector_uri(base + "?" + query);
  if (!u) throw std::invalid_argument(u.error().message);
  auto o = parse(*u);
  if (!o) throw std::invalid_argument(o.error().message);
  return *o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]).rfind("postgresql://", 0) != 0) {
    std::fprintf(stderr, "usage: %s postgresql://USER@HOST:PORT/DB\n", argv[0]);
    return 2;
  }
  const std::string base = argv[1];
  try {
    // 1. Append 1,000 readings, one transaction per checkpoint (here: the whole bounded job).
    {
      auto o = options<pg::sink_options>(
          base, "table=eddy_sample_readings&mode=append&create-table=true", pg::parse_sink_uri);
      pg::table_schema schema{
          {{"id", "BIGINT"}, {"device", "TEXT"}, {"temperature", "DOUBLE PRECISION"}}, {}};
      eddy::StreamEnvironment env;
      env.from_generator(1000,
                         [](std::uint64_t i) {
                           return reading{static_cast<std::int64_t>(i), "d" + std::to_string(i % 4),
                                          60.0 + static_cast<double>((i * 37) % 400) / 10};
                         })
          .sink_to(pg::postgres_sink<reading>(
              o,
              [](const reading& r) {
                return pg::pg_row{std::to_string(r.id), r.device, std::to_string(r.temperature)};
              },
              schema));
      env.execute("fill readings");
    }
    // 2. Read them back in 4 ranges of id, keep each device's maximum, upsert it.
    {
      auto in = options<pg::source_options>(
          base, "table=eddy_sample_readings&partition-column=id&partition-num=4",
          pg::parse_source_uri);
      auto out = options<pg::sink_options>(base, "table=eddy_sample_device_max&create-table=true",
                                           pg::parse_sink_uri);
      pg::table_schema schema{{{"device", "TEXT"}, {"max_temperature", "DOUBLE PRECISION"}},
                              {"device"}};
      eddy::StreamEnvironment env;
      env.set_parallelism(2);
      env.from_source(pg::postgres_source_rows(in), "readings")
          .map([](const pg::pg_row& row) {
            return reading{std::stoll(*row[0]), *row[1], std::stod(*row[2])};
          })
          .key_by([](const reading& r) { return r.device; })
          .reduce([](const reading& a, const reading& b) {
            return a.temperature >= b.temperature ? a : b;
          })
          .sink_to(pg::postgres_sink<reading>(
              out,
              [](const reading& r) {
                return pg::pg_row{r.device, std::to_string(r.temperature)};
              },
              schema));
      env.execute("device maxima");
    }
    // 3. Print the result table.
    auto in = options<pg::source_options>(
        base, "query=SELECT device, max_temperature FROM eddy_sample_device_max ORDER BY device",
        pg::parse_source_uri);
    eddy::StreamEnvironment env;
    env.set_parallelism(1);
    auto rows = env.from_source(pg::postgres_source_csv_lines(in)).collect();
    env.execute("print");
    for (const auto& line : rows.values()) std::printf("%s\n", line.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sample-postgres-pipeline: %s\n", e.what());
    return 1;
  }
  return 0;
}
