#!/usr/bin/env bash
# The IoT connector benchmarks (docs/performance.md "MQTT source", "PostgreSQL sink"): starts a
# throwaway Mosquitto broker and PostgreSQL 15 server on 127.0.0.1, runs `eddy-bench mqtt` and
# `eddy-bench pg` against them, and stops both (and removes their directory) however it ends.
#   scripts/bench-iot.sh [PATH-TO-eddy-bench]      (default: build/bin/eddy-bench)
# Environment: MESSAGES (default 200000), ROWS (200000), REPEAT (3), PARALLELISM (1, the pg
# jobs'), WORKLOADS ("mqtt pg": which to run). Needs mosquitto, mosquitto-clients and postgresql-15 (scripts/install-deps.sh).
# Under root the servers run as follows: mosquitto with `user root` (it would otherwise drop to
# user "mosquitto"), initdb and postgres as `nobody` (they refuse to run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$(realpath "${1:-build/bin/eddy-bench}")
messages=${MESSAGES:-200000}
rows=${ROWS:-200000}
repeat=${REPEAT:-3}
parallelism=${PARALLELISM:-1}
workloads=" ${WORKLOADS:-mqtt pg} "
pgbin=/usr/lib/postgresql/15/bin
[[ -x $bench ]] || { echo "bench-iot.sh: no $bench (build the eddy-bench target)" >&2; exit 2; }
for p in /usr/sbin/mosquitto "$pgbin/initdb" "$pgbin/pg_ctl"; do
  [[ -x $p ]] || { echo "bench-iot.sh: $p is missing (scripts/install-deps.sh)" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/eddy-bench-iot-XXXXXX)
chmod 755 "$dir"  # nobody reaches its pg/ below
mkdir "$dir/pg"
as_pg=()  # how initdb, pg_ctl and postgres run
if [[ $(id -u) == 0 ]]; then
  chown nobody:"$(id -gn nobody)" "$dir/pg"
  as_pg=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
fi
mqtt_pid=
pg_started=
cleanup() {
  { set +x; } 2>/dev/null
  if [[ -n $mqtt_pid ]]; then
    kill "$mqtt_pid" 2>/dev/null || true
    wait "$mqtt_pid" 2>/dev/null || true
  fi
  if [[ -n $pg_started ]]; then
    (cd "$dir/pg" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null) ||
      true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

random_port() { echo $((20000 + RANDOM % 40000)); }

# Mosquitto: a generated config, a free port picked by trying (it exits if the port is taken).
for _ in 1 2 3 4 5; do
  mqtt_port=$(random_port)
  {
    echo "listener $mqtt_port 127.0.0.1"
    echo "allow_anonymous true"
    echo "max_queued_messages 0"  # no limit: the offline sessions get every message
    echo "persistence false"
    echo "log_dest file $dir/mosquitto.log"
    if [[ $(id -u) == 0 ]]; then echo "user root"; fi
  } >"$dir/mosquitto.conf"
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >/dev/null 2>&1 &
  mqtt_pid=$!
  for _ in $(seq 1 100); do
    kill -0 "$mqtt_pid" 2>/dev/null || break
    mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -t eddy-bench/ping -n 2>/dev/null && break 2
    sleep 0.1
  done
  kill "$mqtt_pid" 2>/dev/null || true
  wait "$mqtt_pid" 2>/dev/null || true
  mqtt_pid=
done
[[ -n $mqtt_pid ]] || { echo "bench-iot.sh: mosquitto did not start" >&2; exit 1; }

# PostgreSQL: initdb as the server's user, then pg_ctl start (-w: until it accepts connections).
(cd "$dir/pg" && "${as_pg[@]}" "$pgbin/initdb" -D "$dir/pg/data" -U eddy --auth=trust \
  --no-sync -E UTF8 --locale=C >"$dir/pg/initdb.log" 2>&1) ||
  { cat "$dir/pg/initdb.log" >&2; exit 1; }
for _ in 1 2 3 4 5; do
  pg_port=$(random_port)
  if (cd "$dir/pg" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" \
    -w -t 30 -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/pg \
    -c max_prepared_transactions=10" start >/dev/null); then
    pg_started=1
    break
  fi
done
[[ -n $pg_started ]] || { tail -20 "$dir/pg/postgres.log" >&2; exit 1; }

echo "bench-iot.sh: mosquitto on 127.0.0.1:$mqtt_port, PostgreSQL on 127.0.0.1:$pg_port" >&2
set -x
if [[ $workloads == *" mqtt "* ]]; then
  "$bench" mqtt --uri "mqtt://127.0.0.1:$mqtt_port" --messages "$messages" --repeat "$repeat"
fi
if [[ $workloads == *" pg "* ]]; then
  "$bench" pg --uri "postgresql://eddy@127.0.0.1:$pg_port/postgres" --rows "$rows" \
    --parallelism "$parallelism" --repeat "$repeat"
fi
