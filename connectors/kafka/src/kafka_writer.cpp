// The librdkafka side of the Kafka sink's writers (kafka_sink.hpp).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <mutex>
#include <stdexcept>

#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/runtime/log.hpp"
#include "kafka_client.hpp"

namespace eddy::kafka::detail {

namespace {
using clock_type = std::chrono::steady_clock;
constexpr auto warn_every = std::chrono::seconds(10);
}  // namespace

struct writer_core::impl {
  sink_options o;
  std::string name;
  subtask_info info;
  rd_kafka_t* rk = nullptr;
  std::mutex mu;        // delivery reports come on the thread serving rd_kafka_poll: ours,
  std::string failure;  // but the lock keeps that an implementation detail
  std::uint64_t failed = 0;

  [[nodiscard]] std::string what() const {
    return "kafka sink '" + name + "' (subtask " + std::to_string(info.index + 1) + "/" +
           std::to_string(info.parallelism) + ", topic " + o.topic + " on " + o.bootstrap_servers +
           ")";
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<impl*>(opaque);
    std::lock_guard<std::mutex> lock(self->mu);
    if (self->failure.empty()) self->failure = rd_kafka_err2str(m->err);
    ++self->failed;
  }

  void check() {
    std::lock_guard<std::mutex> lock(mu);
    if (!failure.empty())
      throw std::runtime_error(what() + ": " + std::to_string(failed) +
                               " message(s) could not be delivered: " + failure);
  }

  ~impl() {
    if (!rk) return;
    // Ended without finish() (a failure or cancel): what was not acknowledged is replayed from
    // the last checkpoint; nothing to wait for.
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);
    rd_kafka_destroy(rk);
  }
};

writer_core::writer_core(sink_options options, std::string name) : impl_(std::make_unique<impl>()) {
  impl_->o = std::move(options);
  impl_->name = std::move(name);
}

writer_core::~writer_core() = default;

void writer_core::open(const subtask_info& info) {
  auto& d = *impl_;
  d.info = info;
  auto conf = make_conf(d.what(), d.o.bootstrap_servers,
                        {{"enable.idempotence", "true"}, {"linger.ms", "5"}}, d.o.properties);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &impl::on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), &d);
  d.rk = make_client(d.what(), RD_KAFKA_PRODUCER, std::move(conf));
}

void writer_core::write(std::optional<std::string_view> key, std::string_view value,
                        std::int32_t partition) {
  auto& d = *impl_;
  clock_type::time_point since{};
  const void* key_data = key ? key->data() : nullptr;  // the macros below cast without parentheses
  const std::size_t key_size = key ? key->size() : 0;
  for (;;) {
    const auto err =
        rd_kafka_producev(d.rk, RD_KAFKA_V_TOPIC(d.o.topic.c_str()),
                          RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_KEY(key_data, key_size), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      throw std::runtime_error(d.what() + ": " + rd_kafka_err2str(err));
    // The local queue is full: the brokers are slow or away. Wait for them (backpressure).
    const auto now = clock_type::now();
    if (since == clock_type::time_point{})
      since = now;
    else if (now - since >= warn_every) {
      eddy::log().warn("{}: waiting for the brokers to take {} queued message(s)", d.what(),
                       rd_kafka_outq_len(d.rk));
      since = now;
    }
    rd_kafka_poll(d.rk, 100);
    d.check();
  }
}

void writer_core::poll() {
  rd_kafka_poll(impl_->rk, 0);
  impl_->check();
}

void writer_core::flush() {
  auto& d = *impl_;
  const auto start = clock_type::now();
  auto last = start;
  while (rd_kafka_outq_len(d.rk) > 0) {
    rd_kafka_flush(d.rk, 500);
    d.check();
    const auto now = clock_type::now();
    if (now - start >= d.o.flush_timeout)
      throw std::runtime_error(d.what() + ": " + std::to_string(rd_kafka_outq_len(d.rk)) +
                               " message(s) not acknowledged after " +
                               std::to_string(d.o.flush_timeout.count()) +
                               " ms (flush-timeout); are the brokers reachable?");
    if (now - last >= warn_every) {
      last = now;
      eddy::log().warn("{}: waiting for the brokers to acknowledge {} message(s)", d.what(),
                       rd_kafka_outq_len(d.rk));
    }
  }
  d.check();
}

}  // namespace eddy::kafka::detail
