#pragma once
// The MQTT source's redelivery filter (mqtt_source.hpp): recognises the QoS 1/2 messages a
// broker sends again after a reconnect, which the source logged before (their PUBACK was lost
// with the connection, the broker, or the process).
//
// MQTT (3.1.1 section 4.4, 5.0 section 4.4) resends unacknowledged PUBLISH packets only when a
// session resumes, with their original packet ids, in their original order, before anything
// new of the session (mosquitto: the session's inflight list, then its queue). So the source arms
// the filter when the broker resumed the session (the CONNACK's session-present flag; a new
// session has nothing to resend), and it drops messages while their fingerprint (id, topic,
// payload) is one of the newest `window` logged; the first message that is not ends the
// redelivery phase until the next resumed session. Outside that phase nothing is dropped, so a
// broker that reuses ids early (and a sensor that repeats its payload) loses nothing.
//
// The window is 65,535 fingerprints, the most packets a session can have unacknowledged (ids
// are 16-bit, nonzero). A smaller one is not safe: mosquitto 2.0.11, stopped and started again
// in the broker-restart test, resent up to 1,175 messages the job had logged (its
// max_inflight_messages of 20 notwithstanding), more than the 1,024 this filter once kept.
//
// Not thread-safe: libmosquitto's thread calls everything but the constructor and load().
#include <cstdint>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace eddy::mqtt::detail {

/// The fingerprint of a QoS 1/2 message: a 64-bit hash of its packet id, topic and payload.
std::uint64_t message_fingerprint(std::uint16_t mid, std::string_view topic,
                                  std::string_view payload);

class redelivery_filter {
 public:
  static constexpr std::size_t default_window = 65535;

  explicit redelivery_filter(std::size_t window = default_window);

  /// The newest logged fingerprints, oldest first (from the log, at the start).
  void load(const std::vector<std::uint64_t>& fingerprints);
  /// A session was resumed: what arrives first may be redeliveries.
  void arm() {
    armed_ = true;
    dropped_in_phase_ = 0;
  }
  /// True if the message is a redelivery to drop (counted); false ends the redelivery phase.
  bool is_redelivery(std::uint64_t fingerprint);
  /// A message that was logged (after is_redelivery said false).
  void remember(std::uint64_t fingerprint);

  [[nodiscard]] bool armed() const { return armed_; }
  /// Redeliveries dropped since the last arm().
  [[nodiscard]] std::uint64_t dropped_in_phase() const { return dropped_in_phase_; }
  /// Redeliveries dropped in all.
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  std::size_t window_;
  std::vector<std::uint64_t> ring_;  // the newest fingerprints; the oldest at head_
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> count_;  // fingerprint -> copies in ring_
  bool armed_ = false;
  std::uint64_t dropped_in_phase_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace eddy::mqtt::detail
