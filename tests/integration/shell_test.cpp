// `eddy shell` and the one-shot job commands: in script mode (commands on stdin) against a
// cluster of three worker processes and against the shell's embedded cluster, and interactively
// through a pseudo-terminal (completion, history).
#include <catch2/catch.hpp>

#include "support/eddy_process.hpp"
#include "support/pty_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::committed_lines;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::run_eddy_with_input;
using eddy::testing::sensor_readings_csv;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;
using eddy::testing::words_text;
using eddy::testing::write_file;

namespace {

/// The last non-empty line of `text`.
std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

/// The state of job `id` per `eddy jobs --json` ("" if absent).
std::string job_state(const fs::path& dir, const std::string& address, const std::string& id,
                      std::uint64_t* last_checkpoint = nullptr) {
  auto r = run_eddy(dir, {"jobs", "--cluster", address, "--json"});
  if (r.code != 0) return {};
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return {};
  for (const auto& job : j)
    if (job.value("id", "") == id) {
      if (last_checkpoint) *last_checkpoint = job.value("last_checkpoint", std::uint64_t{0});
      return job.value("state", "");
    }
  return {};
}

std::string sensors_line(const fs::path& input, const fs::path& out, int p, const char* rate) {
  return "run sensors --input " + input.string() + " --output " + (out / "windows").string() +
         " --late " + (out / "late").string() + " --alerts " + (out / "alerts").string() +
         " --dead-letter " + (out / "dead").string() + " -p " + std::to_string(p) +
         " --checkpoint-interval 100 --source-rate " + rate + "\n";
}

}  // namespace

TEST_CASE(
    "eddy shell scripts against a three-process cluster: submit, list, savepoint, rescale "
    "from 2 to 3 with the failure-free output, cancel, errors",
    "[shell][cluster]") {
  temp_dir tmp("eddy-shell-cluster");
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(16000, 17));
  test_cluster cluster(tmp.path(), 3, 2);
  const auto& address = cluster.address();
  auto ref_args = eddy::testing::sensors_args(readings, tmp.path() / "ref", 2);
  ref_args.insert(ref_args.begin(), "run");
  auto ref = run_eddy(tmp.path(), ref_args);
  REQUIRE(ref.code == 0);

  // Submit: the id is alone on the last line.
  auto submit = run_eddy_with_input(tmp.path(), {"shell", "--cluster", address},
                                    sensors_line(readings, tmp.path() / "run", 2, "4000"));
  INFO("shell stderr: " << submit.err);
  REQUIRE(submit.code == 0);
  const auto id = last_line(submit.out);
  REQUIRE(id.rfind("sensors-", 0) == 0);
  std::uint64_t checkpoint = 0;
  REQUIRE(eventually(
      [&] {
        return job_state(tmp.path(), address, id, &checkpoint) == "RUNNING" && checkpoint > 0;
      },
      30s));

  // List, savepoint, checkpoints, status, then rescale to 3 in one script.
  auto script = run_eddy_with_input(tmp.path(), {"shell", "--cluster", address},
                                    "jobs --json\nsavepoint " + id + "\ncheckpoints " + id +
                                        "\nstatus " + id + "\nrescale " + id + " 3\n");
  INFO("script stdout: " << script.out << "\nstderr: " << script.err);
  REQUIRE(script.code == 0);
  auto first_line = script.out.substr(0, script.out.find('\n'));
  auto jobs = nlohmann::json::parse(first_line);
  REQUIRE(jobs.is_array());
  CHECK(jobs[0].value("id", "") == id);
  CHECK(jobs[0].value("name", "") == "sensors");
  CHECK(jobs[0].value("state", "") == "RUNNING");
  const auto savepoint_path = (tmp.path() / "state" / "savepoints").string();
  CHECK(script.out.find(savepoint_path) != std::string::npos);  // the savepoint's path
  CHECK(script.out.find("RECORDS/S") != std::string::npos);     // status
  CHECK(script.out.find("DURATION") != std::string::npos);      // checkpoints
  const auto rescaled = last_line(script.out);
  REQUIRE(rescaled.rfind("sensors-", 0) == 0);
  REQUIRE(rescaled != id);
  REQUIRE(eventually([&] { return job_state(tmp.path(), address, rescaled) == "FINISHED"; }, 60s));
  CHECK(job_state(tmp.path(), address, id) == "FINISHED");  // stopped with the savepoint
  auto status = run_eddy(tmp.path(), {"status", rescaled, "--cluster", address, "--json"});
  REQUIRE(status.code == 0);
  const auto st = nlohmann::json::parse(status.out);
  CHECK(st.value("parallelism", 0) == 3);
  REQUIRE(st["subtasks"].size() > 0);
  for (const auto& sub : st["subtasks"]) CHECK(sub.value("state", "") == "FINISHED");
  for (const auto* out : {"windows", "late", "alerts", "dead"}) {
    INFO("output " << out);
    CHECK(committed_lines(tmp.path() / "run" / out) == committed_lines(tmp.path() / "ref" / out));
  }

  // Cancel.
  auto slow = run_eddy_with_input(tmp.path(), {"shell", "--cluster", address},
                                  sensors_line(readings, tmp.path() / "slow", 2, "500"));
  REQUIRE(slow.code == 0);
  const auto slow_id = last_line(slow.out);
  auto cancel = run_eddy(tmp.path(), {"cancel", slow_id, "--cluster", address});
  CHECK(cancel.code == 0);
  CHECK(eventually([&] { return job_state(tmp.path(), address, slow_id) == "CANCELED"; }, 30s));

  // Errors: one line each, the shell goes on, the exit code says a command failed.
  auto errors =
      run_eddy_with_input(tmp.path(), {"shell", "--cluster", address},
                          "jbos\nstatus nosuch-9\nrescale " + id + " zero\nworkers --json\n");
  CHECK(errors.code == 1);
  CHECK(errors.err.find("unknown command 'jbos' (did you mean 'jobs'?)") != std::string::npos);
  CHECK(errors.err.find("no job nosuch-9") != std::string::npos);
  CHECK(errors.err.find("the parallelism must be a positive number") != std::string::npos);
  auto workers = nlohmann::json::parse(last_line(errors.out));  // the shell went on
  CHECK(workers.size() == 3);
  auto unreachable = run_eddy(tmp.path(), {"jobs", "--cluster", "127.0.0.1:1", "--timeout", "300"});
  CHECK(unreachable.code == 1);
  CHECK(unreachable.err.find("cluster unreachable at 127.0.0.1:1") != std::string::npos);
  auto no_cluster = run_eddy(tmp.path(), {"jobs"});
  CHECK(no_cluster.code == 2);
  CHECK(no_cluster.err.find("needs --cluster HOST:PORT") != std::string::npos);
}

