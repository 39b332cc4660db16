#!/usr/bin/env bash
# Fails if a Catch2 test name holds a character that breaks CTest's test discovery (';' splits
# CMake lists, '[' and ']' confuse the generated script): such names silently merge or drop tests.
set -euo pipefail
status=0
for bin in "$@"; do
  bad=$("$bin" --list-test-names-only | grep -n '[][;]' || true)
  if [ -n "$bad" ]; then
    echo "$bin: test names with ; [ or ] (CTest cannot register them):" >&2
    echo "$bad" >&2
    status=1
  fi
done
exit $status
