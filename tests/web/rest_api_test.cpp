// The REST API over an embedded runtime (local_jobs): reads, actions, errors, the token, driven
// with a real HTTP client.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "eddy/table/sql_job.hpp"
#include "eddy/web/local_jobs.hpp"
#include "eddy/web/rest_server.hpp"
#include "support/eddy_process.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"
#include "web/rest_test_jobs.hpp"

using namespace std::chrono_literals;
using eddy::testing::eventually;
using eddy::testing::http_client;
using nlohmann::json;

namespace {

struct served_jobs {
  explicit served_jobs(std::string token = {}, std::string savepoints = {})
      : jobs(eddy::web::local_jobs_options{std::move(savepoints)}) {
    eddy::testing::register_rest_test_programs();
    eddy::web::rest_options o;
    o.port = 0;
    o.token = std::move(token);
    o.sample_interval = 100ms;
    auto s = eddy::web::rest_server::start(jobs, o);
    REQUIRE(s);
    server = std::move(*s);
  }
  eddy::web::local_jobs jobs;
  std::unique_ptr<eddy::web::rest_server> server;
};

std::string state_of(http_client& c, const std::string& id) {
  return c.get("/jobs/" + id).json().value("state", "");
}

/// Submits rest-test-ticks with `args` (a JSON array); its id.
std::string submit_ticks(http_client& c, const std::string& args) {
  const auto r = c.post("/jobs", R"({"program": "rest-test-ticks", "args": )" + args + "}");
  REQUIRE(r.status == 200);
  return r.json()["jobid"].get<std::string>();
}

/// Cancels job `id` and waits until it is CANCELED.
void cancel_and_wait(http_client& c, const std::string& id) {
  CHECK(c.patch("/jobs/" + id + "?mode=cancel").status == 202);
  REQUIRE(eventually([&] { return state_of(c, id) == "CANCELED"; }, 20s));
}

const json* vertex_named(const json& job, const std::string& op) {
  for (const auto& v : job["vertices"])
    for (const auto& o : v["operators"])
      if (o["name"] == op) return &v;
  return nullptr;
}

/// The sum of a metric's samples whose labels contain `label` (-1 if none).
double metric_sum(const std::string& text, const std::string& name, const std::string& label) {
  double sum = -1;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 || line.find(label) == std::string::npos) continue;
    sum = std::max(sum, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace

TEST_CASE("the REST API shows an embedded job, its metrics move, and it cancels it",
          "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto submitted = c.post("/jobs", R"({"program": "rest-test-ticks", "args": ["-p", "2"]})");
  REQUIRE(submitted.status == 200);
  const auto id = submitted.json()["jobid"].get<std::string>();
  REQUIRE(eventually([&] { return state_of(c, id) == "RUNNING"; }, 20s));

  // The job: its plan drawn as vertices, their counters and rates.
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        const auto* d = vertex_named(job, "double");
        return d && (*d)["records_in_per_second"].get<double>() > 0;
      },
      20s));
  const auto* source = vertex_named(job, "ticks");
  const auto* doubled = vertex_named(job, "double");
  REQUIRE(source);
  REQUIRE(doubled);
  CHECK((*source)["parallelism"] == 1);
  CHECK((*doubled)["parallelism"] == 2);
  CHECK((*doubled)["subtasks"].size() == 2);
  CHECK((*doubled)["inputs"][0]["ship_strategy"] == "REBALANCE");
  CHECK((*doubled)["inputs"][0]["id"] == (*source)["id"]);
  CHECK(c.get("/jobs/" + id + "/plan").json()["plan"]["nodes"].size() == job["vertices"].size());
  const auto vid = std::to_string((*doubled)["id"].get<int>());
  CHECK(c.get("/jobs/" + id + "/vertices/" + vid).json()["name"] == (*doubled)["name"]);

  // Prometheus: the counters grow between two scrapes.
  const auto m1 = c.get("/metrics");
  REQUIRE(m1.status == 200);
  const auto out1 = metric_sum(m1.body, "eddy_task_records_out_total", "task=\"Source: ticks\"");
  REQUIRE(out1 >= 0);
  REQUIRE(eventually(
      [&] {
        return metric_sum(c.get("/metrics").body, "eddy_task_records_out_total",
                          "task=\"Source: ticks\"") > out1;
      },
      20s));
  CHECK(m1.body.find("eddy_jobs{state=\"RUNNING\"} 1") != std::string::npos);
  CHECK(m1.body.find("# TYPE eddy_task_records_in_total counter") != std::string::npos);
  CHECK(metric_sum(m1.body, "eddy_task_records_in_per_second", "job_id=\"" + id + "\"") >= 0);

  const auto overview = c.get("/overview").json();
  CHECK(overview["jobs-running"] == 1);
  CHECK(overview["mode"] == "embedded");
  CHECK(c.get("/taskmanagers").json()["taskmanagers"].size() == 1);

  const auto canceled = c.patch("/jobs/" + id + "?mode=cancel");
  CHECK(canceled.status == 202);
  REQUIRE(eventually([&] { return state_of(c, id) == "CANCELED"; }, 20s));
  CHECK(c.get("/overview").json()["jobs-cancelled"] == 1);
  CHECK(c.get("/jobs").json()["jobs"][0]["status"] == "CANCELED");
}

