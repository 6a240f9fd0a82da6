#!/bin/sh
# deps.sh - makes sure the Debian packages backbone needs are installed.
#
#   scripts/deps.sh build   compiler and libraries (make all)
#   scripts/deps.sh test    + what the test suite runs (Python stack, PostgreSQL,
#                           MariaDB, Redis, nginx, clang, debootstrap for the
#                           Debian 13 root of tests/e2e/lib/debian13.sh, made
#                           on first use; promtool and PyYAML for the
#                           deployment files, tests/integration/deploy.sh)
#   scripts/deps.sh bench   + the benchmark tools (wrk, hyperfine, node/npm)
#
# As root it installs what is missing with apt-get; otherwise it prints the
# exact command to run and exits 1. Installed packages are never touched.
set -eu

want=${1:-build}
# libcurl4-openssl-dev, libmicrohttpd-dev and libhiredis-dev are needed for
# their headers: the binary is not linked against these libraries but loads
# libcurl.so.4, libmicrohttpd.so.12 or libhiredis when a command first needs
# it (base/dynlib.c). A machine that only runs backbone needs the packages
# libcurl4 (model calls), libmicrohttpd12 (serve) and libhiredis (serve
# --redis) for those commands only.
build_pkgs="gcc make pkg-config libcjson-dev libpcre2-dev libcurl4-openssl-dev libmicrohttpd-dev libhiredis-dev zlib1g-dev"
test_pkgs="libcmocka-dev clang-format python3 python3-sqlalchemy python3-fastapi python3-pydantic python3-httpx python3-pytest python3-alembic python3-psycopg2 python3-pymysql python3-uvicorn python3-jsonschema black isort flake8 mypy postgresql mariadb-server debootstrap curl redis-server nginx clang-14 libclang-rt-14-dev prometheus python3-yaml"
bench_pkgs="wrk hyperfine nodejs npm"

case "$want" in
build) pkgs="$build_pkgs" ;;
test) pkgs="$build_pkgs $test_pkgs" ;;
bench) pkgs="$build_pkgs $test_pkgs $bench_pkgs" ;;
*)
    echo "usage: $0 build|test|bench" >&2
    exit 2
    ;;
esac

missing=""
for p in $pkgs; do
    # nodejs/npm may come from elsewhere than Debian; a working command is enough.
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "backbone: missing Debian packages:$missing" >&2
    echo "backbone: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "backbone: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
