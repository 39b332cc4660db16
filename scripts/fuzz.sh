#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and runs each for a bounded time on a copy
# of its seed corpus; fails if any target finds a crash, a leak, undefined behaviour, an
# unbounded allocation or a hang. See docs/testing.md "Fuzzing".
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET: default 20; 0 only replays the corpus (seeds and kept crash inputs) once.
# TARGET: serializer, batch_codec, snapshot, job_spec, sensors_csv, csv_format, json_format,
#         sensors_json, mqtt_payload, cep_pattern_text, sql_parser
# (default: all of them).
# Environment: EDDY_FUZZ_BUILD_DIR (default build-fuzz), JOBS (build parallelism and targets
# fuzzed at a time, default 2),
# EDDY_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2").
# The committed corpus (tests/fuzz/corpus/<target>) is never modified: a run works on a temporary
# copy. A crashing input is written to <build>/fuzz-artifacts/<target>/ and its path printed.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
all_targets=(serializer batch_codec snapshot job_spec sensors_csv csv_format json_format sensors_json
  mqtt_payload cep_pattern_text sql_parser)

seconds=${1:-20}
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]   (targets: ${all_targets[*]})" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ " ${all_targets[*]} " != *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

if ! command -v clang++ >/dev/null ||
  [ ! -f "$(clang++ --print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a" ]; then
  echo "fuzz.sh: needs clang with libFuzzer: apt-get install -y clang libclang-rt-14-dev" >&2
  exit 2
fi

dir=${EDDY_FUZZ_BUILD_DIR:-$src/build-fuzz}
jobs=${JOBS:-2}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
flags+=" -fno-omit-frame-pointer"

start=$(date +%s)
# Only the libraries the targets need are built (no tests, samples or benchmarks).
CC=clang CXX=clang++ cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDDY_BUILD_FUZZERS=ON \
  -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_BENCHMARKS=OFF -DEDDY_BUILD_SAMPLES=OFF \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$dir" -j "$jobs" --target "${targets[@]/#/eddy_fuzz_}"
built=$(date +%s)

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
failed=()
reports=$(mktemp -d "${TMPDIR:-/tmp}/eddy-fuzz-reports.XXXXXX")
# run_target T: fuzzes T on a copy of its corpus; writes what it found to $reports/T and the
# target's exit code to $reports/T.rc.
run_target() {
  local t=$1 work artifacts args t0 t1 rc runs input
  work=$(mktemp -d "${TMPDIR:-/tmp}/eddy-fuzz-$t.XXXXXX")
  artifacts=$dir/fuzz-artifacts/$t
  mkdir -p "$work/corpus" "$artifacts"
  cp "$src/tests/fuzz/corpus/$t"/* "$work/corpus/"
  args=(-artifact_prefix="$artifacts/" -timeout=10 -malloc_limit_mb=512 -rss_limit_mb=2048
    -print_final_stats=1)
  if [ "$seconds" -eq 0 ]; then
    args+=(-runs=0)
  else
    args+=(-max_total_time="$seconds")
  fi
  # shellcheck disable=SC2206  # EDDY_FUZZ_ARGS is a list of flags
  args+=(${EDDY_FUZZ_ARGS:-})
  t0=$(date +%s)
  rc=0
  "$dir/bin/${t}_fuzz" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  t1=$(date +%s)
  runs=$(sed -n -E 's/^stat::number_of_executed_units: *([0-9]+)$/\1/p' "$work/log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    {
      echo "===== fuzz target $t FAILED (exit $rc) after $((t1 - t0)) s; its log:"
      tail -n 80 "$work/log"
      input=$(sed -n -E 's/.*Test unit written to (.*)$/\1/p' "$work/log" | tail -1)
      echo "fuzz.sh: $t: crashing input written to ${input:-<none written; see the log above>}"
      echo "fuzz.sh: reproduce: $dir/bin/${t}_fuzz ${input:-}"
    } >"$reports/$t"
  else
    echo "fuzz.sh: $t: ok, ${runs:-?} inputs in $((t1 - t0)) s" \
      "(corpus $(find "$work/corpus" -type f | wc -l) files)" >"$reports/$t"
  fi
  rm -rf "$work"
  echo "$rc" >"$reports/$t.rc"
}
# JOBS targets at a time (each libFuzzer process uses one core); reports in target order.
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_target "$t" &
done
wait
for t in "${targets[@]}"; do
  cat "$reports/$t" 2>/dev/null || echo "fuzz.sh: $t: no report (the run itself failed)"
  if [ "$(cat "$reports/$t.rc" 2>/dev/null)" != 0 ]; then
    failed+=("$t")
    status=1
  fi
done
rm -rf "$reports"
done_at=$(date +%s)
echo "fuzz.sh: build $((built - start)) s, fuzzing $((done_at - built)) s" \
  "(${#targets[@]} targets, ${seconds} s each)${failed[*]:+, FAILED: ${failed[*]}}"
exit $status
