#!/usr/bin/env bash
# Installs what Hookwire needs on a fresh Debian 12 machine: the C libraries' -dev packages, the
# peers that tests and benchmarks run against, and the Python packages of the interop tests.
# It is idempotent: when everything is present it installs nothing.
set -euo pipefail

debian_packages=(
    pkg-config
    libsqlite3-dev sqlite3
    libssl-dev openssl
    libcurl4-openssl-dev
    nginx-light
    redis-server redis-tools
    wrk
    hyperfine
    valgrind
    libclang-rt-14-dev
    curl
)
python_packages=(standardwebhooks svix protobuf grpcio-tools)

missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo_prefix=()
    [ "$(id -u)" -eq 0 ] || sudo_prefix=(sudo)
    "${sudo_prefix[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
missing_python=()
for package in "${python_packages[@]}"; do
    "$python" -m pip show -q "$package" >/dev/null 2>&1 || missing_python+=("$package")
done
if [ "${#missing_python[@]}" -gt 0 ]; then
    echo "setup: installing Python packages: ${missing_python[*]}"
    "$python" -m pip install -q "${missing_python[@]}"
fi

# The Debian nginx and redis packages start system services on install; the tests start their
# own instances on loopback ports, so the system ones are not needed.
exit 0
