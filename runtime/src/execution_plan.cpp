#include "eddy/runtime/execution_plan.hpp"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

namespace eddy {

namespace {

error graph_error(const std::string& msg) {
  return error{errc::invalid_graph, msg};
}

}  // namespace

expected<execution_plan> execution_plan::compile(const job_graph& g, const execution_config& cfg) {
  execution_plan p;
  const auto& nodes = g.nodes();
  const auto& edges = g.edges();
  if (nodes.empty()) return graph_error("the job has no operators");
  if (cfg.max_parallelism < 1 || cfg.max_parallelism > 32768)
    return error{errc::invalid_argument, "max_parallelism must be in [1, 32768], got " +
                                             std::to_string(cfg.max_parallelism)};
  if (cfg.batch_size < 1) return error{errc::invalid_argument, "batch_size must be at least 1"};
  if (cfg.channel_credits < 1)
    return error{errc::invalid_argument, "channel_credits must be at least 1"};
  if (cfg.remote_channel_credits < 1)
    return error{errc::invalid_argument, "remote_channel_credits must be at least 1"};

  // Parallelism and structural checks.
  bool has_sink = false;
  for (const auto& n : nodes) {
    int par = n.parallelism > 0 ? n.parallelism : cfg.default_parallelism;
    if (par < 1)
      return error{errc::invalid_argument,
                   "operator '" + n.name + "': parallelism must be at least 1"};
    if (par > cfg.max_parallelism)
      return error{errc::invalid_argument, "operator '" + n.name + "': parallelism " +
                                               std::to_string(par) + " exceeds max_parallelism " +
                                               std::to_string(cfg.max_parallelism)};
    p.node_parallelism_.push_back(par);
    if (n.kind == node_kind::source && !n.in_edges.empty())
      return graph_error("source '" + n.name + "' has inputs");
    if (n.kind != node_kind::source && n.in_edges.empty())
      return graph_error("operator '" + n.name + "' has no input");
    if (n.kind == node_kind::sink) has_sink = true;
    if (cfg.mode == runtime_mode::batch && n.kind == node_kind::source && !n.bounded)
      return error{
          errc::invalid_argument,
          "runtime mode batch needs bounded sources, but source '" + n.name + "' is unbounded"};
  }
  if (!has_sink) return graph_error("the job has no sink: add print(), collect(), a file sink...");

  for (const auto& e : edges) {
    int pf = p.node_parallelism_[e.from], pt = p.node_parallelism_[e.to];
    partition_kind k = e.kind;
    if (k == partition_kind::automatic)
      k = pf == pt ? partition_kind::forward : partition_kind::rebalance;
    if (k == partition_kind::forward && pf != pt)
      return graph_error("forward edge from '" + nodes[e.from].name + "' (parallelism " +
                         std::to_string(pf) + ") to '" + nodes[e.to].name + "' (parallelism " +
                         std::to_string(pt) + ") needs equal parallelism; use rebalance()");
    p.edge_kind_.push_back(k);
  }

  // Chaining: node b joins a's chain if the only edge into b is a forward edge from a, that edge
  // is a's only out edge, and chaining is enabled on both and for the job.
  p.node_chain_.assign(nodes.size(), -1);
  auto chains_with_prev = [&](const graph_node& b) -> int {
    if (!cfg.chaining || !b.chaining || b.in_edges.size() != 1) return -1;
    const auto& e = edges[b.in_edges[0]];
    const auto& a = nodes[e.from];
    if (!a.chaining || a.out_edges.size() != 1 || a.kind == node_kind::sink) return -1;
    if (p.edge_kind_[e.id] != partition_kind::forward || !e.side_tag.empty()) return -1;
    return a.id;
  };
  // Nodes are created in topological order by the API (an operator is added after its inputs).
  for (const auto& n : nodes) {
    for (int e : n.in_edges)
      if (edges[e].from >= n.id)
        return graph_error("the job graph has a cycle at '" + n.name + "'");
    int prev = chains_with_prev(n);
    if (prev >= 0) {
      int c = p.node_chain_[prev];
      p.chains_[c].nodes.push_back(n.id);
      p.node_chain_[n.id] = c;
    } else {
      plan_chain c;
      c.id = static_cast<int>(p.chains_.size());
      c.nodes.push_back(n.id);
      c.parallelism = p.node_parallelism_[n.id];
      c.in_edges = n.in_edges;
      p.node_chain_[n.id] = c.id;
      p.chains_.push_back(std::move(c));
    }
  }
  for (auto& c : p.chains_) {
    c.out_edges = nodes[c.nodes.back()].out_edges;
    for (std::size_t i = 0; i < c.nodes.size(); ++i) {
      if (i) c.name += " -> ";
      const auto& n = nodes[c.nodes[i]];
      c.name += n.kind == node_kind::source ? "Source: " + n.name
                : n.kind == node_kind::sink ? "Sink: " + n.name
                                            : n.name;
    }
  }

  // Fusion: from the tail of each chain, the longest suffix of a node's fusion run that ends at
  // it and lies in the chain, consecutive.
  for (auto& c : p.chains_) {
    c.fused.assign(c.nodes.size(), 1);
    for (int i = static_cast<int>(c.nodes.size()) - 1; i > 0;) {
      const auto& n = nodes[c.nodes[static_cast<std::size_t>(i)]];
      int count = 1;
      if (cfg.fusion && n.make_fused && n.fusion_run.size() >= 2) {
        const auto& run = n.fusion_run;
        const int r = static_cast<int>(run.size());
        while (count < r && count <= i) {
          const int id = c.nodes[static_cast<std::size_t>(i - count)];
          if (id != run[static_cast<std::size_t>(r - 1 - count)] || !nodes[id].side_writers.empty())
            break;
          ++count;
        }
        if (!n.side_writers.empty()) count = 1;
      }
      if (count >= 2) {
        for (int j = 1; j < count; ++j) c.fused[static_cast<std::size_t>(i - j)] = 0;
        c.fused[static_cast<std::size_t>(i)] = count;
      }
      i -= count;
    }
  }

  // Subtasks.
  for (auto& c : p.chains_) {
    for (int i = 0; i < c.parallelism; ++i) {
      plan_subtask s;
      s.id = static_cast<int>(p.subtasks_.size());
      s.chain = c.id;
      s.index = i;
      s.route.resize(c.out_edges.size());
      c.subtasks.push_back(s.id);
      p.subtasks_.push_back(std::move(s));
    }
  }
  // Channels, in a deterministic order: by chain, edge, sender, receiver.
  for (auto& c : p.chains_) {
    for (std::size_t ei = 0; ei < c.out_edges.size(); ++ei) {
      const auto& e = edges[c.out_edges[ei]];
      const auto& target = p.chains_[p.node_chain_[e.to]];
      partition_kind k = p.edge_kind_[e.id];
      for (int si = 0; si < c.parallelism; ++si) {
        auto& sender = p.subtasks_[c.subtasks[si]];
        sender.route[ei].assign(target.parallelism, -1);
        for (int ti = 0; ti < target.parallelism; ++ti) {
          if (k == partition_kind::forward && ti != si) continue;
          auto& receiver = p.subtasks_[target.subtasks[ti]];
          plan_channel ch;
          ch.id = static_cast<int>(p.channels_.size());
          ch.edge = e.id;
          ch.from = sender.id;
          ch.to = receiver.id;
          ch.out_local = static_cast<int>(sender.outputs.size());
          ch.in_local = static_cast<int>(receiver.inputs.size());
          ch.logical_input = e.input_index;
          sender.outputs.push_back(ch.id);
          receiver.inputs.push_back(ch.id);
          sender.route[ei][ti] = ch.out_local;
          p.channels_.push_back(ch);
        }
      }
    }
  }
  return p;
}

std::string execution_plan::describe(const job_graph& g) const {
  std::ostringstream os;
  for (const auto& c : chains_) {
    os << "chain " << c.id << " [parallelism " << c.parallelism << "] " << c.name << "\n";
    for (std::size_t i = 0; i < c.fused.size(); ++i) {
      if (c.fused[i] < 2) continue;
      os << "  fused:";
      for (std::size_t j = i + 1 - static_cast<std::size_t>(c.fused[i]); j <= i; ++j)
        os << (j + static_cast<std::size_t>(c.fused[i]) == i + 1 ? " " : " + ")
           << g.nodes()[c.nodes[j]].name;
      os << "\n";
    }
    for (int e : c.out_edges) {
      const auto& edge = g.edges()[e];
      os << "  --" << to_string(edge_kind_[e]) << "--> chain " << node_chain_[edge.to] << " ("
         << g.nodes()[edge.to].name << ")\n";
    }
  }
  return os.str();
}

std::string execution_plan::to_json(const job_graph& g) const {
  auto nodes = nlohmann::json::array();
  for (const auto& c : chains_) {
    auto ops = nlohmann::json::array();
    for (std::size_t i = 0; i < c.nodes.size(); ++i) {
      ops.push_back({{"id", c.nodes[i]},
                     {"name", g.nodes()[c.nodes[i]].name},
                     {"fused", i < c.fused.size() ? c.fused[i] : 1}});
      if (g.nodes()[c.nodes[i]].dead_letters) ops.back()["dead_letters"] = true;
    }
    auto inputs = nlohmann::json::array();
    for (int e : c.in_edges) {
      const auto& edge = g.edges()[e];
      inputs.push_back({{"id", node_chain_[edge.from]},
                        {"ship_strategy", to_string(edge_kind_[e])},
                        {"side_output", edge.side_tag}});
    }
    nodes.push_back({{"id", c.id},
                     {"name", c.name},
                     {"parallelism", c.parallelism},
                     {"operators", std::move(ops)},
                     {"inputs", std::move(inputs)}});
  }
  return nlohmann::json{{"nodes", std::move(nodes)}}.dump();
}

}  // namespace eddy
