// Registered table connectors (table_connector.hpp) planned by a session: a connector of text
// rows (a database's shape: values as text, t/f booleans, NULLs; a changelog as upserts and
// deletes) and one of lines in the table's format; the errors of an unknown connector.
// The connectors here are the test's own, over collections; the real ones (kafka, mqtt, jdbc)
// are tested against their servers in tests/connectors/*_sql_test.cpp.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <mutex>

#include "eddy/operators/sources.hpp"
#include "eddy/table/table_connector.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;
using table::text_change;
using table::text_row;

namespace {

/// What the test sinks received, by table name (sink subtasks write concurrently).
struct received {
  std::mutex m;
  std::map<std::string, std::vector<text_change>> rows;
  std::map<std::string, std::vector<std::string>> lines;
};
received& sink_data() {
  static received r;
  return r;
}
/// The source data, by table name (set before a job runs).
std::map<std::string, std::vector<text_row>>& source_rows() {
  static std::map<std::string, std::vector<text_row>> r;
  return r;
}
std::map<std::string, std::vector<std::string>>& source_lines() {
  static std::map<std::string, std::vector<std::string>> r;
  return r;
}

template <class T>
class collecting_sink final : public timed_input_op<T> {
 public:
  explicit collecting_sink(std::vector<T>* out) : out_(out) {}
  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>&) override {
    std::lock_guard lock(sink_data().m);
    out_->insert(out_->end(), records.begin(), records.end());
  }
  void finish() override {}

 private:
  std::vector<T>* out_;
};

template <class T>
Source<T> collection(std::vector<T> data) {
  auto shared = std::make_shared<const std::vector<T>>(std::move(data));
  return Source<T>{"test collection", true, [shared](input_op<T>* next) {
                     return std::make_unique<collection_source<T>>(shared, next);
                   }};
}

void register_test_connectors() {
  table::table_connector rows;
  rows.text_rows = true;
  rows.source = [](const table::table_def& t,
                   const table::table_options& o) -> expected<table::table_source> {
    if (!o.empty()) return error{errc::invalid_argument, "test-rows: unknown option " + o[0].first};
    table::table_source s;
    s.rows = collection(source_rows()[t.name]);
    return s;
  };
  rows.sink = [](const table::table_def& t, const table::table_options&,
                 bool) -> expected<table::table_sink> {
    auto* out = &sink_data().rows[t.name];
    table::table_sink s;
    s.rows = Sink<text_change>{
        "test rows", delivery_guarantee::at_least_once,
        [out](const sink_context&) { return std::make_unique<collecting_sink<text_change>>(out); }};
    return s;
  };
  table::register_table_connector("test-rows", rows);
  table::table_connector lines;
  lines.default_format = "csv";
  lines.source = [](const table::table_def& t,
                    const table::table_options&) -> expected<table::table_source> {
    table::table_source s;
    s.lines = collection(source_lines()[t.name]);
    s.description = "test=[lines]";
    return s;
  };
  lines.sink = [](const table::table_def& t, const table::table_options&,
                  bool) -> expected<table::table_sink> {
    auto* out = &sink_data().lines[t.name];
    table::table_sink s;
    s.lines = Sink<std::string>{
        "test lines", delivery_guarantee::at_least_once,
        [out](const sink_context&) { return std::make_unique<collecting_sink<std::string>>(out); }};
    return s;
  };
  table::register_table_connector("test-lines", lines);
}

