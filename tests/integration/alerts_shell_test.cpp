// The alerts sample on a cluster of processes, changed from the shell while it runs: patterns
// added, replaced and removed with `eddy pattern ... --cluster` (the shell's commands, one-shot),
// sent through the coordinator to the job's control channel on a worker. The input is a named
// pipe the test writes, so what each pattern sees is decided by the test, not by timing: probe
// transactions are written until every probed key shows that the last definition arrived (the
// channel is ordered, so the ones before it did too); only then come the decisive records.
// Also the shell's errors, and `eddy shell` in script mode against its embedded cluster.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::committed_lines;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;
using eddy::testing::write_file;

namespace {

/// The writing end of a named pipe, opened once a reader has it open (up to 60 s).
class fifo_writer {
 public:
  explicit fifo_writer(const fs::path& path) {
    REQUIRE(eventually(
        [&] {
          fd_ = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
          return fd_ >= 0 || errno != ENXIO;
        },
        60s));
    REQUIRE(fd_ >= 0);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  }
  ~fifo_writer() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  /// Writes a transaction line; ts advances by 100 ms per line.
  void txn(std::int64_t card, const std::string& amount) {
    ts_ += 100;
    const auto line = std::to_string(card) + "," + std::to_string(ts_) + "," + amount + "\n";
    REQUIRE(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
  /// Moves event time past everything written (the watermark trails by 2 s): a filler for a card
  /// no pattern matches.
  void flush() {
    ts_ += 3000;
    txn(9999, "5.00");
  }

 private:
  int fd_ = -1;
  std::int64_t ts_ = 1'000'000;
};

/// Whether `lines` has a line starting with `prefix`.
bool has_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

std::string job_state(const fs::path& dir, const std::string& address, const std::string& id) {
  auto r = run_eddy(dir, {"status", id, "--cluster", address, "--json"});
  if (r.code != 0) return {};
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("state", "") : "";
}

}  // namespace

TEST_CASE("eddy pattern adds, replaces and removes patterns of a running alerts job on a cluster",
          "[shell][cluster][control]") {
  temp_dir tmp("eddy-alerts-shell");
  const auto fifo = tmp.path() / "transactions.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  write_file(tmp.path() / "patterns.txt",
             "# the file's pattern\n"
             "small_large: skip past_last_event small(amount < 1.00) followed_by large(amount > "
             "500.00) within 60s\n");
  test_cluster cluster(tmp.path(), 1, 4);
  const auto& address = cluster.address();
  const auto out = tmp.path() / "out";
  auto submitted = cluster.run({"alerts", "--input", fifo.string(), "--output", out.string(),
                                "--patterns", (tmp.path() / "patterns.txt").string(), "--rejected",
                                (tmp.path() / "rejected").string(), "-p", "2",
                                "--checkpoint-interval", "100", "--detach"});
  INFO("run stderr: " << submitted.err);
  REQUIRE(submitted.code == 0);
  const auto id = submitted.out.substr(0, submitted.out.find('\n'));
  auto eddy = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--cluster", address});
    return run_eddy(tmp.path(), args);
  };

  fifo_writer in(fifo);
  // The file's pattern matches.
  in.txn(1, "0.50");
  in.txn(1, "600.00");
  in.flush();
  REQUIRE(eventually([&] { return has_prefix(committed_lines(out), "small_large,1,"); }, 60s));

  // Remove it, add "mid", replace "mid", add "huge" last (the probe).
  auto removed = eddy({"pattern", id, "remove", "small_large"});
  INFO("stderr: " << removed.err);
  REQUIRE(removed.code == 0);
  CHECK(removed.out.find("pattern small_large version ") == 0);
  CHECK(removed.out.find("(remove) sent to " + id + " (patterns #1)") != std::string::npos);
  REQUIRE(eddy({"pattern", id, "add", "mid", "mid(amount > 700.00)"}).code == 0);
  REQUIRE(eddy({"pattern", id, "add", "mid", "mid(amount", ">", "800.00)"}).code == 0);
  auto probe = eddy({"pattern", id, "add", "huge", "huge(amount > 900.00)", "--json"});
  REQUIRE(probe.code == 0);
  const auto pj = nlohmann::json::parse(probe.out);
  CHECK(pj.value("seq", 0) == 4);
  CHECK(pj.value("pattern", "") == "huge");

