#!/bin/sh
# check_layers.sh - the source tree's one-way dependencies (make lint).
#
#   sh scripts/check_layers.sh base diag json ... server+cli
#
# The arguments are the layers of src/, lowest first; layers joined by "+"
# are peers (neither may include the other). A file of src/L/ may include
# "M/x.h" only when M is L or comes before L. Modules (a .c/.h pair) must
# not include each other in a circle, inside a layer or across layers.
set -eu
cd "$(dirname "$0")/.."

rank_of() {
    r=0
    for group in $order; do
        r=$((r + 1))
        for l in $(echo "$group" | tr + ' '); do
            [ "$l" = "$1" ] && { echo $r; return; }
        done
    done
    echo 0
}

order="$*"
status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in src/*/*.[ch]; do
    layer=$(basename "$(dirname "$f")")
    mod=$layer/$(basename "$f" | sed 's/\.[ch]$//')
    lr=$(rank_of "$layer")
    if [ "$lr" = 0 ]; then
        echo "$f: layer $layer is not in the layer order ($order)"
        status=1
        continue
    fi
    { grep -n '^#include "' "$f" || true; } | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1 \2/' |
        while read -r line inc; do
            case "$inc" in
            */*) ;;
            *) continue ;; # generated headers of the build folder
            esac
            il=${inc%%/*}
            ir=$(rank_of "$il")
            if [ "$ir" = 0 ] || [ "$ir" -gt "$lr" ] || { [ "$ir" = "$lr" ] && [ "$il" != "$layer" ]; }; then
                echo "$f:$line: includes $inc: $il is not below $layer (order: $order)"
                echo 1 >"$edges.bad"
            fi
            target=${inc%.h}
            if [ "$target" != "$mod" ]; then echo "$mod $target" >>"$edges"; fi
        done
done
if [ -f "$edges.bad" ]; then
    status=1
    rm -f "$edges.bad"
fi
# tsort names every module of a circle on standard error.
if ! tsort "$edges" >/dev/null 2>"$edges.loop"; then
    echo "include circle between modules:"
    grep -v 'input contains a loop' "$edges.loop" | sed 's/^tsort: /  /'
    status=1
fi
rm -f "$edges.loop"
if [ $status = 0 ]; then echo "layers: $(echo "$order" | sed 's/ / <- /g'): one way, no circles"; fi
exit $status
