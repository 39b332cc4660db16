#include "eddy/runtime/execution_plan.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace {

int gen(std::uint64_t i) {
  return static_cast<int>(i);
}

eddy::expected<eddy::execution_plan> compile(eddy::StreamEnvironment& env) {
  return eddy::execution_plan::compile(env.graph(), env.config());
}

eddy::execution_plan compile_ok(eddy::StreamEnvironment& env) {
  auto p = compile(env);
  if (!p) FAIL("compile failed: " << p.error().message);
  return std::move(p).value();
}

/// Number of channels carrying graph edge `edge`.
int channels_of_edge(const eddy::execution_plan& p, int edge) {
  int n = 0;
  for (const auto& c : p.channels()) n += c.edge == edge ? 1 : 0;
  return n;
}

/// Id of the only edge from node `from` to node `to`.
int edge_between(const eddy::job_graph& g, int from, int to) {
  int found = -1;
  for (const auto& e : g.edges()) {
    if (e.from == from && e.to == to) {
      REQUIRE(found == -1);
      found = e.id;
    }
  }
  REQUIRE(found >= 0);
  return found;
}

/// Structural invariants every compiled plan must satisfy: subtask/chain bookkeeping, channel
/// endpoints and local indices, and route tables (forward edges connect index i to index i only,
/// every other kind connects every pair).
void check_plan_invariants(const eddy::job_graph& g, const eddy::execution_plan& p) {
  const auto& chains = p.chains();
  const auto& subtasks = p.subtasks();
  const auto& channels = p.channels();
  std::set<int> seen_nodes;
  for (std::size_t ci = 0; ci < chains.size(); ++ci) {
    const auto& c = chains[ci];
    REQUIRE(c.id == static_cast<int>(ci));
    REQUIRE(static_cast<int>(c.subtasks.size()) == c.parallelism);
    REQUIRE_FALSE(c.nodes.empty());
    for (int n : c.nodes) {
      CHECK(p.chain_of(n) == c.id);
      CHECK(p.parallelism_of(n) == c.parallelism);
      CHECK(seen_nodes.insert(n).second);
    }
    CHECK(c.in_edges == g.node(c.nodes.front()).in_edges);
    CHECK(c.out_edges == g.node(c.nodes.back()).out_edges);
    for (int i = 0; i < c.parallelism; ++i) {
      const auto& s =
          subtasks.at(static_cast<std::size_t>(c.subtasks[static_cast<std::size_t>(i)]));
      CHECK(s.chain == c.id);
      CHECK(s.index == i);
    }
  }
  CHECK(seen_nodes.size() == g.nodes().size());
  for (std::size_t si = 0; si < subtasks.size(); ++si) {
    const auto& s = subtasks[si];
    REQUIRE(s.id == static_cast<int>(si));
    for (std::size_t k = 0; k < s.inputs.size(); ++k) {
      const auto& ch = channels.at(static_cast<std::size_t>(s.inputs[k]));
      CHECK(ch.to == s.id);
      CHECK(ch.in_local == static_cast<int>(k));
    }
    for (std::size_t k = 0; k < s.outputs.size(); ++k) {
      const auto& ch = channels.at(static_cast<std::size_t>(s.outputs[k]));
      CHECK(ch.from == s.id);
      CHECK(ch.out_local == static_cast<int>(k));
    }
    const auto& c = chains[static_cast<std::size_t>(s.chain)];
    REQUIRE(s.route.size() == c.out_edges.size());
    for (std::size_t ei = 0; ei < c.out_edges.size(); ++ei) {
      const int edge = c.out_edges[ei];
      const auto kind = p.kind_of(edge);
      CHECK(kind != eddy::partition_kind::automatic);
      const auto& target = chains[static_cast<std::size_t>(
          p.chain_of(g.edges()[static_cast<std::size_t>(edge)].to))];
      REQUIRE(static_cast<int>(s.route[ei].size()) == target.parallelism);
      for (int ti = 0; ti < target.parallelism; ++ti) {
        const int out_local = s.route[ei][static_cast<std::size_t>(ti)];
        const bool connected = kind != eddy::partition_kind::forward || ti == s.index;
        INFO("subtask " << s.id << " edge " << edge << " target " << ti);
        if (!connected) {
          CHECK(out_local == -1);
          continue;
        }
        REQUIRE(out_local >= 0);
        REQUIRE(out_local < static_cast<int>(s.outputs.size()));
        const auto& ch =
            channels[static_cast<std::size_t>(s.outputs[static_cast<std::size_t>(out_local)])];
        CHECK(ch.edge == edge);
        CHECK(ch.to == target.subtasks[static_cast<std::size_t>(ti)]);
        CHECK(ch.logical_input == g.edges()[static_cast<std::size_t>(edge)].input_index);
      }
    }
  }
  for (std::size_t k = 0; k < channels.size(); ++k) CHECK(channels[k].id == static_cast<int>(k));
}

}  // namespace

