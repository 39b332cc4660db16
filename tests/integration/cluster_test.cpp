// Clusters of real `eddy` processes on 127.0.0.1: a coordinator and workers started by the test
// (and killed by it, also when a check fails), jobs submitted with `eddy run --cluster`. The
// output of every cluster run must equal the output of the same job on the embedded runtime.
#include <catch2/catch.hpp>

#include "support/eddy_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

#include "eddy/runtime/cluster.hpp"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#ifndef EDDY_SQUARES_LIB
#error "EDDY_SQUARES_LIB must name the sample job library"
#endif

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::committed_lines;
using eddy::testing::count_of;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::read_file;
using eddy::testing::run_eddy;
using eddy::testing::sensor_readings_csv;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;
using eddy::testing::words_text;
using eddy::testing::write_file;

namespace {
/// Readings of 20 devices, mostly in order, some late, some malformed.
std::vector<std::string> sensors_args(const fs::path& input, const fs::path& dir) {
  return eddy::testing::sensors_args(input, dir, 4);
}

/// Submits `args` (a sample job and its flags) to the cluster with --detach; returns the job id.
std::string submit_detached(test_cluster& cluster, const fs::path& cwd,
                            std::vector<std::string> args) {
  args.emplace_back("--detach");
  args.insert(args.begin(), {"run", "--cluster", cluster.address()});
  auto submitted = run_eddy(cwd, args);
  INFO("stderr: " << submitted.err);
  REQUIRE(submitted.code == 0);
  return submitted.out.substr(0, submitted.out.find('\n'));
}

void check_same_outputs(const fs::path& got, const fs::path& want,
                        std::initializer_list<const char*> outputs) {
  for (const auto* out : outputs) {
    INFO("output " << out);
    const auto expected = committed_lines(want / out);
    CHECK(committed_lines(got / out) == expected);
  }
}

/// Bytes the client reported between nodes ("network: N bytes ...").
std::uint64_t network_bytes(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("network: ([0-9]+) bytes"))) return 0;
  return std::stoull(m[1].str());
}

/// A checkpointed sensors job on `cluster` for a failure test: runs it failure-free into
/// TMP/ref, starts it on the cluster into TMP/run (checkpoints every 100 ms, `rate` records/s)
/// and returns its client once a checkpoint completed.
std::unique_ptr<eddy_process> start_checkpointed_sensors(const std::filesystem::path& tmp,
                                                         test_cluster& cluster, const char* rate) {
  const auto readings = tmp / "readings.csv";
  write_file(readings, sensor_readings_csv(16000, 21));
  auto ref_args = sensors_args(readings, tmp / "ref");
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp, ref_args).code == 0);
  auto args = sensors_args(readings, tmp / "run");
  for (const auto* a : {"--checkpoint-interval", "100", "--source-rate", rate})
    args.emplace_back(a);
  args.insert(args.begin(), {"run", "--cluster", cluster.address()});
  auto client = std::make_unique<eddy_process>(tmp, args);
  REQUIRE(eventually(
      [&] { return cluster.coordinator().err().find(" completed in ") != std::string::npos; },
      30s));
  return client;
}

/// Waits for the job of start_checkpointed_sensors and compares its committed output with the
/// failure-free run's; returns the client's stdout.
std::string finish_checkpointed_sensors(const std::filesystem::path& tmp, test_cluster& cluster,
                                        eddy_process& client) {
  const int code = client.wait_for(120s);
  INFO("client stdout: " << client.out() << "\nstderr: " << client.err()
                         << "\ncoordinator: " << cluster.coordinator().err());
  REQUIRE(code == 0);
  check_same_outputs(tmp / "run", tmp / "ref", {"windows", "late", "alerts", "dead"});
  return client.out();
}

}  // namespace

TEST_CASE(
    "a cluster reads a directory given as file:///DIR: the enumerator on the coordinator hands "
    "the files to readers on the workers",
    "[cluster]") {
  temp_dir tmp("eddy-cluster-dir");
  const auto in = tmp.path() / "in";
  std::filesystem::create_directories(in);
  std::string all;
  for (int f = 0; f < 6; ++f) {
    const auto text = words_text(2000 * (1 + f % 3), static_cast<std::uint32_t>(f), 500);
    write_file(in / ("words-" + std::to_string(f)), text);
    all += text;
  }
  write_file(tmp.path() / "all.txt", all);
  test_cluster cluster(tmp.path(), 2, 2);
  auto wc = cluster.run({"wordcount", "--input", "file://" + in.string(), "--output",
                         (tmp.path() / "wc" / "out").string(), "-p", "4"});
  INFO("stdout: " << wc.out << "\nstderr: " << wc.err);
  REQUIRE(wc.code == 0);
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", (tmp.path() / "all.txt").string(),
                                   "--output", (tmp.path() / "ref" / "out").string()});
  REQUIRE(ref.code == 0);
  check_same_outputs(tmp.path() / "wc", tmp.path() / "ref", {"out"});
}

