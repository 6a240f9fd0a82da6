# postgres.sh - a private PostgreSQL 15 for the end-to-end scripts, sourced
# by them: initdb and pg_ctl as the postgres user (PostgreSQL refuses to
# run as root; Debian keeps both in its versioned lib folder, off PATH),
# listening on a Unix socket in the caller's temporary folder and on a free
# TCP port of 127.0.0.1 (for the Debian 13 root of lib/debian13.sh, which
# shares the host's network but not its files). Connections are trusted.
#
#   . "$here/lib/postgres.sh"
#   pg_start "$work" || ...     # data in $work/pg, socket in $work/sock
#   pg_createdb NAME || ...
#   pg_url NAME                 # postgresql://postgres@/NAME?host=...&port=...
#   pg_tcp_url NAME             # postgresql://postgres@127.0.0.1:PORT/NAME
#   pg_stop                     # from the caller's cleanup trap
#
# pg_start prints why it could not start and returns 1.

# shellcheck source=tests/e2e/lib/port.sh
. "${here:?the caller sets here to tests/e2e}/lib/port.sh"

PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA=
PG_SOCK=
PG_PORT=
pg_started=0

# pg_as_postgres CMD: runs CMD as the postgres user (we may already be it).
pg_as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        sh -c "$1"
    else
        su postgres -c "$1"
    fi
}

pg_start() {
    PG_DATA="$1/pg"
    PG_SOCK="$1/sock"
    if [ ! -x "$PG_BIN/initdb" ]; then
        echo "PostgreSQL 15 not found in $PG_BIN (Debian package postgresql-15)"
        return 1
    fi
    if ! id postgres >/dev/null 2>&1; then
        echo "no postgres user to run PostgreSQL as"
        return 1
    fi
    PG_PORT=$(free_tcp_port) || return 1
    mkdir -p "$PG_DATA" "$PG_SOCK"
    chmod 755 "$1"
    chown postgres "$PG_DATA" "$PG_SOCK"
    pg_as_postgres "$PG_BIN/initdb -D '$PG_DATA' -A trust -U postgres" >"$1/initdb.log" 2>&1 ||
        { cat "$1/initdb.log"; return 1; }
    pg_as_postgres "$PG_BIN/pg_ctl -D '$PG_DATA' -l '$PG_DATA/log' -w -o \"-k $PG_SOCK -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off\" start" \
        >/dev/null 2>&1 || { cat "$PG_DATA/log"; return 1; }
    pg_started=1
}

pg_createdb() {
    pg_as_postgres "$PG_BIN/createdb -h '$PG_SOCK' -p $PG_PORT '$1'"
}

pg_url() {
    echo "postgresql://postgres@/$1?host=$PG_SOCK&port=$PG_PORT"
}

pg_tcp_url() {
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"
}

pg_stop() {
    if [ "$pg_started" = 1 ]; then
        pg_as_postgres "$PG_BIN/pg_ctl -D '$PG_DATA' -m immediate stop" >/dev/null 2>&1 || true
        pg_started=0
    fi
}
