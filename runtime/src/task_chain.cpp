#include "task_chain.hpp"

#include <algorithm>
#include <stdexcept>

namespace eddy::detail {

std::unique_ptr<task_chain> task_chain::build(const job_context& job, const plan_subtask& st,
                                              output_port* port) {
  const auto& g = *job.graph;
  const auto& chain = job.plan.chains()[st.chain];
  auto tc = std::make_unique<task_chain>();
  tc->info.job_name = job.name;
  tc->info.task_name = chain.name;
  tc->info.index = st.index;
  tc->info.parallelism = chain.parallelism;
  tc->info.max_parallelism = job.config.max_parallelism;
  tc->info.batch_size = job.config.batch_size;
  tc->info.mode = job.config.mode;
  tc->info.auto_watermark_interval = job.config.auto_watermark_interval;
  tc->info.timer_resolution = job.config.timer_resolution;
  tc->info.clock = job.config.clock;
  tc->info.checkpointing = job.config.checkpoints.interval.count() > 0;
  tc->info.may_restart =
      tc->info.checkpointing ||
      (job.config.restart && job.config.restart->type != restart_strategy::kind::no_restart);

  std::vector<std::unique_ptr<operator_base>> rev;  // built tail first
  std::vector<int> rev_nodes;
  operator_base* next = nullptr;
  const auto& tail = g.node(chain.nodes.back());
  std::vector<std::pair<std::string, std::unique_ptr<operator_base>>> side;  // tag -> writer
  if (!chain.out_edges.empty()) {
    auto w = tail.make_writer();
    w->set_name(tail.name + " (output)");
    for (std::size_t ei = 0; ei < chain.out_edges.size(); ++ei) {
      const auto& e = g.edges()[chain.out_edges[ei]];
      edge_binding b;
      b.edge = static_cast<int>(ei);
      b.kind = job.plan.kind_of(e.id);
      b.targets = job.plan.parallelism_of(e.to);
      b.own_index = st.index;
      b.own_parallelism = chain.parallelism;
      b.target_name = g.node(e.to).name;
      b.max_parallelism = job.config.max_parallelism;
      b.batch_size = job.config.batch_size;
      if (e.side_tag.empty()) {
        e.bind(*w, b, port);
        continue;
      }
      auto it =
          std::find_if(side.begin(), side.end(), [&](auto& s) { return s.first == e.side_tag; });
      if (it == side.end()) {
        for (const auto& [tag, make] : tail.side_writers)
          if (tag == e.side_tag) side.emplace_back(tag, make());
        it = side.end() - 1;
        it->second->set_name(tail.name + " (side output " + e.side_tag + ")");
      }
      e.bind(*it->second, b, port);
    }
    tc->writer = dynamic_cast<writer_control*>(w.get());
    tc->writers.push_back(tc->writer);
    next = w.get();
    rev.push_back(std::move(w));
    rev_nodes.push_back(-1);
  }
  for (auto i = static_cast<std::ptrdiff_t>(chain.nodes.size()) - 1; i >= 0; --i) {
    const auto& n = g.node(chain.nodes[static_cast<std::size_t>(i)]);
    if (const int count = chain.fused[static_cast<std::size_t>(i)]; count >= 2) {
      // A fused group ending here: element 0 does the work and stands for the group's first
      // node, the others for the rest (see graph_node::make_fused).
      auto group = n.make_fused(next, static_cast<std::size_t>(count));
      if (group.size() != static_cast<std::size_t>(count))
        throw std::logic_error("eddy: fused operators of '" + n.name + "' do not match the plan");
      const auto first = i - count + 1;
      for (auto j = static_cast<std::ptrdiff_t>(group.size()) - 1; j >= 0; --j) {
        const auto& m = g.node(chain.nodes[static_cast<std::size_t>(first + j)]);
        auto& op = group[static_cast<std::size_t>(j)];
        op->set_name(m.name);
        if (m.kind == node_kind::source) tc->source = dynamic_cast<source_base*>(op.get());
        rev.push_back(std::move(op));
        rev_nodes.push_back(m.id);
      }
      next = rev.back().get();
      i = first;
      continue;
    }
    std::unique_ptr<operator_base> op;
    if (n.kind == node_kind::source) {
      auto src = n.make_source(next);
      tc->source = src.get();
      op = std::move(src);
    } else {
      op = n.make_operator(next);
    }
    op->set_name(n.name);
    if (n.id == tail.id)
      for (auto& [tag, writer] : side) op->set_side_output(tag, writer.get());
    next = op.get();
    rev.push_back(std::move(op));
    rev_nodes.push_back(n.id);
  }
  const auto& head = g.node(chain.nodes.front());
  if (head.kind != node_kind::source) tc->input = head.make_input(next);
  std::reverse(rev.begin(), rev.end());
  std::reverse(rev_nodes.begin(), rev_nodes.end());
  for (auto& [tag, writer] : side) {  // owned after the chain's operators
    tc->writers.push_back(dynamic_cast<writer_control*>(writer.get()));
    tc->side_writers.push_back(writer.get());
    rev.push_back(std::move(writer));
    rev_nodes.push_back(-1);
  }
  tc->ops = std::move(rev);
  tc->op_nodes = std::move(rev_nodes);
  for (std::size_t k = 0; k < tc->op_nodes.size(); ++k)
    if (tc->op_nodes[k] >= 0 && g.node(tc->op_nodes[k]).dead_letters)
      tc->dead_letter_ops.push_back(tc->ops[k].get());
  return tc;
}

void task_chain::open() {
  for (auto& op : ops) {
    subtask_info i = info;
    try {
      op->open(i);
    } catch (const operator_error&) {
      throw;
    } catch (const std::exception& e) {
      throw operator_error(op->name(), info.index, info.parallelism,
                           std::string("open failed: ") + e.what());
    }
  }
}

void task_chain::finish() {
  if (!ops.empty()) ops.front()->finish();
  for (auto* w : side_writers) w->finish();
}

void task_chain::flush_all() {
  for (auto* w : writers) w->flush();
}

bool task_chain::has_partial() const {
  for (const auto* w : writers)
    if (w->has_partial()) return true;
  return false;
}

void publish_live_counts(const task_chain& chain, live_subtask_metrics& m) {
  constexpr auto relaxed = std::memory_order_relaxed;
  if (chain.source) {
    m.source_records.store(chain.source->counters().records_out, relaxed);
    if (auto p = chain.source->progress()) {
      m.input_read.store(p->read, relaxed);
      m.input_size.store(p->size, relaxed);
    }
    if (auto lag = chain.source->lag()) m.source_lag.store(*lag, relaxed);
  }
  if (!chain.ops.empty()) m.tail_records_in.store(chain.ops.back()->counters().records_in, relaxed);
  if (!chain.dead_letter_ops.empty()) {
    std::uint64_t n = 0;
    for (const auto* op : chain.dead_letter_ops) n += op->counters().records_in;
    m.dead_letters.store(n, relaxed);
  }
}

}  // namespace eddy::detail
