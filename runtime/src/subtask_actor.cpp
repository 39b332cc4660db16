// The actor running one subtask: a chain of operators between input and output channels, with
// credit-based flow control. See messages.hpp for the protocol and DESIGN.md for the rationale.
//
// Invariants:
// - A batch is sent on an output channel only while that channel holds credit; otherwise it is
//   parked in the channel's `pending` queue and the actor is "blocked": it processes no further
//   input batches and a source produces nothing until credit arrives. Pending output is bounded
//   by what one input batch (or one source step) produces.
// - Received batches wait in `inbox_` (at most the credits granted per channel); one credit goes
//   back to the sender after each batch is processed.
// - Control events (watermarks, end of stream) travel through the inbox and the pending queues,
//   so they never overtake batches. They need no credit.
// - The subtask's event time is the minimum watermark over its input channels (an ended channel
//   counts as the maximum); it is passed to the chain whenever it advances.
// - Checkpoints: a source snapshots on (trigger, id); any other subtask once barrier `id` came
//   from every input that has not ended. In exactly-once mode an input that delivered the
//   barrier is blocked until then (its later entries wait in `held_`, aligned); in at-least-once
//   mode it is not. The snapshot covers every operator of the chain; partial batches are flushed
//   and the barrier sent on every output channel (behind parked batches), then the blobs go to
//   the coordinator.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "eddy/runtime/log.hpp"

#include "barrier_aligner.hpp"
#include "chain_snapshot.hpp"
#include "cluster_messages.hpp"
#include "eddy/runtime/serializer.hpp"
#include "latency_marks.hpp"
#include "messages.hpp"
#include "rate_limiter.hpp"
#include "restore.hpp"
#include "stack_sampler.hpp"
#include "task_chain.hpp"
#include "watermark_valve.hpp"

namespace eddy::detail {

namespace {

using clock_type = std::chrono::steady_clock;

class subtask_actor final : public caf::event_based_actor, public output_port {
 public:
  subtask_actor(caf::actor_config& cfg, std::shared_ptr<const job_context> job, int sid,
                caf::actor supervisor, caf::actor coordinator,
                std::shared_ptr<const restore_set> restore, caf::actor holder)
      : caf::event_based_actor(cfg),
        job_(std::move(job)),
        sid_(sid),
        supervisor_(std::move(supervisor)),
        coordinator_(std::move(coordinator)),
        holder_(std::move(holder)),
        restore_(std::move(restore)),
        metrics_(*job_->control->subtasks[sid_]) {
    const auto& st = job_->plan.subtasks()[sid_];
    vertex_ = job_->plan.chains()[st.chain].id;
    const auto& chans = job_->plan.channels();
    const auto& edges = job_->graph->edges();
    for (int c : st.inputs)
      ins_.push_back(in_channel{{},
                                static_cast<std::uint32_t>(chans[c].out_local),
                                chans[c].logical_input,
                                chans[c].from,
                                c,
                                edges[chans[c].edge].codec.get()});
    valve_ = watermark_valve(ins_.size());
    aligner_ = barrier_aligner(ins_.size(),
                               job_->config.checkpoints.mode == checkpointing_mode::exactly_once);
    for (int c : st.outputs) {
      out_channel out;
      out.remote = static_cast<std::uint32_t>(chans[c].in_local);
      out.to_sid = chans[c].to;
      out.channel = c;
      out.codec = edges[chans[c].edge].codec.get();
      outs_.push_back(std::move(out));
    }
  }

  const char* name() const override { return "eddy.subtask"; }

