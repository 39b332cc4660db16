#!/bin/sh
# CTest "sample: sql kafka script runs": samples/sql/kafka_bids.sh (eddy-kafka-mock + eddy sql)
# must end with 0 and its SELECT must show 6 windows counting all 400 bids of the sample data.
# Usage (from the repository root): tests/integration/sql_kafka_sample_test.sh BIN_DIR
set -eu
out=$(samples/sql/kafka_bids.sh "$1")
echo "$out"
echo "$out" | grep -q '^6 rows in set$'
total=$(echo "$out" | awk -F'|' '$2 ~ /[+]I/ { s += $5 } END { print s + 0 }')
if [ "$total" != 400 ]; then
  echo "sql_kafka_sample_test: the windows count $total bids, not 400" >&2
  exit 1
fi
