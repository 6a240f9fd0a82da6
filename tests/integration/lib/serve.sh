# serve.sh - sourced by the integration scripts that start `backbone serve`.

# listening_port LOG: the port of the "listening" line the service writes
# to LOG once it is up, waiting for it up to 10 s; nothing when it never
# comes.
listening_port() {
    for _ in $(seq 1 200); do
        sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$1" | head -n 1 | grep . && return 0
        sleep 0.05
    done
    return 1
}