  caf::behavior make_behavior() override {
    return {
        [=, this](start_atom, const actor_table& handles) { guarded([&] { start(*handles); }); },
        [=, this](batch_atom, std::uint32_t in, batch_ptr& b) { on_batch(in, std::move(b)); },
        [=, this](rbatch_atom, std::uint32_t in, const std::string& bytes) {
          guarded([&] {
            if (in >= ins_.size() || !ins_[in].codec)
              throw std::runtime_error("a batch from another node for unknown input " +
                                       std::to_string(in));
            auto b = ins_[in].codec->decode(bytes);
            if (!b)
              throw std::runtime_error("input " + std::to_string(in) + ": " + b.error().message);
            on_batch(in, std::move(*b));
          });
        },
        [=, this](eos_atom, std::uint32_t in) {
          inbox_.push_back(inbox_entry{in, nullptr, inbox_kind::eos, 0});
          guarded([&] { drain(); });
        },
        [=, this](watermark_atom, std::uint32_t in, std::int64_t t) {
          inbox_.push_back(inbox_entry{in, nullptr, inbox_kind::watermark, t});
          guarded([&] { drain(); });
        },
        [=, this](latency_atom, std::uint32_t in, std::int64_t stamp) {
          inbox_.push_back(inbox_entry{in, nullptr, inbox_kind::marker, stamp});
          guarded([&] { drain(); });
        },
        [=, this](barrier_atom, std::uint32_t in, std::uint64_t id) {
          inbox_.push_back(
              inbox_entry{in, nullptr, inbox_kind::barrier, static_cast<std::int64_t>(id)});
          guarded([&] { drain(); });
        },
        [=, this](trigger_atom, std::uint64_t id, bool stop, bool drain) {
          guarded([&] { on_trigger(id, stop, drain); });
        },
        [=, this](stop_atom) {
          // The stop-with-savepoint completed (its chkdone came first): end without finishing,
          // so nothing after the savepoint is emitted or committed.
          if (done_) return;
          done_ = true;
          report_done(false);
          quit();
        },
        [=, this](asnap_atom, std::uint64_t id, snapshot_blobs& blobs) {
          on_async_snapshot(id, &blobs, {}, {}, false);
        },
        [=, this](asnap_atom, std::uint64_t id, const std::string& op, const std::string& what,
                  bool fatal) { on_async_snapshot(id, nullptr, op, what, fatal); },
        [=, this](chkdone_atom, std::uint64_t id) {
          guarded([&] {
            if (!chain_) return;
            if (holder_) send(holder_, chkdone_atom::value, sid_, id);
            for (auto& op : chain_->ops) op->notify_checkpoint_complete(id);
          });
        },
        [=, this](tick_atom) {
          guarded([&] {
            if (!chain_ || finishing_) return;
            const auto now = std::chrono::steady_clock::now();
            for (auto* op : ticking_) op->on_tick(now);
            after_processing();
            delayed_send(this, tick_interval_, tick_atom::value);
          });
        },
        [=, this](credit_atom, std::uint32_t out, std::int32_t n) {
          guarded([&] { on_credit(out, n); });
        },
        [=, this](produce_atom) { guarded([&] { produce(); }); },
        [=, this](wake_atom) {
          waker_.clear();  // before produce: a later wake sends another message
          guarded([&] { resume_source(); });
        },
        [=, this](split_atom, std::vector<std::string>& ids, std::vector<std::string>& data,
                  bool no_more) {
          guarded([&] { on_splits(std::move(ids), std::move(data), no_more); });
        },
        [=, this](flush_atom) {
          flush_scheduled_ = false;
          guarded([&] {
            if (!chain_ || finishing_) return;
            chain_->flush_all();
            // No batch went out since a marker came: it goes on its own, behind what was sent.
            if (marks_.holding() && !outs_.empty())
              send_marker(outs_[marks_.next_channel(outs_.size())], marks_.take());
          });
        },
    };
  }

  void on_exit() override {
    ended_->store(true);                         // snapshot helpers still to start skip their work
    if (!done_) set_state(job_state::canceled);  // stopped by the supervisor (or killed)
    // Break reference cycles between actors and release operators (files, user state).
    ticking_.clear();
    chain_.reset();
    ins_.clear();
    outs_.clear();
    inbox_.clear();
    held_.clear();
    supervisor_ = nullptr;
    coordinator_ = nullptr;
    enumerator_ = nullptr;
    holder_ = nullptr;
  }

  void on_batch(std::uint32_t in, batch_ptr b) {
    auto& ch = ins_[in];
    ++ch.queued;
    if (static_cast<std::uint64_t>(ch.queued) >
        metrics_.max_queued_batches.load(std::memory_order_relaxed))
      metrics_.max_queued_batches.store(ch.queued, std::memory_order_relaxed);
    inbox_.push_back(inbox_entry{in, std::move(b), inbox_kind::batch, 0});
    guarded([&] { drain(); });
  }

  // -- output_port ----------------------------------------------------------------------------

  void emit(int edge, int target, batch_ptr b) override {
    const auto& st = job_->plan.subtasks()[sid_];
    auto& ch = outs_[st.route[edge][target]];
    metrics_.batches_out.fetch_add(1, std::memory_order_relaxed);
    metrics_.records_out.fetch_add(b->size(), std::memory_order_relaxed);
    if (ch.pending.empty() && ch.credits > 0)
      send_batch(ch, std::move(b));
    else
      park(ch, pending_item{std::move(b), 0, false});
    if (marks_.holding()) send_marker(ch, marks_.take());  // right behind this batch
  }

  /// Idleness travels as a watermark message carrying min_watermark, a value no real watermark
  /// has.
  void emit_idle() override { emit_watermark(min_watermark); }

  void emit_watermark(std::int64_t t) override {
    chain_->flush_all();  // side outputs' batches go before the watermark too
    for (auto& ch : outs_) {
      if (ch.pending.empty())
        send(ch.to, watermark_atom::value, ch.remote, t);
      else
        park(ch, pending_item{nullptr, t, false});
    }
  }

 private:
  struct pending_item {
    batch_ptr b;             // null: a watermark, a barrier or a latency marker
    std::int64_t watermark;  // or the barrier's checkpoint id, or the marker's stamp
    bool barrier;
    bool marker = false;
  };

  template <class Channel>
  void park(Channel& ch, pending_item item) {
    if (ch.pending.empty()) {
      if (blocked_channels_++ == 0) {
        blocked_since_ = clock_type::now();
        metrics_.backpressure_events.fetch_add(1, std::memory_order_relaxed);
      }
    }
    ch.pending.push_back(std::move(item));
  }

