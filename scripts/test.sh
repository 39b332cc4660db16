#!/usr/bin/env bash
# Command 2 of the README (and what CI runs): install what is missing, build everything and run
# the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DEDDY_BUILD_TESTS=ON -DEDDY_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j 2
