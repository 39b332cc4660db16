#pragma once
// Inputs for the tests that run whole jobs through the `eddy` binary: word lists and sensor
// readings, deterministic for a seed.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace eddy::testing {

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

/// `lines` lines of 1 to 8 words "w<n>", n < vocabulary.
inline std::string words_text(int lines, std::uint32_t seed, std::uint32_t vocabulary = 2000) {
  std::mt19937 rng(seed);
  std::string text;
  for (int i = 0; i < lines; ++i) {
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int w = 0; w < n; ++w) {
      if (w) text += ' ';
      text += "w" + std::to_string(rng() % vocabulary);
    }
    text += '\n';
  }
  return text;
}

/// Input for the sensors sample: a header and `n` readings of 20 devices 40 ms apart, mostly in
/// order, 2% late by 15 s, 1% malformed lines.
inline std::string sensor_readings_csv(int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string csv = "device_id,ts_ms,temperature\n";
  std::int64_t t = 0;
  for (int i = 0; i < n; ++i) {
    t += 40;
    const auto dev = "d" + std::to_string(rng() % 20);
    const int kind = static_cast<int>(rng() % 100);
    if (kind == 0) {
      csv += "garbage," + std::to_string(i) + "\n";
    } else {
      const std::int64_t ts = kind < 3 ? t - 15000 : t - static_cast<std::int64_t>(rng() % 1500);
      csv += dev + "," + std::to_string(ts) + "," + std::to_string(60 + rng() % 40) + "." +
             std::to_string(rng() % 10) + "\n";
    }
  }
  return csv;
}

/// The arguments of `eddy run sensors` (without "run") reading `input` and writing the four
/// outputs (windows, late, alerts, dead) under `dir`.
inline std::vector<std::string> sensors_args(const std::filesystem::path& input,
                                             const std::filesystem::path& dir, int parallelism) {
  return {"sensors",
          "--input",
          input.string(),
          "--output",
          (dir / "windows").string(),
          "--late",
          (dir / "late").string(),
          "--alerts",
          (dir / "alerts").string(),
          "--dead-letter",
          (dir / "dead").string(),
          "-p",
          std::to_string(parallelism)};
}

/// The sensors job's JSON message for a CSV reading line (a malformed line stays as it is):
/// "dev,123,71.0" -> {"device_id":"dev","ts_ms":123,"temperature":71.0}.
inline std::string sensor_reading_json(const std::string& line) {
  const auto c1 = line.find(',');
  const auto c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string::npos) return line;
  return "{\"device_id\":\"" + line.substr(0, c1) +
         "\",\"ts_ms\":" + line.substr(c1 + 1, c2 - c1 - 1) +
         ",\"temperature\":" + line.substr(c2 + 1) + "}";
}

}  // namespace eddy::testing