TEST_CASE(
    "a coordinator and three workers run wordcount and sensors at parallelism 4 with the "
    "embedded output",
    "[cluster]") {
  temp_dir tmp("eddy-cluster");
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(20000, 5, 3000));
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(20000, 9));
  test_cluster cluster(tmp.path(), 3, 2);

  auto wc = cluster.run({"wordcount", "--input", words.string(), "--output",
                         (tmp.path() / "wc" / "out").string(), "-p", "4"});
  INFO("stdout: " << wc.out << "\nstderr: " << wc.err);
  REQUIRE(wc.code == 0);
  CHECK(network_bytes(wc.out) > 0);  // the subtasks really were spread over the workers
  auto wc_ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", words.string(), "--output",
                                      (tmp.path() / "wc-ref" / "out").string(), "-p", "4"});
  REQUIRE(wc_ref.code == 0);
  check_same_outputs(tmp.path() / "wc", tmp.path() / "wc-ref", {"out"});

  auto s = cluster.run(sensors_args(readings, tmp.path() / "s"));
  INFO("sensors stdout: " << s.out << "\nstderr: " << s.err);
  REQUIRE(s.code == 0);
  CHECK(network_bytes(s.out) > 0);
  auto ref_args = sensors_args(readings, tmp.path() / "s-ref");
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref_args).code == 0);
  check_same_outputs(tmp.path() / "s", tmp.path() / "s-ref", {"windows", "late", "alerts", "dead"});
}

TEST_CASE(
    "a worker killed with SIGKILL during a checkpointed sensors job: the job recovers on "
    "the other workers and commits the failure-free output",
    "[cluster][failure]") {
  temp_dir tmp("eddy-cluster-kill");
  test_cluster cluster(tmp.path(), 3, 2);
  auto client = start_checkpointed_sensors(tmp.path(), cluster, "8000");
  // Kill worker 0 (it holds two of the four slots) once a checkpoint completed.
  cluster.worker(0).signal(SIGKILL);
  const auto out = finish_checkpointed_sensors(tmp.path(), cluster, *client);
  INFO("coordinator: " << cluster.coordinator().err());
  CHECK(cluster.coordinator().err().find("lost") != std::string::npos);
  // The surviving workers kept their slots and restored from their local copies.
  CHECK(cluster.coordinator().err().find("from their workers' local copies") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("([0-9]+) restarts")));
  CHECK(std::stoi(m[1].str()) >= 1);
}

TEST_CASE(
    "workers whose heartbeats a hung coordinator leaves unanswered stop their subtasks, and the "
    "job recovers exactly once the coordinator is back",
    "[cluster][failure]") {
  temp_dir tmp("eddy-cluster-fence");
  test_cluster cluster(tmp.path(), 2, 2);
  auto client = start_checkpointed_sensors(tmp.path(), cluster, "4000");
  // A stopped coordinator keeps its connections open but answers nothing: both workers must
  // fence themselves within its heartbeat timeout (1.5 s), while it is still stopped.
  cluster.coordinator().signal(SIGSTOP);
  const bool fenced = eventually(
      [&] {
        for (std::size_t w = 0; w < 2; ++w)
          if (cluster.worker(w).err().find("no answer from the coordinator") == std::string::npos)
            return false;
        return true;
      },
      20s);
  cluster.coordinator().signal(SIGCONT);
  INFO("worker 0: " << cluster.worker(0).err() << "\nworker 1: " << cluster.worker(1).err());
  REQUIRE(fenced);
  finish_checkpointed_sensors(tmp.path(), cluster, *client);
}