TEST_CASE("the REST API and /metrics show the latency of latency markers at the sinks",
          "[web][rest][latency]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto submitted = c.post(
      "/jobs", R"({"program": "rest-test-ticks", "args": ["-p", "2", "--latency-interval", "5"]})");
  REQUIRE(submitted.status == 200);
  const auto id = submitted.json()["jobid"].get<std::string>();
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        return job.contains("latency") && job["latency"]["count"].get<std::uint64_t>() >= 5;
      },
      20s));
  const auto& lat = job["latency"];
  CHECK(lat["p50_us"].get<double>() > 0);
  CHECK(lat["p50_us"].get<double>() <= lat["p99_us"].get<double>());
  CHECK(lat["p99_us"].get<double>() <= lat["p999_us"].get<double>());
  // Only the sinks' vertex has markers: "double" forwards them to "discard" (chained to it).
  const auto* sink = vertex_named(job, "discard");
  const auto* source = vertex_named(job, "ticks");
  REQUIRE(sink);
  REQUIRE(source);
  CHECK(sink->contains("latency"));
  CHECK(!source->contains("latency"));

  const auto text = c.get("/metrics").body;
  CHECK(text.find("# TYPE eddy_task_latency_seconds gauge") != std::string::npos);
  CHECK(metric_sum(text, "eddy_task_latency_seconds", "quantile=\"0.99\"") > 0);
  CHECK(metric_sum(text, "eddy_task_latency_markers_total", "job_id=\"" + id + "\"") >= 5);
  cancel_and_wait(c, id);
}

TEST_CASE("the REST API and /metrics count a job's dead letters", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto id = submit_ticks(c, R"(["-p", "2", "--dead-letters"])");
  // The sink marked as_dead_letters counts every tenth tick; no other vertex counts any.
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        const auto* d = vertex_named(job, "dead letters");
        return d && (*d)["dead_letters"].get<std::uint64_t>() >= 3;
      },
      20s));
  const auto* dead = vertex_named(job, "dead letters");
  const auto* doubled = vertex_named(job, "double");
  REQUIRE(dead);
  REQUIRE(doubled);
  CHECK((*doubled)["dead_letters"] == 0);
  bool marked = false;
  for (const auto& o : (*dead)["operators"])
    if (o["name"] == "dead letters") marked = o.value("dead_letters", false);
  CHECK(marked);
  std::uint64_t per_subtask = 0;
  for (const auto& st : (*dead)["subtasks"]) per_subtask += st["dead_letters"].get<std::uint64_t>();
  CHECK(per_subtask == (*dead)["dead_letters"].get<std::uint64_t>());

  // Prometheus: per subtask of the marked vertex (and only there), and per job; they grow.
  const auto t1 = c.get("/metrics").body;
  const auto job_label = "job_id=\"" + id + "\"";
  const auto total1 = metric_sum(t1, "eddy_job_dead_letters_total", job_label);
  CHECK(total1 >= 3);
  CHECK(t1.find("# TYPE eddy_job_dead_letters_total counter") != std::string::npos);
  CHECK(metric_sum(t1, "eddy_task_dead_letters_total", job_label) >= 0);
  CHECK(metric_sum(t1, "eddy_task_dead_letters_total", "task=\"double") == -1);
  REQUIRE(eventually(
      [&] {
        return metric_sum(c.get("/metrics").body, "eddy_job_dead_letters_total", job_label) >
               total1;
      },
      20s));
  cancel_and_wait(c, id);
}

