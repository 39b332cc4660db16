// The librdkafka side of the Kafka source's readers (kafka_source.hpp): the partitions the
// enumerator (kafka_enumerator.cpp) assigns, non-blocking consumption, checkpointed offsets.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <tuple>

#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/state_snapshot.hpp"
#include "kafka_client.hpp"
#include "kafka_splits.hpp"

namespace eddy::kafka {

std::optional<std::string_view> message_view::header(std::string_view name) const {
  if (!raw) return std::nullopt;
  rd_kafka_headers_t* hdrs = nullptr;
  auto* m = static_cast<rd_kafka_message_t*>(const_cast<void*>(raw));
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* v = nullptr;
  std::size_t size = 0;
  const std::string n(name);
  if (rd_kafka_header_get_last(hdrs, n.c_str(), &v, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return std::nullopt;
  return std::string_view(static_cast<const char*>(v), size);
}

namespace detail {

namespace {

constexpr const char* state_name = "__union:kafka-splits";
constexpr const char* state_type = "kafka_splits<v1>";
constexpr auto reader_warn_every = std::chrono::seconds(10);

using clock_type = std::chrono::steady_clock;

/// One partition this subtask reads.
struct split {
  std::int64_t next = 0;   // offset of the next message to emit
  std::int64_t stop = -1;  // bounded: stop before this offset; -1: never
  std::int64_t start = 0;  // `next` when this reader got the partition (for progress())
  [[nodiscard]] bool finished() const { return stop >= 0 && next >= stop; }
};

using wire_split = std::tuple<std::string, std::int32_t, std::int64_t, std::int64_t>;
using wire_state = std::vector<wire_split>;

}  // namespace

struct reader_core::impl {
  source_options o;
  std::string name;
  subtask_info info;
  source_waker waker;
  std::function<void()> request_split;
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  std::map<partition_id, split> splits;  // the partitions this subtask owns
  std::vector<partition_id> to_assign;   // splits librdkafka does not fetch yet
  std::uint64_t version = 0;             // changes when a split is added or finishes
  bool no_more = false;                  // bounded: the enumerator has nothing more for us
  bool requested = false;                // bounded: asked the enumerator, no answer yet
  std::map<std::uint64_t, std::vector<std::pair<partition_id, std::int64_t>>> to_commit;
  std::vector<rd_kafka_message_t*> msgs;
  clock_type::time_point last_warning{};

  [[nodiscard]] std::string what() const {
    return "kafka source '" + name + "' (subtask " + std::to_string(info.index + 1) + "/" +
           std::to_string(info.parallelism) + ", brokers " + o.bootstrap_servers + ")";
  }
  void warn(const std::string& msg) {
    const auto now = clock_type::now();
    if (last_warning != clock_type::time_point{} && now - last_warning < reader_warn_every) return;
    last_warning = now;
    eddy::log().warn("{}: {}", what(), msg);
  }

  ~impl() {
    for (auto* m : msgs)
      if (m) rd_kafka_message_destroy(m);
    if (queue) {
      rd_kafka_queue_cb_event_enable(queue, nullptr, nullptr);
      rd_kafka_queue_destroy(queue);
    }
    if (rk) rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }

  static void on_queue_event(rd_kafka_t*, void* opaque) {
    static_cast<impl*>(opaque)->waker.wake();  // librdkafka's thread: no librdkafka calls here
  }

  /// Takes partitions the enumerator assigned (ids and offsets, kafka_splits.hpp).
  void add(const std::vector<std::string>& ids, const std::vector<std::string>& data) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto p = parse_split_id(ids[i]);
      auto off = i < data.size() ? decode_offsets(data[i]) : std::nullopt;
      if (!p || !off)
        throw std::runtime_error(what() + ": the enumerator assigned '" + ids[i] +
                                 "' without offsets");
      if (splits.emplace(*p, split{off->next, off->stop, off->next}).second) {
        to_assign.push_back(*p);
        ++version;
      }
    }
    requested = false;
  }

  // ---- the actor's side ----

  /// Adds (or, `remove`, takes away) partitions to what librdkafka fetches, leaving the others'
  /// prefetched messages alone (a full rd_kafka_assign would drop them).
  void change_assignment(const std::vector<partition_id>& ps, bool remove) {
    if (ps.empty()) return;
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(ps.size()));
    for (const auto& p : ps) {
      auto* tp = rd_kafka_topic_partition_list_add(list, p.first.c_str(), p.second);
      if (!remove) tp->offset = splits.at(p).next;
    }
    rd_kafka_error_t* err =
        remove ? rd_kafka_incremental_unassign(rk, list) : rd_kafka_incremental_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
      const std::string why = rd_kafka_error_string(err);
      rd_kafka_error_destroy(err);
      throw std::runtime_error(what() + ": " + (remove ? "unassigning" : "assigning") +
                               " partitions failed: " + why);
    }
  }
  void assign_new() {
    std::vector<partition_id> ps;
    for (auto& p : to_assign)
      if (!splits.at(p).finished()) ps.push_back(std::move(p));
    to_assign.clear();
    change_assignment(ps, false);
  }

