#include "mqtt_redelivery.hpp"

#include <functional>

namespace eddy::mqtt::detail {

std::uint64_t message_fingerprint(std::uint16_t mid, std::string_view topic,
                                  std::string_view payload) {
  const auto h = std::hash<std::string_view>{};
  return (h(topic) * 1'000'003u) ^ h(payload) ^ (static_cast<std::uint64_t>(mid) << 48);
}

redelivery_filter::redelivery_filter(std::size_t window) : window_(window == 0 ? 1 : window) {}

void redelivery_filter::load(const std::vector<std::uint64_t>& fingerprints) {
  for (const auto f : fingerprints) remember(f);
}

bool redelivery_filter::is_redelivery(std::uint64_t fingerprint) {
  if (!armed_) return false;
  if (count_.contains(fingerprint)) {
    ++dropped_in_phase_;
    ++dropped_;
    return true;
  }
  armed_ = false;
  return false;
}

void redelivery_filter::remember(std::uint64_t fingerprint) {
  if (ring_.size() < window_) {
    ring_.push_back(fingerprint);
    ++size_;
  } else {
    // Full: the oldest (at head_) leaves, the new one takes its slot.
    auto& oldest = ring_[head_];
    auto it = count_.find(oldest);
    if (--it->second == 0) count_.erase(it);
    oldest = fingerprint;
    head_ = (head_ + 1) % window_;
  }
  ++count_[fingerprint];
}

}  // namespace eddy::mqtt::detail
