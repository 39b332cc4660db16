// The connector workloads of eddy-bench (see connector_bench.hpp and docs/performance.md).
#include "connector_bench.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/connectors/formats/csv.hpp"
#include "eddy/connectors/formats/json.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/operators/datastream.hpp"

namespace eddy::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

rd_kafka_t* client(rd_kafka_type_t type, const std::string& bootstrap,
                   std::vector<std::pair<std::string, std::string>> props) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  props.emplace_back("bootstrap.servers", bootstrap);
  for (const auto& [k, v] : props) rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err);
  return rd_kafka_new(type, conf, err, sizeof err);
}

/// A bare consumer loop: assign every partition from the start, consume until `n` messages.
std::uint64_t bare_consume(const std::string& bootstrap, const std::string& topic, int partitions,
                           std::uint64_t n) {
  rd_kafka_t* c = client(RD_KAFKA_CONSUMER, bootstrap,
                         {{"group.id", "bench"},
                          {"enable.auto.commit", "false"},
                          {"queued.max.messages.kbytes", "16384"}});
  rd_kafka_poll_set_consumer(c);
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(c);
  std::vector<rd_kafka_message_t*> msgs(1024);
  std::uint64_t got = 0, bytes = 0;
  const auto deadline = clock_type::now() + std::chrono::minutes(2);
  while (got < n) {
    if (clock_type::now() > deadline) {
      std::fprintf(stderr,
                   "eddy-bench kafka: the bare consumer got %llu of %llu messages in 2 min\n",
                   static_cast<unsigned long long>(got), static_cast<unsigned long long>(n));
      bytes = 0;
      break;
    }
    const ssize_t k = rd_kafka_consume_batch_queue(q, 100, msgs.data(), msgs.size());
    for (ssize_t i = 0; i < k; ++i) {
      if (!msgs[i]->err) {
        ++got;
        bytes += msgs[i]->len;
      }
      rd_kafka_message_destroy(msgs[i]);
    }
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  return bytes;
}

std::uint64_t eddy_consume(const std::string& bootstrap, const std::string& topic,
                           int parallelism) {
  kafka::source_options o;
  o.bootstrap_servers = bootstrap;
  o.topics = {topic};
  o.bounded = true;
  auto bytes = std::make_shared<std::atomic<std::uint64_t>>(0);
  StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.from_source(kafka::kafka_source_values(o))
      .map([](const std::string& v) { return static_cast<std::uint64_t>(v.size()); })
      .add_sink(
          [bytes](const std::uint64_t& n) { bytes->fetch_add(n, std::memory_order_relaxed); });
  if (!env.execute("kafka bench").ok()) return 0;
  return bytes->load();
}

}  // namespace

bool kafka_source_bench(std::uint64_t messages, int partitions, int parallelism, int repeat) {
  // librdkafka's mock cluster keeps about 5 MB per partition and drops older messages.
  constexpr std::uint64_t value_bytes = 100, per_partition_limit = 4'000'000;
  if (messages * value_bytes / static_cast<std::uint64_t>(partitions) > per_partition_limit) {
    std::fprintf(stderr,
                 "eddy-bench kafka: %llu messages of %llu bytes need at least %llu partitions (the "
                 "mock cluster keeps about 5 MB per partition)\n",
                 static_cast<unsigned long long>(messages),
                 static_cast<unsigned long long>(value_bytes),
                 static_cast<unsigned long long>(messages * value_bytes / per_partition_limit + 1));
    return false;
  }
  rd_kafka_t* owner = client(RD_KAFKA_PRODUCER, "", {{"log_level", "0"}});
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(owner, 1);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
  const std::string topic = "bench";
  rd_kafka_mock_topic_create(mc, topic.c_str(), partitions, 1);
  rd_kafka_t* p = client(RD_KAFKA_PRODUCER, bootstrap,
                         {{"linger.ms", "20"},
                          {"batch.num.messages", "10000"},
                          {"queue.buffering.max.messages", "1000000"}});
  std::string value(value_bytes, 'x');
  const auto produce_start = clock_type::now();
  for (std::uint64_t i = 0; i < messages; ++i) {
    auto s = std::to_string(i);
    std::copy(s.begin(), s.end(), value.begin());
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(i % partitions)),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE(value.data(), value.size()),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 10);
  }
  const auto flushed = rd_kafka_flush(p, 120000);
  const int left = rd_kafka_outq_len(p);
  rd_kafka_destroy(p);
  std::fprintf(stderr, "eddy-bench kafka: wrote %llu messages to the mock cluster in %.1f s\n",
               static_cast<unsigned long long>(messages), since(produce_start));
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || left > 0) {
    std::fprintf(stderr, "eddy-bench kafka: %d messages not delivered to the mock cluster\n", left);
    return false;
  }

  std::vector<double> bare, eddy;
  std::uint64_t bare_bytes = 0, eddy_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    auto t = clock_type::now();
    bare_bytes = bare_consume(bootstrap, topic, partitions, messages);
    bare.push_back(since(t));
    t = clock_type::now();
    eddy_bytes = eddy_consume(bootstrap, topic, parallelism);
    eddy.push_back(since(t));
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(owner);
  const double b = median(bare), e = median(eddy);
  auto line = [&](const char* impl, int par, double s, std::uint64_t bytes) {
    std::printf(
        "{\"workload\":\"kafka\",\"impl\":\"%s\",\"parallelism\":%d,\"partitions\":%d,"
        "\"messages\":%llu,\"seconds\":%.6f,\"messages_per_sec\":%.0f,\"bytes\":%llu}\n",
        impl, par, partitions, static_cast<unsigned long long>(messages), s,
        static_cast<double>(messages) / s, static_cast<unsigned long long>(bytes));
  };
  line("librdkafka-consumer", 1, b, bare_bytes);
  line("eddy", parallelism, e, eddy_bytes);
  std::printf("{\"workload\":\"kafka\",\"ratio\":%.2f,\"target\":0.7}\n", b / e);
  std::fflush(stdout);
  return eddy_bytes == bare_bytes;
}

