#include <catch2/catch.hpp>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/kafka/kafka_options.hpp"

using namespace eddy::connectors;

TEST_CASE("a kafka URI gives brokers, topic and options") {
  auto u = parse_connector_uri(
      "kafka://127.0.0.1:9092,host-b:9093/readings?start=earliest&bounded=latest&group=g%201");
  REQUIRE(u);
  CHECK(u->scheme == "kafka");
  CHECK(u->hosts == std::vector<std::string>{"127.0.0.1:9092", "host-b:9093"});
  CHECK(u->path == "readings");
  REQUIRE(u->options.size() == 3);
  CHECK(u->options[2] == std::pair<std::string, std::string>{"group", "g 1"});
  auto o = eddy::kafka::parse_source_uri(*u);
  REQUIRE(o);
  CHECK(o->bootstrap_servers == "127.0.0.1:9092,host-b:9093");
  CHECK(o->topics == std::vector<std::string>{"readings"});
  CHECK(o->bounded);
  CHECK(o->start == eddy::kafka::start_offset::earliest);
  CHECK(o->group == "g 1");
}

TEST_CASE("file URIs keep their absolute path") {
  auto u = parse_connector_uri("file:///tmp/in%20put.csv?monitor=1s");
  REQUIRE(u);
  CHECK(u->hosts.empty());
  CHECK(u->path == "/tmp/in put.csv");
}

TEST_CASE("malformed URIs are errors naming the URI and the problem") {
  auto msg = [](const char* text) {
    auto u = parse_connector_uri(text);
    REQUIRE(!u);
    return u.error().message;
  };
  CHECK(msg("kafka//x:1/t").find("not a URI") != std::string::npos);
  CHECK(msg("kafka://host/t").find("'host' is not HOST:PORT") != std::string::npos);
  CHECK(msg("kafka://host:0/t").find("port") != std::string::npos);
  CHECK(msg("kafka://host:99999/t").find("port") != std::string::npos);
  CHECK(msg("kafka://h:1/t?start=a&start=b").find("'start' is given twice") != std::string::npos);
  CHECK(msg("kafka://h:1/t?start").find("'start' has no value") != std::string::npos);
  CHECK(msg("kafka://h:1/t?x=%zz").find("%-escape") != std::string::npos);
  CHECK(msg("kafka://h:1/t?x=%zz").find("kafka://h:1/t?x=%zz") != std::string::npos);
}

TEST_CASE("an unknown kafka option is an error naming it, with a suggestion") {
  auto u = parse_connector_uri("kafka://h:1/t?strat=earliest");
  REQUIRE(u);
  auto o = eddy::kafka::parse_source_uri(*u);
  REQUIRE(!o);
  CHECK(o.error().message.find("unknown option 'strat'") != std::string::npos);
  CHECK(o.error().message.find("did you mean 'start'") != std::string::npos);
}

TEST_CASE("kafka source options are checked") {
  auto err = [](const char* text) {
    auto u = parse_connector_uri(text);
    REQUIRE(u);
    auto o = eddy::kafka::parse_source_uri(*u);
    REQUIRE(!o);
    return o.error().message;
  };
  CHECK(err("kafka://h:1/t?start=first").find("start 'first'") != std::string::npos);
  CHECK(err("kafka://h:1/t?start=committed").find("needs group") != std::string::npos);
  CHECK(err("kafka://h:1/t?bounded=yes").find("bounded 'yes'") != std::string::npos);
  CHECK(err("kafka://h:1/t?discovery=soon").find("discovery 'soon'") != std::string::npos);
  CHECK(err("kafka://h:1/t?format=xml").find("format 'xml'") != std::string::npos);
  CHECK(err("kafka://h:1/").find("no topic") != std::string::npos);
  CHECK(err("kafka:///t").find("no broker") != std::string::npos);
  auto u = parse_connector_uri(
      "kafka://h:1/a,b?start=timestamp:1700000000000&discovery=0&properties.fetch.min.bytes=1");
  REQUIRE(u);
  auto o = eddy::kafka::parse_source_uri(*u);
  REQUIRE(o);
  CHECK(o->topics == std::vector<std::string>{"a", "b"});
  CHECK(o->start == eddy::kafka::start_offset::timestamp);
  CHECK(o->start_timestamp == 1700000000000);
  CHECK(o->discovery_interval.count() == 0);
  CHECK(o->properties ==
        std::vector<std::pair<std::string, std::string>>{{"fetch.min.bytes", "1"}});
}

TEST_CASE("kafka sink options are checked, and exactly-once needs a transactional id prefix") {
  auto u = parse_connector_uri("kafka://h:1/out?guarantee=exactly-once");
  REQUIRE(u);
  auto o = eddy::kafka::parse_sink_uri(*u);
  REQUIRE(!o);
  CHECK_THAT(o.error().message, Catch::Contains("needs transactional-id-prefix"));
  u = parse_connector_uri("kafka://h:1/out?guarantee=exactly-once&transactional-id-prefix=job1");
  REQUIRE(u);
  o = eddy::kafka::parse_sink_uri(*u);
  REQUIRE(o);
  CHECK(o->guarantee == eddy::delivery_guarantee::exactly_once);
  CHECK(o->transactional_id_prefix == "job1");
  u = parse_connector_uri("kafka://h:1/out?transactional-id-prefix=job1");
  REQUIRE(u);
  o = eddy::kafka::parse_sink_uri(*u);
  REQUIRE(!o);
  CHECK_THAT(o.error().message, Catch::Contains("for guarantee=exactly-once only"));
  u = parse_connector_uri("kafka://h:1/out?guarantee=twice");
  REQUIRE(u);
  o = eddy::kafka::parse_sink_uri(*u);
  REQUIRE(!o);
  CHECK_THAT(o.error().message, Catch::Contains("not one of at-least-once, exactly-once, none"));
  u = parse_connector_uri("kafka://h:1/out?guarantee=none&flush-timeout=5s");
  REQUIRE(u);
  o = eddy::kafka::parse_sink_uri(*u);
  REQUIRE(o);
  CHECK(o->guarantee == eddy::delivery_guarantee::none);
  CHECK(o->flush_timeout.count() == 5000);
}

TEST_CASE("durations") {
  CHECK(parse_duration("250")->count() == 250);
  CHECK(parse_duration("250ms")->count() == 250);
  CHECK(parse_duration("2s")->count() == 2000);
  CHECK(parse_duration("1m")->count() == 60000);
  CHECK(!parse_duration("-1s"));
  CHECK(!parse_duration("1d"));
  CHECK(!parse_duration(""));
}