  struct in_channel {
    caf::actor from;
    std::uint32_t remote;  // the sender's out_local
    int logical_input;
    int from_sid;
    int channel;  // plan channel id
    const batch_codec* codec;
    bool cross_node = false;  // the sender lives in another process
    bool ended = false;
    int queued = 0;  // received, not yet credited back
  };
  struct out_channel {
    caf::actor to;
    std::uint32_t remote;  // the receiver's in_local
    int to_sid;
    int channel;  // plan channel id
    const batch_codec* codec;
    bool cross_node = false;  // the receiver lives in another process: batches are encoded
    int credits = 0;
    std::deque<pending_item> pending;
    bool eos_queued = false;
    bool eos_sent = false;
  };

  /// Sends a latency marker on `ch`, behind what is parked there.
  void send_marker(out_channel& ch, std::int64_t stamp) {
    if (ch.pending.empty())
      send(ch.to, latency_atom::value, ch.remote, stamp);
    else
      park(ch, pending_item{nullptr, stamp, false, true});
  }
  enum class inbox_kind { batch, watermark, eos, barrier, marker };
  struct inbox_entry {
    std::uint32_t input;
    batch_ptr b;
    inbox_kind kind;
    std::int64_t watermark;
  };

  template <class Fn>
  void guarded(Fn&& fn) {
    if (done_) return;
    const log_job_scope scope(job_->control->id);  // what operators log names the job
    const sampling_scope sampling(job_->control.get(), vertex_);  // flame graphs
    try {
      fn();
    } catch (const std::exception& e) {
      fail(e.what());
    } catch (...) {
      fail("unknown exception in subtask " + metrics_.task);
    }
  }

  /// Fails the subtask; `fatal` failures (a snapshot that cannot be taken) are not restarted:
  /// a restart could not fix them.
  void fail(const std::string& msg, bool fatal = false) {
    if (done_) return;
    done_ = true;
    set_state(job_state::failed);
    log().debug("subtask {} ({}) failed: {}", metrics_.task, metrics_.index, msg);
    send(supervisor_, failed_atom::value, sid_, msg, fatal);
    quit(caf::make_error(caf::sec::runtime_error, msg));
  }

  /// A checkpoint trigger (from the coordinator, or from the source's split enumerator). One
  /// that overtakes the supervisor's start (they come from different actors) is taken once the
  /// chain is open, before the source produces anything: dropping it would leave the checkpoint
  /// waiting for this subtask until its timeout.
  void on_trigger(std::uint64_t id, bool stop, bool drain) {
    if (!chain_ && !done_) {
      early_trigger_ = early_trigger{id, stop, drain};
      return;
    }
    if (!chain_ || source_ended_ || finishing_ || stopping_) {
      // A finished source's final snapshot stands in for it (see finish_snapshot), when
      // checkpoints are on; a savepoint of a job without them cannot use it.
      if (stopping_ || !periodic_checkpoints())
        send(coordinator_, decline_atom::value, sid_, id,
             std::string(stopping_ ? "source stopped" : "source ended"));
      return;
    }
    if (drain) {
      // Stop --drain: event time ends before the barrier, so every window and timer
      // downstream fires and its output is in the savepoint.
      metrics_.watermark.store(max_watermark, std::memory_order_relaxed);
      chain_->ops.front()->on_watermark(max_watermark);
    }
    checkpoint(id);
    if (stop) stopping_ = true;  // a stop-with-savepoint: nothing after the barrier
  }

  void set_state(job_state s) {
    metrics_.state.store(static_cast<int>(s), std::memory_order_relaxed);
  }

  void start(const std::vector<caf::actor>& handles) {
    set_state(job_state::running);
    for (auto& in : ins_) {
      in.from = handles[in.from_sid];
      in.cross_node = in.from.node() != node();
    }
    for (auto& out : outs_) {
      out.to = handles[out.to_sid];
      out.cross_node = out.to.node() != node();
      if (out.cross_node && !out.codec->supported()) {
        // Deterministic: a restart would fail the same way.
        const auto& e = job_->graph->edges()[job_->plan.channels()[out.channel].edge];
        fail("the records from '" + job_->graph->node(e.from).name + "' to '" +
                 job_->graph->node(e.to).name + "' (type " + out.codec->record_type() +
                 ") must travel to another node but have no eddy::Serializer: add "
                 "EDDY_FIELDS(type, fields...) next to the type",
             true);
        return;
      }
    }
    chain_ = task_chain::build(*job_, job_->plan.subtasks()[sid_], this);
    if (chain_->source) {
      // Called from other threads: holds no reference that keeps the actor alive.
      waker_ = source_waker([self = caf::actor_cast<caf::weak_actor_ptr>(this)] {
        if (auto a = caf::actor_cast<caf::actor>(self)) caf::anon_send(a, wake_atom::value);
      });
      chain_->source->set_waker(waker_);
      if (job_->graph->node(job_->plan.chains()[job_->plan.subtasks()[sid_].chain].nodes.front())
              .make_enumerator)
        chain_->source->set_split_requester([this] { request_split(); });
    }
    chain_->open();
    if (restore_) restore_state();
    for (auto& e : early_splits_) deliver_splits(e.ids, e.data, e.no_more);
    early_splits_.clear();
    if (restored_finished_) {
      // This subtask had finished at the restored checkpoint: everything it emitted is in its
      // receivers' state. It ends at once, emitting nothing (its restore committed what its
      // sinks had pending).
      finishing_ = true;
      source_ended_ = true;
      for (auto& ch : outs_) {
        ch.eos_queued = true;
        send_eos(ch);
      }
      maybe_complete();
      return;
    }
    for (auto& op : chain_->ops)
      if (op->wants_ticks()) {
        ticking_.push_back(op.get());
        tick_interval_ = std::min(tick_interval_, op->tick_interval());
      }
    tick_interval_ = std::max(tick_interval_, std::chrono::milliseconds(1));
    if (!ticking_.empty()) delayed_send(this, tick_interval_, tick_atom::value);
    for (auto& in : ins_)
      send(in.from, credit_atom::value, in.remote,
           static_cast<std::int32_t>(in.cross_node ? job_->config.remote_channel_credits
                                                   : job_->config.channel_credits));
    if (early_trigger_) {  // a trigger that came before the start
      const auto t = *early_trigger_;
      early_trigger_.reset();
      on_trigger(t.id, t.stop, t.drain);
      if (done_) return;
    }
    if (chain_->source) {
      marks_.configure(job_->config.latency_interval);
      if (job_->config.source_rate > 0)
        rate_ = rate_limiter(job_->config.source_rate / chain_->info.parallelism);
      producing_ = true;
      send(this, produce_atom::value);
    } else if (ins_.empty()) {
      end_of_input();
    }
    drain();  // what upstream subtasks sent before this one started
  }

