// The actor sink's gateway (actor_sink.hpp): subscribers, their credit, delivery.
#include "eddy/connectors/actors/actor_sink.hpp"

#include <caf/all.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>

#include "eddy/runtime/log.hpp"

namespace eddy::actors::detail {

struct sink_hub::state {
  actor_sink_options o;
  std::mutex mu;
  std::condition_variable cv;
  std::map<caf::actor, std::int64_t> credit;  // subscriber -> records it can take
  int finished = 0;
  bool ended = false;
};

namespace {

caf::behavior sink_gateway_behavior(caf::event_based_actor* self,
                                    std::shared_ptr<sink_hub::state> st) {
  self->set_down_handler([=](caf::down_msg& dm) {
    std::lock_guard<std::mutex> lock(st->mu);
    for (auto it = st->credit.begin(); it != st->credit.end(); ++it)
      if (it->first.address() == dm.source) {
        st->credit.erase(it);
        break;
      }
    st->cv.notify_all();
  });
  return {
      [=](join_atom, std::int32_t credit) {
        auto s = caf::actor_cast<caf::actor>(self->current_sender());
        if (!s) return;
        bool ended = false;
        {
          std::lock_guard<std::mutex> lock(st->mu);
          st->credit[s] += std::max<std::int32_t>(credit, 0);
          ended = st->ended;
          st->cv.notify_all();
        }
        self->monitor(s);
        if (ended) self->send(s, end_atom::value);
      },
      [=](credit_atom, std::int32_t n) {
        auto s = caf::actor_cast<caf::actor>(self->current_sender());
        std::lock_guard<std::mutex> lock(st->mu);
        auto it = st->credit.find(s);
        if (it != st->credit.end()) it->second += std::max<std::int32_t>(n, 0);
        st->cv.notify_all();
      },
      [=](leave_atom) {
        auto s = caf::actor_cast<caf::actor>(self->current_sender());
        std::lock_guard<std::mutex> lock(st->mu);
        st->credit.erase(s);
        st->cv.notify_all();
      },
  };
}

}  // namespace

sink_hub::sink_hub(caf::actor_system& sys, actor_sink_options o)
    : state_(std::make_shared<state>()) {
  state_->o = std::move(o);
  gateway_ = sys.spawn(sink_gateway_behavior, state_);
}

sink_hub::~sink_hub() {
  caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
}

caf::actor sink_hub::gateway() const {
  return gateway_;
}

std::int32_t sink_hub::wait_for_credit() {
  auto& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  for (;;) {
    std::int64_t least = -1;
    for (const auto& [sub, c] : s.credit) least = least < 0 ? c : std::min(least, c);
    if (least > 0) return static_cast<std::int32_t>(std::min<std::int64_t>(least, 1 << 30));
    s.cv.wait_for(lock, std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    if (s.o.credit_timeout.count() > 0 && now - start >= s.o.credit_timeout)
      throw std::runtime_error(s.o.name + ": no " +
                               (s.credit.empty() ? std::string("subscriber")
                                                 : std::string("credit from its subscribers")) +
                               " within " + std::to_string(s.o.credit_timeout.count()) + " ms");
    if (now - last_log >= std::chrono::seconds(10)) {
      eddy::log().warn("{}: waiting for {}", s.o.name,
                       s.credit.empty()
                           ? std::string("a subscriber")
                           : std::to_string(s.credit.size()) + " subscriber(s) to give credit");
      last_log = now;
    }
  }
}

void sink_hub::send(const std::string& blob, std::int32_t count, std::int32_t subtask,
                    std::uint64_t first_seq) {
  std::vector<caf::actor> to;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto& [sub, c] : state_->credit) {
      c -= count;
      to.push_back(sub);
    }
  }
  for (const auto& sub : to)
    caf::anon_send(sub, batch_atom::value, blob, count, subtask, first_seq);
}

void sink_hub::finished(int parallelism) {
  std::vector<caf::actor> to;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (++state_->finished < parallelism || state_->ended) return;
    state_->ended = true;
    for (const auto& [sub, c] : state_->credit) to.push_back(sub);
  }
  for (const auto& sub : to) caf::anon_send(sub, end_atom::value);
}

const actor_sink_options& sink_hub::options() const {
  return state_->o;
}

}  // namespace eddy::actors::detail
