#!/bin/sh
# Runs samples/sql/kafka_bids.sql against a Kafka mock cluster on loopback (eddy-kafka-mock, built
# with Eddy): starts it, puts its address into the script, runs `eddy sql -f`, stops the mock.
# Run from the repository root: samples/sql/kafka_bids.sh [BIN_DIR]   (default build/bin)
set -eu
bin=${1:-build/bin}
work=$(mktemp -d /tmp/eddy-kafka-sql-sample.XXXXXX)
"$bin/eddy-kafka-mock" serve --brokers 1 --topic bids:2 --topic bids_per_window:1 \
  </dev/null >"$work/serve.out" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null || true; wait $mock 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
i=0
until grep -q '^bootstrap ' "$work/serve.out"; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then
    echo "kafka_bids.sh: eddy-kafka-mock did not start:" >&2
    cat "$work/serve.out" >&2
    exit 1
  fi
  sleep 0.1
done
bootstrap=$(sed -n 's/^bootstrap //p' "$work/serve.out")
sed "s/@BOOTSTRAP@/$bootstrap/g" samples/sql/kafka_bids.sql >"$work/kafka_bids.sql"
"$bin/eddy" sql -f "$work/kafka_bids.sql"