  source_status fetch(std::size_t max, void (*fn)(void*, const message_view&), void* ctx) {
    if (!to_assign.empty()) assign_new();
    if (msgs.size() < max) msgs.resize(max, nullptr);
    const ssize_t n = rd_kafka_consume_batch_queue(queue, 0, msgs.data(), max);
    if (n < 0)
      throw std::runtime_error(what() +
                               ": consuming failed: " + rd_kafka_err2str(rd_kafka_last_error()));
    std::vector<partition_id> finished_now;
    std::string failure;
    split* cur = nullptr;
    partition_id cur_id;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[static_cast<std::size_t>(i)];
      msgs[static_cast<std::size_t>(i)] = nullptr;
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (failure.empty() && !is_transient(m->err)) {
          char fatal[256];
          failure = rd_kafka_fatal_error(rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR
                        ? fatal
                        : rd_kafka_message_errstr(m);
          if (m->rkt)
            failure = std::string("topic ") + rd_kafka_topic_name(m->rkt) + " partition " +
                      std::to_string(m->partition) + ": " + failure;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          warn(std::string("waiting (") + rd_kafka_message_errstr(m) + ")");
        }
        rd_kafka_message_destroy(m);
        continue;
      }
      const char* tn = rd_kafka_topic_name(m->rkt);
      if (!cur || cur_id.second != m->partition || cur_id.first != tn) {
        cur_id = {tn, m->partition};
        auto it = splits.find(cur_id);
        cur = it == splits.end() ? nullptr : &it->second;
      }
      // Not ours, finished, or fetched before an assignment that moved the position on.
      if (!cur || cur->finished() || m->offset < cur->next) {
        rd_kafka_message_destroy(m);
        continue;
      }
      message_view v;
      v.topic = cur_id.first;
      v.partition = m->partition;
      v.offset = m->offset;
      rd_kafka_timestamp_type_t tt;
      v.timestamp = rd_kafka_message_timestamp(m, &tt);
      if (m->key) v.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) v.value = std::string_view(static_cast<const char*>(m->payload), m->len);
      v.raw = m;
      cur->next = m->offset + 1;
      if (cur->finished()) finished_now.push_back(cur_id);
      try {
        fn(ctx, v);
      } catch (...) {
        rd_kafka_message_destroy(m);
        for (ssize_t k = i + 1; k < n; ++k) {
          rd_kafka_message_destroy(msgs[static_cast<std::size_t>(k)]);
          msgs[static_cast<std::size_t>(k)] = nullptr;
        }
        throw;
      }
      rd_kafka_message_destroy(m);
    }
    if (!failure.empty()) throw std::runtime_error(what() + ": " + failure);
    if (!finished_now.empty()) ++version;
    change_assignment(finished_now, true);  // stop fetching what is no longer read
    if (o.bounded) {
      bool all = true;
      for (const auto& [p, s] : splits) all = all && s.finished();
      if (all && no_more) return source_status::end;
      if (all && !requested) {  // the answer is more partitions or no_more_splits
        requested = true;
        request_split();
      }
    }
    return static_cast<std::size_t>(n) == max ? source_status::more : source_status::wait;
  }
};

reader_core::reader_core(source_options options, std::string name)
    : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(options);
  impl_->name = std::move(name);
}

reader_core::~reader_core() = default;

