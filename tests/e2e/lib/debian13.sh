# debian13.sh - a Debian 13 ("trixie") root with the Python stack a user
# installs today (SQLAlchemy 2, FastAPI, Starlette, Pydantic 2, httpx, pytest
# 8), so that the end-to-end scripts can run a generated project on it as
# well as on the host's Debian 12 stack.
#
# The root is made once with debootstrap and kept in a cache outside the
# repository, ${BACKBONE_CACHE:-/var/cache/backbone}/debian13 (or where
# BACKBONE_DEBIAN13 says). It is made again when its recipe (suite, package
# list) changes: the recipe is written into the root as a stamp. A root is
# made in a side folder and renamed into place when complete, so an
# interrupted build leaves no half root behind. A lock file beside it lets
# any number of runs use the root together, and a build waits for them
# (and they for it).
#
# Commands run in a private mount and PID namespace (unshare), chrooted into
# the root, with a fresh /proc, a small /dev of device nodes, an empty /tmp
# and the project folder bound at /project. When the command ends, the
# kernel drops these mounts and ends every process left in the namespace,
# whatever way the caller ends; nothing is ever mounted where the host sees
# it. The network is the host's: servers on 127.0.0.1 are reachable.
#
# Sourced:
#   . "$here/lib/debian13.sh"
#   d13_ensure || ...                  # build or reuse; prints why not
#   d13_run DIR [NAME=VALUE...] CMD... # CMD in the root, in /project = DIR
# Run directly:
#   sh tests/e2e/lib/debian13.sh build          # build or reuse, say which
#   sh tests/e2e/lib/debian13.sh run DIR CMD... # as d13_run
#   sh tests/e2e/lib/debian13.sh versions       # the Python stack inside
#   sh tests/e2e/lib/debian13.sh path           # where the root is
#
# Needs root and debootstrap (scripts/deps.sh test installs it); the first
# build downloads about 100 MB from the Debian mirror (D13_MIRROR).

D13_SUITE=trixie
D13_MIRROR=${D13_MIRROR:-http://deb.debian.org/debian}
D13_PACKAGES="python3 python3-sqlalchemy python3-fastapi python3-starlette python3-pydantic
python3-httpx python3-pytest python3-alembic python3-psycopg2 python3-pymysql python3-uvicorn
python3-venv python3-pip python3-setuptools mypy black isort flake8"
# Bump when the way the root is made changes, so cached roots are remade.
D13_RECIPE=1
D13_ROOT=${BACKBONE_DEBIAN13:-${BACKBONE_CACHE:-/var/cache/backbone}/debian13}
D13_LOCK="$D13_ROOT.lock"
D13_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The package list on one line, however it is wrapped above.
d13_stamp() {
    # shellcheck disable=SC2086
    echo "recipe $D13_RECIPE; suite $D13_SUITE; packages" $D13_PACKAGES
}

# d13_outside_clone: the root must not land in a git work tree (the
# repository's or any other): it would be committed, or scanned by tools.
d13_outside_clone() {
    dir=$(dirname "$D13_ROOT")
    while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
    if command -v git >/dev/null 2>&1 &&
        [ "$(git -C "$dir" rev-parse --is-inside-work-tree 2>/dev/null)" = true ]; then
        echo "debian13: $D13_ROOT is inside a git work tree; set BACKBONE_CACHE elsewhere"
        return 1
    fi
}

# d13_exec ROOT DIR CMD...: CMD chrooted into ROOT (DIR bound at /project
# when not empty), in private mount and PID namespaces.
d13_exec() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    D13_PATH=$D13_PATH unshare --mount --pid --fork --kill-child --mount-proc="$1/proc" sh -c '
        set -e
        r=$1 dir=$2
        shift 2
        mount -t tmpfs -o mode=755,size=8m d13dev "$r/dev"
        mknod -m 666 "$r/dev/null" c 1 3
        mknod -m 666 "$r/dev/zero" c 1 5
        mknod -m 666 "$r/dev/full" c 1 7
        mknod -m 666 "$r/dev/random" c 1 8
        mknod -m 666 "$r/dev/urandom" c 1 9
        mknod -m 666 "$r/dev/tty" c 5 0
        mkdir -m 1777 "$r/dev/shm"
        ln -s /proc/self/fd "$r/dev/fd"
        ln -s /proc/self/fd/0 "$r/dev/stdin"
        ln -s /proc/self/fd/1 "$r/dev/stdout"
        ln -s /proc/self/fd/2 "$r/dev/stderr"
        mount -t tmpfs -o mode=1777 d13tmp "$r/tmp"
        cwd=/
        if [ -n "$dir" ]; then
            mount --bind "$dir" "$r/project"
            cwd=/project
        fi
        exec chroot "$r" /usr/bin/env -i -C "$cwd" PATH="$D13_PATH" HOME=/root \
            LANG=C.UTF-8 TMPDIR=/tmp "$@"
    ' d13 "$@"
}

