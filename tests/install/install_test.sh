#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds samples/external_job against it with
# find_package(Eddy), runs it and checks its output.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/samples/external_job" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/external_job" > "$work/out.txt"
# Expected: per last digit d of even x in 1..1000, the sum of x*x.
declare -A expected
for x in $(seq 1 1000); do
  if (( (x * x) % 2 == 0 )); then
    d=$(( x % 10 ))
    expected[$d]=$(( ${expected[$d]:-0} + x * x ))
  fi
done
want=$(for d in "${!expected[@]}"; do echo "$d,${expected[$d]}"; done | sort)
got=$(sort "$work/out.txt")
if [ "$want" != "$got" ]; then
  echo "unexpected output from external_job:"; echo "$got"; echo "expected:"; echo "$want"
  exit 1
fi
echo "installed Eddy works: external_job output matches"
test -x "$work/prefix/bin/eddy"
test -f "$work/prefix/include/eddy/operators/datastream.hpp"
