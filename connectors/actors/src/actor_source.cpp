// The actor source's gateway (actor_source.hpp): an actor of the application's system that
// takes producers' batches within their credit and holds them until the job releases them.
#include "eddy/connectors/actors/actor_source.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <random>

#include "eddy/runtime/log.hpp"

namespace eddy::actors {

namespace detail {

struct source_hub::state {
  actor_source_options o;
  mutable std::mutex mu;
  struct batch {
    caf::actor producer;
    std::shared_ptr<const std::string> blob;
    std::int32_t count = 0;
  };
  std::deque<batch> held;  // batches first .. first + held.size()
  std::uint64_t first = 0;
  std::uint64_t incarnation = 0;
  struct producer_state {
    std::int64_t credit = 0;  // records it may still push
    bool ended = false;
  };
  std::map<caf::actor, producer_state> producers;
  source_waker wake;
  std::uint64_t held_records = 0;
  gateway_stats stats;

  [[nodiscard]] bool all_ended() const {
    if (producers.size() < static_cast<std::size_t>(o.producers)) return false;
    for (const auto& [p, s] : producers)
      if (!s.ended) return false;
    return true;
  }
};

namespace {

caf::behavior source_gateway_behavior(caf::event_based_actor* self,
                                      std::shared_ptr<source_hub::state> st) {
  self->set_down_handler([=](caf::down_msg& dm) {
    std::lock_guard<std::mutex> lock(st->mu);
    for (auto& [p, s] : st->producers)
      if (p.address() == dm.source) s.ended = true;  // a producer that died has ended
    st->wake.wake();
  });
  return {
      [=](join_atom) {
        auto p = caf::actor_cast<caf::actor>(self->current_sender());
        if (!p) return;
        {
          std::lock_guard<std::mutex> lock(st->mu);
          auto [it, fresh] = st->producers.emplace(p, source_hub::state::producer_state{});
          if (!fresh) return;  // joined already: its credit stands
          it->second.credit = st->o.credit;
          ++st->stats.producers;
        }
        self->monitor(p);
        self->send(p, credit_atom::value, st->o.credit);
      },
      [=](push_atom, std::string& blob, std::int32_t count) {
        auto p = caf::actor_cast<caf::actor>(self->current_sender());
        std::lock_guard<std::mutex> lock(st->mu);
        auto it = st->producers.find(p);
        if (it == st->producers.end()) {
          // Not joined: taken (it had no credit: counted as beyond it), and not monitored.
          eddy::log().warn("{}: a batch from an actor that did not join", st->o.name);
          it = st->producers.emplace(p, source_hub::state::producer_state{}).first;
        }
        it->second.credit -= count;
        if (it->second.credit < 0) {
          st->stats.over_credit += static_cast<std::uint64_t>(-it->second.credit);
          eddy::log().warn("{}: a producer pushed {} record(s) beyond its credit", st->o.name,
                           -it->second.credit);
          it->second.credit = 0;
        }
        st->held.push_back({p, std::make_shared<const std::string>(std::move(blob)), count});
        st->held_records += static_cast<std::uint64_t>(count);
        st->stats.records += static_cast<std::uint64_t>(count);
        st->stats.held_max = std::max(st->stats.held_max, st->held_records);
        st->wake.wake();
      },
      [=](end_atom) {
        auto p = caf::actor_cast<caf::actor>(self->current_sender());
        std::lock_guard<std::mutex> lock(st->mu);
        st->producers[p].ended = true;
        st->wake.wake();
      },
  };
}

}  // namespace

source_hub::source_hub(caf::actor_system& sys, actor_source_options o)
    : state_(std::make_shared<state>()) {
  if (o.credit < 1) throw std::invalid_argument(o.name + ": credit must be at least 1");
  state_->o = std::move(o);
  state_->incarnation = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  gateway_ = sys.spawn(source_gateway_behavior, state_);
}

source_hub::~source_hub() {
  caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
}

caf::actor source_hub::gateway() const {
  return gateway_;
}

void source_hub::attach(source_waker wake) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->wake = std::move(wake);
}

bool source_hub::get(std::uint64_t seq, std::shared_ptr<const std::string>& blob) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto& s = *state_;
  if (seq < s.first || seq >= s.first + s.held.size()) return false;
  blob = s.held[seq - s.first].blob;
  return true;
}

std::uint64_t source_hub::first_held() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->first;
}

bool source_hub::ended(std::uint64_t seq) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto& s = *state_;
  return s.o.producers > 0 && s.all_ended() && seq >= s.first + s.held.size();
}

void source_hub::release_before(std::uint64_t seq) {
  std::map<caf::actor, std::int32_t> back;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto& s = *state_;
    while (s.first < seq && !s.held.empty()) {
      auto& b = s.held.front();
      back[b.producer] += b.count;
      auto it = s.producers.find(b.producer);
      if (it != s.producers.end()) it->second.credit += b.count;
      s.held_records -= static_cast<std::uint64_t>(b.count);
      s.held.pop_front();
      ++s.first;
    }
  }
  for (const auto& [p, n] : back) caf::anon_send(p, credit_atom::value, n);
}

gateway_stats source_hub::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

const actor_source_options& source_hub::options() const {
  return state_->o;
}

std::uint64_t source_hub::incarnation() const {
  return state_->incarnation;
}

void warn_lost_records(const std::string& name) {
  eddy::log().warn(
      "{}: the restored checkpoint was taken with another process's gateway: the records it "
      "held after the checkpoint are lost; continuing with new records",
      name);
}

}  // namespace detail

expected<std::uint16_t> publish_gateway(caf::actor_system& sys, const caf::actor& gateway,
                                        std::uint16_t port, const std::string& host) {
  (void)sys;
  auto p = caf::io::publish(gateway, port, host.c_str(), true);
  if (!p)
    return eddy::error{errc::io_error, "cannot publish the gateway on " + host + ":" +
                                           std::to_string(port) + ": " + sys.render(p.error())};
  return *p;
}

}  // namespace eddy::actors