TEST_CASE("forward edges with equal parallelism are chained into one task") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(100, gen)
      .map([](int x) { return x + 1; })
      .filter([](const int& x) { return x % 2 == 0; })
      .add_sink([](const int&) {});
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 1);
  const auto& c = p.chains()[0];
  CHECK(c.nodes == std::vector<int>{0, 1, 2, 3});
  CHECK(c.parallelism == 2);
  CHECK(c.subtasks.size() == 2);
  CHECK(c.name == "Source: generator -> map -> filter -> Sink: sink");
  CHECK(c.in_edges.empty());
  CHECK(c.out_edges.empty());
  CHECK(p.subtasks().size() == 2);
  CHECK(p.channels().empty());
  for (int e = 0; e < 3; ++e) CHECK(p.kind_of(e) == eddy::partition_kind::forward);
  for (const auto& s : p.subtasks()) {
    CHECK(s.inputs.empty());
    CHECK(s.outputs.empty());
    CHECK(s.route.empty());
  }
}

TEST_CASE("an explicit forward edge with equal parallelism is chained") {
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.from_generator(10, gen).forward().map([](int x) { return x; }).add_sink([](const int&) {});
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  CHECK(p.chains().size() == 1);
  CHECK(p.channels().empty());
}

TEST_CASE("key_by breaks the chain with a hash edge connecting every pair of subtasks") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto summed = env.from_generator(100, gen).key_by([](const int& x) { return x % 10; }).sum();
  summed.set_parallelism(3);
  summed.add_sink([](const int&) {}).set_parallelism(3);
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  // Nodes: 0 generator, 1 "sum (local)" (the combiner, chained to its input), 2 sum, 3 sink.
  REQUIRE(p.chains().size() == 2);
  CHECK(p.chains()[0].nodes == std::vector<int>{0, 1});
  CHECK(p.chains()[0].parallelism == 2);
  CHECK(p.chains()[1].nodes == std::vector<int>{2, 3});
  CHECK(p.chains()[1].parallelism == 3);
  CHECK(p.chains()[1].name == "sum -> Sink: sink");
  const int hash_edge = edge_between(g, 1, 2);
  CHECK(p.kind_of(hash_edge) == eddy::partition_kind::hash);
  CHECK(channels_of_edge(p, hash_edge) == 2 * 3);
  CHECK(p.channels().size() == 6);
  // Every receiving subtask has one input channel per sender.
  for (int id : p.chains()[1].subtasks)
    CHECK(p.subtasks()[static_cast<std::size_t>(id)].inputs.size() == 2);
}

TEST_CASE("key_by breaks the chain even with equal parallelism") {
  eddy::StreamEnvironment env;
  env.set_parallelism(4);
  env.from_generator(100, gen)
      .key_by([](const int& x) { return x % 10; })
      .reduce([](const int& a, const int& b) { return a + b; })
      .add_sink([](const int&) {});
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 2);
  CHECK(p.kind_of(0) == eddy::partition_kind::forward);  // into the chained combiner
  CHECK(p.kind_of(1) == eddy::partition_kind::hash);
  CHECK(channels_of_edge(p, 1) == 16);
}

TEST_CASE("rebalance breaks the chain and connects every pair of subtasks") {
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.from_generator(100, gen).rebalance().map([](int x) { return x; }).add_sink([](const int&) {});
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 2);
  CHECK(p.chains()[1].nodes == std::vector<int>{1, 2});
  CHECK(p.kind_of(0) == eddy::partition_kind::rebalance);
  CHECK(channels_of_edge(p, 0) == 9);
}

