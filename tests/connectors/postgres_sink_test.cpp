// The PostgreSQL sink (postgres_sink.hpp) and its URI, against a real server started by the test
// (support/postgres_server.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/postgres/postgres_sink.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/failure_injection.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace pg = eddy::postgres;

namespace {

std::string why(const eddy::job_result& r) {
  return r.failure ? r.failure->message : "";
}

pg::sink_options sink_options(const eddy::testing::postgres_server& s, const std::string& table,
                              const std::string& query = "") {
  auto u = eddy::connectors::parse_connector_uri(s.uri("postgres", table) + query);
  REQUIRE(u);
  auto o = pg::parse_sink_uri(*u);
  INFO((o ? "" : o.error().message));
  REQUIRE(o);
  return *o;
}

/// (key, value) records: key i % keys, value i.
struct kv {
  std::int64_t key = 0;
  std::int64_t value = 0;
};
EDDY_FIELDS(kv, key, value)

/// A loopback port nobody listens on (bound and released).
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

pg::pg_row kv_row(const kv& r) {
  return {std::to_string(r.key), std::to_string(r.value)};
}

std::string expected_last_values(std::int64_t n, std::int64_t keys) {
  std::string out;
  for (std::int64_t k = 0; k < keys; ++k) {
    std::int64_t last = k;
    while (last + keys < n) last += keys;
    out += (k ? "\n" : "") + std::to_string(k) + "|" + std::to_string(last);
  }
  return out;
}

}  // namespace

TEST_CASE("postgresql sink URIs are checked") {
  using eddy::connectors::parse_connector_uri;
  auto sink = [](const std::string& text) -> std::string {
    auto u = parse_connector_uri(text);
    if (!u) return u.error().message;
    auto o = pg::parse_sink_uri(*u);
    return o ? std::string("ok") : o.error().message;
  };
  CHECK(sink("postgresql://eddy@127.0.0.1:5432/db?table=t") == "ok");
  CHECK_THAT(sink("postgresql://eddy@127.0.0.1:5432/db"), Catch::Contains("no table"));
  CHECK_THAT(sink("postgresql://eddy@127.0.0.1:5432/?table=t"), Catch::Contains("no database"));
  CHECK_THAT(sink("postgresql://eddy@127.0.0.1:5432/db?table=t&mode=merge"),
             Catch::Contains("mode 'merge'"));
  CHECK_THAT(sink("postgresql://eddy@127.0.0.1:5432/db?table=t&batchsize=5"),
             Catch::Contains("did you mean 'batch-size'"));
  CHECK_THAT(sink("postgresql://eddy@127.0.0.1:5432/db?table=t&mode=append&key=a"),
             Catch::Contains("key= is for mode=upsert"));
  // A password in the URI is refused, and not repeated in the message.
  const auto m = sink("postgresql://eddy:s3cret@127.0.0.1:5432/db?table=t");
  CHECK_THAT(m, Catch::Contains("password-file"));
  CHECK(m.find("s3cret") == std::string::npos);
  auto u = parse_connector_uri("postgresql://ed%40dy@10.0.0.1:6543/metrics?table=s.t&key=a,b");
  REQUIRE(u);
  auto o = pg::parse_sink_uri(*u);
  REQUIRE(o);
  CHECK(o->connection.user == "ed@dy");
  CHECK(o->connection.host == "10.0.0.1");
  CHECK(o->connection.port == 6543);
  CHECK(o->connection.database == "metrics");
  CHECK(o->table == "s.t");
  CHECK(o->key == std::vector<std::string>{"a", "b"});
  CHECK(o->transaction_prefix == "eddy-s.t");
}

TEST_CASE("the postgresql sink upserts keyed results, idempotently", "[postgres]") {
  eddy::testing::postgres_server server;
  server.psql("CREATE TABLE latest (k BIGINT PRIMARY KEY, v BIGINT)");
  for (int run = 0; run < 2; ++run) {  // the second run writes the same rows again
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_batch_size(50);
    env.from_generator(5000,
                       [](std::uint64_t i) {
                         return kv{static_cast<std::int64_t>(i % 37), static_cast<std::int64_t>(i)};
                       })
        .set_parallelism(1)
        .key_by([](const kv& r) { return r.key; })
        .reduce([](const kv&, const kv& b) { return b; })
        .sink_to(pg::postgres_sink<kv>(sink_options(server, "latest", "&batch-size=7"), kv_row));
    const auto r = env.execute("upsert");
    INFO(why(r));
    REQUIRE(r.ok());
    // Per key the records arrive in order (one source, keyed): the last value wins.
    CHECK(server.psql("SELECT k, v FROM latest ORDER BY k") == expected_last_values(5000, 37));
  }
}

