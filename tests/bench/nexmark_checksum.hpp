#pragma once
// The checksum of eddy-bench nexmark (nexmark_bench.cpp, nexmark_datastream.cpp): a multiset
// hash of a query's result rows, each row's values hashed in the sink's column order (stable
// across runs and machines), added for +I/+U and subtracted for -U/-D, so that an updating
// result checksums as its final rows. SQL's checksum sink and the DataStream jobs' sinks add
// into one process-wide total (one job runs at a time); sinks are called from their subtasks'
// threads.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace eddy::bench::nexmark_checksum {

inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Hashes a row's values in column order.
struct row_hasher {
  std::uint64_t h = 0x6a09e667f3bcc909ull;
  void add(std::uint64_t v) { h = mix(h ^ mix(v + 0x9e3779b97f4a7c15ull)); }
  void add(std::int64_t v) { add(static_cast<std::uint64_t>(v)); }
  void add_null() { add(std::uint64_t{0x5bd1e9955bd1e995ull}); }
  void add(std::string_view s) {
    std::uint64_t f = 0xcbf29ce484222325ull;  // FNV-1a
    for (unsigned char c : s) f = (f ^ c) * 0x100000001b3ull;
    add(f ^ s.size());
  }
};

/// One row's hash from its values (int64 / uint64 / string_view), in column order.
template <class... V>
std::uint64_t hash_values(const V&... v) {
  row_hasher h;
  (h.add(v), ...);
  return h.h;
}

/// Rows added minus rows retracted, and their hashes likewise.
struct totals_t {
  std::atomic<std::int64_t> rows{0};
  std::atomic<std::uint64_t> hash{0};
  void reset() {
    rows = 0;
    hash = 0;
  }
  [[nodiscard]] std::string text() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld:%016llx", static_cast<long long>(rows.load()),
                  static_cast<unsigned long long>(hash.load()));
    return buf;
  }
};

inline totals_t& totals() {
  static totals_t t;
  return t;
}

/// A DataStream sink of row hashes (add_sink): sums per subtask, adds at the end.
struct sum_sink {
  std::int64_t rows = 0;
  std::uint64_t hash = 0;
  void operator()(std::uint64_t h) {
    ++rows;
    hash += h;
  }
  void close() {
    totals().rows += rows;
    totals().hash += hash;
  }
};

}  // namespace eddy::bench::nexmark_checksum