void reader_core::open(const subtask_info& info, source_waker waker,
                       std::function<void()> request_split) {
  auto& d = *impl_;
  d.info = info;
  d.waker = std::move(waker);
  d.request_split = std::move(request_split);
  auto conf = make_conf(d.what(), d.o.bootstrap_servers,
                        {{"group.id", d.o.group.empty() ? "eddy" : d.o.group},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"enable.partition.eof", "false"},
                         {"auto.offset.reset", "earliest"},
                         {"queued.max.messages.kbytes", "16384"}},
                        d.o.properties);
  d.rk = make_client(d.what(), RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(d.rk);
  d.queue = rd_kafka_queue_get_consumer(d.rk);
  if (!d.queue) throw std::runtime_error(d.what() + ": no consumer queue");
  rd_kafka_queue_cb_event_enable(d.queue, &impl::on_queue_event, impl_.get());
}

source_status reader_core::fetch(std::size_t max, void (*fn)(void*, const message_view&),
                                 void* ctx) {
  return impl_->fetch(max, fn, ctx);
}

void reader_core::snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out) {
  auto& d = *impl_;
  wire_state st;
  std::vector<std::pair<partition_id, std::int64_t>> offsets;
  for (const auto& [p, s] : d.splits) {
    st.emplace_back(p.first, p.second, s.next, s.stop);
    offsets.emplace_back(p, s.next);
  }
  out.push_back(state_entry{state_name, -1, state_type, serialize(st)});
  if (!d.o.group.empty()) d.to_commit[checkpoint_id] = std::move(offsets);
}

void reader_core::restore(const std::vector<state_entry>& entries) {
  auto& d = *impl_;
  for (const auto& e : entries) {
    if (e.name != state_name) continue;
    if (e.type != state_type)
      throw std::runtime_error("source state '" + e.name + "' was written as " + e.type +
                               ", expected " + state_type);
    wire_state st;
    std::string err;
    if (!deserialize(e.data, st, &err))
      throw std::runtime_error("source state '" + e.name + "' does not decode: " + err);
    for (auto& [topic, partition, next, stop] : st) {
      partition_id p{topic, partition};
      if (partition_owner(topic, partition, d.info.parallelism) == d.info.index &&
          d.splits.emplace(p, split{next, stop, next}).second) {
        d.to_assign.push_back(p);
        ++d.version;
      }
    }
  }
}

void reader_core::add_splits(const std::vector<std::string>& ids,
                             const std::vector<std::string>& data) {
  impl_->add(ids, data);
}

void reader_core::no_more_splits() {
  impl_->no_more = true;
  impl_->requested = false;
}

std::optional<input_progress> reader_core::progress() const {
  std::int64_t read = 0, size = 0;
  for (const auto& [p, s] : impl_->splits) {
    if (s.stop < 0) return std::nullopt;  // unbounded
    size += std::max<std::int64_t>(0, s.stop - s.start);
    read += std::max<std::int64_t>(0, std::min(s.next, s.stop) - s.start);
  }
  if (size == 0) return std::nullopt;
  return input_progress{static_cast<std::uint64_t>(read), static_cast<std::uint64_t>(size)};
}

std::optional<std::uint64_t> reader_core::lag() const {
  const auto& d = *impl_;
  std::optional<std::uint64_t> sum;
  for (const auto& [p, s] : d.splits) {
    std::int64_t lo = 0, hi = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_get_watermark_offsets(d.rk, p.first.c_str(), p.second, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
      continue;  // not fetched yet
    const auto end = s.stop >= 0 ? std::min(hi, s.stop) : hi;
    sum = sum.value_or(0) + static_cast<std::uint64_t>(std::max<std::int64_t>(0, end - s.next));
  }
  return sum;
}

std::uint64_t reader_core::split_version() const {
  return impl_->version;
}

void reader_core::for_each_split(void (*fn)(void*, std::string_view, std::int32_t, bool),
                                 void* ctx) const {
  for (const auto& [p, s] : impl_->splits) fn(ctx, p.first, p.second, s.finished());
}

void reader_core::checkpoint_complete(std::uint64_t checkpoint_id) {
  auto& d = *impl_;
  auto it = d.to_commit.find(checkpoint_id);
  if (it == d.to_commit.end()) return;
  // Committed asynchronously: only for monitoring (a restore uses the checkpoint's offsets).
  auto& offsets = it->second;
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [p, off] : offsets)
    rd_kafka_topic_partition_list_add(list, p.first.c_str(), p.second)->offset = off;
  if (list->cnt > 0) rd_kafka_commit(d.rk, list, 1);
  rd_kafka_topic_partition_list_destroy(list);
  d.to_commit.erase(d.to_commit.begin(), std::next(it));
}

}  // namespace detail
}  // namespace eddy::kafka
