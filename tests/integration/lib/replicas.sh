# replicas.sh - a private redis-server and nginx on loopback, for the
# replicas of `backbone serve --redis` (tests/integration/scale.sh and
# bench/bench_scale.sh). Sourced; each function leaves the process id in a
# variable for the caller to stop, and returns 1 when it did not start.

# redis_start DIR PORT: an empty Redis without persistence; REDIS_PID.
redis_start() {
    redis-server --port "$2" --bind 127.0.0.1 --save '' --appendonly no --dir "$1" \
        --logfile "$1/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
        redis-cli -p "$2" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    return 1
}

# nginx_start DIR PORT UPSTREAM_PORT...: nginx on PORT spreading requests
# over the upstream ports round-robin, its files under DIR/ngx; NGINX_PID.
nginx_start() {
    dir=$1 port=$2
    shift 2
    mkdir -p "$dir/ngx"
    servers=""
    for p in "$@"; do servers="$servers        server 127.0.0.1:$p max_fails=0;
"; done
    cat > "$dir/ngx/nginx.conf" <<CONF
worker_processes 1;
error_log $dir/ngx/error.log warn;
pid $dir/ngx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/ngx/body;
    proxy_temp_path $dir/ngx/proxy;
    fastcgi_temp_path $dir/ngx/fastcgi;
    uwsgi_temp_path $dir/ngx/uwsgi;
    scgi_temp_path $dir/ngx/scgi;
    client_body_buffer_size 1m;
    client_max_body_size 20m;
    upstream backbone {
$servers        keepalive 64;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://backbone;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_next_upstream error timeout;
        }
    }
}
CONF
    nginx -c "$dir/ngx/nginx.conf" -p "$dir/ngx" -g 'daemon off;' 2> "$dir/ngx/stderr" &
    NGINX_PID=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/health" && return 0
        sleep 0.05
    done
    cat "$dir/ngx/stderr" "$dir/ngx/error.log" >&2 2>/dev/null
    return 1
}