# d13_build: makes the root in a side folder, then puts it in place.
d13_build() {
    new="$D13_ROOT.new"
    log="$D13_ROOT.log"
    rm -rf --one-file-system "$new"
    echo "debian13: making a Debian 13 root in $D13_ROOT (log: $log)"
    if ! debootstrap --variant=minbase "$D13_SUITE" "$new" "$D13_MIRROR" >"$log" 2>&1; then
        tail -20 "$log"
        return 1
    fi
    # No service may start inside the root; apt needs the host's resolver.
    printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
    chmod 755 "$new/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$new/etc/resolv.conf"
    mkdir -p "$new/project"
    # shellcheck disable=SC2086
    if ! d13_exec "$new" "" DEBIAN_FRONTEND=noninteractive \
        ${http_proxy:+http_proxy=$http_proxy} sh -c '
            apt-get update -q &&
            apt-get install -y -q --no-install-recommends "$@" &&
            apt-get clean' d13 $D13_PACKAGES >>"$log" 2>&1; then
        tail -20 "$log"
        return 1
    fi
    d13_stamp >"$new/etc/backbone-root"
    if [ -d "$D13_ROOT" ]; then
        mv "$D13_ROOT" "$D13_ROOT.old"
        rm -rf --one-file-system "$D13_ROOT.old"
    fi
    mv "$new" "$D13_ROOT"
}

d13_is_current() {
    [ "$(cat "$D13_ROOT/etc/backbone-root" 2>/dev/null)" = "$(d13_stamp)" ]
}

# d13_ensure: the root, built if missing or made from another recipe.
d13_ensure() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "debian13: needs root (debootstrap, chroot, mounts)"
        return 1
    fi
    for tool in debootstrap unshare flock chroot; do
        command -v "$tool" >/dev/null 2>&1 ||
            { echo "debian13: $tool not found (scripts/deps.sh test)"; return 1; }
    done
    d13_outside_clone || return 1
    mkdir -p "$(dirname "$D13_ROOT")" || return 1
    # A shared look first: the usual case, a current root, never waits for
    # other runs; only a build takes the lock for itself.
    (flock -s 9 && d13_is_current) 9>"$D13_LOCK" && return 0
    (
        flock -x 9 || exit 1
        d13_is_current && exit 0
        d13_build
    ) 9>"$D13_LOCK"
}

# d13_run DIR [NAME=VALUE...] CMD...: CMD inside the root, in /project,
# which is DIR. The environment is empty but for PATH, HOME, LANG, TMPDIR,
# pip kept offline, and the NAME=VALUE pairs given.
d13_run() {
    dir=$(cd "$1" && pwd) || return 1
    shift
    (
        flock -s 9 || exit 1
        d13_exec "$D13_ROOT" "$dir" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
    ) 9>"$D13_LOCK"
}

# d13_versions: one line with the versions of the stack inside the root.
d13_versions() {
    d13_exec "$D13_ROOT" "" python3 -c '
import sys
from importlib.metadata import version

names = ["sqlalchemy", "fastapi", "starlette", "pydantic", "httpx", "pytest", "alembic"]
print("Python %d.%d.%d," % sys.version_info[:3],
      ", ".join("%s %s" % (n, version(n)) for n in names))'
}

case "${0##*/}" in
debian13.sh)
    set -u
    case "${1:-}" in
    build)
        start=$(date +%s)
        d13_ensure || exit 1
        echo "debian13: $D13_ROOT ready in $(($(date +%s) - start)) s"
        ;;
    run)
        shift
        [ $# -ge 2 ] || { echo "usage: $0 run DIR CMD..." >&2; exit 2; }
        d13_ensure >&2 || exit 1
        d13_run "$@"
        ;;
    versions) d13_ensure >&2 && d13_versions ;;
    path) echo "$D13_ROOT" ;;
    *)
        echo "usage: $0 build | run DIR CMD... | versions | path" >&2
        exit 2
        ;;
    esac
    ;;
esac
