#!/usr/bin/env bash
# Command 2 of the README (and what CI runs): install what is missing, build everything, run the
# whole test suite with CTest (unit, integration, regression and chaos tests, the samples, the
# install test), then each libFuzzer target for a bounded time (the decoders, under ASan+UBSan)
# and the unit, regression and CEP tests with an ASan+UBSan `eddy` (every process they start is
# instrumented).
# Prints what each part cost. See docs/testing.md.
#   EDDY_TEST_PARTS="main fuzz asan" (default: all three) selects the parts;
#   EDDY_FUZZ_SECONDS (default 10) is each fuzz target's time.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# ccache hits across clones in other folders: paths inside the tree are hashed relative to it.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
parts=${EDDY_TEST_PARTS:-main fuzz asan}
costs=()
timed() {  # timed NAME COMMAND...: runs it, records its wall time
  local name=$1 t0
  shift
  t0=$(date +%s)
  "$@"
  costs+=("$name: $(($(date +%s) - t0)) s")
}
# With the asan part, the unit, regression, CEP and SQL parser tests are built and run only there
# (instrumented), not also in build/ (EDDY_TESTS_SANITIZED_ONLY; docs/testing.md, build cost).
sanitized_only=OFF
[[ " $parts " == *" asan "* ]] && sanitized_only=ON
main_part() {
  # Libraries in unity batches of 4 too (CI's build cost; not eddy-bench nor the header check).
  cmake -S . -B build -G Ninja -DEDDY_BUILD_TESTS=ON -DEDDY_BUILD_BENCHMARKS=ON \
    -DEDDY_TESTS_SANITIZED_ONLY=$sanitized_only -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_UNITY_BUILD_BATCH_SIZE=4 >/dev/null
  timed "build" cmake --build build
  # Three at a time on CI's two cores: many tests wait on processes, sockets or timers.
  timed "ctest" ctest --test-dir build --output-on-failure -j 3
}
if [[ " $parts " == *" main "* ]]; then
  main_part
fi
if [[ " $parts " == *" fuzz "* ]]; then
  timed "fuzz (build + ${EDDY_FUZZ_SECONDS:-10} s per target)" \
    ./scripts/fuzz.sh "${EDDY_FUZZ_SECONDS:-10}"
fi
if [[ " $parts " == *" asan "* ]]; then
  # The table tests (SQL sessions end to end, CTest prefix "sql:" too) are not built here: not
  # built, CTest does not list them (docs/testing.md, build cost).
  # "tests:" is the test-name check, here of these four executables.
  timed "ASan+UBSan unit, regression, CEP and SQL parser tests (build + run)" \
    env SANITIZE_TARGETS="eddy eddy_squares eddy_unit_tests eddy_regression_tests eddy_cep_tests eddy_sql_tests" \
    ./scripts/sanitize.sh address '^(unit|regression|cep|sql|tests):'
fi
echo "test.sh: every part passed; cost per part:"
for c in "${costs[@]}"; do echo "  $c"; done