TEST_CASE("broadcast breaks the chain and connects every pair of subtasks") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(100, gen)
      .broadcast()
      .map([](int x) { return x; })
      .set_parallelism(5)
      .add_sink([](const int&) {})
      .set_parallelism(5);
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 2);
  CHECK(p.kind_of(0) == eddy::partition_kind::broadcast);
  CHECK(channels_of_edge(p, 0) == 2 * 5);
  for (int id : p.chains()[0].subtasks) {
    const auto& s = p.subtasks()[static_cast<std::size_t>(id)];
    CHECK(s.outputs.size() == 5);
    REQUIRE(s.route.size() == 1);
    CHECK(s.route[0] == std::vector<int>{0, 1, 2, 3, 4});
  }
}

TEST_CASE("an automatic edge between different parallelism becomes rebalance and is not chained") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(100, gen)
      .map([](int x) { return x; })
      .set_parallelism(3)
      .add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  REQUIRE(p.chains().size() == 3);
  CHECK(p.parallelism_of(0) == 2);
  CHECK(p.parallelism_of(1) == 3);
  CHECK(p.parallelism_of(2) == 2);
  CHECK(p.kind_of(edge_between(g, 0, 1)) == eddy::partition_kind::rebalance);
  CHECK(p.kind_of(edge_between(g, 1, 2)) == eddy::partition_kind::rebalance);
  CHECK(channels_of_edge(p, edge_between(g, 0, 1)) == 6);
  CHECK(channels_of_edge(p, edge_between(g, 1, 2)) == 6);
  CHECK(p.subtasks().size() == 2 + 3 + 2);
}

TEST_CASE("disable_chaining on an operator separates it from both neighbours") {
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.from_generator(100, gen)
      .map([](int x) { return x; })
      .disable_chaining()
      .filter([](const int&) { return true; })
      .add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  REQUIRE(p.chains().size() == 3);
  CHECK(p.chains()[0].nodes == std::vector<int>{0});
  CHECK(p.chains()[1].nodes == std::vector<int>{1});
  CHECK(p.chains()[2].nodes == std::vector<int>{2, 3});
  // Unchained forward edges connect subtask i to subtask i only: p channels each.
  CHECK(p.kind_of(edge_between(g, 0, 1)) == eddy::partition_kind::forward);
  CHECK(channels_of_edge(p, edge_between(g, 0, 1)) == 3);
  CHECK(channels_of_edge(p, edge_between(g, 1, 2)) == 3);
  for (const auto& s : p.subtasks()) {
    if (s.route.empty()) continue;
    REQUIRE(s.route.size() == 1);
    std::vector<int> expected(3, -1);
    expected[static_cast<std::size_t>(s.index)] = 0;
    CHECK(s.route[0] == expected);
    CHECK(s.outputs.size() == 1);
  }
}

TEST_CASE("disable_chaining on a sink separates it") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(100, gen)
      .map([](int x) { return x; })
      .add_sink([](const int&) {})
      .disable_chaining();
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 2);
  CHECK(p.chains()[0].nodes == std::vector<int>{0, 1});
  CHECK(p.chains()[1].nodes == std::vector<int>{2});
  CHECK(p.chains()[1].name == "Sink: sink");
  CHECK(p.channels().size() == 2);
}

TEST_CASE("disable_operator_chaining on the environment gives every operator its own task") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.disable_operator_chaining();
  env.from_generator(100, gen)
      .map([](int x) { return x; })
      .filter([](const int&) { return true; })
      .add_sink([](const int&) {});
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  REQUIRE(p.chains().size() == 4);
  for (int n = 0; n < 4; ++n) CHECK(p.chain_of(n) == n);
  CHECK(p.subtasks().size() == 8);
  CHECK(p.channels().size() == 3 * 2);  // three forward edges, 2 channels each
}

TEST_CASE("a union with two inputs starts a separate chain") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto a = env.from_generator(10, gen);
  auto b = env.from_generator(10, gen);
  a.union_with(b).add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  REQUIRE(p.chains().size() == 3);
  CHECK(p.chains()[0].nodes == std::vector<int>{0});
  CHECK(p.chains()[1].nodes == std::vector<int>{1});
  CHECK(p.chains()[2].nodes == std::vector<int>{2, 3});
  CHECK(p.chains()[2].in_edges.size() == 2);
  CHECK(channels_of_edge(p, edge_between(g, 0, 2)) == 2);
  CHECK(channels_of_edge(p, edge_between(g, 1, 2)) == 2);
  for (int id : p.chains()[2].subtasks)
    CHECK(p.subtasks()[static_cast<std::size_t>(id)].inputs.size() == 2);
}