TEST_CASE("the REST API shows each vertex's watermark skew over its subtasks", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto id = submit_ticks(c, R"(["-p", "2", "--event-time"])");
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        const auto* d = vertex_named(job, "double");
        return d && (*d)["watermark_skew_ms"].is_number();
      },
      20s));
  // The skew is the spread of the subtasks' watermarks in the same answer.
  const auto& d = *vertex_named(job, "double");
  REQUIRE(d["subtasks"].size() == 2);
  const auto w0 = d["subtasks"][0]["watermark"].get<std::int64_t>();
  const auto w1 = d["subtasks"][1]["watermark"].get<std::int64_t>();
  CHECK(d["watermark_skew_ms"].get<std::int64_t>() == std::max(w0, w1) - std::min(w0, w1));
  CHECK(d["watermark"].get<std::int64_t>() == std::min(w0, w1));
  // One subtask: no skew.
  CHECK((*vertex_named(job, "ticks"))["watermark_skew_ms"].is_null());
  cancel_and_wait(c, id);
}

/// Whether the flame graph tree under `node` has a frame whose name contains `part`.
bool has_frame(const json& node, const std::string& part) {
  if (node.value("name", "").find(part) != std::string::npos) return true;
  for (const auto& c : node.value("children", json::array()))
    if (has_frame(c, part)) return true;
  return false;
}

TEST_CASE("a vertex's flame graph shows where its subtasks spend their CPU time", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto id = submit_ticks(c, R"(["-p", "1", "--busy"])");
  REQUIRE(eventually([&] { return state_of(c, id) == "RUNNING"; }, 20s));
  const auto job = c.get("/jobs/" + id).json();
  const auto* busy = vertex_named(job, "double");
  const auto* source = vertex_named(job, "ticks");
  REQUIRE(busy);
  REQUIRE(source);
  REQUIRE((*busy)["id"] != (*source)["id"]);  // the rebalance keeps them apart
  // Until the busy vertex has work.
  REQUIRE(eventually(
      [&] { return (*vertex_named(c.get("/jobs/" + id).json(), "double"))["records_in"] > 0; },
      20s));
  const auto path = "/jobs/" + id + "/vertices/";
  const auto r = c.get(path + (*busy)["id"].dump() + "/flamegraph?type=on_cpu&duration_ms=500");
  INFO(r.body.substr(0, 2000));
  REQUIRE(r.status == 200);
  const auto fg = r.json();
  CHECK(fg["duration_ms"] == 500);
  CHECK(fg["endTimestamp"].get<std::int64_t>() > 0);
  CHECK(fg["data"]["name"] == "root");
  CHECK(fg["data"]["value"] == fg["samples"]);
  CHECK(fg["samples"].get<int>() > 0);
  CHECK(has_frame(fg["data"], "rest_test_busy_work"));
  // The source's vertex never runs that function.
  const auto other = c.get(path + (*source)["id"].dump() + "/flamegraph?duration_ms=300").json();
  CHECK_FALSE(has_frame(other["data"], "rest_test_busy_work"));

  const auto vid = (*busy)["id"].dump();
  CHECK(c.get(path + vid + "/flamegraph?type=off_cpu").status == 400);
  CHECK(c.get(path + vid + "/flamegraph?duration_ms=0").status == 400);
  CHECK(c.get(path + vid + "/flamegraph?duration_ms=soon").status == 400);
  CHECK(c.get(path + "999/flamegraph").status == 404);
  CHECK(c.get("/jobs/no-such-job/vertices/0/flamegraph").status == 404);
  cancel_and_wait(c, id);
  CHECK(c.get(path + vid + "/flamegraph?duration_ms=10").status == 400);  // ended
}