std::vector<std::string> flat(const std::vector<text_change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) {
    const auto& r = c.row;
    std::string s;
    for (std::size_t i = 0; i < r.size(); ++i) s += (i ? "|" : "") + r[i].value_or("NULL");
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a text-row connector: values parsed by column type, written back as text",
          "[table][session][connector]") {
  register_test_connectors();
  source_rows()["src"] = {{"1", "t", "12.50", "2024-01-02 03:04:05.678", "apple"},
                          {"2", "f", std::nullopt, "2024-01-02 03:04:06", std::nullopt},
                          {"3", "TRUE", "-0.5", std::nullopt, ""}};
  for (const int p : {1, 2}) {
    CAPTURE(p);
    sink_data().rows.clear();
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) +
                  "';\n"
                  "CREATE TABLE src (id INT, ok BOOLEAN, price DECIMAL(10, 2), ts TIMESTAMP(3), "
                  "name STRING) WITH ('connector' = 'test-rows');\n"
                  "CREATE TABLE dst (id INT, ok BOOLEAN, price DECIMAL(10, 2), ts TIMESTAMP(3), "
                  "name STRING) WITH ('connector' = 'test-rows');\n"
                  "INSERT INTO dst SELECT id * 10, NOT ok, price * 2, ts, UPPER(name) FROM src;");
    CHECK(flat(sink_data().rows["dst"]) ==
          std::vector<std::string>{"10|false|25.00|2024-01-02 03:04:05.678|APPLE",
                                   "20|true|NULL|2024-01-02 03:04:06|NULL",
                                   "30|false|-1.00|NULL|"});
  }
  table::sql_session s;
  source_rows()["bad"] = {{"1", "x"}};
  CHECK_THAT(error_of(s,
                      "CREATE TABLE bad (id INT, n INT) WITH ('connector' = 'test-rows');\n"
                      "CREATE TABLE sink (id INT, n INT) WITH ('connector' = 'blackhole');\n"
                      "INSERT INTO sink SELECT * FROM bad;"),
             Catch::Contains("table 'bad', column n: 'x' is not a INT"));
  CHECK_THAT(error_of(s,
                      "CREATE TABLE f (id INT) WITH ('connector' = 'test-rows', 'format' = "
                      "'csv');\nINSERT INTO f SELECT * FROM f;"),
             Catch::Contains("connector 'test-rows' reads and writes database rows and takes no "
                             "'format' option"));
}

TEST_CASE("a text-row sink takes an updating query as upserts and deletes",
          "[table][session][connector]") {
  register_test_connectors();
  source_rows()["words"] = {{"a"}, {"b"}, {"a"}, {"c"}, {"a"}, {"b"}};
  sink_data().rows.clear();
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE words (w STRING) WITH ('connector' = 'test-rows');\n"
         "CREATE TABLE counts (w STRING, n BIGINT, PRIMARY KEY (w) NOT ENFORCED) "
         "WITH ('connector' = 'test-rows');\n"
         "INSERT INTO counts SELECT w, COUNT(*) FROM words GROUP BY w;");
  std::map<std::string, std::string> last;  // upserts applied in order
  for (const auto& c : sink_data().rows["counts"]) {
    CHECK_FALSE(c.remove);
    last[*c.row[0]] = *c.row[1];
  }
  CHECK(last == std::map<std::string, std::string>{{"a", "3"}, {"b", "2"}, {"c", "1"}});
  CHECK(sink_data().rows["counts"].size() == 6);  // +I / +U per word, no -U
  CHECK_THAT(error_of(s,
                      "CREATE TABLE nokey (w STRING, n BIGINT) WITH ('connector' = "
                      "'test-rows');\nINSERT INTO nokey SELECT w, COUNT(*) FROM words GROUP "
                      "BY w;"),
             Catch::Contains("please declare a primary key for the sink table"));
  // How many words occur n times: a count moving from 1 to 2 deletes the group n = 1 (-D).
  run_ok(s,
         "CREATE TABLE hist (n BIGINT, k BIGINT, PRIMARY KEY (n) NOT ENFORCED) "
         "WITH ('connector' = 'test-rows');\n"
         "INSERT INTO hist SELECT n, COUNT(*) FROM (SELECT w, COUNT(*) AS n FROM words GROUP "
         "BY w) GROUP BY n;");
  std::map<std::string, std::string> table;  // the changelog applied as upserts and deletes
  bool deleted = false;
  for (const auto& c : sink_data().rows["hist"]) {
    if (c.remove) {
      deleted = true;
      CHECK(table.erase(*c.row[0]) == 1);
    } else {
      table[*c.row[0]] = *c.row[1];
    }
  }
  CHECK(deleted);
  CHECK(table == std::map<std::string, std::string>{{"1", "1"}, {"2", "1"}, {"3", "1"}});
}

