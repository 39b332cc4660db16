// The Kafka source's split enumerator (kafka_source.hpp): lists the partitions of the topics
// (or of the topics matching the pattern) and resolves where each starts and, bounded, stops.
// Runs on the enumerator's actor (its own thread): the metadata and offset requests block it.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/runtime/log.hpp"
#include "kafka_client.hpp"
#include "kafka_splits.hpp"

namespace eddy::kafka::detail {

std::string split_id(const partition_id& p) {
  return p.first + "/" + std::to_string(p.second);
}

std::optional<partition_id> parse_split_id(const std::string& id) {
  const auto slash = id.rfind('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  std::int32_t partition = 0;
  const char* end = id.data() + id.size();
  auto [p, ec] = std::from_chars(id.data() + slash + 1, end, partition);
  if (ec != std::errc{} || p != end || partition < 0) return std::nullopt;
  return partition_id{id.substr(0, slash), partition};
}

std::string encode_offsets(const split_offsets& o) {
  return std::to_string(o.next) + " " + std::to_string(o.stop);
}

std::optional<split_offsets> decode_offsets(const std::string& data) {
  split_offsets o;
  const char* end = data.data() + data.size();
  auto [p, ec] = std::from_chars(data.data(), end, o.next);
  if (ec != std::errc{} || p == end || *p != ' ') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, o.stop);
  if (ec2 != std::errc{} || q != end) return std::nullopt;
  return o;
}

namespace {

constexpr auto request_timeout = std::chrono::milliseconds(2000);
constexpr auto enumerator_warn_every = std::chrono::seconds(10);
using clock_type = std::chrono::steady_clock;

/// Java's String.hashCode, as Flink's KafkaSourceEnumerator uses it.
std::int32_t java_hash(const std::string& s) {
  std::uint32_t h = 0;
  for (unsigned char c : s) h = 31 * h + c;
  return static_cast<std::int32_t>(h);
}

class kafka_enumerator final : public split_enumerator {
 public:
  explicit kafka_enumerator(source_options o) : o_(std::move(o)) {
    if (!o_.topic_pattern.empty()) {
      try {
        pattern_.emplace(o_.topic_pattern);
      } catch (const std::regex_error& e) {
        throw std::invalid_argument(what() + ": pattern '" + o_.topic_pattern +
                                    "' is not a regular expression: " + e.what());
      }
    }
  }
  ~kafka_enumerator() override {
    if (rk_) rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }

  std::optional<std::vector<std::string>> discover(bool initial) override {
    if (!rk_) {
      auto conf = make_conf(
          what(), o_.bootstrap_servers,
          {{"group.id", o_.group.empty() ? "eddy" : o_.group}, {"enable.auto.commit", "false"}},
          o_.properties);
      rk_ = make_client(what(), RD_KAFKA_CONSUMER, std::move(conf));
    }
    auto all = list_partitions();
    if (!all) return std::nullopt;
    // A fresh start reads its first partitions from `start`; later ones, and those a restored
    // checkpoint did not know, from the earliest offset (as Flink does).
    std::vector<partition_id> fresh;
    for (const auto& p : *all)
      if (!resolved_.count(split_id(p))) fresh.push_back(p);
    if (!fresh.empty() && !resolve(fresh, initial)) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& p : *all) ids.push_back(split_id(p));
    return ids;
  }
  [[nodiscard]] std::chrono::milliseconds discovery_interval() const override {
    return o_.bounded ? std::chrono::milliseconds(0) : o_.discovery_interval;
  }
  [[nodiscard]] int owner(const std::string& id, int parallelism) const override {
    const auto p = parse_split_id(id);
    return p ? partition_owner(p->first, p->second, parallelism) : 0;
  }
  [[nodiscard]] std::string split_data(const std::string& id) const override {
    auto it = resolved_.find(id);
    return it == resolved_.end() ? std::string() : encode_offsets(it->second);
  }

 private:
  [[nodiscard]] std::string what() const {
    return "kafka source enumerator (brokers " + o_.bootstrap_servers + ")";
  }
  void warn(const std::string& msg) {
    const auto now = clock_type::now();
    if (last_warning_ != clock_type::time_point{} && now - last_warning_ < enumerator_warn_every)
      return;
    last_warning_ = now;
    eddy::log().warn("{}: {}", what(), msg);
  }

