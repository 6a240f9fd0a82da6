#!/bin/sh
# bench_soak.sh - `backbone serve` under mixed good and bad traffic on
# loopback for SOAK_SECONDS (default 60): validations, generations, probes
# and metrics alongside wrong credentials, malformed and oversized bodies,
# desynchronising headers, paths that are not ASCII, invented methods,
# abandoned bodies and slowloris connections. It must answer no 5xx and
# keep its RSS flat; bench/soak.py prints the figures.
set -eu
cd "$(dirname "$0")/.."
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
exec /usr/bin/python3 bench/soak.py "$BACKBONE" "${SOAK_SECONDS:-60}"