TEST_CASE(
    "with a cluster secret a node that does not know it is refused and the refusal is "
    "logged with its address",
    "[cluster][security]") {
  temp_dir tmp("eddy-cluster-secret");
  write_file(tmp.path() / "secret", "correct horse battery staple\n");
  write_file(tmp.path() / "wrong", "not the secret\n");
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(2000, 3));
  test_cluster cluster(tmp.path(), 2, 1, {"--secret-file", (tmp.path() / "secret").string()});

  // A worker with the wrong secret gives up at once with a clear message.
  auto& bad = cluster.add_worker(1, {"--secret-file", (tmp.path() / "wrong").string()});
  const int code = bad.wait_for(30s);
  INFO("worker stderr: " << bad.err());
  CHECK(code == 1);
  CHECK(bad.err().find("wrong or missing cluster secret") != std::string::npos);
  CHECK(eventually(
      [&] {
        const auto log = cluster.coordinator().err();
        return log.find("refused worker 'w2' from 127.0.0.1") != std::string::npos;
      },
      10s));
  // So is a client without the secret...
  auto anonymous =
      run_eddy(tmp.path(), {"run", "--cluster", cluster.address(), "wordcount", "--input",
                            words.string(), "--output", (tmp.path() / "anon").string()});
  CHECK(anonymous.code != 0);
  CHECK(anonymous.err.find("refused") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path() / "anon"));
  // ...while the nodes that know it run jobs.
  auto ok = cluster.run({"wordcount", "--input", words.string(), "--output",
                         (tmp.path() / "out").string(), "-p", "2"});
  INFO("stderr: " << ok.err);
  CHECK(ok.code == 0);
}

TEST_CASE("a non-loopback listen address needs a secret, TLS or --insecure",
          "[cluster][security]") {
  temp_dir tmp("eddy-cluster-insecure");
  auto r = run_eddy(tmp.path(), {"coordinator", "--listen", "0.0.0.0:0", "--state-dir",
                                 (tmp.path() / "state").string()});
  CHECK(r.code == 1);
  CHECK(r.err.find("without --secret-file or TLS") != std::string::npos);
}

TEST_CASE("with TLS on, the cluster runs wordcount with the embedded output",
          "[cluster][security]") {
  temp_dir tmp("eddy-cluster-tls");
  const auto d = tmp.path().string();
  // A CA and one certificate every node uses (CN 127.0.0.1).
  const std::string cmd =
      "cd '" + d +
      "' && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=eddy-test-ca "
      "-keyout ca.key -out ca.pem >/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes "
      "-subj /CN=127.0.0.1 -keyout node.key -out node.csr >/dev/null 2>&1 && openssl x509 -req "
      "-in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out node.pem >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(5000, 8));
  test_cluster cluster(
      tmp.path(), 2, 2,
      {"--tls-cert", d + "/node.pem", "--tls-key", d + "/node.key", "--tls-ca", d + "/ca.pem"});
  auto r = cluster.run({"wordcount", "--input", words.string(), "--output",
                        (tmp.path() / "tls" / "out").string(), "-p", "4"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(network_bytes(r.out) > 0);
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", words.string(), "--output",
                                   (tmp.path() / "ref" / "out").string(), "-p", "4"});
  REQUIRE(ref.code == 0);
  check_same_outputs(tmp.path() / "tls", tmp.path() / "ref", {"out"});
  // A client without TLS cannot talk to it.
  auto plain = run_eddy(tmp.path(), {"run", "--cluster", cluster.address(), "wordcount", "--input",
                                     words.string(), "--output", (tmp.path() / "plain").string()});
  CHECK(plain.code != 0);
  // Clients that went away (the first run's, the refused one) leave the cluster whole: CAF's
  // TLS transport used to drop every other connection of the coordinator after one closed
  // (runtime/src/tls_error_queue.hpp), so the workers were lost and the next job failed.
  auto again = cluster.run({"wordcount", "--input", words.string(), "--output",
                            (tmp.path() / "tls" / "again").string(), "-p", "4"});
  INFO("second run stderr: " << again.err << "\ncoordinator: " << cluster.coordinator().err());
  REQUIRE(again.code == 0);
  CHECK(committed_lines(tmp.path() / "tls" / "again") ==
        committed_lines(tmp.path() / "ref" / "out"));
  CHECK(cluster.coordinator().err().find("lost") == std::string::npos);
}