namespace {

struct row {
  std::string device;
  std::int64_t ts = 0;
  double temperature = 0;
  std::int32_t battery = 0;
  bool ok = false;
};
EDDY_FIELDS(row, device, ts, temperature, battery, ok)

/// The limit for CSV: split on commas and std::from_chars each field, no quoting.
bool hand_csv(std::string_view line, row& r) {
  std::string_view f[5];
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const auto c = i < 4 ? line.find(',', start) : line.size();
    if (c == std::string_view::npos) return false;
    f[i] = line.substr(start, c - start);
    start = c + 1;
  }
  r.device.assign(f[0]);
  std::from_chars(f[1].data(), f[1].data() + f[1].size(), r.ts);
  std::from_chars(f[2].data(), f[2].data() + f[2].size(), r.temperature);
  std::from_chars(f[3].data(), f[3].data() + f[3].size(), r.battery);
  r.ok = f[4] == "true";
  return true;
}

/// The limit for JSON: simdjson's DOM parser, fields taken by key.
bool simdjson_dom(simdjson::dom::parser& p, std::string_view line, row& r) {
  simdjson::dom::object o;
  if (p.parse(line.data(), line.size(), true).get_object().get(o)) return false;
  std::string_view d;
  if (o["device"].get_string().get(d)) return false;
  r.device.assign(d);
  if (o["ts"].get_int64().get(r.ts)) return false;
  if (o["temperature"].get_double().get(r.temperature)) return false;
  std::int64_t b = 0;
  if (o["battery"].get_int64().get(b)) return false;
  r.battery = static_cast<std::int32_t>(b);
  if (o["ok"].get_bool().get(r.ok)) return false;
  return true;
}

template <class Fn>
std::pair<double, std::int64_t> time_lines(const std::vector<std::string>& lines, Fn fn) {
  row r;
  std::int64_t sum = 0;
  const auto t = clock_type::now();
  for (const auto& l : lines) {
    if (!fn(l, r)) return {0, -1};
    sum += r.ts + r.battery + static_cast<std::int64_t>(r.temperature) + r.ok +
           static_cast<std::int64_t>(r.device.size());
  }
  return {since(t), sum};
}

}  // namespace

bool formats_bench(std::uint64_t n, int repeat) {
  std::vector<std::string> csv, json;
  std::uint64_t csv_bytes = 0, json_bytes = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto dev = "device-" + std::to_string(i % 1000);
    const auto ts = std::to_string(1700000000000 + i * 37);
    const auto temp = std::to_string(15 + (i % 200) / 10) + "." + std::to_string(i % 10);
    const auto bat = std::to_string(i % 101);
    const char* ok = i % 3 ? "true" : "false";
    csv.push_back(dev + "," + ts + "," + temp + "," + bat + "," + ok);
    json.push_back("{\"device\":\"" + dev + "\",\"ts\":" + ts + ",\"temperature\":" + temp +
                   ",\"battery\":" + bat + ",\"ok\":" + ok + "}");
    csv_bytes += csv.back().size() + 1;
    json_bytes += json.back().size() + 1;
  }
  formats::csv_decoder<row> cd;
  formats::json_decoder<row> jd;
  simdjson::dom::parser parser;
  std::string why;
  std::vector<double> t_hand, t_csv, t_simd, t_json;
  std::int64_t s_hand = 0, s_csv = 0, s_simd = 0, s_json = 0;
  for (int r = 0; r < repeat; ++r) {
    auto a = time_lines(csv, [](std::string_view l, row& x) { return hand_csv(l, x); });
    auto b = time_lines(csv, [&](std::string_view l, row& x) { return cd.decode(l, x, why); });
    auto c =
        time_lines(json, [&](std::string_view l, row& x) { return simdjson_dom(parser, l, x); });
    auto d = time_lines(json, [&](std::string_view l, row& x) { return jd.decode(l, x, why); });
    t_hand.push_back(a.first);
    t_csv.push_back(b.first);
    t_simd.push_back(c.first);
    t_json.push_back(d.first);
    s_hand = a.second;
    s_csv = b.second;
    s_simd = c.second;
    s_json = d.second;
  }
  auto line = [&](const char* fmt, const char* impl, double s, std::uint64_t bytes) {
    std::printf(
        "{\"workload\":\"formats\",\"format\":\"%s\",\"impl\":\"%s\",\"lines\":%llu,"
        "\"seconds\":%.6f,\"mb_per_sec\":%.1f}\n",
        fmt, impl, static_cast<unsigned long long>(n), s, static_cast<double>(bytes) / 1e6 / s);
  };
  const double h = median(t_hand), c = median(t_csv), sj = median(t_simd), j = median(t_json);
  line("csv", "hand-written-from_chars", h, csv_bytes);
  line("csv", "eddy", c, csv_bytes);
  line("json", "simdjson-dom", sj, json_bytes);
  line("json", "eddy", j, json_bytes);
  std::printf("{\"workload\":\"formats\",\"csv_ratio\":%.2f,\"json_ratio\":%.2f,\"target\":0.5}\n",
              h / c, sj / j);
  std::fflush(stdout);
  if (why.size() || s_hand != s_csv || s_simd != s_json || s_hand != s_simd) {
    std::fprintf(stderr, "eddy-bench formats: the decoders disagree (%s)\n", why.c_str());
    return false;
  }
  return true;
}

}  // namespace eddy::bench