TEST_CASE("a job without dead-letter operators has no dead-letter metrics", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  const auto id = submit_ticks(c, "[]");
  REQUIRE(eventually([&] { return state_of(c, id) == "RUNNING"; }, 20s));
  const auto text = c.get("/metrics").body;
  CHECK(metric_sum(text, "eddy_job_dead_letters_total", "job_id=\"" + id + "\"") == -1);
  CHECK(metric_sum(text, "eddy_task_dead_letters_total", "job_id=\"" + id + "\"") == -1);
  cancel_and_wait(c, id);
}

/// /jobs/ID/checkpoints/details/CID and its per-vertex path for a completed checkpoint `cid`
/// of running job `id`, and their 400 and 404 answers.
void check_checkpoint_details(http_client& c, const std::string& id, std::uint64_t cid) {
  const auto base = "/jobs/" + id + "/checkpoints/details/";
  const auto d = c.get(base + std::to_string(cid));
  INFO(d.body);
  REQUIRE(d.status == 200);
  const auto j = d.json();
  CHECK(j["id"] == cid);
  CHECK(j["is_savepoint"] == true);
  const auto job = c.get("/jobs/" + id).json();
  CHECK(j["num_subtasks"] == job["subtasks"].size());
  CHECK(j["num_acknowledged_subtasks"] == job["subtasks"].size());
  REQUIRE(j["vertices"].size() == job["vertices"].size());
  std::uint64_t bytes = 0;
  for (const auto& v : j["vertices"]) {
    INFO(v.dump());
    CHECK(v["num_acknowledged_subtasks"] == v["parallelism"]);
    CHECK(v["num_finished_subtasks"] == 0);
    bytes += v["bytes"].get<std::uint64_t>();
    const auto sv = c.get(base + std::to_string(cid) + "/subtasks/" + v["id"].dump());
    REQUIRE(sv.status == 200);
    const auto subs = sv.json()["subtasks"];
    REQUIRE(subs.size() == v["parallelism"].get<std::size_t>());
    std::int64_t e2e = 0;
    for (std::size_t i = 0; i < subs.size(); ++i) {
      CHECK(subs[i]["index"] == i);
      CHECK(subs[i]["status"] == "COMPLETED");
      CHECK(subs[i]["sync_duration_us"].get<std::int64_t>() >= 0);
      e2e = std::max(e2e, subs[i]["end_to_end_duration_us"].get<std::int64_t>());
    }
    CHECK(v["end_to_end_duration_us"] == e2e);
  }
  CHECK(bytes <= j["bytes"].get<std::uint64_t>());
  CHECK(c.get(base + std::to_string(cid + 100)).status == 404);
  CHECK(c.get(base + "latest").status == 400);
  CHECK(c.get(base + std::to_string(cid) + "/subtasks/999").status == 404);
  CHECK(c.get("/jobs/no-such-job/checkpoints/details/1").status == 404);
}