TEST_CASE("a job submitted as a shared library runs on the workers", "[cluster]") {
  temp_dir tmp("eddy-cluster-lib");
  test_cluster cluster(tmp.path(), 2, 2);
  auto r = cluster.run({"--job-lib", EDDY_SQUARES_LIB, "squares", "--count", "100000", "--output",
                        (tmp.path() / "sq").string(), "-p", "4"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  std::vector<std::string> want;
  for (std::uint64_t k = 0; k < 10; ++k) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = k; i < 100000; i += 10) sum += i * i;
    want.push_back(std::to_string(k) + "," + std::to_string(sum));
  }
  std::sort(want.begin(), want.end());
  CHECK(committed_lines(tmp.path() / "sq") == want);
  // An unknown program in the library is named in the error.
  auto bad = cluster.run(
      {"--job-lib", EDDY_SQUARES_LIB, "cubes", "--output", (tmp.path() / "cubes").string()});
  CHECK(bad.code != 0);
  CHECK(bad.err.find("has no program 'cubes'") != std::string::npos);
}

TEST_CASE("a job that needs more slots than the cluster has waits, then fails with a clear message",
          "[cluster]") {
  temp_dir tmp("eddy-cluster-slots");
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(100, 1));
  test_cluster cluster(tmp.path(), 1, 2, {}, {"--slot-timeout", "2"});
  auto r = cluster.run({"wordcount", "--input", words.string(), "--output",
                        (tmp.path() / "out").string(), "-p", "3"});
  CHECK(r.code == 1);
  CHECK(r.err.find("needs 3 slots, but the cluster has 2 free slots on 1 workers") !=
        std::string::npos);
  CHECK(cluster.coordinator().err().find(
            "waits for 3 slots (2 free on 1 worker); it fails after --slot-timeout 2 s") !=
        std::string::npos);
}

TEST_CASE("bad submissions name the problem: unknown job, bad flags, unreachable coordinator",
          "[cluster]") {
  temp_dir tmp("eddy-cluster-bad");
  test_cluster cluster(tmp.path(), 1, 1);
  auto unknown = cluster.run({"nosuchjob"});
  CHECK(unknown.code == 2);  // a usage error, found before anything is sent
  CHECK(unknown.err.find("unknown job 'nosuchjob'") != std::string::npos);
  auto flags = cluster.run({"wordcount", "--input", (tmp.path() / "missing.txt").string(),
                            "--output", (tmp.path() / "o").string()});
  CHECK(flags.code == 1);
  CHECK(flags.err.find("no such file") != std::string::npos);
  // Global flags before `run` still send the job to the cluster; --detach prints its id.
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(100, 2));
  auto detached = run_eddy(tmp.path(), {"--log-level", "warn", "run", "--cluster",
                                        cluster.address(), "--detach", "wordcount", "--input",
                                        words.string(), "--output", (tmp.path() / "d").string()});
  CHECK(detached.code == 0);
  CHECK(detached.out.rfind("wordcount-", 0) == 0);
  auto down = run_eddy(tmp.path(), {"run", "--cluster", "127.0.0.1:1", "wordcount"});
  CHECK(down.code == 1);
  CHECK(down.err.find("cannot reach the coordinator at 127.0.0.1:1") != std::string::npos);
}

TEST_CASE("a cluster client lists, cancels and waits for a job", "[cluster]") {
  temp_dir tmp("eddy-cluster-client");
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(20000, 3));
  test_cluster cluster(tmp.path(), 1, 4);
  auto args = sensors_args(readings, tmp.path() / "run");
  for (const auto* a : {"--source-rate", "2000"}) args.emplace_back(a);
  const auto id = submit_detached(cluster, tmp.path(), args);
  auto hp = eddy::parse_host_port(cluster.address());
  REQUIRE(hp);
  auto client = eddy::cluster_client::connect(hp->first, hp->second, {});
  REQUIRE(client);
  auto list = (*client)->list_jobs();
  REQUIRE(list);
  CHECK(list->find("\"id\":\"" + id + "\"") != std::string::npos);
  REQUIRE((*client)->cancel(id));
  auto r = (*client)->wait(id);
  REQUIRE(r);
  CHECK(r->state == eddy::job_state::canceled);
  auto unknown = (*client)->cancel("nosuchjob-1");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "no job nosuchjob-1");
}

