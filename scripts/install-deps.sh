#!/usr/bin/env bash
# Installs the Debian 12 packages Eddy needs to build and test. As root it installs what is
# missing; otherwise it prints the exact apt-get line and fails.
set -euo pipefail
packages=(g++ cmake ninja-build ccache pkg-config libcaf-dev libspdlog-dev libabsl-dev
          libcli11-dev catch2 capnproto libcapnp-dev liblmdb-dev zlib1g-dev libssl-dev openssl
          nlohmann-json3-dev libedit-dev clang libclang-rt-14-dev librdkafka-dev libsimdjson-dev
          libpqxx-dev postgresql libmosquitto-dev mosquitto mosquitto-clients
          libcpp-httplib-dev prometheus-cpp-dev chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "eddy: missing packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "eddy: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