  [[nodiscard]] bool blocked() const noexcept { return blocked_channels_ > 0; }

  // -- split enumerator (split_enumerator_actor.hpp) -----------------------------------------

  /// The enumerator assigned `splits` (the first message, maybe empty, introduces it).
  void on_splits(std::vector<std::string> ids, std::vector<std::string> data, bool no_more) {
    if (!enumerator_) {
      enumerator_ = caf::actor_cast<caf::actor>(current_sender());
      if (split_request_pending_) request_split();
    }
    if (!chain_) {  // before start: delivered once the reader is open and restored
      early_splits_.push_back(early_splits{std::move(ids), std::move(data), no_more});
      return;
    }
    deliver_splits(ids, data, no_more);
    resume_source();
  }
  /// A waiting source may have something now: produce unless a produce is already on its way
  /// or the outputs lack credit (on_credit resumes it then).
  void resume_source() {
    if (!chain_ || !chain_->source || producing_ || blocked()) return;
    producing_ = true;
    produce();
  }
  void deliver_splits(const std::vector<std::string>& ids, const std::vector<std::string>& data,
                      bool no_more) {
    if (source_ended_ || !chain_->source) return;
    if (!ids.empty()) chain_->source->add_splits(ids, data);
    if (no_more) chain_->source->no_more_splits();
  }
  void request_split() {
    split_request_pending_ = !enumerator_;
    if (enumerator_)
      send(enumerator_, splitreq_atom::value,
           static_cast<std::int32_t>(job_->plan.subtasks()[sid_].index));
  }

  void drain() {
    // The supervisor starts the subtasks one after another: an upstream subtask that started
    // first may already have sent watermarks or its end of stream (they need no credit). They
    // wait in the inbox until this subtask has its chain.
    if (!chain_) return;
    while (!inbox_.empty() && !blocked() && !done_) {
      auto e = std::move(inbox_.front());
      inbox_.pop_front();
      auto& in = ins_[e.input];
      if (aligner_.blocked(e.input)) {  // waits until the checkpoint is aligned
        held_.push_back(std::move(e));
        continue;
      }
      if (e.kind == inbox_kind::barrier) {
        on_barrier(e.input, static_cast<std::uint64_t>(e.watermark));
      } else if (e.kind == inbox_kind::watermark) {  // min_watermark: idle, see emit_idle
        apply(valve_.on_watermark(e.input, e.watermark));
      } else if (e.kind == inbox_kind::marker) {
        on_marker(e.watermark);
        after_processing();
      } else if (e.kind == inbox_kind::batch) {
        valve_.on_records(e.input);
        metrics_.batches_in.fetch_add(1, std::memory_order_relaxed);
        metrics_.records_in.fetch_add(e.b->size(), std::memory_order_relaxed);
        chain_->input->process(in.logical_input, e.b);
        e.b.reset();
        --in.queued;
        if (!in.cross_node)
          job_->control->channel_in_flight[in.channel].fetch_sub(1, std::memory_order_relaxed);
        send(in.from, credit_atom::value, in.remote, std::int32_t{1});
        after_processing();
      } else {
        in.ended = true;
        const auto out = valve_.on_end(e.input);  // no longer holds event time back
        aligner_.on_end(e.input);
        check_alignment();
        if (++ended_inputs_ == ins_.size()) {
          end_of_input();
        } else {
          apply(out);
        }
      }
    }
  }