  // What was sent, with growing versions.
  auto listed = eddy({"patterns", id, "--json"});
  REQUIRE(listed.code == 0);
  const auto sent = nlohmann::json::parse(listed.out);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0].value("remove", false));
  CHECK(sent[2].value("pattern", "") == "mid(amount > 800.00)");
  CHECK(sent[1]["version"].get<std::int64_t>() < sent[2]["version"].get<std::int64_t>());
  auto table = eddy({"patterns", id});
  CHECK(table.out.find("SEQ  PATTERN") == 0);
  CHECK(table.out.find("(remove)") != std::string::npos);

  // Errors, one line each.
  auto no_job = eddy({"pattern", "nosuch-9", "add", "x", "x(amount > 1)"});
  CHECK(no_job.code == 1);
  CHECK(no_job.err == "eddy: no job nosuch-9\n");
  auto no_channel = eddy({"send", id, "config", "x=1"});
  CHECK(no_channel.code == 1);
  CHECK(no_channel.err ==
        "eddy: job " + id + " has no control channel 'config' (its channels: patterns)\n");
  auto bad_id = eddy({"pattern", id, "add", "a:b", "x(amount > 1)"});
  CHECK(bad_id.code == 1);
  CHECK(bad_id.err.find("the pattern id 'a:b' has a character") != std::string::npos);
  auto bad_verb = eddy({"pattern", id, "replace", "x", "x(amount > 1)"});
  CHECK(bad_verb.code == 1);
  // A definition that does not compile is refused by the job, not by the shell.
  REQUIRE(
      eddy({"send", id, "patterns", "{\"id\": \"typo\", \"pattern\": \"t(amout > 1)\"}"}).code ==
      0);

  // Probe until every probed key shows "huge": its subtask then has every definition before it.
  const std::vector<std::int64_t> probe_cards = {101, 102, 103, 104, 105, 106, 107, 108};
  std::int64_t round = 0;
  REQUIRE(eventually(
      [&] {
        ++round;
        for (auto c : probe_cards) in.txn(c * 1000 + round, "950.00");
        in.flush();
        for (int wait = 0; wait < 25; ++wait) {
          const auto lines = committed_lines(out);
          if (std::all_of(probe_cards.begin(), probe_cards.end(), [&](std::int64_t c) {
                return has_prefix(lines, "huge," + std::to_string(c * 1000 + round) + ",");
              }))
            return true;
          std::this_thread::sleep_for(20ms);
        }
        return false;
      },
      90s));

  // The decisive records: small then large (removed pattern), 750 (the replaced "mid"), 850
  // ("mid" as replaced), 950 (both).
  in.txn(2000, "0.50");
  in.txn(2000, "600.00");
  in.txn(2001, "750.00");
  in.txn(2002, "850.00");
  in.txn(2003, "950.00");
  in.flush();
  in.close();  // the input ends: the job (and its control channel) ends
  REQUIRE(eventually(
      [&] {
        const auto s = job_state(tmp.path(), address, id);
        return s == "FINISHED" || s == "FAILED" || s == "CANCELED";
      },
      60s));
  CHECK(job_state(tmp.path(), address, id) == "FINISHED");
  const auto lines = committed_lines(out);
  CHECK(has_prefix(lines, "small_large,1,"));
  CHECK(!has_prefix(lines, "small_large,2000,"));
  CHECK(!has_prefix(lines, "mid,2001,"));
  CHECK(has_prefix(lines, "mid,2002,"));
  CHECK(has_prefix(lines, "mid,2003,"));
  CHECK(has_prefix(lines, "huge,2003,"));
  CHECK(!has_prefix(lines, "huge,2002,"));
  CHECK(!has_prefix(lines, "typo,"));
  const auto rejected = committed_lines(tmp.path() / "rejected");
  CHECK(std::any_of(rejected.begin(), rejected.end(), [](const std::string& l) {
    return l.find("pattern 'typo'") != std::string::npos &&
           l.find("unknown field 'amout'") != std::string::npos;
  }));
  auto late = eddy({"send", id, "patterns", "x: x(amount > 1)"});
  CHECK(late.code == 1);
  CHECK(late.err == "eddy: job " + id + " is FINISHED; it takes no control messages\n");
}