TEST_CASE("a line connector: rows decoded and encoded in the table's format",
          "[table][session][connector]") {
  register_test_connectors();
  source_lines()["in"] = {"1,apple,2.5", "2,pear,", "3,\"fig, dried\",7"};
  sink_data().lines.clear();
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE `in` (id INT, name STRING, price DOUBLE) WITH ('connector' = "
         "'test-lines');\n"
         "CREATE TABLE `out` (id INT, name STRING, price DOUBLE) WITH ('connector' = "
         "'test-lines', 'format' = 'json');\n"
         "INSERT INTO `out` SELECT * FROM `in` WHERE id > 1;");
  auto got = sink_data().lines["out"];
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"{\"id\":2,\"name\":\"pear\",\"price\":null}",
                                        "{\"id\":3,\"name\":\"fig, dried\",\"price\":7.0}"});
  const auto plan = run_ok(s, "EXPLAIN INSERT INTO `out` SELECT * FROM `in`;");
  CHECK_THAT(plan.message, Catch::Contains("connector=[test-lines], test=[lines], format=[csv]"));
  CHECK_THAT(error_of(s,
                      "CREATE TABLE z (a INT) WITH ('connector' = 'nosuch');\n"
                      "INSERT INTO z SELECT * FROM z;"),
             Catch::Contains("Table 'z' cannot be read: connector 'nosuch' is not supported "
                             "(supported: filesystem, datagen"));
}

TEST_CASE("a row-batch sink takes the query's rows with their kinds, updating or not",
          "[table][session][connector]") {
  register_test_connectors();
  static std::mutex m;
  static std::map<std::string, std::int64_t> table;  // the changelog applied: word -> count
  static int retractions = 0;
  table.clear();
  retractions = 0;
  table::table_connector batches;
  batches.row_batches = true;
  batches.sink = [](const table::table_def&, const table::table_options&,
                    bool updating) -> expected<table::table_sink> {
    CHECK(updating);
    table::table_sink s;
    s.batches = Sink<rows::row_batch>{
        "test batches", delivery_guarantee::at_least_once, [](const sink_context&) {
          struct apply final : timed_input_op<rows::row_batch> {
            using timed_input_op<rows::row_batch>::process;
            void process(std::vector<rows::row_batch>& v, std::vector<std::int64_t>&) override {
              std::lock_guard lock(m);
              for (auto& b : v)
                for (std::size_t i = 0; i < b.size(); ++i) {
                  const auto row = b.row(i);
                  const auto w = b.column(0).data<std::string>()[row];
                  const auto n = b.column(1).data<std::int64_t>()[row];
                  const auto kind = b.kind(i);
                  if (kind == rows::row_kind::update_before || kind == rows::row_kind::delete_) {
                    ++retractions;
                    CHECK(table[w] == n);
                    table.erase(w);
                  } else {
                    table[w] = n;
                  }
                }
            }
            void finish() override {}
          };
          return std::make_unique<apply>();
        }};
    return s;
  };
  table::register_table_connector("test-batches", batches);
  source_rows()["words"] = {{"a"}, {"b"}, {"a"}, {"c"}, {"a"}, {"b"}};
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE words (w STRING) WITH ('connector' = 'test-rows');\n"
         "CREATE TABLE counts (w STRING, n BIGINT) WITH ('connector' = 'test-batches');\n"
         "INSERT INTO counts SELECT w, COUNT(*) FROM words GROUP BY w;");
  CHECK(table == std::map<std::string, std::int64_t>{{"a", 3}, {"b", 2}, {"c", 1}});
  CHECK(retractions == 3);  // -U before each of the three updates
  CHECK_THAT(error_of(s,
                      "CREATE TABLE f (w STRING, n BIGINT) WITH ('connector' = 'test-batches', "
                      "'format' = 'csv');\nINSERT INTO f SELECT w, COUNT(*) FROM words GROUP BY "
                      "w;"),
             Catch::Contains("connector 'test-batches' takes row batches and takes no 'format'"));
}