TEST_CASE("eddy shell without --cluster runs jobs on its embedded cluster", "[shell]") {
  temp_dir tmp("eddy-shell-embedded");
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(3000, 4));
  auto r = run_eddy_with_input(tmp.path(), {"shell"},
                               "run wordcount --input " + words.string() + " --output " +
                                   (tmp.path() / "out").string() +
                                   " -p 2\nwatch wordcount-1\njobs --json\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  auto jobs = nlohmann::json::parse(last_line(r.out));
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].value("state", "") == "FINISHED");
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", words.string(), "--output",
                                   (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  CHECK(committed_lines(tmp.path() / "out") == committed_lines(tmp.path() / "ref"));
}

TEST_CASE("eddy shell scripts get help as JSON and can watch a job for a while", "[shell]") {
  temp_dir tmp("eddy-shell-watch");
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(3000, 4));
  // The job is slowed down so that it runs well past the watch (it is canceled after it).
  auto r = run_eddy_with_input(tmp.path(), {"shell"},
                               "help --json\nhelp watch --json\nrun wordcount --input " +
                                   words.string() + " --output " + (tmp.path() / "out").string() +
                                   " --source-rate 100\nwatch wordcount-1 1\n"
                                   "watch wordcount-1 1 --json\n"
                                   "watch wordcount-1 x\ncancel wordcount-1\njobs --json\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  std::istringstream lines(r.out);
  std::string all, one;
  std::getline(lines, all);
  std::getline(lines, one);
  auto commands = nlohmann::json::parse(all);
  REQUIRE(commands.is_array());
  CHECK(std::any_of(commands.begin(), commands.end(),
                    [](const auto& c) { return c.value("command", "") == "rescale"; }));
  CHECK(nlohmann::json::parse(one).value("usage", "") == "watch ID [SECONDS]");
  CHECK(r.err.find("watch: SECONDS must be a positive whole number") != std::string::npos);
  CHECK(r.out.find("RECORDS/S") != std::string::npos);  // watch printed the job's status
  bool json_status = false;                             // watch --json: one status object per line
  for (std::istringstream all_lines(r.out); std::getline(all_lines, one);)
    if (!one.empty() && one[0] == '{')
      json_status = json_status || nlohmann::json::parse(one).contains("subtasks");
  CHECK(json_status);
  auto jobs = nlohmann::json::parse(last_line(r.out));
  REQUIRE(jobs.size() == 1);
  const auto state = jobs[0].value("state", "");
  CHECK((state == "CANCELED" || state == "CANCELING"));
}

TEST_CASE("eddy shell on a terminal completes commands and keeps a history", "[shell]") {
  temp_dir tmp("eddy-shell-pty");
  eddy::testing::pty_process term(EDDY_BIN, "shell", tmp.path().string());
  REQUIRE(term.ok());
  auto& seen = term.seen;
  auto read_until = [&](const std::string& what, std::chrono::milliseconds timeout) {
    return term.read_until(what, timeout);
  };
  auto type = [&](const std::string& s) { REQUIRE(term.type(s)); };
  const bool prompt = read_until("eddy> ", 30s);
  INFO("terminal: " << seen);
  REQUIRE(prompt);
  type("wor\t");  // completes to "workers"
  CHECK(read_until("workers", 10s));
  type("\n");
  CHECK(read_until("embedded", 10s));  // the workers table names the embedded worker
  // Job names after run, job ids after status.
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(200, 6));
  type("run wordc\t");
  CHECK(read_until("run wordcount", 10s));
  type(" --input " + words.string() + " --output " + (tmp.path() / "out").string() + "\n");
  CHECK(read_until("wordcount-1", 20s));
  seen.clear();
  type("status wordcount-\t");
  CHECK(read_until("status wordcount-1", 10s));
  type("\n");
  CHECK(read_until("OPERATOR CHAIN", 10s));
  type("quit\n");
  CHECK(term.wait_end(10s));
  const auto history = eddy::testing::read_file(tmp.path() / ".eddy_history");
  CHECK(history.find("workers") != std::string::npos);
  INFO("history: " << history);
  CHECK(history.find("status\\040wordcount-1") != std::string::npos);  // libedit escapes spaces
}
