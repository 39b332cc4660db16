#include "eddy/runtime/partitioner.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/runtime/batch.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/output_port.hpp"
#include "eddy/runtime/record_writer.hpp"

namespace {

struct emission {
  int edge;
  int target;
  std::size_t size;
  eddy::batch_ptr batch;
};

/// Records every batch handed to the port.
class recording_port final : public eddy::output_port {
 public:
  void emit(int edge, int target, eddy::batch_ptr b) override {
    const std::size_t n = b->size();
    emitted.push_back(emission{edge, target, n, std::move(b)});
  }
  std::vector<emission> emitted;
};

template <class T>
const std::vector<T>& records_of(const emission& e) {
  return static_cast<const eddy::batch<T>&>(*e.batch).records;
}

eddy::edge_binding binding(eddy::partition_kind kind, int targets, int own_index,
                           std::size_t batch_size, int edge = 0, int max_parallelism = 128) {
  eddy::edge_binding b;
  b.edge = edge;
  b.kind = kind;
  b.targets = targets;
  b.own_index = own_index;
  b.max_parallelism = max_parallelism;
  b.batch_size = batch_size;
  return b;
}

std::vector<int> iota(int from, int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

/// All records sent to each target, in emission order.
template <class T>
std::map<int, std::vector<T>> per_target(const recording_port& port, int edge = 0) {
  std::map<int, std::vector<T>> out;
  for (const auto& e : port.emitted) {
    if (e.edge != edge) continue;
    const auto& r = records_of<T>(e);
    out[e.target].insert(out[e.target].end(), r.begin(), r.end());
  }
  return out;
}

}  // namespace

TEST_CASE("edge_output emits a batch exactly when batch_size records are buffered") {
  recording_port port;
  eddy::edge_output<int> out(binding(eddy::partition_kind::rebalance, 2, 0, 3, /*edge=*/5), &port);
  CHECK_FALSE(out.has_partial());
  out.add(1, 10);
  out.add(1, 11);
  CHECK(port.emitted.empty());
  CHECK(out.has_partial());
  out.add(0, 20);
  CHECK(port.emitted.empty());
  out.add(1, 12);  // third record for target 1
  REQUIRE(port.emitted.size() == 1);
  CHECK(port.emitted[0].edge == 5);
  CHECK(port.emitted[0].target == 1);
  CHECK(port.emitted[0].size == 3);
  CHECK(records_of<int>(port.emitted[0]) == std::vector<int>{10, 11, 12});
  CHECK(out.has_partial());  // target 0 still holds one record
  out.add(0, 21);
  out.add(0, 22);
  REQUIRE(port.emitted.size() == 2);
  CHECK(port.emitted[1].target == 0);
  CHECK(records_of<int>(port.emitted[1]) == std::vector<int>{20, 21, 22});
  CHECK_FALSE(out.has_partial());
}

TEST_CASE("edge_output flush emits partial batches and nothing when empty") {
  recording_port port;
  eddy::edge_output<int> out(binding(eddy::partition_kind::rebalance, 3, 0, 100), &port);
  out.flush();
  CHECK(port.emitted.empty());
  out.add(0, 1);
  out.add(2, 2);
  out.add(2, 3);
  CHECK(out.has_partial());
  out.flush();
  CHECK_FALSE(out.has_partial());
  REQUIRE(port.emitted.size() == 2);
  CHECK(port.emitted[0].target == 0);
  CHECK(records_of<int>(port.emitted[0]) == std::vector<int>{1});
  CHECK(port.emitted[1].target == 2);
  CHECK(records_of<int>(port.emitted[1]) == std::vector<int>{2, 3});
  out.flush();  // nothing new
  CHECK(port.emitted.size() == 2);
  // Buffers are usable again after a flush.
  out.add(2, 4);
  out.flush();
  REQUIRE(port.emitted.size() == 3);
  CHECK(records_of<int>(port.emitted[2]) == std::vector<int>{4});
}

TEST_CASE("edge_output add_all appends to a partial buffer and emits once full") {
  recording_port port;
  eddy::edge_output<std::string> out(binding(eddy::partition_kind::forward, 2, 1, 4), &port);
  std::vector<std::string> first{"a", "b"};
  out.add_all(1, first, /*may_move=*/false);
  CHECK(first == std::vector<std::string>{"a", "b"});  // copied, not moved
  CHECK(port.emitted.empty());
  std::vector<std::string> second{"c", "d", "e"};
  out.add_all(1, second, /*may_move=*/true);
  REQUIRE(port.emitted.size() == 1);
  CHECK(port.emitted[0].target == 1);
  CHECK(records_of<std::string>(port.emitted[0]) ==
        std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK_FALSE(out.has_partial());
}

TEST_CASE("forward partitioner sends everything to the sender's own index") {
  recording_port port;
  eddy::forward_partitioner<int> part;
  eddy::edge_output<int> out(binding(eddy::partition_kind::forward, 4, 2, 5), &port);
  auto batch1 = iota(0, 3);
  part.route(batch1, true, out);
  CHECK(port.emitted.empty());
  CHECK(out.has_partial());
  auto batch2 = iota(3, 3);
  part.route(batch2, true, out);
  REQUIRE(port.emitted.size() == 1);  // 6 >= 5 records buffered
  CHECK(port.emitted[0].target == 2);
  CHECK(records_of<int>(port.emitted[0]) == iota(0, 6));
  auto batch3 = iota(6, 2);
  part.route(batch3, false, out);
  CHECK(batch3 == iota(6, 2));  // not moved from
  out.flush();
  REQUIRE(port.emitted.size() == 2);
  CHECK(port.emitted[1].target == 2);
  CHECK(records_of<int>(port.emitted[1]) == iota(6, 2));
}

TEST_CASE("rebalance partitioner deals records round-robin starting at its own index") {
  recording_port port;
  eddy::rebalance_partitioner<int> part;
  eddy::edge_output<int> out(binding(eddy::partition_kind::rebalance, 3, 2, 1000), &port);
  auto b1 = iota(0, 4);  // targets 2, 0, 1, 2
  part.route(b1, true, out);
  auto b2 = iota(4, 3);  // continues across batches: 0, 1, 2
  part.route(b2, false, out);
  CHECK(b2 == iota(4, 3));
  out.flush();
  auto t = per_target<int>(port);
  CHECK(t[2] == std::vector<int>{0, 3, 6});
  CHECK(t[0] == std::vector<int>{1, 4});
  CHECK(t[1] == std::vector<int>{2, 5});
}

TEST_CASE("rebalance partitioner wraps its own index modulo the number of targets") {
  recording_port port;
  eddy::rebalance_partitioner<int> part;
  eddy::edge_output<int> out(binding(eddy::partition_kind::rebalance, 2, 3, 1000), &port);
  auto b = iota(0, 4);
  part.route(b, true, out);
  out.flush();
  auto t = per_target<int>(port);
  CHECK(t[1] == std::vector<int>{0, 2});
  CHECK(t[0] == std::vector<int>{1, 3});
}

TEST_CASE("rebalance partitioner emits full batches per target as they fill up") {
  recording_port port;
  eddy::rebalance_partitioner<int> part;
  eddy::edge_output<int> out(binding(eddy::partition_kind::rebalance, 2, 0, 2), &port);
  auto b = iota(0, 5);  // 0->t0, 1->t1, 2->t0 (full), 3->t1 (full), 4->t0
  part.route(b, true, out);
  REQUIRE(port.emitted.size() == 2);
  CHECK(port.emitted[0].target == 0);
  CHECK(records_of<int>(port.emitted[0]) == std::vector<int>{0, 2});
  CHECK(port.emitted[1].target == 1);
  CHECK(records_of<int>(port.emitted[1]) == std::vector<int>{1, 3});
  CHECK(out.has_partial());
  for (const auto& e : port.emitted) CHECK(e.size == 2);
}

TEST_CASE("hash partitioner sends equal keys to the subtask owning their key group") {
  using rec = std::pair<std::string, int>;
  auto key_fn = [](const rec& r) { return r.first; };
  for (int n : {1, 2, 3, 7}) {
    for (int maxp : {7, 128}) {
      INFO("targets " << n << ", max_parallelism " << maxp);
      recording_port port;
      eddy::hash_partitioner<rec, decltype(key_fn)> part(key_fn);
      eddy::edge_output<rec> out(binding(eddy::partition_kind::hash, n, 0, 16, 0, maxp), &port);
      std::vector<rec> all;
      for (int i = 0; i < 1000; ++i) all.emplace_back("key-" + std::to_string(i % 37), i);
      for (std::size_t from = 0; from < all.size(); from += 100) {
        std::vector<rec> chunk(all.begin() + static_cast<std::ptrdiff_t>(from),
                               all.begin() + static_cast<std::ptrdiff_t>(from + 100));
        part.route(chunk, (from / 100) % 2 == 0, out);  // both the moving and copying paths
      }
      out.flush();
      std::map<std::string, int> target_of_key;
      std::size_t received = 0;
      bool ok = true;
      for (const auto& e : port.emitted) {
        CHECK(e.size <= 16);
        for (const auto& r : records_of<rec>(e)) {
          ++received;
          const int expected = eddy::subtask_of_key_group(
              eddy::key_group_of(eddy::key_hash(r.first), maxp), maxp, n);
          if (e.target != expected) ok = false;
          auto [it, inserted] = target_of_key.emplace(r.first, e.target);
          if (!inserted && it->second != e.target) ok = false;
        }
      }
      CHECK(ok);
      CHECK(received == all.size());
      CHECK(target_of_key.size() == 37);
      // Records keep their relative order per target, and nothing was lost by moving.
      auto t = per_target<rec>(port);
      std::vector<rec> merged;
      for (auto& [target, recs] : t) merged.insert(merged.end(), recs.begin(), recs.end());
      std::sort(merged.begin(), merged.end(),
                [](const rec& a, const rec& b) { return a.second < b.second; });
      CHECK(merged == all);
    }
  }
}

TEST_CASE("broadcast emits one shared batch to every target") {
  recording_port port;
  eddy::broadcast_partitioner<int> part;
  eddy::edge_output<int> out(binding(eddy::partition_kind::broadcast, 4, 1, 3, /*edge=*/2), &port);
  auto b1 = iota(0, 2);
  part.route(b1, true, out);
  CHECK(port.emitted.empty());
  CHECK(out.has_partial());
  auto b2 = iota(2, 1);
  part.route(b2, false, out);
  REQUIRE(port.emitted.size() == 4);
  for (int t = 0; t < 4; ++t) {
    CHECK(port.emitted[static_cast<std::size_t>(t)].edge == 2);
    CHECK(port.emitted[static_cast<std::size_t>(t)].target == t);
    CHECK(port.emitted[static_cast<std::size_t>(t)].batch.get() == port.emitted[0].batch.get());
  }
  CHECK(records_of<int>(port.emitted[0]) == iota(0, 3));
  CHECK(port.emitted[0].batch.use_count() == 4);  // held by the four recorded emissions only
  CHECK_FALSE(out.has_partial());

  auto b3 = iota(3, 1);
  part.route(b3, true, out);
  out.flush();
  REQUIRE(port.emitted.size() == 8);
  for (std::size_t k = 4; k < 8; ++k) {
    CHECK(port.emitted[k].target == static_cast<int>(k - 4));
    CHECK(port.emitted[k].batch.get() == port.emitted[4].batch.get());
    CHECK(port.emitted[k].size == 1);
  }
  CHECK(port.emitted[4].batch.get() != port.emitted[0].batch.get());
}

TEST_CASE("record_writer with two edges copies every record to both") {
  recording_port port;
  eddy::record_writer<std::string> writer;
  writer.add_edge(std::make_unique<eddy::forward_partitioner<std::string>>(),
                  binding(eddy::partition_kind::forward, 2, 1, 100, /*edge=*/0), &port);
  writer.add_edge(std::make_unique<eddy::rebalance_partitioner<std::string>>(),
                  binding(eddy::partition_kind::rebalance, 3, 1, 100, /*edge=*/1), &port);
  CHECK_FALSE(writer.has_partial());
  std::vector<std::string> in{"alpha", "beta", "gamma", "delta"};
  writer.process(in);
  CHECK(port.emitted.empty());
  CHECK(writer.has_partial());
  CHECK(writer.counters().records_in == 4);
  CHECK(writer.counters().records_out == 8);
  writer.finish();
  CHECK_FALSE(writer.has_partial());
  auto e0 = per_target<std::string>(port, 0);
  auto e1 = per_target<std::string>(port, 1);
  REQUIRE(e0.size() == 1);
  CHECK(e0[1] == std::vector<std::string>{"alpha", "beta", "gamma", "delta"});
  CHECK(e1[1] == std::vector<std::string>{"alpha", "delta"});
  CHECK(e1[2] == std::vector<std::string>{"beta"});
  CHECK(e1[0] == std::vector<std::string>{"gamma"});
}

TEST_CASE("record_writer flush sends partial batches of every edge") {
  recording_port port;
  eddy::record_writer<int> writer;
  writer.add_edge(std::make_unique<eddy::broadcast_partitioner<int>>(),
                  binding(eddy::partition_kind::broadcast, 2, 0, 10, /*edge=*/0), &port);
  writer.add_edge(std::make_unique<eddy::forward_partitioner<int>>(),
                  binding(eddy::partition_kind::forward, 1, 0, 10, /*edge=*/1), &port);
  auto in = iota(0, 3);
  writer.process(in);
  CHECK(port.emitted.empty());
  writer.flush();
  REQUIRE(port.emitted.size() == 3);
  CHECK(port.emitted[0].edge == 0);
  CHECK(port.emitted[1].edge == 0);
  CHECK(port.emitted[0].batch.get() == port.emitted[1].batch.get());
  CHECK(records_of<int>(port.emitted[0]) == iota(0, 3));
  CHECK(port.emitted[2].edge == 1);
  CHECK(records_of<int>(port.emitted[2]) == iota(0, 3));
  CHECK(port.emitted[2].batch.get() != port.emitted[0].batch.get());
}
