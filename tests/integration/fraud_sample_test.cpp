// `eddy run fraud` (the CEP acceptance sample of issue 17) against a brute-force reference written
// here from the definition: per card, a small transaction (< 1.00) followed by a large one
// (> 500.00) within 60 s, skip past last event; timed-out small transactions; malformed lines to
// the dead letters. The output must be the same at parallelism 1 and 3 and after SIGKILLs and
// --resume latest (also at another parallelism), and on a cluster that loses a worker.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

using eddy::testing::committed_lines;
using eddy::testing::eventually;
using eddy::testing::kill_and_resume;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::write_file;

struct txn {
  std::int64_t card, ts;
  std::string amount;
  int cents;  // the generator writes two decimals
  std::size_t line;
};

/// `n` transaction lines (plus a header and some malformed lines) over `cards` cards, at most
/// 1,999 ms out of event-time order; amounts include the boundaries 1.00 and 500.00 (neither small
/// nor large) and equal timestamps on one card.
std::string transactions_csv(int n, int cards, std::uint32_t seed, std::vector<txn>& valid,
                             int& malformed) {
  std::mt19937 rng(seed);
  std::string csv = "card_id,ts_ms,amount\n";
  std::size_t line = 1;
  std::int64_t t = 1'700'000'000'000;
  std::int64_t max_ts = 0;
  malformed = 0;
  for (int i = 0; i < n; ++i) {
    ++line;
    t += static_cast<std::int64_t>(rng() % 300);
    if (rng() % 200 == 0) {
      csv += (rng() % 2 ? "oops\n" : std::to_string(rng() % cards) + ",12x,0.50\n");
      ++malformed;
      continue;
    }
    const std::int64_t ts =
        std::max<std::int64_t>(t - static_cast<std::int64_t>(rng() % 1900), max_ts - 1999);
    max_ts = std::max(max_ts, ts);
    const int kind = static_cast<int>(rng() % 100);
    int cents;
    if (kind < 20)
      cents = static_cast<int>(rng() % 100);  // small
    else if (kind < 30)
      cents = 50001 + static_cast<int>(rng() % 50000);  // large
    else if (kind < 33)
      cents = kind == 30 ? 100 : 50000;  // exactly 1.00 / 500.00: neither
    else
      cents = 100 + static_cast<int>(rng() % 49900);
    char amount[32];
    std::snprintf(amount, sizeof amount, "%d.%02d", cents / 100, cents % 100);
    const std::int64_t card = static_cast<std::int64_t>(rng() % cards);
    csv += std::to_string(card) + "," + std::to_string(ts) + "," + amount + "\n";
    valid.push_back({card, ts, amount, cents, line});
    if (rng() % 50 == 0) {  // a second transaction of the card at the same time
      ++line;
      const int c2 = rng() % 2 ? 50 : 60000;
      std::snprintf(amount, sizeof amount, "%d.%02d", c2 / 100, c2 % 100);
      csv += std::to_string(card) + "," + std::to_string(ts) + "," + amount + "\n";
      valid.push_back({card, ts, amount, c2, line});
    }
  }
  return csv;
}

/// The reference, from the definition: per card in (timestamp, line) order, a small transaction
/// is open until the first large one after it; if that comes less than 60 s later, it ends every
/// open small transaction and makes one match with the earliest of them (skip past last event
/// drops the rest); a small transaction no large one ends in time times out.
void reference(std::vector<txn> txns, std::vector<std::string>& matches,
               std::vector<std::string>& timeouts) {
  std::sort(txns.begin(), txns.end(), [](const txn& a, const txn& b) {
    return std::tie(a.card, a.ts, a.line) < std::tie(b.card, b.ts, b.line);
  });
  std::map<std::int64_t, std::vector<const txn*>> open;  // card -> open small transactions
  for (const auto& x : txns) {
    auto& smalls = open[x.card];
    if (x.cents > 50000) {
      std::vector<const txn*> live;
      for (const auto* s : smalls) {
        if (x.ts - s->ts < 60000)
          live.push_back(s);
        else
          timeouts.push_back(std::to_string(s->card) + "," + std::to_string(s->ts));
      }
      if (!live.empty())
        matches.push_back(std::to_string(x.card) + "," + std::to_string(live.front()->ts) + "," +
                          std::to_string(x.ts) + "," + x.amount);
      smalls.clear();
    } else if (x.cents < 100) {
      smalls.push_back(&x);
    }
  }
  for (const auto& [card, smalls] : open)
    for (const auto* s : smalls)
      timeouts.push_back(std::to_string(s->card) + "," + std::to_string(s->ts));
  std::sort(matches.begin(), matches.end());
  std::sort(timeouts.begin(), timeouts.end());
}

/// in.csv under `dir` (16,000 lines over 200 cards from `seed`) and the reference's output.
struct reference_case {
  fs::path input;
  std::vector<std::string> matches, timeouts;
  int malformed = 0;
};
reference_case reference_input(const fs::path& dir, std::uint32_t seed) {
  reference_case c;
  std::vector<txn> txns;
  c.input = dir / "in.csv";
  write_file(c.input, transactions_csv(16000, 200, seed, txns, c.malformed));
  reference(txns, c.matches, c.timeouts);
  return c;
}

std::vector<std::string> fraud_args(const fs::path& input, const fs::path& dir, int parallelism) {
  return {"run",
          "fraud",
          "--input",
          input.string(),
          "--output",
          (dir / "matches").string(),
          "--timeouts",
          (dir / "timeouts").string(),
          "--dead-letter",
          (dir / "dead").string(),
          "-p",
          std::to_string(parallelism)};
}

}  // namespace

