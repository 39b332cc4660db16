#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build the `eddy` binary and run the
# word-count sample on the embedded runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DEDDY_BUILD_TESTS=OFF -DEDDY_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build --target eddy
mkdir -p build/quickstart
input=build/quickstart/input.txt
for i in $(seq 1 2000); do
  echo "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer"
  echo "The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles $i"
done > "$input"
rm -rf build/quickstart/counts  # eddy refuses a non-empty output directory
./build/bin/eddy run wordcount --input "$input" --output build/quickstart/counts --parallelism 2
echo "--- the ten most frequent words (from build/quickstart/counts/part-*):"
cat build/quickstart/counts/part-* | sort -t, -k2,2nr -k1,1 | head -10