  /// Passes what the watermark valve decided to the chain: a new watermark, then idleness.
  void apply(const watermark_valve::output& out) {
    if (out.watermark) {
      metrics_.watermark.store(*out.watermark, std::memory_order_relaxed);
      chain_->ops.front()->on_watermark(*out.watermark);
      after_processing();
    }
    if (out.idle) {
      chain_->ops.front()->on_idle();
      after_processing();
    }
  }

  /// A latency marker (latency_marks.hpp) received, or stamped by this subtask's source.
  void on_marker(std::int64_t stamp) {
    if (outs_.empty())
      metrics_.record_latency(latency_marks::wall_ns() - stamp);
    else
      marks_.hold(stamp);
  }

  void after_processing() {
    publish_live_counts(*chain_, metrics_);
    if (!flush_scheduled_ && !chain_->writers.empty() && !finishing_ &&
        (chain_->has_partial() || marks_.holding())) {
      flush_scheduled_ = true;
      delayed_send(this, job_->config.flush_interval, flush_atom::value);
    }
  }

  void on_credit(std::uint32_t out, std::int32_t n) {
    auto& ch = outs_[out];
    ch.credits += n;
    if (!ch.pending.empty()) {
      while (!ch.pending.empty()) {
        auto& front = ch.pending.front();
        if (front.barrier) {
          send(ch.to, barrier_atom::value, ch.remote, static_cast<std::uint64_t>(front.watermark));
        } else if (front.marker) {
          send(ch.to, latency_atom::value, ch.remote, front.watermark);
        } else if (!front.b) {
          send(ch.to, watermark_atom::value, ch.remote, front.watermark);
        } else if (ch.credits > 0) {
          send_batch(ch, std::move(front.b));
        } else {
          break;
        }
        ch.pending.pop_front();
      }
      if (ch.pending.empty() && --blocked_channels_ == 0) {
        auto waited = clock_type::now() - blocked_since_;
        metrics_.backpressure_ns.fetch_add(
            std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count(),
            std::memory_order_relaxed);
      }
    }
    if (ch.eos_queued && !ch.eos_sent && ch.pending.empty()) send_eos(ch);
    if (blocked()) return;
    if (finishing_) {
      maybe_complete();
      return;
    }
    drain();
    if (chain_ && chain_->source && !producing_ && !source_ended_ && !stopping_) {
      producing_ = true;
      send(this, produce_atom::value);
    }
  }

  void produce() {
    if (source_ended_ || finishing_ || stopping_) {
      producing_ = false;
      return;
    }
    constexpr int max_steps = 32;  // batches per message, then let other messages in
    source_status st = source_status::more;
    for (int i = 0; i < max_steps && st == source_status::more && !blocked(); ++i) {
      std::size_t n = job_->config.batch_size;
      if (rate_.limited()) {
        n = rate_.take(n, clock_type::now());
        if (n == 0) {  // over the rate: come back when a record is allowed
          delayed_send(this, rate_.wait(), produce_atom::value);
          return;
        }
      }
      // No clock read per batch unless latency markers are on.
      const auto stamp = marks_.enabled() ? marks_.stamp_due(clock_type::now()) : 0;
      st = chain_->source->produce(n);
      if (stamp != 0) on_marker(stamp);
      after_processing();
    }
    if (st == source_status::end) {
      source_ended_ = true;
      producing_ = false;
      end_of_input();
    } else if (blocked()) {
      producing_ = false;  // on_credit resumes
    } else if (st == source_status::idle) {
      delayed_send(this, std::chrono::milliseconds(1), produce_atom::value);
    } else if (st == source_status::wait) {
      producing_ = false;  // the source's waker resumes (wake_atom)
    } else {
      send(this, produce_atom::value);
    }
  }

  // -- checkpoints ----------------------------------------------------------------------------

  void restore_state() {
    const auto& g = *job_->graph;
    bool all_finished = true, any = false;
    for (std::size_t i = 0; i < chain_->ops.size(); ++i) {
      const int node = chain_->op_nodes[i];
      if (node < 0) continue;
      const auto& n = g.node(node);
      auto& op = *chain_->ops[i];
      try {
        auto r = restore_for(*restore_, n.state_uid(), n.name, chain_->info.index,
                             chain_->info.parallelism);
        any = true;
        if (!r.found) {
          all_finished = false;
          continue;
        }
        const auto fin = std::find_if(r.entries.begin(), r.entries.end(), [](const state_entry& e) {
          return e.name == finished_entry;
        });
        if (fin == r.entries.end()) {
          all_finished = false;
        } else {
          r.entries.erase(fin);
        }
        op.restore_state(r.entries);
        op.restore_counters(r.counters);
      } catch (const operator_error&) {
        throw;
      } catch (const std::exception& e) {
        throw operator_error(n.name, chain_->info.index, chain_->info.parallelism,
                             "restoring checkpoint " + std::to_string(restore_->checkpoint_id) +
                                 " from " + restore_->location + " failed: " + e.what());
      }
    }
    restored_finished_ = any && all_finished;
  }

  void on_barrier(std::uint32_t input, std::uint64_t id) {
    aligner_.on_barrier(input, id);
    check_alignment();
  }