TEST_CASE(
    "eddy shell scripts send to a job's control channel on its embedded cluster, waiting "
    "for the job to be deployed",
    "[shell][control]") {
  temp_dir tmp("eddy-alerts-embedded-shell");
  std::string csv;
  for (int i = 0; i < 400; ++i)
    csv += std::to_string(i % 7) + "," + std::to_string(1000 + 100 * i) + ",5.00\n";
  write_file(tmp.path() / "tx.csv", csv);
  const std::string script = "run alerts --input " + (tmp.path() / "tx.csv").string() +
                             " --output " + (tmp.path() / "out").string() +
                             " --source-rate 200\n"
                             "pattern alerts-1 add big big(amount > 900.00) within 10s\n"
                             "send alerts-1 patterns {\"id\": \"q\", \"pattern\": \"q(amount = "
                             "'5.00')\"}\n"
                             "patterns alerts-1\n"
                             "send nosuch-1 patterns x\n";
  auto r = eddy::testing::run_eddy_with_input(tmp.path(), {"shell"}, script);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);  // the last command failed
  CHECK(r.out.find("alerts-1\npattern big version ") == 0);
  CHECK(r.out.find("sent to alerts-1 (patterns #1)\npatterns #2\n") != std::string::npos);
  // As typed: the quotes of the pattern's string literal are kept.
  CHECK(r.out.find("q(amount = '5.00')") != std::string::npos);
  CHECK(r.out.find("big(amount > 900.00) within 10s") != std::string::npos);
  CHECK(r.err.find("no job nosuch-1") != std::string::npos);
  CHECK(r.out.find("alerts-1 alerts FINISHED") != std::string::npos);
}

TEST_CASE("eddy run alerts with the fraud pattern as text finds what eddy run fraud finds",
          "[cep][control]") {
  temp_dir tmp("eddy-alerts-fraud");
  eddy::testing::lcg rng{42};
  std::string csv = "card_id,ts_ms,amount\n";
  std::int64_t t = 1'700'000'000'000;
  for (int i = 0; i < 3000; ++i) {
    t += static_cast<std::int64_t>(rng.next() % 400);
    const auto kind = rng.next() % 10;
    const std::string amount = kind < 3   ? "0.50"
                               : kind < 5 ? "600.00"
                               : kind < 6 ? "500.00"
                                          : "42.10";
    csv += std::to_string(rng.next() % 40) + "," +
           std::to_string(t - static_cast<std::int64_t>(rng.next() % 1500)) + "," + amount + "\n";
  }
  write_file(tmp.path() / "tx.csv", csv);
  write_file(tmp.path() / "p.txt",
             "{\"id\": \"small_large\", \"version\": 1, \"pattern\": \"skip past_last_event "
             "small(amount < 1.00) followed_by large(amount > 500.00) within 60s\"}\n");
  const auto input = (tmp.path() / "tx.csv").string();
  auto fraud = run_eddy(tmp.path(),
                        {"run", "fraud", "--input", input, "--output", (tmp.path() / "f").string(),
                         "--timeouts", (tmp.path() / "ft").string(), "-p", "2"});
  INFO("fraud stderr: " << fraud.err);
  REQUIRE(fraud.code == 0);
  auto alerts = run_eddy(
      tmp.path(), {"run", "alerts", "--input", input, "--output", (tmp.path() / "a").string(),
                   "--patterns", (tmp.path() / "p.txt").string(), "-p", "3"});
  INFO("alerts stderr: " << alerts.err);
  REQUIRE(alerts.code == 0);
  auto want = committed_lines(tmp.path() / "f");
  REQUIRE(want.size() > 20);
  std::vector<std::string> got;
  for (const auto& l : committed_lines(tmp.path() / "a")) {
    REQUIRE(l.rfind("small_large,", 0) == 0);
    got.push_back(l.substr(std::string("small_large,").size()));
  }
  std::sort(got.begin(), got.end());
  CHECK(got == want);
}

TEST_CASE("eddy run alerts names a bad --patterns line with its column before it starts",
          "[cep][control]") {
  temp_dir tmp("eddy-alerts-bad");
  write_file(tmp.path() / "tx.csv", "1,1000,0.50\n");
  write_file(tmp.path() / "p.txt", "# fine\nok: a(amount > 1)\nbad: a(amout > 1)\n");
  auto r = run_eddy(tmp.path(),
                    {"run", "alerts", "--input", (tmp.path() / "tx.csv").string(), "--output",
                     (tmp.path() / "a").string(), "--patterns", (tmp.path() / "p.txt").string()});
  CHECK(r.code != 0);
  CHECK(r.err.find("--patterns " + (tmp.path() / "p.txt").string() +
                   " line 3: pattern text, column 3: unknown field 'amout'") != std::string::npos);
  CHECK(!fs::exists(tmp.path() / "a"));
  auto typo = run_eddy(tmp.path(), {"run", "alerts", "--input", "x", "--outptu", "y"});
  CHECK(typo.code != 0);
  CHECK(typo.err.find("unknown flag '--outptu' (did you mean '--output'?)") != std::string::npos);
}

