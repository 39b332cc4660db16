#pragma once
// A coordinator and workers of the `eddy` binary on 127.0.0.1 for integration tests, with fast
// heartbeats so that losses are seen quickly. Every process is killed when the object goes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "support/eddy_process.hpp"

namespace eddy::testing {

using namespace std::chrono_literals;

/// How often `what` occurs in `text`.
inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

/// A coordinator and workers on 127.0.0.1 (fast heartbeats so that losses are seen quickly).
class test_cluster {
 public:
  test_cluster(std::filesystem::path dir, int workers, int slots,
               std::vector<std::string> node_flags = {},
               std::vector<std::string> coordinator_flags = {})
      : dir_(std::move(dir)), node_flags_(std::move(node_flags)) {
    start_coordinator("127.0.0.1:0", coordinator_flags);
    for (int i = 0; i < workers; ++i) add_worker(slots);
    REQUIRE(wait_registered(static_cast<std::size_t>(workers)));
  }

  void start_coordinator(const std::string& listen, std::vector<std::string> flags = {}) {
    std::vector<std::string> args{"coordinator",
                                  "--listen",
                                  listen,
                                  "--state-dir",
                                  (dir_ / "state").string(),
                                  "--heartbeat-interval",
                                  "100",
                                  "--heartbeat-timeout",
                                  "1500",
                                  "--log-level",
                                  "info"};
    args.insert(args.end(), node_flags_.begin(), node_flags_.end());
    args.insert(args.end(), flags.begin(), flags.end());
    coordinator_ = std::make_unique<eddy_process>(dir_, args);
    std::smatch m;
    const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    REQUIRE(eventually(
        [&] {
          const auto out = coordinator_->out();
          return std::regex_search(out, m, re) || !coordinator_->running();
        },
        20s));
    const auto out = coordinator_->out();
    INFO("coordinator stderr: " << coordinator_->err());
    REQUIRE(std::regex_search(out, m, re));
    address_ = "127.0.0.1:" + m[1].str();
  }

  /// `flags` replace the cluster's security flags when given.
  eddy_process& add_worker(int slots, std::vector<std::string> flags = {}) {
    const auto n = workers_.size();
    std::vector<std::string> args{"worker",
                                  "--coordinator",
                                  address_,
                                  "--slots",
                                  std::to_string(slots),
                                  "--name",
                                  "w" + std::to_string(n),
                                  "--work-dir",
                                  (dir_ / ("w" + std::to_string(n))).string(),
                                  "--heartbeat-interval",
                                  "100",
                                  "--log-level",
                                  "info"};
    const auto& extra = flags.empty() ? node_flags_ : flags;
    args.insert(args.end(), extra.begin(), extra.end());
    workers_.push_back(std::make_unique<eddy_process>(dir_, args));
    return *workers_.back();
  }

  /// Waits until `n` registrations are in the coordinator's log.
  bool wait_registered(std::size_t n) {
    return eventually([&] { return count_of(coordinator_->err(), "' registered with") >= n; }, 20s);
  }

  /// `eddy run --cluster ADDRESS` + args, to its end.
  eddy::testing::run_result run(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--cluster", address_});
    args.insert(args.end(), node_flags_.begin(), node_flags_.end());
    return run_eddy(dir_, args);
  }

  [[nodiscard]] const std::string& address() const { return address_; }
  eddy_process& coordinator() { return *coordinator_; }
  eddy_process& worker(std::size_t i) { return *workers_.at(i); }
  [[nodiscard]] std::vector<std::string> node_flags() const { return node_flags_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> node_flags_;  // security flags every node and client gets
  std::unique_ptr<eddy_process> coordinator_;
  std::vector<std::unique_ptr<eddy_process>> workers_;
  std::string address_;
};

}  // namespace eddy::testing
