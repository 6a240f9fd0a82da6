#!/bin/sh
# build.sh DESTDIR - the build stage of deploy/Dockerfile, which the tests
# also run on the machine itself (tests/integration/deploy.sh): compiles
# backbone (release variant) and installs it under DESTDIR/usr/local, the
# tree the runtime stage copies. The packages it needs are those of
# `scripts/deps.sh build`, installed by the Dockerfile before this runs.
set -eu
dest=${1:?usage: deploy/build.sh DESTDIR}
case $dest in /*) ;; *) dest=$(pwd)/$dest ;; esac
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" VARIANT=release all
make VARIANT=release install PREFIX=/usr/local DESTDIR="$dest"
# The image has no compiler: whatever the binary needs must be a runtime
# library. It must at least start.
"$dest/usr/local/bin/backbone" --version
