#pragma once
/// The MQTT connector's options, and how an `mqtt://` URI maps onto them (docs/connectors.md):
///
///     mqtt://HOST:PORT/TOPIC-FILTER?client-id=ID&qos=1&format=json      (source)
///     mqtt://HOST:PORT/TOPIC-TEMPLATE?qos=1&retain=false                (sink)
///
/// The topic (filter or template) is everything between the '/' after the port and the '?',
/// taken literally: '#' and '+' need no escaping; %-escapes are decoded. Pure data and parsing;
/// no I/O.
#include <chrono>
#include <cstdint>
#include <string>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::mqtt {

/// Where the broker is and how to log in (both directions).
struct connection_options {
  std::string host;
  int port = 1883;
  /// "client-id=ID". Source: a fixed id makes the session persistent (clean session off), so
  /// the broker queues QoS 1/2 messages while the job is down; empty: a random id and a clean
  /// session (messages published while the job is down are not seen). Sink: empty is a random id.
  std::string client_id;
  std::string username;       ///< "username=U"
  std::string password_file;  ///< "password-file=PATH": the password is the file's first line
  /// TLS: "tls-ca-file=PATH" turns TLS on (the broker's CA); "tls-cert-file" / "tls-key-file"
  /// for a client certificate; "tls-insecure=true" skips the host name check (tests only).
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  bool tls_insecure = false;
  std::chrono::seconds keepalive{30};  ///< "keepalive=30s"
  /// "reconnect-max=30s": reconnect attempts back off from 1 s up to this.
  std::chrono::seconds reconnect_max{30};

  /// "HOST:PORT", for messages.
  [[nodiscard]] std::string describe() const;
};

struct source_options {
  connection_options connection;
  std::string topic_filter;  ///< the URI's path: "sensors/#", "site/+/temp"
  int qos = 1;               ///< "qos=0|1|2": the subscription's QoS
  /// "format=raw|csv|json": how a payload maps to a record; the sample jobs read the payload as
  /// one line (json: one JSON object, which the sensors job maps by key).
  std::string format = "raw";
  /// "wal-dir=PATH": where the source's write-ahead log lives (an LMDB store per client id).
  /// Needed for exactly-once state with a client id and checkpoints; the sample jobs put it
  /// under --checkpoint-dir when it is not given.
  std::string wal_dir;
  /// "wal-sync=true": make each logged message durable against an OS crash too (fsync per
  /// message; slow). By default a message is safe from a crash of the process (it is in the
  /// OS's page cache before the acknowledgement leaves), not from one of the machine.
  bool wal_sync = false;
};

struct sink_options {
  connection_options connection;
  /// The URI's path: the topic, where "{N}" is the N-th field (from 1) of a CSV line and
  /// "{name}" a key of a JSON line (format=json), for the line sink (mqtt_sink_values; a typed
  /// sink takes a topic function instead), e.g.
  /// "alerts/{1}" or "alerts/{device_id}".
  std::string topic;
  int qos = 1;                 ///< "qos=0|1|2"
  bool retain = false;         ///< "retain=true"
  std::string format = "raw";  ///< "format=raw|csv|json": how the record is the payload
  /// "flush-timeout=2m": how long a checkpoint or the job's end waits for the broker to
  /// acknowledge what was published before failing the job.
  std::chrono::milliseconds flush_timeout{120'000};
  /// "guarantee=at-least-once|exactly-once". exactly-once (needs client-id) keeps a checkpoint
  /// interval's messages in the checkpoint and publishes them when it completes, then records
  /// that in a retained message on the commit topic; a restore publishes again only what that
  /// record does not show as published (mqtt_sink.hpp).
  bool exactly_once = false;
  /// "commit-topic=T": where exactly-once records its commits (retained, one topic per
  /// subtask under it); default "eddy/commits/CLIENT-ID".
  std::string commit_topic;
};

/// The source options an `mqtt://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<source_options> parse_source_uri(const connectors::connector_uri& uri);
/// The sink options an `mqtt://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri);

}  // namespace eddy::mqtt
