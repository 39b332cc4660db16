#include "eddy/runtime/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace eddy {

int latency_buckets::index_of(std::int64_t ns) noexcept {
  if (ns < (std::int64_t{1} << first_octave)) return 0;
  const auto v = static_cast<std::uint64_t>(ns);
  const int octave = std::bit_width(v) - 1;  // 2^octave <= v < 2^(octave+1)
  if (octave > last_octave) return count - 1;
  const auto within = static_cast<int>(((v - (std::uint64_t{1} << octave)) * sub) >> octave);
  return 1 + (octave - first_octave) * sub + within;
}

double latency_buckets::lower_ns(int index) noexcept {
  if (index <= 0) return 0;
  if (index >= count - 1) return std::ldexp(1.0, last_octave + 1);
  const int octave = first_octave + (index - 1) / sub;
  const int within = (index - 1) % sub;
  return std::ldexp(1.0, octave) * (1.0 + static_cast<double>(within) / sub);
}

double latency_buckets::upper_ns(int index) noexcept {
  if (index <= 0) return std::ldexp(1.0, first_octave);
  if (index >= count - 1) return std::ldexp(1.0, last_octave + 2);
  return lower_ns(index + 1);
}

std::uint64_t latency_histogram::total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

void latency_histogram::record(std::int64_t ns) {
  if (counts.empty()) counts.assign(latency_buckets::count, 0);
  ++counts[static_cast<std::size_t>(latency_buckets::index_of(ns))];
  sum_ns += static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
}

void latency_histogram::merge(const latency_histogram& other) {
  if (other.counts.empty()) return;
  if (counts.empty()) counts.assign(latency_buckets::count, 0);
  for (std::size_t i = 0; i < counts.size() && i < other.counts.size(); ++i)
    counts[i] += other.counts[i];
  sum_ns += other.sum_ns;
}

double latency_histogram::quantile(double q) const noexcept {
  const auto n = total();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted value among n sorted values (1-based, as a real number).
  const double rank = std::max(1.0, q * static_cast<double>(n));
  double seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double c = static_cast<double>(counts[i]);
    if (seen + c >= rank) {
      const int b = static_cast<int>(i);
      const double lo = latency_buckets::lower_ns(b), hi = latency_buckets::upper_ns(b);
      // The k-th of c values in the bucket sits at the middle of the k-th c-th of its range.
      return lo + (hi - lo) * std::clamp((rank - seen - 0.5) / c, 0.0, 1.0);
    }
    seen += c;
  }
  return latency_buckets::lower_ns(latency_buckets::count - 1);
}

double latency_histogram::mean() const noexcept {
  const auto n = total();
  return n == 0 ? 0 : static_cast<double>(sum_ns) / static_cast<double>(n);
}

}  // namespace eddy
