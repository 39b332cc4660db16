// Writes the fuzzers' seed corpora with Eddy's own encoders (serialize, batch codecs,
// encode_snapshot and the state helpers, the job JSON writers), so that the seeds are valid
// inputs the fuzzers mutate from:
//   make_fuzz_corpus DIR      writes DIR/<target>/seed-* (DIR is normally tests/fuzz/corpus)
// Seeds are small and deterministic; rerun after changing fuzz_types.hpp or a format. It also
// writes the hand-made crash-* inputs of fixed bugs (crash_inputs below); other crash-* files
// (fuzzer artifacts kept as regressions) are not touched.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eddy/runtime/batch_codec.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state_snapshot.hpp"
#include "fuzz_types.hpp"
#include "job_spec.hpp"
#include "mqtt_wal.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::fuzz;

namespace {

std::size_t files_written = 0;

void write_file(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  ++files_written;
}

std::string with_selector(std::size_t selector, std::string_view bytes) {
  std::string out(1, static_cast<char>(selector));
  out.append(bytes);
  return out;
}

// ---- sample values of each type ---------------------------------------------------------------

template <class T>
std::vector<T> sample_values() {
  if constexpr (std::is_same_v<T, bool>) {
    return {false, true};
  } else if constexpr (std::is_floating_point_v<T>) {
    return {T{0}, T{-0.0}, T{21.5}, std::numeric_limits<T>::infinity(),
            std::numeric_limits<T>::quiet_NaN()};
  } else if constexpr (std::is_integral_v<T>) {
    return {T{0}, T{1}, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()};
  } else if constexpr (std::is_enum_v<T>) {
    using U = std::underlying_type_t<T>;
    return {T{}, static_cast<T>(U{1}), static_cast<T>(std::numeric_limits<U>::max())};
  } else {
    return {T{}};
  }
}

template <>
std::vector<std::string> sample_values() {
  return {"", "sensor-7", std::string("nul\0inside", 10), std::string(200, 'x')};
}
template <>
std::vector<std::vector<std::int32_t>> sample_values() {
  return {{}, {1, -2, 300000}};
}
template <>
std::vector<std::vector<bool>> sample_values() {
  return {{}, {true, false, true}};
}
template <>
std::vector<std::vector<std::string>> sample_values() {
  return {{}, {"a", "", "a few words"}};
}
template <>
std::vector<std::vector<flat_point>> sample_values() {
  return {{}, {{1, 2.5}, {-3, -4.25}}};
}
template <>
std::vector<std::vector<std::vector<std::int8_t>>> sample_values() {
  return {{{1, 2}, {}, {-3}}};
}
template <>
std::vector<std::array<std::string, 2>> sample_values() {
  return {{"left", "right"}};
}
template <>
std::vector<std::pair<std::int32_t, std::string>> sample_values() {
  return {{7, "seven"}};
}
template <>
std::vector<std::tuple<std::int8_t, double, std::string>> sample_values() {
  return {{-1, 0.5, "t"}};
}
template <>
std::vector<std::optional<std::string>> sample_values() {
  return {std::nullopt, "here"};
}
template <>
std::vector<std::optional<std::optional<std::int32_t>>> sample_values() {
  return {std::nullopt, std::optional<std::int32_t>{}, std::optional<std::int32_t>{5}};
}
template <>
std::vector<std::variant<std::monostate, std::int32_t, std::string>> sample_values() {
  return {std::monostate{}, 42, std::string("alt")};
}
template <>
std::vector<std::map<std::string, std::int64_t>> sample_values() {
  return {{}, {{"a", 1}, {"b", -2}}};
}
template <>
std::vector<std::unordered_map<std::int32_t, std::string>> sample_values() {
  return {{{1, "one"}, {2, "two"}}};
}
template <>
std::vector<std::set<std::int32_t>> sample_values() {
  return {{3, 1, 2}};
}
template <>
std::vector<std::unordered_set<std::string>> sample_values() {
  return {{"x", "y"}};
}
template <>
std::vector<std::chrono::milliseconds> sample_values() {
  return {std::chrono::milliseconds(1500)};
}
template <>
std::vector<std::chrono::system_clock::time_point> sample_values() {
  return {std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
}
template <>
std::vector<flat_point> sample_values() {
  return {{9, 1.25}};
}
template <>
std::vector<station> sample_values() {
  station s;
  s.name = "north";
  s.c = colour::green;
  s.points = {{1, 1.5}, {2, 2.5}};
  s.counters = std::map<std::string, std::int32_t>{{"ok", 3}, {"bad", 1}};
  s.tag = std::string("roof");
  return {station{}, s};
}
template <>
std::vector<std::vector<std::monostate>> sample_values() {
  return {std::vector<std::monostate>(3)};
}
template <>
std::vector<std::vector<std::tuple<>>> sample_values() {
  return {std::vector<std::tuple<>>(2)};
}
template <>
std::vector<std::vector<std::vector<std::monostate>>> sample_values() {
  return {{std::vector<std::monostate>(2), {}}};
}
template <>
std::vector<std::map<std::monostate, std::vector<std::int32_t>>> sample_values() {
  return {{{std::monostate{}, {4, 5}}}};
}
template <>
std::vector<std::vector<std::pair<std::string, std::int64_t>>> sample_values() {
  return {{{"k1", 10}, {"k2", -20}}};
}

// ---- corpora ----------------------------------------------------------------------------------

void serializer_corpus(const fs::path& dir) {
  std::size_t index = 0;
  auto one = [&]<class Entry>() {
    using T = typename Entry::type;
    std::size_t k = 0;
    for (const T& v : sample_values<T>())
      write_file(dir, "seed-" + std::to_string(index) + "-" + std::to_string(k++),
                 with_selector(index, serialize(v)));
  };
  for (index = 0; index < serializer_types::size; ++index)
    with_entry(serializer_types{}, index, one);
}

void batch_codec_corpus(const fs::path& dir) {
  std::size_t index = 0;
  auto one = [&]<class Entry>() {
    using T = typename Entry::type;
    const auto codec = make_batch_codec<T>();
    auto values = sample_values<T>();
    batch<T> empty;
    batch<T> stamped(values);
    for (std::size_t i = 0; i < values.size(); ++i)
      stamped.timestamps.push_back(1000 * static_cast<std::int64_t>(i));
    batch<T> unstamped(values);
    const std::string i = std::to_string(index);
    write_file(dir, "seed-" + i + "-empty", with_selector(index, codec->encode(empty)));
    write_file(dir, "seed-" + i + "-stamped", with_selector(index, codec->encode(stamped)));
    write_file(dir, "seed-" + i + "-unstamped-misaligned",
               with_selector(index | 0x80, codec->encode(unstamped)));
  };
  for (index = 0; index < batch_record_types::size; ++index)
    with_entry(batch_record_types{}, index, one);
}

operator_snapshot snapshot_header(const std::string& uid, int subtask, int parallelism) {
  operator_snapshot s;
  s.header.checkpoint_id = 7;
  s.header.operator_uid = uid;
  s.header.operator_name = "op " + uid;
  s.header.subtask = subtask;
  s.header.parallelism = parallelism;
  s.header.max_parallelism = 128;
  return s;
}

void snapshot_corpus(const fs::path& dir) {
  std::vector<std::pair<std::string, operator_snapshot>> snaps;
  {  // operator state, a watermark and the runtime's counters
    auto s = snapshot_header("count", 0, 1);
    put_operator_value(s.entries, "seen", std::int64_t{12345});
    put_operator_value(s.entries, "names", std::vector<std::string>{"a", "b"});
    put_watermark(s.entries, "wm", 99000);
    s.entries.push_back(
        state_entry{"__counters", -1, "counters", serialize(std::vector<std::uint64_t>{10, 9, 1})});
    snaps.emplace_back("operator-state", std::move(s));
  }
  {  // keyed state in several key groups
    auto s = snapshot_header("sum", 1, 2);
    std::unordered_map<std::string, std::int64_t> sums{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
    put_keyed_map<std::string, std::int64_t>(s.entries, "sums", sums, 128);
    std::map<std::int64_t, std::vector<double>> series{{1, {0.5, 1.5}}, {2, {}}};
    put_keyed_map<std::int64_t, std::vector<double>>(s.entries, "series", series, 128);
    snaps.emplace_back("keyed-state", std::move(s));
  }
  {  // a finished subtask, broadcast and union state
    auto s = snapshot_header("src", 0, 2);
    s.entries.push_back(state_entry{"__finished", -1, "finished", {}});
    put_operator_value(s.entries, "__broadcast:rules", std::vector<std::string>{"r1"});
    put_operator_value(s.entries, "__union:offsets", std::uint64_t{77});
    snaps.emplace_back("finished", std::move(s));
  }
  {  // an entry large enough to be referenced by the message instead of copied
    auto s = snapshot_header("big", 0, 1);
    put_operator_value(s.entries, "blob", std::vector<std::string>{std::string(5000, 'z')});
    snaps.emplace_back("large-entry", std::move(s));
  }
  snaps.emplace_back("empty", snapshot_header("", 0, 1));
  for (const auto& [name, s] : snaps) {
    const std::string blob = encode_snapshot(s);
    const auto parallelism = static_cast<unsigned>(s.header.parallelism);
    const auto mode = static_cast<unsigned>(((parallelism - 1) << 1) | (s.header.subtask << 4));
    // Mode bit 0 set: the payload only (the target frames it); clear: the whole blob.
    write_file(dir, "seed-" + name, with_selector(mode | 1, std::string_view(blob).substr(16)));
    write_file(dir, "seed-" + name + "-framed", with_selector(mode, blob));
  }
}

void job_spec_corpus(const fs::path& dir) {
  detail::job_spec spec;
  spec.program = "sensors";
  spec.args = {"--input", "in.csv", "--output", "out.csv", "--parallelism", "2"};
  write_file(dir, "seed-spec", detail::to_json(spec));
  spec.program = "squares";
  spec.args = {};
  spec.lib_name = "libeddy_squares.so";
  spec.lib_hash = std::string(64, 'a');
  spec.restore_from = "/tmp/savepoints/sp-1";
  spec.job_id = "job-3";
  write_file(dir, "seed-spec-library", detail::to_json(spec));

  job_result r;
  r.job_name = "wordcount";
  r.state = job_state::finished;
  r.wall_time = std::chrono::milliseconds(1234);
  write_file(dir, "seed-result-minimal", detail::to_json(r));
  r.operators.push_back(operator_metrics{"source", 1, 2, 0, 100, 0});
  r.operators.push_back(operator_metrics{"window", 2, 2, 100, 10, 3});
  subtask_metrics m;
  m.task = "source -> map";
  m.index = 1;
  m.records_out = 100;
  m.watermark = 5000;
  m.state = job_state::running;
  m.credits_per_channel = 8;
  r.subtasks.push_back(m);
  r.checkpoints.push_back(
      checkpoint_stats{4, 1700000000000, std::chrono::milliseconds(12), 4096, "/tmp/sp"});
  r.failure = error{errc::job_failed, "operator 'window' subtask 2 failed: boom"};
  r.state = job_state::failed;
  r.aborted_checkpoints = 1;
  r.restarts = 2;
  r.restored_checkpoint = 3;
  write_file(dir, "seed-result-full", detail::to_json(r));
}

void sensors_csv_corpus(const fs::path& dir) {
  write_file(dir, "seed-readings",
             "device_id,ts_ms,temperature\n"
             "d1,1000,21.5\n"
             "d2,1500,-3\n"
             "d1,12000,85.25\n"
             "d3,9999,1e2\n");
  write_file(dir, "seed-malformed",
             "d1,1000\n"
             ",1000,20\n"
             "d1,abc,20\n"
             "d1,1000,nan\n"
             "d1,1000,20,extra\n"
             "d1,-5,inf\r\n"
             "d1,9223372036854775807,1\n");
  write_file(dir, "seed-crlf", "device_id,ts_ms,temperature\r\nd9,0,0.001\r\n");
}

/// mqtt_payload_fuzz's input: topic length, qos (| 0x80 for retain), message id (LE), topic,
/// payload.
std::string mqtt_message(std::string_view topic, std::string_view payload, std::uint8_t qos,
                         bool retain, std::uint16_t mid) {
  std::string out;
  out += static_cast<char>(topic.size());
  out += static_cast<char>(qos | (retain ? 0x80 : 0));
  out += static_cast<char>(mid & 0xff);
  out += static_cast<char>(mid >> 8);
  out.append(topic);
  out.append(payload);
  return out;
}

void mqtt_payload_corpus(const fs::path& dir) {
  const std::string_view topic = "sensors/dev-001";
  const std::string_view reading =
      R"({"device_id":"dev-001","ts_ms":1700000000123,"temperature":71.3})";
  write_file(dir, "seed-reading", mqtt_message(topic, reading, 1, false, 1));
  write_file(
      dir, "seed-malformed",
      mqtt_message(topic, R"({"device_id":"dev-001","ts_ms":"soon","temperature":)", 1, true, 2));
  write_file(dir, "seed-empty", mqtt_message(topic, "", 0, false, 0));
  // The whole input is also decoded as a log record: one as the write-ahead log stores it.
  mqtt::detail::wal_record r;
  r.topic = topic;
  r.payload = reading;
  r.qos = 2;
  r.mid = 65535;
  write_file(dir, "seed-wal-record", mqtt::detail::encode(r));
}

/// Inputs of fixed bugs that were built by hand rather than found as files (the fuzzers' own
/// crash artifacts are copied into the corpus as they are). The unit test
/// tests/unit/runtime/decoder_robustness_test.cpp replays the same inputs.
void crash_inputs(const fs::path& root) {
  std::string nested;  // 1000 vectors declaring a million std::monostate each
  byte_writer w(nested);
  w.write_varint(1000);
  for (int i = 0; i < 1000; ++i) w.write_varint(1'000'000);
  std::size_t index = 0;
  for (std::size_t i = 0; i < serializer_types::size; ++i)
    with_entry(serializer_types{}, i, [&]<class Entry>() {
      if (std::is_same_v<typename Entry::type, std::vector<std::vector<std::monostate>>>) index = i;
    });
  write_file(root / "serializer", "crash-nested-zero-size-vectors", with_selector(index, nested));

  std::size_t big = 0;  // an empty batch of 2 KB records claiming 65536 of them
  for (std::size_t i = 0; i < batch_record_types::size; ++i)
    with_entry(batch_record_types{}, i, [&]<class Entry>() {
      if (std::is_same_v<typename Entry::type, std::array<double, 256>>) big = i;
    });
  write_file(root / "batch_codec", "crash-batch-count-without-records",
             with_selector(big, encode_wire_batch(65536, "", {})));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (normally tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  try {
    const fs::path root = argv[1];
    serializer_corpus(root / "serializer");
    batch_codec_corpus(root / "batch_codec");
    snapshot_corpus(root / "snapshot");
    job_spec_corpus(root / "job_spec");
    sensors_csv_corpus(root / "sensors_csv");
    mqtt_payload_corpus(root / "mqtt_payload");
    crash_inputs(root);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fuzz_corpus: %s\n", e.what());
    return 1;
  }
  std::printf("make_fuzz_corpus: wrote %zu seed files under %s\n", files_written, argv[1]);
  return 0;
}