namespace {

/// Transactions as files dropped into a directory the job monitors (written aside, then renamed
/// in, so the source never reads half a file); event time advances by 100 ms per line.
class txn_dir {
 public:
  explicit txn_dir(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  /// One file: `card` with `amount`, then a filler 3 s later that moves the watermark past it.
  void drop(std::int64_t card, const std::string& amount) {
    ts_ += 100;
    std::string lines = std::to_string(card) + "," + std::to_string(ts_) + "," + amount + "\n";
    ts_ += 3000;
    lines += "9999," + std::to_string(ts_) + ",5.00\n";
    const auto name = "t" + std::to_string(++files_) + ".csv";
    write_file(dir_.parent_path() / name, lines);
    fs::rename(dir_.parent_path() / name, dir_ / name);
  }

 private:
  fs::path dir_;
  std::int64_t ts_ = 1'000'000;
  int files_ = 0;
};

}  // namespace

TEST_CASE(
    "a pattern sent just before the coordinator is killed reaches the job the restarted "
    "coordinator resumes",
    "[cluster][control][failure]") {
  temp_dir tmp("eddy-alerts-coordinator-restart");
  txn_dir in(tmp.path() / "in");
  test_cluster cluster(tmp.path(), 1, 2);
  const auto out = tmp.path() / "out";
  // Checkpoints every 2 s: a message sent right before the kill is, but for a rare race that
  // makes the test pass without proving anything, after the last completed checkpoint.
  auto submitted = cluster.run(
      {"alerts", "--input", "file://" + (tmp.path() / "in").string() + "?monitor=100ms", "--output",
       out.string(), "-p", "1", "--checkpoint-interval", "2000", "--detach"});
  INFO("run stderr: " << submitted.err);
  REQUIRE(submitted.code == 0);
  const auto id = submitted.out.substr(0, submitted.out.find('\n'));
  auto eddy = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--cluster", cluster.address()});
    return run_eddy(tmp.path(), args);
  };
  // Until card `card` (a new one per file) shows up in the committed output under `pattern`.
  std::int64_t card = 100;
  auto probe = [&](const std::string& pattern, const std::string& amount) {
    return eventually(
        [&] {
          in.drop(++card, amount);
          for (int wait = 0; wait < 50; ++wait) {
            if (has_prefix(committed_lines(out), pattern + "," + std::to_string(card) + ","))
              return true;
            std::this_thread::sleep_for(100ms);
          }
          return false;
        },
        120s);
  };
  REQUIRE(eventually(
      [&] {
        return eddy({"pattern", id, "add", "a", "a(amount > 900.00)"}).code == 0;
      },
      30s));
  REQUIRE(probe("a", "950.00"));  // "a" arrived and a checkpoint committed its match

  auto sent = eddy({"pattern", id, "add", "b", "b(amount > 990.00)"});
  REQUIRE(sent.code == 0);
  CHECK(sent.out.find("(patterns #2)") != std::string::npos);
  cluster.coordinator().kill();
  cluster.start_coordinator(cluster.address());
  REQUIRE(eventually(
      [&] { return cluster.coordinator().err().find("resuming job " + id) != std::string::npos; },
      60s));
  INFO("coordinator: " << cluster.coordinator().err());
  // "b" was in no checkpoint: it must come from the coordinator's log of the channel.
  CHECK(probe("b", "999.00"));
  auto listed = eddy({"patterns", id, "--json"});
  REQUIRE(listed.code == 0);
  const auto messages = nlohmann::json::parse(listed.out);
  REQUIRE(messages.size() == 2);
  CHECK(messages[1].value("pattern", "") == "b(amount > 990.00)");
  auto third = eddy({"pattern", id, "add", "c", "c(amount > 995.00)"});
  REQUIRE(third.code == 0);
  CHECK(third.out.find("(patterns #3)") != std::string::npos);  // numbering goes on
  // Exactly once: each probe card matched once per pattern it fits.
  const auto lines = committed_lines(out);
  CHECK(std::set<std::string>(lines.begin(), lines.end()).size() == lines.size());
  REQUIRE(eddy({"cancel", id}).code == 0);
}