TEST_CASE("the REST API takes a savepoint and rescales a job from it", "[web][rest]") {
  eddy::testing::temp_dir tmp{"eddy-rest-sp"};
  served_jobs s({}, (tmp.path() / "default").string());
  http_client c(s.server->port());
  const auto id = c.post("/jobs", R"({"program": "rest-test-ticks", "args": ["-p", "1"]})")
                      .json()["jobid"]
                      .get<std::string>();
  REQUIRE(eventually([&] { return state_of(c, id) == "RUNNING"; }, 20s));

  const auto dir = (tmp.path() / "mine").string();
  const auto sp = c.post("/jobs/" + id + "/savepoints", json{{"target-directory", dir}}.dump());
  INFO(sp.body);
  REQUIRE(sp.status == 200);
  CHECK(sp.json()["status"]["id"] == "COMPLETED");
  const auto location = sp.json()["operation"]["location"].get<std::string>();
  CHECK(location.rfind(dir, 0) == 0);
  CHECK(std::filesystem::exists(location));
  CHECK(state_of(c, id) == "RUNNING");  // a savepoint alone leaves the job running
  const auto cps = c.get("/jobs/" + id + "/checkpoints").json();
  CHECK(cps["counts"]["completed"] == 1);
  CHECK(cps["latest"]["savepoint_path"] == location);
  CHECK(cps["latest"]["details"] == true);
  CHECK_FALSE(cps["latest"].contains("subtasks"));  // served by the details path only
  check_checkpoint_details(c, id, cps["latest"]["id"].get<std::uint64_t>());

  const auto rescaled = c.patch("/jobs/" + id + "/rescaling?parallelism=3");
  INFO(rescaled.body);
  REQUIRE(rescaled.status == 200);
  const auto id2 = rescaled.json()["jobid"].get<std::string>();
  CHECK(id2 != id);
  CHECK(state_of(c, id) == "FINISHED");  // stopped with a savepoint
  REQUIRE(eventually([&] { return state_of(c, id2) == "RUNNING"; }, 20s));
  const auto job2 = c.get("/jobs/" + id2).json();
  CHECK((*vertex_named(job2, "double"))["parallelism"] == 3);
  CHECK(job2["restored_from"].get<std::string>().rfind(tmp.path().string(), 0) == 0);
  CHECK(job2["args"] == json::array({"-p", "3"}));

  const auto stopped = c.post("/jobs/" + id2 + "/stop", R"({"drain": true})");
  INFO(stopped.body);
  REQUIRE(stopped.status == 200);
  CHECK(state_of(c, id2) == "FINISHED");
  CHECK(c.get("/jobs/" + id2).json()["savepoint_path"] == stopped.json()["operation"]["location"]);
}

TEST_CASE("the REST API lists the exceptions of failed attempts", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  eddy::testing::ticking_source::failed() = false;
  const auto id =
      c.post("/jobs", R"({"program": "rest-test-fail-once"})").json()["jobid"].get<std::string>();
  REQUIRE(eventually([&] { return c.get("/jobs/" + id).json().value("restarts", 0) == 1; }, 20s));
  const auto ex = c.get("/jobs/" + id + "/exceptions").json();
  REQUIRE(ex["entries"].size() == 1);
  CHECK(ex["entries"][0]["message"].get<std::string>().find("fails on purpose") !=
        std::string::npos);
  CHECK(ex["entries"][0]["attempt"] == 0);
  CHECK(ex["root-exception"] == ex["entries"][0]["message"]);
  cancel_and_wait(c, id);
}

