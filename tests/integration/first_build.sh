#!/bin/sh
# first_build.sh - the README's commands on a fresh machine: make installs
# the -dev packages and only then asks pkg-config for their flags. Played
# here by a pkg-config that knows no package until the deps step has run
# (it creates a marker), and a deps step that only creates that marker: a
# Makefile that asks pkg-config when it is read gets no include flags, and
# the first compile of a file that includes cJSON.h fails.
set -eu
T=$(mktemp -d /tmp/bb-first-build-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"
real=$(command -v pkg-config)
mkdir -p "$T/bin"
cat >"$T/bin/pkg-config" <<SH
#!/bin/sh
[ -f "$T/installed" ] || exit 1
exec "$real" "\$@"
SH
cat >"$T/deps" <<SH
#!/bin/sh
touch "$T/installed"
SH
chmod +x "$T/bin/pkg-config" "$T/deps"
obj=$T/build/release/src/json/jsonout.o
# The build of the test run (its VARIANT, its -j) must not leak in.
if ! PATH="$T/bin:$PATH" env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
    make -s VARIANT=release BUILD_DIR="$T/build" DEPS_SCRIPT="$T/deps" "$obj" >"$T/log" 2>&1; then
    cat "$T/log" >&2
    fail "a build whose packages appear during the deps step"
fi
[ -f "$obj" ] || fail "no object after the first build"
[ -f "$T/installed" ] || fail "the deps step did not run"
ok "the first build asks pkg-config after the deps step"
echo "first_build.sh: 1 check passed"
