// The checkpoint format of keyed state and timers, pinned byte for byte: a snapshot of one value
// state and one event-time timer must encode exactly as it did when these bytes were recorded
// (state entry names, type tags, row encoding and the snapshot blob), and the recorded blob must
// restore. A failure here means checkpoints written by an earlier build no longer restore.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/timer_service.hpp"

namespace {

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

// Recorded with the keyed state backend and timer service as they were in
// operators/include/eddy/operators/keyed_state.hpp, before they moved to runtime/state/.
constexpr std::string_view value_rows_hex = "0105616c696365012a000000000000000000000000000000";
constexpr std::string_view timer_rows_hex = "0100881300000000000005616c696365";
constexpr std::string_view blob_hex =
    "454453311dd258b25801000000000000000000002a00000000000000030003000100000000000000"
    "07000000000000000100000080000000090000005a0000000d0000003a0000000d00000047000000"
    "70696e6e65642d75696400000000000070696e6e6564000008000000010003003900000000000000"
    "190000003200000019000000f200000025000000c20000003900000000000000290000004a000000"
    "2d000000c20200005500000082000000636f756e740000006b657965645f73746174653a76616c75"
    "655f73746174653c6c6f6e673e0000000105616c696365012a000000000000000000000000000000"
    "5f5f74696d657273000000000000000074696d6572733c7374643a3a5f5f63787831313a3a626173"
    "69635f737472696e673c636861722c207374643a3a636861725f7472616974733c636861723e2c20"
    "7374643a3a616c6c6f6361746f723c636861723e203e3e000100881300000000000005616c696365";

/// The snapshot: key "alice" holds count = 42 (no TTL) and an event-time timer at 5000.
eddy::operator_snapshot pinned_snapshot(bool async) {
  eddy::keyed_state_backend<std::string> backend(128, 1, 0, [] { return std::int64_t{1000}; });
  eddy::timer_service<std::string> timers;
  const std::string key = "alice";
  backend.set_current_key(key);
  backend.get_value_state<std::int64_t>("count").update(42);
  timers.register_event_time_timer(key, 5000);
  eddy::operator_snapshot snap;
  snap.header = {7, "pinned-uid", "pinned", 0, 1, 128};
  if (async) {
    auto later = backend.snapshot_later(snap.entries);
    REQUIRE(later);
    later(snap.entries);
  } else {
    backend.snapshot(snap.entries);
  }
  timers.snapshot(128, snap.entries);
  return snap;
}

}  // namespace

TEST_CASE("state format: a value state and a timer snapshot to the pinned bytes", "[state]") {
  for (bool async : {false, true}) {
    INFO("async: " << async);
    const auto snap = pinned_snapshot(async);
    REQUIRE(snap.entries.size() == 2);
    const auto& value = snap.entries[0];
    const auto& timer = snap.entries[1];
    const int group = eddy::key_group_of(eddy::key_hash(std::string("alice")), 128);
    CHECK(value.name == "count");
    CHECK(value.key_group == group);
    CHECK(value.type == "keyed_state:value_state<long>");
    CHECK(to_hex(value.data) == value_rows_hex);
    CHECK(timer.name == "__timers");
    CHECK(timer.key_group == group);
    CHECK(
        timer.type ==
        "timers<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >>");
    CHECK(to_hex(timer.data) == timer_rows_hex);
    CHECK(to_hex(eddy::encode_snapshot(snap)) == blob_hex);
  }
}

TEST_CASE("state format: the pinned blob restores the value state and the timer", "[state]") {
  auto decoded = eddy::decode_snapshot(from_hex(blob_hex), "the pinned blob");
  REQUIRE(decoded.has_value());
  // Restored at another parallelism (2), into the subtask that owns the key's key group.
  eddy::timer_service<std::string> timers;
  const int group = eddy::key_group_of(eddy::key_hash(std::string("alice")), 128);
  const int owner = eddy::subtask_of_key_group(group, 128, 2);
  eddy::keyed_state_backend<std::string> owner_backend(128, 2, owner,
                                                       [] { return std::int64_t{1000}; });
  owner_backend.restore(decoded->entries);
  timers.restore(decoded->entries);
  const std::string key = "alice";
  owner_backend.set_current_key(key);
  const auto& v = owner_backend.get_value_state<std::int64_t>("count").value();
  REQUIRE(v.has_value());
  CHECK(*v == 42);
  CHECK(timers.event_time_timer_count() == 1);
  CHECK(timers.next_event_time_timer() == std::optional<std::int64_t>(5000));
  CHECK(timers.processing_time_timer_count() == 0);
}