  /// The partitions of the topics this source reads; nullopt (with a warning): retry later.
  /// Throws if a named topic does not exist.
  std::optional<std::vector<partition_id>> list_partitions() {
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(rk_, 1, nullptr, &md, static_cast<int>(request_timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      warn(std::string("waiting for the brokers (") + rd_kafka_err2str(err) + ")");
      return std::nullopt;
    }
    std::vector<partition_id> out;
    std::set<std::string> found;
    for (int t = 0; t < md->topic_cnt; ++t) {
      const auto& topic = md->topics[t];
      const std::string tn = topic.topic;
      bool wanted = false;
      if (pattern_)
        wanted = tn.rfind("__", 0) != 0 && std::regex_match(tn, *pattern_);
      else
        wanted = std::find(o_.topics.begin(), o_.topics.end(), tn) != o_.topics.end();
      if (!wanted || topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      found.insert(tn);
      for (int p = 0; p < topic.partition_cnt; ++p) out.emplace_back(tn, topic.partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    for (const auto& n : o_.topics)
      if (!found.count(n))
        throw std::runtime_error("topic '" + n + "' does not exist on " + o_.bootstrap_servers);
    return out;
  }

  /// Offsets of `ps` in one request per kind: `ts` -2 (earliest), -1 (latest) or a timestamp
  /// (the first offset at or after it, -1 if none); `committed`: the group's offsets (-1001 if
  /// none). False (with a warning): retry later.
  bool list_offsets(const std::vector<partition_id>& ps, std::int64_t ts, bool committed,
                    std::vector<std::int64_t>& out) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(ps.size()));
    for (const auto& p : ps)
      rd_kafka_topic_partition_list_add(list, p.first.c_str(), p.second)->offset = ts;
    const int timeout = static_cast<int>(request_timeout.count());
    auto err = committed ? rd_kafka_committed(rk_, list, timeout)
                         : rd_kafka_offsets_for_times(rk_, list, timeout);
    out.assign(ps.size(), -1);
    for (int i = 0; i < list->cnt && err == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      err = list->elems[i].err;
      out[static_cast<std::size_t>(i)] = list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    warn(std::string("waiting for the offsets of ") + std::to_string(ps.size()) +
         " partition(s) (" + rd_kafka_err2str(err) + ")");
    return false;
  }

  /// Where new partitions start (and, bounded, stop); false: retry later.
  bool resolve(const std::vector<partition_id>& ps, bool use_start) {
    std::vector<std::int64_t> lo, hi, start;
    if (!list_offsets(ps, RD_KAFKA_OFFSET_BEGINNING, false, lo) ||
        !list_offsets(ps, RD_KAFKA_OFFSET_END, false, hi))
      return false;
    if (use_start && o_.start == start_offset::committed &&
        !list_offsets(ps, RD_KAFKA_OFFSET_INVALID, true, start))
      return false;
    if (use_start && o_.start == start_offset::timestamp &&
        !list_offsets(ps, o_.start_timestamp, false, start))
      return false;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      split_offsets s;
      s.next = lo[i];
      if (o_.bounded) s.stop = hi[i];
      if (use_start) {
        switch (o_.start) {
          case start_offset::earliest:
            break;
          case start_offset::latest:
            s.next = hi[i];
            break;
          case start_offset::committed:  // none committed: from the earliest
            if (start[i] >= 0) s.next = std::max(lo[i], start[i]);
            break;
          case start_offset::timestamp:  // no message at or after the time: the end
            s.next = start[i] >= 0 ? std::max(lo[i], start[i]) : hi[i];
            break;
        }
      }
      if (s.stop >= 0 && s.next > s.stop) s.next = s.stop;
      resolved_[split_id(ps[i])] = s;
    }
    return true;
  }

  source_options o_;
  std::optional<std::regex> pattern_;
  rd_kafka_t* rk_ = nullptr;
  std::map<std::string, split_offsets> resolved_;  // by split id
  clock_type::time_point last_warning_{};
};

}  // namespace

int partition_owner(const std::string& topic, std::int32_t partition, int parallelism) {
  const auto start = static_cast<std::int64_t>(
                         (static_cast<std::uint32_t>(java_hash(topic)) * 31u) & 0x7FFFFFFFu) %
                     parallelism;
  return static_cast<int>((start + partition) % parallelism);
}

std::unique_ptr<split_enumerator> make_enumerator(const source_options& o) {
  return std::make_unique<kafka_enumerator>(o);
}

}  // namespace eddy::kafka::detail