TEST_CASE(
    "the fraud sample writes exactly the reference's matches and timeouts at parallelism 1 "
    "and 3",
    "[cep][cli]") {
  temp_dir tmp("eddy-fraud");
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    std::vector<txn> txns;
    int malformed = 0;
    const auto input = tmp.path() / ("in" + std::to_string(seed) + ".csv");
    write_file(input,
               transactions_csv(20000, 40 + 100 * static_cast<int>(seed), seed, txns, malformed));
    std::vector<std::string> matches, timeouts;
    reference(txns, matches, timeouts);
    REQUIRE(matches.size() > 50);
    REQUIRE(timeouts.size() > 50);
    for (int p : {1, 3}) {
      INFO("parallelism " << p);
      const auto dir = tmp.path() / ("s" + std::to_string(seed) + "p" + std::to_string(p));
      auto r = run_eddy(tmp.path(), fraud_args(input, dir, p));
      INFO("stderr: " << r.err);
      REQUIRE(r.code == 0);
      CHECK(committed_lines(dir / "matches") == matches);
      CHECK(committed_lines(dir / "timeouts") == timeouts);
      const auto dead = committed_lines(dir / "dead");
      CHECK(dead.size() == static_cast<std::size_t>(malformed));
      for (const auto& d : dead) CHECK(d.rfind("line ", 0) == 0);
      // The job's summary counts the dead letters.
      CHECK(r.out.find("dead letters") != std::string::npos);
    }
  }
}

TEST_CASE("the fraud sample killed with SIGKILL and resumed writes exactly the failure-free output",
          "[cep][cli][checkpoint]") {
  temp_dir tmp("eddy-fraud-resume");
  const auto [input, matches, timeouts, malformed] = reference_input(tmp.path(), 9);
  std::mt19937 rng(2027);
  struct scenario {
    int from, to;
  };
  for (auto [from, to] : {scenario{1, 1}, scenario{3, 3}, scenario{2, 3}}) {
    INFO("parallelism " << from << " -> " << to);
    const auto dir = tmp.path() / ("p" + std::to_string(from) + std::to_string(to));
    auto args = fraud_args(input, dir, from);
    for (const auto* a :
         {"--checkpoint-dir", "", "--checkpoint-interval", "100", "--source-rate", "16000"})
      args.emplace_back(a);
    args[args.size() - 5] = (dir / "chk").string();
    auto last = kill_and_resume(tmp.path(), args, to, 2, rng, 700);
    INFO("stderr: " << last.err);
    REQUIRE(last.code == 0);
    CHECK(committed_lines(dir / "matches") == matches);
    CHECK(committed_lines(dir / "timeouts") == timeouts);
    CHECK(committed_lines(dir / "dead").size() == static_cast<std::size_t>(malformed));
  }
}

TEST_CASE(
    "the fraud sample on a cluster that loses a worker writes exactly the failure-free "
    "output",
    "[cep][cluster][failure]") {
  using namespace std::chrono_literals;
  temp_dir tmp("eddy-fraud-cluster");
  const auto [input, matches, timeouts, malformed] = reference_input(tmp.path(), 11);
  // Two workers of 2 slots for a job of parallelism 3: the job spans both, so the kill hits it;
  // the replacement worker gives it the slots to restart from its last checkpoint.
  eddy::testing::test_cluster cluster(tmp.path(), 2, 2);
  const auto dir = tmp.path() / "out";
  auto args = fraud_args(input, dir, 3);
  args.erase(args.begin());  // "run": test_cluster::run adds it
  for (const auto* a : {"--checkpoint-interval", "100", "--source-rate", "4000", "--detach"})
    args.emplace_back(a);
  auto submitted = cluster.run(args);
  INFO("run stderr: " << submitted.err);
  REQUIRE(submitted.code == 0);
  auto& coordinator = cluster.coordinator();
  REQUIRE(eventually([&] { return coordinator.err().find(" completed in ") != std::string::npos; },
                     30s));
  cluster.worker(0).kill();
  cluster.add_worker(2);
  const bool finished = eventually(
      [&] { return coordinator.err().find("'fraud' FINISHED") != std::string::npos; }, 120s);
  INFO("coordinator: " << coordinator.err());
  REQUIRE(finished);
  CHECK(coordinator.err().find("1 jobs ran there") != std::string::npos);
  CHECK(coordinator.err().find("job 'fraud' restarting after a failure") != std::string::npos);
  CHECK(committed_lines(dir / "matches") == matches);
  CHECK(committed_lines(dir / "timeouts") == timeouts);
  CHECK(committed_lines(dir / "dead").size() == static_cast<std::size_t>(malformed));
}

TEST_CASE("the fraud sample refuses missing outputs and malformed input is reported with its line",
          "[cep][cli]") {
  temp_dir tmp("eddy-fraud-errors");
  const auto input = tmp.path() / "in.csv";
  write_file(input, "card_id,ts_ms,amount\n1,1000,0.50\n1,x,2.00\n2,3000,1e3\n1,2000,600.00\n");
  auto missing = run_eddy(tmp.path(), {"run", "fraud", "--input", input.string(), "--output",
                                       (tmp.path() / "m").string()});
  CHECK(missing.code != 0);
  CHECK(missing.err.find("--timeouts") != std::string::npos);
  auto r = run_eddy(tmp.path(), fraud_args(input, tmp.path() / "run", 1));
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(committed_lines(tmp.path() / "run" / "matches") ==
        std::vector<std::string>{"1,1000,2000,600.00"});
  CHECK(committed_lines(tmp.path() / "run" / "timeouts").empty());
  CHECK(
      committed_lines(tmp.path() / "run" / "dead") ==
      std::vector<std::string>{"line 3: ts_ms is not an integer: 1,x,2.00",
                               "line 4: amount is not a decimal number (like 12.34): 2,3000,1e3"});
}