TEST_CASE("eddy stop --drain ends a cluster job on a monitored directory with every window",
          "[cluster][savepoint]") {
  temp_dir tmp("eddy-cluster-drain");
  const auto in = tmp.path() / "in";
  std::filesystem::create_directories(in);
  // A malformed last line marks the end: once it is a committed dead letter, all was read.
  write_file(in / "readings.csv", sensor_readings_csv(6000, 8) + "end-of-input\n");
  auto ref_args = eddy::testing::sensors_args(in / "readings.csv", tmp.path() / "ref", 1);
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref_args).code == 0);
  test_cluster cluster(tmp.path(), 1, 2);
  const auto dir = tmp.path() / "run";
  auto args = eddy::testing::sensors_args("file://" + in.string() + "?monitor=100ms", dir, 1);
  for (const auto* a : {"--checkpoint-interval", "100"}) args.emplace_back(a);
  const auto id = submit_detached(cluster, tmp.path(), args);
  REQUIRE(eventually(
      [&] {
        for (const auto& l : committed_lines(dir / "dead"))
          if (l.find("end-of-input") != std::string::npos) return true;
        return false;
      },
      60s));
  auto bad = run_eddy(tmp.path(), {"stop", id, "--drian", "--cluster", cluster.address()});
  CHECK(bad.code != 0);
  CHECK(bad.err.find("unexpected '--drian'") != std::string::npos);
  auto stop = run_eddy(tmp.path(), {"stop", id, "--drain", "--savepoint",
                                    (tmp.path() / "sp").string(), "--cluster", cluster.address()});
  INFO("stop: " << stop.out << stop.err);
  REQUIRE(stop.code == 0);
  CHECK(stop.out.find("savepoint-") != std::string::npos);
  auto hp = eddy::parse_host_port(cluster.address());
  REQUIRE(hp);
  auto client = eddy::cluster_client::connect(hp->first, hp->second, {});
  REQUIRE(client);
  auto r = (*client)->wait(id);
  REQUIRE(r);
  CHECK(r->state == eddy::job_state::finished);
  for (const auto* out : {"windows", "late", "alerts", "dead"}) {
    INFO("output " << out);
    CHECK(committed_lines(dir / out) == committed_lines(tmp.path() / "ref" / out));
  }
}

TEST_CASE("a restarted coordinator resumes a checkpointed job from its state directory",
          "[cluster][failure]") {
  temp_dir tmp("eddy-cluster-restart");
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(12000, 33));
  test_cluster cluster(tmp.path(), 2, 2);
  auto ref_args = sensors_args(readings, tmp.path() / "ref");
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref_args).code == 0);

  auto args = sensors_args(readings, tmp.path() / "run");
  for (const auto* a : {"--checkpoint-interval", "100", "--source-rate", "6000", "--detach"})
    args.emplace_back(a);
  args.insert(args.begin(), {"run", "--cluster", cluster.address()});
  auto submitted = run_eddy(tmp.path(), args);
  REQUIRE(submitted.code == 0);
  REQUIRE(eventually(
      [&] { return cluster.coordinator().err().find(" completed in ") != std::string::npos; },
      30s));
  cluster.coordinator().kill();
  cluster.start_coordinator(cluster.address());  // same port: the workers come back to it
  const bool finished = eventually(
      [&] { return cluster.coordinator().err().find("'sensors' FINISHED") != std::string::npos; },
      120s);
  INFO("coordinator: " << cluster.coordinator().err());
  REQUIRE(finished);
  CHECK(cluster.coordinator().err().find("resuming job sensors-") != std::string::npos);
  check_same_outputs(tmp.path() / "run", tmp.path() / "ref", {"windows", "late", "alerts", "dead"});
}