  /// Takes the checkpoints whose barrier came from every open input (barrier_aligner.hpp).
  void check_alignment() {
    while (auto a = aligner_.take_aligned()) {
      checkpoint(a->id);
      // The inputs aligned for it are unblocked; their held entries go first, in arrival order.
      if (a->released && !held_.empty()) {
        std::deque<inbox_entry> rest;
        for (auto& e : held_) rest.push_back(std::move(e));
        held_.clear();
        for (auto& e : inbox_) rest.push_back(std::move(e));
        inbox_ = std::move(rest);
      }
    }
  }

  /// The snapshots of the chain's operators for checkpoint `id` (chain_snapshot.hpp;
  /// `finished`: the final snapshot of a finished chain). Null if a snapshot failed (the
  /// subtask failed).
  std::optional<std::vector<snapshot_part>> snapshot_parts_of(std::uint64_t id, bool finished,
                                                              bool async) {
    try {
      return take_snapshot_parts(*job_->graph, *chain_, id, async);
    } catch (const part_error& e) {
      fail_snapshot(e.op, id, finished, e.what);
      return std::nullopt;
    }
  }

  /// Fails the subtask (fatally: it is not restarted) because operator `op` could not snapshot.
  void fail_snapshot(const std::string& op, std::uint64_t id, bool finished,
                     const std::string& what) {
    fail(operator_error(op, chain_->info.index, chain_->info.parallelism,
                        (finished ? std::string("the final snapshot failed: ")
                                  : "snapshot for checkpoint " + std::to_string(id) + " failed: ") +
                            what)
             .what(),
         true);
  }

  /// The encoded snapshots of the chain's operators, taken now (see snapshot_parts_of).
  std::optional<snapshot_blobs> snapshot_blobs_of(std::uint64_t id, bool finished) {
    auto parts = snapshot_parts_of(id, finished, false);
    if (!parts) return std::nullopt;
    return encode_snapshot_parts(*parts, finished);  // nothing deferred: cannot throw part_error
  }

  /// Snapshots the chain for checkpoint `id`, sends the barrier on and acknowledges. The
  /// operators' synchronous parts run here; if some operator deferred work, a helper actor runs
  /// it and encodes the blobs while this subtask processes records again, and the
  /// acknowledgement goes out when the helper reports back (through this actor, so it always
  /// precedes the subtask's final snapshot).
  void checkpoint(std::uint64_t id) {
    using std::chrono::steady_clock;
    const auto aligned = steady_clock::now();
    const auto first = aligner_.take_first_barrier_time(id);
    const auto alignment = first ? aligned - *first : steady_clock::duration::zero();
    // At most one helper per subtask: while one still runs, this snapshot is taken here
    // (helpers cannot pile up if encoding is slower than the checkpoint interval).
    auto parts = snapshot_parts_of(id, false, async_pending_ == 0);
    if (!parts) return;  // failed
    const bool deferred =
        std::any_of(parts->begin(), parts->end(), [](const auto& p) { return bool(p.later); });
    std::optional<snapshot_blobs> blobs;
    if (!deferred) blobs = encode_snapshot_parts(*parts, false);
    const auto sync = steady_clock::now() - aligned;
    log_snapshot(id, alignment, sync, blobs ? &*blobs : nullptr);
    chain_->flush_all();  // records before the barrier go before it
    for (auto& ch : outs_) {
      if (ch.eos_sent) continue;
      if (ch.pending.empty())
        send(ch.to, barrier_atom::value, ch.remote, id);
      else
        park(ch, pending_item{nullptr, static_cast<std::int64_t>(id), true});
    }
    if (blobs) {
      blobs->alignment_us = micros(alignment);
      blobs->sync_us = micros(sync);
      acknowledge(id, std::move(*blobs));
      return;
    }
    ++async_pending_;
    async_started_[id] = async_snapshot{steady_clock::now(), micros(alignment), micros(sync)};
    // The helper holds the subtask weakly and skips its work once the subtask has ended (a
    // failure, a restart, a cancel): nothing would take the result.
    auto subtask = caf::actor_cast<caf::actor_addr>(this);
    auto ended = ended_;
    spawn([subtask, ended, id, parts = std::move(*parts)](caf::event_based_actor* helper) mutable {
      if (ended->load()) return;
      auto reply = [&](auto&&... xs) {
        if (auto s = caf::actor_cast<caf::actor>(subtask))
          helper->send(s, asnap_atom::value, id, std::forward<decltype(xs)>(xs)...);
      };
      try {
        reply(encode_snapshot_parts(parts, false));
      } catch (const part_error& e) {  // the operator's deferred part: as a failed snapshot
        reply(e.op, e.what, true);
      } catch (const std::exception& e) {  // encoding (out of memory, ...): a restartable failure
        reply(std::string(), std::string(e.what()), false);
      } catch (...) {
        reply(std::string(), std::string("unknown exception"), false);
      }
    });
  }

  /// The blobs of checkpoint `id` go to the coordinator (and, on a worker, to the task manager
  /// as the local recovery copy).
  void acknowledge(std::uint64_t id, snapshot_blobs blobs) {
    if (holder_) send(holder_, localsnap_atom::value, sid_, id, blobs);
    send(coordinator_, ack_atom::value, sid_, id, std::move(blobs));
  }

