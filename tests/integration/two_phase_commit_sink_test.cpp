// The two-phase-commit sink interface (two_phase_commit_sink.hpp) with an in-memory
// "transactional store": records are staged per transaction and become visible on commit. A job
// restarted after a failure, and one resumed at another parallelism, publish exactly the
// failure-free records; transactions open at a failure are aborted.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace two_phase_commit_sink_test {

namespace {

using eddy::testing::sorted;
using eddy::testing::temp_dir;
using std::chrono::milliseconds;

/// A store with transactions: staged records per transaction id, published once on commit.
struct store {
  std::mutex mtx;
  std::uint64_t next_txn = 1;
  std::map<std::uint64_t, std::vector<std::uint64_t>> staged;
  std::set<std::uint64_t> committed, aborted;
  std::vector<std::uint64_t> published;
  int double_commits = 0;  // commits of an already committed transaction (allowed, ignored)
  int violations = 0;      // writes to a committed transaction, commits of aborted ones...
};

class store_sink final : public eddy::two_phase_commit_sink<std::uint64_t, std::uint64_t> {
 public:
  explicit store_sink(std::shared_ptr<store> s) : s_(std::move(s)) {}
  std::uint64_t begin_transaction() override {
    std::lock_guard g(s_->mtx);
    const auto id = s_->next_txn++;
    s_->staged[id];
    return id;
  }
  void invoke(std::uint64_t& txn, const std::uint64_t& r) override {
    std::lock_guard g(s_->mtx);
    if (s_->committed.count(txn)) ++s_->violations;
    s_->staged[txn].push_back(r);
  }
  void pre_commit(std::uint64_t&) override {}
  void commit(const std::uint64_t& txn) override {
    std::lock_guard g(s_->mtx);
    if (!s_->committed.insert(txn).second) {
      ++s_->double_commits;
      return;
    }
    if (s_->aborted.count(txn)) ++s_->violations;
    auto& v = s_->staged[txn];
    s_->published.insert(s_->published.end(), v.begin(), v.end());
    s_->staged.erase(txn);
  }
  void abort(const std::uint64_t& txn) override {
    std::lock_guard g(s_->mtx);
    if (s_->committed.count(txn)) ++s_->violations;
    s_->aborted.insert(txn);
    s_->staged.erase(txn);
  }

 private:
  std::shared_ptr<store> s_;
};

constexpr std::uint64_t records = 20000;

std::vector<std::uint64_t> all_records() {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < records; ++i) v.push_back(i * 3);
  return v;
}

/// source (paced) -> map (fails once on request) -> two-phase sink at `p`.
void build(eddy::StreamEnvironment& env, int p, std::shared_ptr<store> db,
           std::shared_ptr<std::atomic<int>> fail_now) {
  env.set_parallelism(p);
  env.set_batch_size(64);
  env.config().source_rate = 40000;  // paced: checkpoints complete while it runs
  env.from_generator(records, [](std::uint64_t i) { return i; })
      .map([fail_now](std::uint64_t i) {
        int one = 1;
        if (fail_now->compare_exchange_strong(one, 2)) throw std::runtime_error("injected");
        return i * 3;
      })
      .rebalance()
      .add_two_phase_commit_sink(
          [db](const eddy::subtask_info&) { return std::make_unique<store_sink>(db); }, "store");
}

}  // namespace

TEST_CASE("a two-phase-commit sink publishes every record exactly once across a restart",
          "[checkpoint][recovery][sink]") {
  const int p = GENERATE(1, 3);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-2pc"};
  auto db = std::make_shared<store>();
  auto fail_now = std::make_shared<std::atomic<int>>(0);
  eddy::StreamEnvironment env;
  build(env, p, db, fail_now);
  env.config().checkpoints.interval = milliseconds(20);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(2, milliseconds(10));
  auto h = env.execute_async("2pc");
  REQUIRE(h);
  // Wait until a completed checkpoint has published something, then fail.
  auto published = [&] {
    std::lock_guard g(db->mtx);
    return !db->published.empty();
  };
  while (!published() && !h->wait_for(milliseconds(1))) {
  }
  fail_now->store(1);
  const auto r = h->wait();
  REQUIRE(r.ok());
  if (fail_now->load() != 2)
    WARN("the job ended before the failure could be injected");
  else
    CHECK(r.restarts == 1);
  std::lock_guard g(db->mtx);
  CHECK(sorted(db->published) == all_records());
  CHECK(db->staged.empty());  // every transaction was committed or aborted
  CHECK(db->violations == 0);
  if (fail_now->load() == 2) CHECK(!db->aborted.empty());  // the ones open at the failure
}

TEST_CASE(
    "a two-phase-commit sink's pending transactions are committed by a resume at another "
    "parallelism",
    "[checkpoint][sink]") {
  temp_dir tmp{"eddy-2pc-resume"};
  auto db = std::make_shared<store>();
  auto never = std::make_shared<std::atomic<int>>(0);
  const auto dir = (tmp.path() / "sp").string();
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    build(env, 2, db, never);
    auto h = env.execute_async("2pc");
    REQUIRE(h);
    while (h->metrics().at(0).records_out < 2000 && !h->wait_for(milliseconds(1))) {
    }
    auto sp = h->stop_with_savepoint(dir, std::chrono::seconds(60));
    if (!sp) {
      WARN("no savepoint: " << sp.error().message);
      return;
    }
    savepoint = *sp;
    CHECK(h->wait().savepoint_path == savepoint);
  }
  {
    std::lock_guard g(db->mtx);
    CHECK(db->published.size() < records);
  }
  eddy::StreamEnvironment env;
  build(env, 3, db, never);
  env.config().restore_from = savepoint;
  const auto r = env.execute("2pc");
  CHECK(r.restored_checkpoint > 0);
  std::lock_guard g(db->mtx);
  CHECK(sorted(db->published) == all_records());
  CHECK(db->staged.empty());
  CHECK(db->violations == 0);
}

}  // namespace two_phase_commit_sink_test
