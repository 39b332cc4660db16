#!/usr/bin/env bash
# Builds Eddy and its tests with a sanitizer and runs them with CTest; fails on any report.
#
#   scripts/sanitize.sh address|thread [CTEST_REGEX]
#
# address: ASan + UBSan (UB is fatal), in build-asan.   thread: TSan, in build-tsan.
# CTEST_REGEX selects tests as `ctest -R` does (default: all of them, except the install test,
# which builds a separate, uninstrumented project against the installed libraries, and under
# TSan the Kafka tests, whose librdkafka threads TSan cannot run).
# A report ends the reporting process with exit code 86. ASan, LSan and TSan reports of every
# instrumented process - the test executables, the samples and the `eddy` children the tests
# start, which the tests often kill, so that their exit code is not seen - also go to
# <build>/sanitizer-logs/; the script prints them and fails if there is any, even when every test
# passed. UBSan (combined with ASan) ignores log_path and writes to stderr only: a test process's
# own report fails its test through the exit code, an `eddy` child's report fails the test through
# tests/support/eddy_process.hpp, which checks the child's stderr.
# Suppressions (third-party code only): tests/sanitizers/*.supp.
# Environment: JOBS (build parallelism, default 2), TEST_JOBS (tests at a time, default JOBS + 1),
# SANITIZE_BUILD_DIR (build directory),
# SANITIZE_TARGETS (space-separated targets to build instead of all that CTest runs, for a subset:
# e.g. "eddy eddy_squares eddy_unit_tests eddy_regression_tests" with '^(unit|regression):').
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
kind=${1:-}
regex=${2:-}
case "$kind" in
  address) dir=${SANITIZE_BUILD_DIR:-$src/build-asan} ;;
  thread) dir=${SANITIZE_BUILD_DIR:-$src/build-tsan} ;;
  *)
    echo "usage: $0 address|thread [CTEST_REGEX]" >&2
    exit 2
    ;;
esac
jobs=${JOBS:-2}
supp=$src/tests/sanitizers
logs=$dir/sanitizer-logs

# 86: distinct from eddy's own exit codes.
common="halt_on_error=1:exitcode=86:log_path=$logs/report:log_exe_name=1"
export ASAN_OPTIONS="$common:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="$common:print_stacktrace=1:suppressions=$supp/ubsan.supp"
export LSAN_OPTIONS="$common:suppressions=$supp/lsan.supp"
export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$supp/tsan.supp"

rm -rf "$logs"
mkdir -p "$logs"
start=$(date +%s)
# Unity batches of 4 source files (build cost: headers parsed once per batch; docs/testing.md).
cmake -S "$src" -B "$dir" -G Ninja -DEDDY_SANITIZE="$kind" -DEDDY_BUILD_TESTS=ON \
  -DEDDY_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=4 >/dev/null
# Everything CTest runs (not the header self-containment check, which runs no code).
if [ -n "${SANITIZE_TARGETS:-}" ]; then
  read -r -a targets <<<"$SANITIZE_TARGETS"
else
  mapfile -t targets < <(cmake --build "$dir" --target help |
    sed -n -E 's/^(eddy|eddy_squares|eddy_[a-z]+_tests|sample-[a-z-]+): phony$/\1/p')
fi
cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
built=$(date +%s)

status=0
# Left out: the install test (see above); under TSan also the Kafka tests: librdkafka (Debian,
# uninstrumented) starts its threads with C11 thrd_create, which GCC 12's TSan does not
# intercept, so they crash in TSan's allocator on their first malloc (docs/testing.md).
exclude='^install: '
[ "$kind" = thread ] && exclude='^(install: |kafka:)'
# One test more than cores: many tests wait on processes, sockets or timers part of the time.
ctest_args=(--test-dir "$dir" --output-on-failure -j "${TEST_JOBS:-$((jobs + 1))}" -E "$exclude")
[ -n "$regex" ] && ctest_args+=(-R "$regex")
ctest "${ctest_args[@]}" || status=$?
done_at=$(date +%s)

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  for f in $reports; do
    echo "===== sanitizer report: $f"
    cat "$f"
  done
  echo "sanitize.sh $kind: $(echo "$reports" | wc -l) sanitizer report(s), see above" >&2
  [ "$status" -ne 0 ] || status=1
fi
echo "sanitize.sh $kind: build $((built - start)) s, tests $((done_at - built)) s," \
  "status $status, reports in $logs"
exit $status