TEST_CASE("a union of streams with different parallelism rebalances the mismatched input") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto a = env.from_generator(10, gen);
  auto b = env.from_generator(10, gen);
  b.set_parallelism(3);
  a.union_with(b).add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  CHECK(p.kind_of(edge_between(g, 0, 2)) == eddy::partition_kind::forward);
  CHECK(p.kind_of(edge_between(g, 1, 2)) == eddy::partition_kind::rebalance);
  CHECK(channels_of_edge(p, edge_between(g, 0, 2)) == 2);
  CHECK(channels_of_edge(p, edge_between(g, 1, 2)) == 3 * 2);
  for (int id : p.chains()[2].subtasks)
    CHECK(p.subtasks()[static_cast<std::size_t>(id)].inputs.size() == 1 + 3);
}

TEST_CASE("a stream consumed by two operators is not chained with either") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto src = env.from_generator(10, gen);
  src.add_sink([](const int&) {});
  src.map([](int x) { return x; }).add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  REQUIRE(p.chains().size() == 3);
  CHECK(p.chains()[0].nodes == std::vector<int>{0});
  CHECK(p.chains()[0].out_edges.size() == 2);
  CHECK(p.chains()[2].nodes == std::vector<int>{2, 3});
  // Two forward edges, each connecting subtask i to subtask i.
  CHECK(p.channels().size() == 4);
  for (int id : p.chains()[0].subtasks) {
    const auto& s = p.subtasks()[static_cast<std::size_t>(id)];
    CHECK(s.outputs.size() == 2);
    REQUIRE(s.route.size() == 2);
  }
}

TEST_CASE("route tables map every target of all-to-all edges and only index i for forward") {
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  auto src = env.from_generator(10, gen);
  src.disable_chaining();
  src.add_sink([](const int&) {});                                 // forward 3 -> 3
  src.rebalance().add_sink([](const int&) {}).set_parallelism(2);  // rebalance 3 -> 2
  src.broadcast().add_sink([](const int&) {}).set_parallelism(4);  // broadcast 3 -> 4
  // forward 3 -> 3 into the (unchained) combiner, then hash 3 -> 3
  src.key_by([](const int& x) { return x; }).sum().add_sink([](const int&) {});
  const auto p = compile_ok(env);
  const auto& g = env.graph();
  check_plan_invariants(g, p);
  const auto& source_chain = p.chains()[static_cast<std::size_t>(p.chain_of(0))];
  REQUIRE(source_chain.out_edges.size() == 4);
  CHECK(p.kind_of(source_chain.out_edges[0]) == eddy::partition_kind::forward);
  CHECK(p.kind_of(source_chain.out_edges[1]) == eddy::partition_kind::rebalance);
  CHECK(p.kind_of(source_chain.out_edges[2]) == eddy::partition_kind::broadcast);
  CHECK(p.kind_of(source_chain.out_edges[3]) == eddy::partition_kind::forward);
  for (int id : source_chain.subtasks) {
    const auto& s = p.subtasks()[static_cast<std::size_t>(id)];
    INFO("source subtask " << s.index);
    REQUIRE(s.route.size() == 4);
    std::vector<int> forward(3, -1);
    forward[static_cast<std::size_t>(s.index)] = 0;
    // Output channels are numbered by edge, then by target.
    CHECK(s.route[0] == forward);
    CHECK(s.route[1] == std::vector<int>{1, 2});
    CHECK(s.route[2] == std::vector<int>{3, 4, 5, 6});
    std::vector<int> to_combiner(3, -1);
    to_combiner[static_cast<std::size_t>(s.index)] = 7;
    CHECK(s.route[3] == to_combiner);
    CHECK(s.outputs.size() == 1 + 2 + 4 + 1);
  }
  CHECK(channels_of_edge(p, source_chain.out_edges[0]) == 3);
  CHECK(channels_of_edge(p, source_chain.out_edges[1]) == 6);
  CHECK(channels_of_edge(p, source_chain.out_edges[2]) == 12);
  CHECK(channels_of_edge(p, source_chain.out_edges[3]) == 3);
}

TEST_CASE("an explicit forward edge between different parallelism is an invalid graph") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(10, gen)
      .name("numbers")
      .forward()
      .map([](int x) { return x * 2; })
      .name("doubler")
      .set_parallelism(3)
      .add_sink([](const int&) {});
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_graph);
  CHECK_THAT(p.error().message, Catch::Contains("numbers") && Catch::Contains("doubler"));
}