  /// The snapshot helper of checkpoint `id` is done (`blobs`) or failed (`op`, `what`; `fatal`:
  /// the operator's part failed, as a failed snapshot, not restarted).
  void on_async_snapshot(std::uint64_t id, snapshot_blobs* blobs, const std::string& op,
                         const std::string& what, bool fatal) {
    --async_pending_;
    auto started = async_started_.find(id);
    if (blobs && started != async_started_.end()) {
      const auto took = std::chrono::steady_clock::now() - started->second.at;
      blobs->alignment_us = started->second.alignment_us;
      blobs->sync_us = started->second.sync_us;
      blobs->async_us = micros(took);
      if (log().should_log(spdlog::level::debug)) {
        std::size_t bytes = 0;
        for (const auto& item : blobs->items) bytes += item.second.size();
        log().debug("subtask {} ({}): checkpoint {}: asynchronous part {:.1f} ms, {} bytes",
                    metrics_.task, metrics_.index, id,
                    std::chrono::duration<double, std::milli>(took).count(), bytes);
      }
    }
    if (started != async_started_.end()) async_started_.erase(started);
    if (done_) return;
    if (!blobs) {
      if (fatal)
        fail_snapshot(op, id, false, what);
      else
        fail("subtask " + metrics_.task + " (" + std::to_string(metrics_.index) +
             "): encoding the snapshot for checkpoint " + std::to_string(id) + " failed: " + what);
      return;
    }
    acknowledge(id, std::move(*blobs));
    if (finishing_) guarded([&] { maybe_complete(); });
  }

  static std::int64_t micros(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  }

  /// Debug log: how long the alignment and the (synchronous) snapshot of checkpoint `id` took.
  void log_snapshot(std::uint64_t id, std::chrono::steady_clock::duration alignment,
                    std::chrono::steady_clock::duration sync, const snapshot_blobs* blobs) {
    if (log().should_log(spdlog::level::debug)) {
      using ms = std::chrono::duration<double, std::milli>;
      const double waited = ms(alignment).count();
      const double took = ms(sync).count();
      if (blobs) {
        std::size_t bytes = 0;
        for (const auto& item : blobs->items) bytes += item.second.size();
        log().debug(
            "subtask {} ({}): checkpoint {}: aligned {:.1f} ms after the first barrier, snapshot "
            "{:.1f} ms, {} bytes",
            metrics_.task, metrics_.index, id, waited, took, bytes);
      } else {
        log().debug(
            "subtask {} ({}): checkpoint {}: aligned {:.1f} ms after the first barrier, "
            "synchronous part of the snapshot {:.1f} ms",
            metrics_.task, metrics_.index, id, waited, took);
      }
    }
  }

  void end_of_input() {
    // Event time ends with the input: every event-time window and timer fires before finish.
    if (valve_.finish()) {
      metrics_.watermark.store(max_watermark, std::memory_order_relaxed);
      chain_->ops.front()->on_watermark(max_watermark);
    }
    finishing_ = true;
    chain_->finish();
    publish_live_counts(*chain_, metrics_);
    for (auto& ch : outs_) {
      ch.eos_queued = true;
      if (ch.pending.empty()) send_eos(ch);
    }
    maybe_complete();
  }

  void send_batch(out_channel& ch, batch_ptr b) {
    --ch.credits;
    if (ch.cross_node) {
      auto bytes = ch.codec->encode(*b);
      metrics_.remote_bytes_out.fetch_add(bytes.size(), std::memory_order_relaxed);
      send(ch.to, rbatch_atom::value, ch.remote, std::move(bytes));
      return;
    }
    auto n =
        job_->control->channel_in_flight[ch.channel].fetch_add(1, std::memory_order_relaxed) + 1;
    if (static_cast<std::uint64_t>(n) >
        metrics_.max_in_flight_batches.load(std::memory_order_relaxed))
      metrics_.max_in_flight_batches.store(n, std::memory_order_relaxed);
    send(ch.to, batch_atom::value, ch.remote, std::move(b));
  }

  void send_eos(out_channel& ch) {
    ch.eos_sent = true;
    send(ch.to, eos_atom::value, ch.remote);
  }

  void maybe_complete() {
    if (done_) return;
    for (const auto& ch : outs_)
      if (!ch.eos_sent) return;
    if (async_pending_ > 0) return;  // the final snapshot goes after the pending ones
    if (periodic_checkpoints() && !finish_snapshot()) return;  // failed
    done_ = true;
    report_done(true);
    quit();
  }

  [[nodiscard]] bool periodic_checkpoints() const noexcept {
    return job_->config.checkpoints.interval.count() > 0;
  }

  /// Sends the chain's final state to the coordinator: it stands in for this subtask in every
  /// later checkpoint, and a restore from one of those deploys it finished.
  /// False if it failed (the subtask failed).
  bool finish_snapshot() {
    auto blobs = snapshot_blobs_of(0, true);
    if (!blobs) return false;
    send(coordinator_, finished_atom::value, sid_, std::move(*blobs));
    return true;
  }