TEST_CASE("bad REST requests get a 4xx naming what is wrong", "[web][rest]") {
  served_jobs s;
  http_client c(s.server->port());
  auto r = c.get("/jobs/no-such-job");
  CHECK(r.status == 404);
  CHECK(r.error() == "no job with id 'no-such-job'");
  CHECK(c.patch("/jobs/no-such-job?mode=cancel").status == 404);
  r = c.get("/nowhere");
  CHECK(r.status == 404);
  CHECK(r.error() == "no such resource: GET /nowhere");
  r = c.post("/jobs", "{not json");
  CHECK(r.status == 400);
  CHECK(r.error() == "the request body is not a JSON object");
  r = c.post("/jobs", R"({"program": "no-such-program"})");
  CHECK(r.status == 400);
  CHECK(r.error() == "unknown program 'no-such-program'");
  r = c.post("/jobs", R"({"program": "rest-test-ticks", "args": [1, 2]})");
  CHECK(r.status == 400);
  CHECK(r.error() == "'args' must be an array of strings");
  r = c.post("/jobs", R"({"args": []})");
  CHECK(r.status == 400);
  CHECK(r.error() == "'program' is missing (a job program)");

  const auto id =
      c.post("/jobs", R"({"program": "rest-test-ticks"})").json()["jobid"].get<std::string>();
  r = c.patch("/jobs/" + id + "/rescaling?parallelism=two");
  CHECK(r.status == 400);
  CHECK(r.error() == "parallelism=N is missing or not an integer from 1 to 1024");
  r = c.patch("/jobs/" + id + "?mode=stop");
  CHECK(r.status == 400);
  CHECK(r.error() == "unknown mode 'stop' (only mode=cancel is supported)");
  r = c.post("/jobs/" + id + "/savepoints", R"({"cancel-job": "yes"})");
  CHECK(r.status == 400);
  CHECK(r.error() == "'cancel-job' must be true or false");
  r = c.post("/jobs/" + id + "/savepoints", "{}");  // no directory anywhere
  CHECK(r.status == 400);
  CHECK(r.error().find("no savepoint directory") == 0);
  // None of it hurt the job (it may still be starting on a loaded machine).
  CHECK(eventually([&] { return state_of(c, id) == "RUNNING"; }, 20s));
  cancel_and_wait(c, id);
}

TEST_CASE("with a token every REST request but the dashboard's files needs it", "[web][rest]") {
  served_jobs s("sesame");
  http_client c(s.server->port());
  auto r = c.get("/jobs");
  CHECK(r.status == 401);
  CHECK(r.error().find("this server needs 'Authorization: Bearer TOKEN'") == 0);
  CHECK(c.get("/metrics").status == 401);
  CHECK(c.post("/jobs", R"({"program": "rest-test-ticks"})").status == 401);
  c.set_token("wrong");
  r = c.get("/jobs");
  CHECK(r.status == 401);
  CHECK(r.error() == "wrong bearer token (it is derived from the cluster secret)");
  c.set_token("sesame");
  CHECK(c.get("/jobs").status == 200);
  CHECK(c.get("/metrics").status == 200);
  http_client anonymous(s.server->port());
  r = anonymous.get("/");
  CHECK(r.status == 200);
  CHECK(r.body.find("<title>Eddy</title>") != std::string::npos);
  CHECK(anonymous.get("/app.js").status == 200);
  CHECK(anonymous.get("/style.css").status == 200);
}

TEST_CASE("the REST API runs an SQL script submitted as program sql", "[web][rest][sql]") {
  eddy::job_registry::global().add(eddy::table::sql_program_name, "an SQL script",
                                   eddy::table::sql_job_program);
  eddy::testing::temp_dir tmp{"eddy-rest-sql"};
  served_jobs s;
  http_client c(s.server->port());
  const auto out = (tmp.path() / "out").string();
  const std::string script =
      "SET 'metrics.latency.interval' = '1 ms';\n"
      "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '50', "
      "'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '50');\n"
      "CREATE TABLE o (n BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
      out + "', 'format' = 'csv');\nINSERT INTO o SELECT n FROM g;\n";
  const auto r = c.post("/jobs", json{{"program", "sql"}, {"args", {script}}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto id = r.json()["jobid"].get<std::string>();
  REQUIRE(eventually([&] { return state_of(c, id) == "FINISHED"; }, 30s));
  CHECK(eddy::testing::committed_lines(out).size() == 50);
  // SET 'metrics.latency.interval': the source's first marker reached the sink.
  const auto job = c.get("/jobs/" + id).json();
  REQUIRE(job.contains("latency"));
  CHECK(job["latency"]["count"].get<std::uint64_t>() >= 1);
  // A script the SQL planner refuses: 400 with its message.
  const auto bad = c.post("/jobs", R"({"program": "sql", "args": ["SELEC 1"]})");
  CHECK(bad.status == 400);
  CHECK(bad.error().find("sql: ") == 0);
}