TEST_CASE("parallelism above max_parallelism is rejected naming the operator") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_max_parallelism(4);
  env.from_generator(10, gen)
      .rebalance()
      .map([](int x) { return x; })
      .name("wide-map")
      .set_parallelism(5)
      .add_sink([](const int&) {});
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_argument);
  CHECK_THAT(p.error().message, Catch::Contains("wide-map") && Catch::Contains("max_parallelism"));
}

TEST_CASE("a default parallelism above max_parallelism is rejected") {
  eddy::StreamEnvironment env;
  env.set_parallelism(8);
  env.set_max_parallelism(4);
  env.from_generator(10, gen).add_sink([](const int&) {});
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_argument);
}

TEST_CASE("parallelism equal to max_parallelism is accepted") {
  eddy::StreamEnvironment env;
  env.set_parallelism(4);
  env.set_max_parallelism(4);
  env.from_generator(10, gen).key_by([](const int& x) { return x; }).sum().add_sink([](const int&) {
  });
  const auto p = compile_ok(env);
  check_plan_invariants(env.graph(), p);
  CHECK(p.subtasks().size() == 8);
}

TEST_CASE("a graph without a sink is rejected") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(10, gen).map([](int x) { return x; });
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_graph);
  CHECK_THAT(p.error().message, Catch::Contains("sink"));
}

TEST_CASE("an empty graph is rejected") {
  eddy::StreamEnvironment env;
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_graph);
}

TEST_CASE("batch runtime mode rejects an unbounded generator") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_runtime_mode(eddy::runtime_mode::batch);
  env.from_generator(eddy::unbounded, gen).name("endless").add_sink([](const int&) {});
  const auto p = compile(env);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == eddy::errc::invalid_argument);
  CHECK_THAT(p.error().message, Catch::Contains("endless"));
}

TEST_CASE("an unbounded generator is accepted in streaming mode and bounded ones in batch mode") {
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.from_generator(eddy::unbounded, gen).add_sink([](const int&) {});
    CHECK(compile(env).has_value());
  }
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_runtime_mode(eddy::runtime_mode::batch);
    env.from_generator(10, gen).add_sink([](const int&) {});
    CHECK(compile(env).has_value());
  }
}

TEST_CASE("fusion groups are the longest runs of consecutive chained nodes, from the tail",
          "[plan][fusion]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto s = env.from_generator(100, gen)
               .map([](int x) { return x + 1; })
               .filter([](int x) { return x > 3; })
               .map([](int x) { return x * 2; })
               .map([](int x) { return x - 1; })  // a new run: the first held four
               .flat_map([](int x, eddy::collector<int>& c) { c.collect(x); });
  s.add_sink([](int) {});
  auto& g = env.graph();
  const int sink = static_cast<int>(g.nodes().size()) - 1;
  CHECK(g.node(sink).fusion_run == std::vector<int>{4, 5, 6});
  CHECK(g.node(3).fusion_run == std::vector<int>{0, 1, 2, 3});
  CHECK(g.node(4).fusion_run.empty());  // a run of one has nothing to fuse with

  auto p = compile_ok(env);
  REQUIRE(p.chains().size() == 1);
  CHECK(p.chains()[0].fused == std::vector<int>{0, 0, 0, 4, 0, 0, 3});

  SECTION("a node with side outputs is not fused") {
    g.node(2).side_writers.emplace_back("late", [] {
      return std::unique_ptr<eddy::operator_base>(new eddy::record_writer<int>());
    });
    auto q = compile_ok(env);
    CHECK(q.chains()[0].fused == std::vector<int>{0, 2, 1, 1, 0, 0, 3});
  }
  SECTION("a different parallelism starts a group after the change") {
    g.node(2).parallelism = 1;
    g.node(3).parallelism = 1;
    auto q = compile_ok(env);
    REQUIRE(q.chains().size() == 3);  // [generator, map] [filter, map] [map, flat_map, sink]
    CHECK(q.chains()[0].fused == std::vector<int>{0, 2});
    CHECK(q.chains()[1].fused == std::vector<int>{0, 2});
    CHECK(q.chains()[2].fused == std::vector<int>{0, 0, 3});
  }
  SECTION("fusion disabled for the job") {
    env.disable_operator_fusion();
    auto q = compile_ok(env);
    CHECK(q.chains()[0].fused == std::vector<int>(7, 1));
  }
}