namespace {

/// Network namespaces joined by a bridge: node i gets 10.213.<net>.(i + 1)/24 on its own veth.
/// Everything is removed on destruction. Needs root and `ip netns`.
class netns_network {
 public:
  explicit netns_network(int nodes) : tag_(std::to_string(::getpid() % 100000)) {
    net_ = std::to_string(::getpid() % 250 + 1);
    std::string sh = "set -e; ip netns add " + bridge() + "; ip -n " + bridge() +
                     " link add br0 type bridge; ip -n " + bridge() + " link set br0 up; ";
    for (int i = 0; i < nodes; ++i) {
      const auto n = std::to_string(i);
      const auto v = "ev" + tag_ + "n" + n, b = "eb" + tag_ + "n" + n;
      sh += "ip netns add " + ns(i) + "; ip link add " + v + " type veth peer name " + b +
            "; ip link set " + v + " netns " + ns(i) + "; ip link set " + b + " netns " + bridge() +
            "; ip -n " + ns(i) + " addr add " + address(i) + "/24 dev " + v + "; ip -n " + ns(i) +
            " link set " + v + " up; ip -n " + ns(i) + " link set lo up; ip -n " + bridge() +
            " link set " + b + " master br0; ip -n " + bridge() + " link set " + b + " up; ";
    }
    nodes_ = nodes;
    ok_ = std::system(("(" + sh + ") >/dev/null 2>&1").c_str()) == 0;
  }
  ~netns_network() {
    std::string sh = "ip netns del " + bridge() + ";";
    for (int i = 0; i < nodes_; ++i) sh += " ip netns del " + ns(i) + ";";
    [[maybe_unused]] int rc = std::system(("(" + sh + ") >/dev/null 2>&1").c_str());
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::string ns(int i) const { return "eddy" + tag_ + "n" + std::to_string(i); }
  [[nodiscard]] std::string address(int i) const {
    return "10.213." + net_ + "." + std::to_string(i + 1);
  }
  [[nodiscard]] std::vector<std::string> exec_in(int i) const {
    return {"/usr/sbin/ip", "netns", "exec", ns(i)};
  }
  /// Takes node i's link down (its TCP connections stay open but nothing passes).
  bool cut(int i) const {
    const auto sh = "ip -n " + bridge() + " link set eb" + tag_ + "n" + std::to_string(i) + " down";
    return std::system(sh.c_str()) == 0;
  }

 private:
  [[nodiscard]] std::string bridge() const { return "eddy" + tag_ + "br"; }
  std::string tag_, net_;
  int nodes_ = 0;
  bool ok_ = false;
};

}  // namespace

TEST_CASE(
    "nodes in separate network namespaces: a worker whose link is cut is lost by its "
    "heartbeats and the job recovers on the others",
    "[cluster][netns][failure]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root for network namespaces");
    return;
  }
  netns_network net(4);  // coordinator, three workers
  if (!net.ok()) {
    WARN("skipped: cannot create network namespaces here (ip netns)");
    return;
  }
  temp_dir tmp("eddy-cluster-netns");
  write_file(tmp.path() / "secret", "netns secret\n");
  const auto secret = (tmp.path() / "secret").string();
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(16000, 41));
  auto ref_args = sensors_args(readings, tmp.path() / "ref");
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref_args).code == 0);

  const auto coordinator_address = net.address(0) + ":6123";
  eddy_process coordinator(
      tmp.path(), net.exec_in(0),
      {"coordinator", "--listen", coordinator_address, "--state-dir",
       (tmp.path() / "state").string(), "--secret-file", secret, "--heartbeat-interval", "100",
       "--heartbeat-timeout", "1500", "--log-level", "info"});
  REQUIRE(
      eventually([&] { return coordinator.out().find("listening") != std::string::npos; }, 20s));
  std::vector<std::unique_ptr<eddy_process>> workers;
  for (int i = 1; i <= 3; ++i)
    workers.push_back(std::make_unique<eddy_process>(
        tmp.path(), net.exec_in(i),
        std::vector<std::string>{"worker", "--coordinator", coordinator_address, "--slots", "2",
                                 "--host", net.address(i), "--name", "w" + std::to_string(i),
                                 "--secret-file", secret, "--heartbeat-interval", "100",
                                 "--log-level", "info"}));
  REQUIRE(eventually([&] { return count_of(coordinator.err(), "' registered with") >= 3; }, 20s));

  auto args = sensors_args(readings, tmp.path() / "run");
  for (const auto* a : {"--checkpoint-interval", "100", "--source-rate", "8000"})
    args.emplace_back(a);
  args.insert(args.begin(), {"run", "--cluster", coordinator_address, "--secret-file", secret});
  eddy_process client(tmp.path(), net.exec_in(0), args);
  REQUIRE(eventually([&] { return coordinator.err().find(" completed in ") != std::string::npos; },
                     30s));
  REQUIRE(net.cut(1));  // worker w1 (two of the four slots) drops off the network
  const int code = client.wait_for(120s);
  INFO("client: " << client.out() << client.err() << "\ncoordinator: " << coordinator.err());
  REQUIRE(code == 0);
  CHECK(coordinator.err().find("'w1' lost (no heartbeat for 1500 ms)") != std::string::npos);
  check_same_outputs(tmp.path() / "run", tmp.path() / "ref", {"windows", "late", "alerts", "dead"});
}
