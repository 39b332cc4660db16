// The CSV and JSON formats (RFC 4180 quoting, typed fields, EDDY_FIELDS mapping) and decode()'s
// dead letters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eddy/connectors/formats/csv.hpp"
#include "eddy/connectors/formats/decode.hpp"
#include "eddy/connectors/formats/json.hpp"

namespace {
struct reading {
  std::string device;
  std::int64_t ts = 0;
  double temperature = 0;
  std::optional<std::int32_t> battery;
  bool ok = false;
};
EDDY_FIELDS(reading, device, ts, temperature, battery, ok)
}  // namespace

using eddy::formats::csv_decoder;
using eddy::formats::json_decoder;

TEST_CASE("csv: fields by EDDY_FIELDS order, quotes per RFC 4180") {
  csv_decoder<reading> d;
  reading r;
  std::string why;
  REQUIRE(d.decode(R"("d ""1"", x",1000,21.5,,true)", r, why));
  CHECK(r.device == R"(d "1", x)");
  CHECK(r.ts == 1000);
  CHECK(r.temperature == 21.5);
  CHECK(!r.battery);
  CHECK(r.ok);
  REQUIRE(d.decode("d2,-5,1e3,77,0", r, why));
  CHECK(r.battery == 77);
  CHECK(!r.ok);
}

TEST_CASE("csv: malformed records say which field and why") {
  csv_decoder<reading> d;
  reading r;
  std::string why;
  auto bad = [&](const char* line) {
    CHECK_FALSE(d.decode(line, r, why));
    return why;
  };
  CHECK(bad("d,x,1,,true") == "field 2 (ts): 'x' is not an integer");
  CHECK(bad("d,1,nan,,true") == "field 3 (temperature): 'nan' is not a finite number");
  CHECK(bad("d,1,2,,yes") == "field 5 (ok): 'yes' is not a boolean (true, false, 1, 0)");
  CHECK(bad("d,1,2,99999999999,true") == "field 4 (battery): '99999999999' is out of range");
  CHECK(bad("d,1,2") == "expected 5 fields, found 3");
  CHECK(bad("d,1,2,,true,") == "expected 5 fields, found 6");
  CHECK(bad(R"("d,1,2,,true)").find("unterminated quoted field") == 0);
  CHECK(bad(R"("d"x,1,2,,true)").find("unexpected character after the quoted field") == 0);
  CHECK(bad(R"(d"x,1,2,,true)").find("a quote inside an unquoted field") == 0);
}

TEST_CASE("csv: a header line is skipped, not a dead letter, and other delimiters work") {
  eddy::formats::csv_options o;
  o.header = true;
  o.delimiter = ';';
  csv_decoder<reading> d(o);
  reading r;
  std::string why;
  CHECK_FALSE(d.decode("device;ts;temperature;battery;ok", r, why));
  CHECK(why.empty());
  REQUIRE(d.decode("d;1;2.5;3;1", r, why));
  CHECK(r.temperature == 2.5);
}

TEST_CASE("json: keys to fields by name, null, missing keys, type errors") {
  json_decoder<reading> d;
  reading r;
  std::string why;
  REQUIRE(d.decode(R"({"ts":7,"device":"d\"1","temperature":3,"battery":null,"ok":true,"x":[1]})",
                   r, why));
  CHECK(r.device == "d\"1");
  CHECK(r.ts == 7);
  CHECK(r.temperature == 3.0);
  CHECK(!r.battery);
  CHECK(r.ok);
  reading m;
  REQUIRE(d.decode(R"({"device":"only"})", m, why));  // missing keys keep their defaults
  CHECK(m.ts == 0);
  auto bad = [&](const char* line) {
    reading x;
    CHECK_FALSE(d.decode(line, x, why));
    return why;
  };
  CHECK(bad(R"({"ts":"7"})") == "key 'ts': '7' is a string, expected a number");
  CHECK(bad(R"({"ts":1.5})") == "key 'ts': '1.5' is not an integer");
  CHECK(bad(R"({"ts":null})") == "key 'ts': is null, and the field is not optional");
  CHECK(bad(R"({"ok":1})") == "key 'ok': 1 is not a boolean");
  CHECK(bad(R"({"ts":{"a":1}})") == R"(key 'ts': {"a":1} is not a number)");
  CHECK(bad(R"([1,2])") == "not a JSON object");
  CHECK(bad(R"({"ts":)").find("not JSON") == 0);
  json_decoder<reading> strict(eddy::formats::json_options{true});
  reading s;
  CHECK_FALSE(strict.decode(R"({"device":"d"})", s, why));
  CHECK(why == "key 'ts': missing");
}

TEST_CASE("decode sends every malformed line to the dead letters, with origin and reason") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto lines =
      env.from_collection<std::string>({"device,ts,temperature,battery,ok", "d1,1,2.5,,true",
                                        "d2,x,1,,true", "d3,3,4,5,false", "garbage"});
  eddy::formats::csv_options o;
  o.header = true;
  auto d = eddy::formats::decode_lines<reading>(lines, csv_decoder<reading>(o), "in.csv");
  auto records = d.records.map([](const reading& r) { return r.device; }).collect();
  auto dead = d.dead_letters.collect();
  const auto result = env.execute("decode");
  REQUIRE(result.ok());
  CHECK(records.values() == std::vector<std::string>{"d1", "d3"});
  // The job counts them as its dead letters (the "decode dead letters" operator is marked).
  std::uint64_t counted = 0;
  for (const auto& s : result.subtasks) counted += s.dead_letters;
  CHECK(counted == 2);
  CHECK(dead.values() ==
        std::vector<std::string>{"in.csv line 3: field 2 (ts): 'x' is not an integer: d2,x,1,,true",
                                 "in.csv line 5: expected 5 fields, found 1: garbage"});
}
