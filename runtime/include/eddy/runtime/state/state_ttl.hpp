#pragma once
/// Time-to-live of keyed state values (Flink's StateTtlConfig), given when a state is first used
/// (keyed_state_backend.hpp, or an operator's context). Plain values: use from any thread.
/// build() throws std::invalid_argument on a ttl that is not positive; nothing else throws.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace eddy {

// ---- state TTL ------------------------------------------------------------------------------

/// When the last-access time of a value with TTL is refreshed (Flink's StateTtlConfig.UpdateType).
enum class ttl_update_type {
  on_create_and_write,  ///< when the value is created or written (default)
  on_read_and_write,    ///< also when it is read
};

/// Whether an expired value may still be returned (Flink's StateTtlConfig.StateVisibility).
enum class ttl_visibility {
  never_return_expired,              ///< an expired value is never returned (default)
  return_expired_if_not_cleaned_up,  ///< returned if not removed yet; that read removes it
};

/// Time-to-live of a state's values (Flink's StateTtlConfig, processing time only):
///   auto ttl = state_ttl_config::new_builder(std::chrono::minutes(10))
///                  .set_update_type(ttl_update_type::on_read_and_write)
///                  .set_state_visibility(ttl_visibility::never_return_expired)
///                  .build();
///   auto seen = ctx.value_state<bool>("seen", ttl);
/// A value whose last access (see ttl_update_type) is `ttl` or longer ago is expired.
class state_ttl_config {
 public:
  class builder;
  /// Starts a configuration; `ttl` must be positive (build() throws std::invalid_argument).
  [[nodiscard]] static builder new_builder(std::chrono::milliseconds ttl);

  [[nodiscard]] std::chrono::milliseconds ttl() const noexcept { return ttl_; }
  [[nodiscard]] ttl_update_type update_type() const noexcept { return update_; }
  [[nodiscard]] ttl_visibility state_visibility() const noexcept { return visibility_; }
  /// Entries the incremental cleanup visits per call (per operator tick).
  [[nodiscard]] std::size_t cleanup_size() const noexcept { return cleanup_size_; }
  friend bool operator==(const state_ttl_config&, const state_ttl_config&) = default;

 private:
  std::chrono::milliseconds ttl_{0};
  ttl_update_type update_ = ttl_update_type::on_create_and_write;
  ttl_visibility visibility_ = ttl_visibility::never_return_expired;
  std::size_t cleanup_size_ = 1000;
};

class state_ttl_config::builder {
 public:
  explicit builder(std::chrono::milliseconds ttl) { cfg_.ttl_ = ttl; }
  builder& set_update_type(ttl_update_type t) {
    cfg_.update_ = t;
    return *this;
  }
  builder& update_ttl_on_create_and_write() {
    return set_update_type(ttl_update_type::on_create_and_write);
  }
  builder& update_ttl_on_read_and_write() {
    return set_update_type(ttl_update_type::on_read_and_write);
  }
  builder& set_state_visibility(ttl_visibility v) {
    cfg_.visibility_ = v;
    return *this;
  }
  builder& never_return_expired() {
    return set_state_visibility(ttl_visibility::never_return_expired);
  }
  builder& return_expired_if_not_cleaned_up() {
    return set_state_visibility(ttl_visibility::return_expired_if_not_cleaned_up);
  }
  builder& set_ttl(std::chrono::milliseconds ttl) {
    cfg_.ttl_ = ttl;
    return *this;
  }
  /// Entries the background cleanup visits per state and operator tick (at least 1; default
  /// 1000). Flink's cleanupIncrementally(size, false), run on processing-time ticks.
  builder& cleanup_incrementally(std::size_t entries_per_tick) {
    cfg_.cleanup_size_ = std::max<std::size_t>(1, entries_per_tick);
    return *this;
  }
  /// The configuration. Throws std::invalid_argument if the ttl is not positive.
  [[nodiscard]] state_ttl_config build() const {
    if (cfg_.ttl_.count() <= 0)
      throw std::invalid_argument("state TTL must be positive, got " +
                                  std::to_string(cfg_.ttl_.count()) + " ms");
    return cfg_;
  }

 private:
  state_ttl_config cfg_;
};

inline state_ttl_config::builder state_ttl_config::new_builder(std::chrono::milliseconds ttl) {
  return builder(ttl);
}

}  // namespace eddy