  /// Sends the operators' counters to the supervisor, with their job-finished actions if the
  /// chain finished (not when stopped at a savepoint: nothing after it is committed).
  void report_done(bool finished) {
    set_state(job_state::finished);
    auto report = std::make_shared<std::vector<std::pair<int, operator_counters>>>();
    auto actions = std::make_shared<std::vector<std::function<void(bool)>>>();
    if (chain_) {
      for (std::size_t i = 0; i < chain_->ops.size(); ++i)
        if (chain_->op_nodes[i] >= 0)
          report->emplace_back(chain_->op_nodes[i], chain_->ops[i]->counters());
      if (finished)
        for (auto& op : chain_->ops)
          if (auto a = op->take_job_finished_action()) actions->push_back(std::move(a));
    }
    if (!holder_) {  // embedded: everything goes to the supervisor in this process
      send(supervisor_, done_atom::value, sid_, operator_report{std::move(report)},
           finish_actions{std::move(actions)});
      return;
    }
    // On a worker: the job-finished actions stay here with the task manager (it runs them when
    // the supervisor commits the job); the counters and metrics travel.
    if (!actions->empty()) send(holder_, holdfin_atom::value, finish_actions{std::move(actions)});
    done_report d;
    for (const auto& [node, c] : *report) {
      d.nodes.push_back(node);
      d.counters.insert(d.counters.end(), {c.records_in, c.records_out, c.late_records});
    }
    metrics_.pack(d.metrics);
    send(supervisor_, done_atom::value, sid_, std::move(d));
  }

  std::shared_ptr<const job_context> job_;
  int sid_;
  int vertex_ = 0;  // the subtask's chain's id (sampling_scope)
  caf::actor supervisor_;
  caf::actor coordinator_;
  caf::actor holder_;  // on a worker: the task manager keeping job-finished actions
  std::shared_ptr<const restore_set> restore_;
  barrier_aligner aligner_;  // which checkpoints' barriers came from which inputs
  int async_pending_ = 0;    // snapshot helpers not yet reported back
  std::shared_ptr<std::atomic<bool>> ended_ = std::make_shared<std::atomic<bool>>(false);
  // A deferred snapshot: when its helper started, and the alignment and synchronous part that
  // go into its acknowledgement.
  struct async_snapshot {
    std::chrono::steady_clock::time_point at;
    std::int64_t alignment_us = 0;
    std::int64_t sync_us = 0;
  };
  std::map<std::uint64_t, async_snapshot> async_started_;
  std::deque<inbox_entry> held_;  // entries of inputs blocked for alignment
  live_subtask_metrics& metrics_;
  std::unique_ptr<task_chain> chain_;
  std::vector<in_channel> ins_;
  std::vector<out_channel> outs_;
  std::deque<inbox_entry> inbox_;
  std::size_t ended_inputs_ = 0;
  watermark_valve valve_;                // this subtask's event time over its inputs
  std::vector<operator_base*> ticking_;  // operators that want on_tick
  std::chrono::milliseconds tick_interval_ = std::chrono::hours(1);  // smallest they ask for
  int blocked_channels_ = 0;
  clock_type::time_point blocked_since_;
  bool producing_ = false;  // a produce message is on its way, or produce() runs
  source_waker waker_;      // the source's (set before open)
  caf::actor enumerator_;   // the source's split enumerator, once it introduced itself
  struct early_splits {
    std::vector<std::string> ids, data;
    bool no_more = false;
  };
  std::vector<early_splits> early_splits_;  // came before start
  struct early_trigger {
    std::uint64_t id = 0;
    bool stop = false;
    bool drain = false;
  };
  std::optional<early_trigger> early_trigger_;  // a checkpoint trigger that came before start
  bool split_request_pending_ = false;          // asked before the enumerator introduced itself
  bool source_ended_ = false;
  bool stopping_ = false;           // stopped at a stop-with-savepoint's barrier
  bool restored_finished_ = false;  // restored from a checkpoint taken after it had finished
  rate_limiter rate_;               // execution_config::source_rate, per source subtask
  bool finishing_ = false;
  bool flush_scheduled_ = false;
  bool done_ = false;
  latency_marks marks_;  // execution_config::latency_interval
};

}  // namespace

caf::actor spawn_subtask(caf::event_based_actor* supervisor, std::shared_ptr<const job_context> job,
                         int sid, caf::actor coordinator,
                         std::shared_ptr<const restore_set> restore) {
  return supervisor->spawn<subtask_actor, caf::monitored>(
      std::move(job), sid, caf::actor_cast<caf::actor>(supervisor), std::move(coordinator),
      std::move(restore), caf::actor{});
}

caf::actor spawn_remote_subtask(caf::event_based_actor* task_manager,
                                std::shared_ptr<const job_context> job, int sid,
                                caf::actor supervisor, caf::actor coordinator,
                                std::shared_ptr<const restore_set> restore) {
  return task_manager->spawn<subtask_actor>(std::move(job), sid, std::move(supervisor),
                                            std::move(coordinator), std::move(restore),
                                            caf::actor_cast<caf::actor>(task_manager));
}

}  // namespace eddy::detail
