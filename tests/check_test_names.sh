#!/usr/bin/env bash
# Fails if a Catch2 test name holds a character that breaks CTest's test discovery (';' splits
# CMake lists, '[' and ']' confuse the generated script): such names silently merge or drop tests.
# A binary that is not built in this build directory is skipped with a line saying so: scripts/
# test.sh builds the unit, regression, CEP and SQL parser tests only under ASan
# (EDDY_TESTS_SANITIZED_ONLY), and the table and integration tests only in the main build; each
# build's check covers the binaries it built.
set -euo pipefail
status=0
for bin in "$@"; do
  if [ ! -x "$bin" ]; then
    echo "not built in this build directory, not checked here: $bin"
    continue
  fi
  bad=$("$bin" --list-test-names-only | grep -n '[][;]' || true)
  if [ -n "$bad" ]; then
    echo "$bin: test names with ; [ or ] (CTest cannot register them):" >&2
    echo "$bad" >&2
    status=1
  fi
done
exit $status
