#pragma once
// Internal: the bookkeeping of a source's split enumerator actor (split_enumerator.hpp), without
// the actor: which splits are known, which wait for a reader, which readers wait for a split.
// Every call says what to send to the readers in an `outbox`. Not thread-safe: owned by the
// enumerator's actor (and unit tests).
#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/split_enumerator.hpp"

namespace eddy::detail {

class split_assignment {
 public:
  /// What to tell the readers: reader index -> splits, and the readers told there are no more.
  struct outbox {
    std::map<int, std::vector<std::string>> splits;
    std::set<int> no_more;
    [[nodiscard]] bool empty() const { return splits.empty() && no_more.empty(); }
  };

  explicit split_assignment(int parallelism) : parallelism_(parallelism) {}

  /// A discovery listed `ids`: new ones go to their owner or wait for a reader's request.
  void discovered(const std::vector<std::string>& ids, const split_enumerator& e, outbox& out) {
    for (const auto& id : ids) {
      if (!known_.insert(id).second) continue;
      const int owner = e.owner(id, parallelism_);
      if (owner >= 0 && owner < parallelism_) {
        out.splits[owner].push_back(id);
        waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), owner), waiting_.end());
      } else {
        pending_.push_back(id);
      }
    }
    serve(out);
  }

  /// A bounded source's discovery is over: readers that wait (and ask later) hear of no more.
  void discovery_done(outbox& out) {
    final_ = true;
    serve(out);
  }

  /// Reader `index` asks for a split.
  void requested(int index, outbox& out) {
    if (std::find(waiting_.begin(), waiting_.end(), index) == waiting_.end())
      waiting_.push_back(index);
    serve(out);
  }

  [[nodiscard]] const std::deque<std::string>& pending() const noexcept { return pending_; }
  [[nodiscard]] std::size_t known() const noexcept { return known_.size(); }

  /// The state a checkpoint keeps: the known splits and the waiting ones (readers that wait are
  /// not state: restored readers without splits ask again).
  [[nodiscard]] std::string snapshot() const {
    std::tuple<std::vector<std::string>, std::vector<std::string>> st{
        {known_.begin(), known_.end()}, {pending_.begin(), pending_.end()}};
    return serialize(st);
  }
  /// Restores a snapshot(); throws std::runtime_error if it does not decode.
  void restore(std::string_view data) {
    std::tuple<std::vector<std::string>, std::vector<std::string>> st;
    std::string err;
    if (!deserialize(data, st, &err))
      throw std::runtime_error("the split enumerator's state does not decode: " + err);
    known_ = {std::get<0>(st).begin(), std::get<0>(st).end()};
    pending_ = {std::get<1>(st).begin(), std::get<1>(st).end()};
    waiting_.clear();
  }

 private:
  /// Gives waiting readers, first come first served, one waiting split each; once a bounded
  /// discovery is over and nothing waits, tells them there is no more.
  void serve(outbox& out) {
    while (!waiting_.empty() && !pending_.empty()) {
      out.splits[waiting_.front()].push_back(pending_.front());
      pending_.pop_front();
      waiting_.pop_front();
    }
    if (final_ && pending_.empty()) {
      for (int r : waiting_) out.no_more.insert(r);
      waiting_.clear();
    }
  }

  int parallelism_;
  bool final_ = false;
  std::set<std::string> known_;
  std::deque<std::string> pending_;
  std::deque<int> waiting_;
};

}  // namespace eddy::detail
