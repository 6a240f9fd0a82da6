# checks.sh - what the integration scripts share, sourced after they set BB
# (the binary) and T (their temporary folder): a numbered "ok" line per
# check, fail(), skip(), and run()/expect_rc() around the binary.
n=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() {
    n=$((n + 1))
    echo "ok $n - $*"
}
# A check that cannot run here: said on the output and recorded in
# $BB_SKIP_LOG, which `make integration` lists at the end.
skip() {
    n=$((n + 1))
    echo "ok $n # SKIP $*"
    if [ -n "${BB_SKIP_LOG:-}" ]; then
        echo "${0##*/}: $*" >>"$BB_SKIP_LOG"
    fi
}
# Runs backbone, keeping its exit code in $rc and its output in $T/out, $T/err.
run() {
    set +e
    "$BB" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
}
expect_rc() {
    [ "$rc" -eq "$1" ] || {
        cat "$T/out" "$T/err" >&2
        fail "$2: exit $rc, expected $1"
    }
}