TEST_CASE("the postgresql sink creates the table it is given, and writes CSV lines as rows",
          "[postgres]") {
  eddy::testing::postgres_server server;
  pg::table_schema schema{{{"name", "TEXT"}, {"n", "BIGINT"}, {"x", "DOUBLE PRECISION"}}, {"name"}};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);  // both rows of "a" in one subtask, in order
  env.from_collection(std::vector<std::string>{"a,1,0.5", "\"b,c\",2,", "a,3,1.25"})
      .sink_to(
          pg::postgres_sink_csv_lines(sink_options(server, "made", "&create-table=true"), schema));
  const auto r = env.execute("create");
  INFO(why(r));
  REQUIRE(r.ok());
  CHECK(server.psql("SELECT name, n, coalesce(x::text, 'NULL') FROM made ORDER BY name") ==
        "a|3|1.25\nb,c|2|NULL");
}

TEST_CASE("postgresql sink errors name the table and what is wrong", "[postgres]") {
  eddy::testing::postgres_server server;
  server.psql(
      "CREATE TABLE nokey (k BIGINT, v BIGINT); CREATE TABLE two (k BIGINT PRIMARY KEY, v "
      "BIGINT)");
  auto run = [&](pg::sink_options o, std::vector<std::string> lines) {
    eddy::StreamEnvironment env;
    env.from_collection(std::move(lines)).sink_to(pg::postgres_sink_csv_lines(std::move(o)));
    try {
      (void)env.execute("bad");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    FAIL("the job did not fail");
    return std::string();
  };
  CHECK_THAT(run(sink_options(server, "missing"), {"1,2"}),
             Catch::Contains("there is no table missing") && Catch::Contains("create-table=true"));
  CHECK_THAT(run(sink_options(server, "nokey"), {"1,2"}),
             Catch::Contains("no primary key") && Catch::Contains("mode=append"));
  CHECK_THAT(run(sink_options(server, "two"), {"1,2,3"}),
             Catch::Contains("has 3 values, the table has 2 columns (k, v)"));
  CHECK_THAT(run(sink_options(server, "two"), {"1,x"}),
             Catch::Contains("table two") && Catch::Contains("invalid input syntax"));
  // Nobody listens on the port: the job fails after connect-timeout, naming the server.
  auto o = sink_options(server, "two", "&connect-timeout=1s");
  o.connection.port = unused_port();
  CHECK_THAT(run(o, {"1,2"}), Catch::Contains("cannot connect to eddy@127.0.0.1:" +
                                              std::to_string(o.connection.port) + "/postgres"));
}

TEST_CASE("the exactly-once postgresql append sink writes every row once across a failure",
          "[postgres][txn][checkpoint]") {
  eddy::testing::postgres_server server;
  server.psql("CREATE TABLE events (v BIGINT)");
  eddy::testing::temp_dir tmp("eddy-pg-txn");
  auto sw = std::make_shared<eddy::testing::failure_switch>();
  eddy::StreamEnvironment env;
  eddy::testing::checkpointed_env(env, 2, tmp.path() / "chk");
  env.from_generator(20000, [](std::uint64_t i) { return i; })
      .map(eddy::testing::failing_map(sw))
      .sink_to(pg::postgres_sink<std::uint64_t>(
          sink_options(server, "events", "&mode=append&batch-size=100"),
          [](const std::uint64_t& v) { return pg::pg_row{std::to_string(v)}; }));
  const auto r = eddy::testing::run_with_failure(env, *sw);
  INFO(why(r));
  REQUIRE(r.ok());
  CHECK(server.psql("SELECT count(*), count(DISTINCT v), min(v), max(v) FROM events") ==
        "20000|20000|0|19999");
  CHECK(server.psql("SELECT count(*) FROM pg_prepared_xacts") == "0");
}

TEST_CASE("after a restore, prepared transactions no checkpoint covers are rolled back",
          "[postgres][txn]") {
  eddy::testing::postgres_server server;
  server.psql("CREATE TABLE events (v BIGINT)");
  auto o = sink_options(server, "events", "&mode=append");
  eddy::subtask_info info;  // subtask 0 of 2
  info.checkpointing = true;
  info.parallelism = 2;
  auto prepared = [&](pg::detail::table_writer& w, int v) {
    auto txn = w.begin();
    w.add({std::to_string(v)});
    w.prepare(txn);
    REQUIRE_FALSE(txn.gid.empty());
    return txn;
  };
  pg::pg_txn covered, open;
  {
    // The failed attempt: one transaction a completed checkpoint covers, then one prepared for
    // a checkpoint that never completed.
    pg::detail::table_writer w(o, std::nullopt, "sink");
    w.open(info, true);
    covered = prepared(w, 1);
    open = w.begin();  // what the checkpoint held as the open transaction
    (void)prepared(w, 2);
  }
  // Another subtask's (index 1 of 2) prepared transaction is not this one's to touch.
  eddy::subtask_info other = info;
  other.index = 1;
  {
    pg::detail::table_writer w(o, std::nullopt, "sink");
    w.open(other, true);
    (void)prepared(w, 3);
  }
  CHECK(server.psql("SELECT count(*) FROM pg_prepared_xacts") == "3");
  pg::detail::table_writer after(o, std::nullopt, "sink");
  after.open(info, true);
  after.commit(covered);  // recover_and_commit
  after.commit(covered);  // again (a second restore from the same checkpoint): no effect
  after.roll_back_strays(open);
  CHECK(server.psql("SELECT v FROM events") == "1");
  CHECK(server.psql("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'eddy-events:1:%'") ==
        "1");
  CHECK(server.psql("SELECT count(*) FROM pg_prepared_xacts") == "1");
}

TEST_CASE("the postgresql upsert sink rides out a server restart", "[postgres][recovery]") {
  eddy::testing::postgres_server server;
  server.psql("CREATE TABLE latest (k BIGINT PRIMARY KEY, v BIGINT)");
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.set_batch_size(20);
  env.config().source_rate = 4000;  // ~1.5 s
  env.from_generator(6000,
                     [](std::uint64_t i) {
                       return kv{static_cast<std::int64_t>(i % 11), static_cast<std::int64_t>(i)};
                     })
      .sink_to(pg::postgres_sink<kv>(sink_options(server, "latest"), kv_row));
  auto h = env.execute_async("restart");
  REQUIRE(h);
  while (server.psql("SELECT count(*) FROM latest") == "0" &&
         !h->wait_for(std::chrono::milliseconds(10))) {
  }
  server.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.start();
  const auto r = h->wait();
  INFO(why(r));
  REQUIRE(r.ok());
  CHECK(server.psql("SELECT k, v FROM latest ORDER BY k") == expected_last_values(6000, 11));
}

TEST_CASE("the exactly-once postgresql append sink loses nothing when the server crashes",
          "[postgres][txn][recovery]") {
  eddy::testing::postgres_server server;
  server.psql("CREATE TABLE events (v BIGINT)");
  eddy::testing::temp_dir tmp("eddy-pg-crash");
  eddy::StreamEnvironment env;
  eddy::testing::checkpointed_env(env, 2, tmp.path() / "chk");
  env.config().source_rate = 8000;  // ~1.5 s: the crash comes in the middle
  env.from_generator(12000, [](std::uint64_t i) { return i; })
      .sink_to(pg::postgres_sink<std::uint64_t>(
          sink_options(server, "events", "&mode=append&batch-size=50"),
          [](const std::uint64_t& v) { return pg::pg_row{std::to_string(v)}; }));
  auto h = env.execute_async("pg crash");
  REQUIRE(h);
  while (server.psql("SELECT count(*) FROM events") == "0" &&
         !h->wait_for(std::chrono::milliseconds(10))) {
  }
  server.kill();  // SIGKILL: open transactions are lost, prepared ones kept
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.start();
  const auto r = h->wait();
  INFO(why(r));
  REQUIRE(r.ok());
  // The sink reconnects and writes the open transaction again from its rows (or, if the crash
  // hits a checkpoint badly, the job restarts from the last one): nothing lost, nothing twice.
  CHECK(server.psql("SELECT count(*), count(DISTINCT v), min(v), max(v) FROM events") ==
        "12000|12000|0|11999");
  CHECK(server.psql("SELECT count(*) FROM pg_prepared_xacts") == "0");
}

TEST_CASE("postgresql sink subtasks creating the table at once all find it", "[postgres]") {
  eddy::testing::postgres_server server;
  pg::table_schema schema{{{"k", "BIGINT"}, {"v", "BIGINT"}}, {"k"}};
  // Eight writers open at the same moment, as subtasks of one sink do, for each of 10 tables.
  for (int round = 0; round < 10; ++round) {
    const auto table = "made_" + std::to_string(round);
    auto o = sink_options(server, table, "&create-table=true");
    std::vector<std::unique_ptr<pg::detail::table_writer>> writers;
    for (int i = 0; i < 8; ++i)
      writers.push_back(std::make_unique<pg::detail::table_writer>(o, schema, "sink"));
    std::atomic<int> ready{0};
    std::vector<std::string> errors(writers.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < writers.size(); ++i)
      threads.emplace_back([&, i] {
        eddy::subtask_info info;
        info.index = static_cast<int>(i);
        info.parallelism = static_cast<int>(writers.size());
        ++ready;
        while (ready.load() < static_cast<int>(writers.size())) {
        }
        try {
          writers[i]->open(info, false);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors) CHECK(e == "");
  }
}
