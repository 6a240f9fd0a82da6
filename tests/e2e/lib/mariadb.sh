# mariadb.sh - a private MariaDB (Debian 12's mariadb-server) for the
# end-to-end scripts, sourced by them, as lib/postgres.sh is for PostgreSQL:
# its own data folder in the caller's temporary folder, a Unix socket there
# and a free TCP port of 127.0.0.1, no option file read (--no-defaults), no
# system service touched. mariadbd drops to the mysql user; root connects
# without a password over the socket and over TCP.
#
#   . "$here/lib/mariadb.sh"     # $here: tests/e2e
#   mdb_start "$work" || ...    # data in $work/mariadb, socket in $work/mariadb-sock
#   mdb_createdb NAME || ...
#   mdb_url NAME                # mysql+pymysql://root@127.0.0.1:PORT/NAME?charset=utf8mb4
#   mdb_stop                    # from the caller's cleanup trap
#
# mdb_start prints why it could not start and returns 1.

# shellcheck source=tests/e2e/lib/port.sh
. "${here:?the caller sets here to tests/e2e}/lib/port.sh"

MDB_DATA=
MDB_SOCK=
MDB_PORT=
mdb_pid=

mdb_client() {
    mariadb --no-defaults --user=root --socket="$MDB_SOCK" "$@"
}

mdb_start() {
    MDB_DATA="$1/mariadb"
    MDB_SOCK="$1/mariadb-sock/mariadbd.sock"
    if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb-install-db >/dev/null 2>&1; then
        echo "MariaDB not found (Debian package mariadb-server)"
        return 1
    fi
    if ! id mysql >/dev/null 2>&1; then
        echo "no mysql user to run MariaDB as"
        return 1
    fi
    MDB_PORT=$(free_tcp_port) || return 1
    mkdir -p "$MDB_DATA" "${MDB_SOCK%/*}"
    chmod 755 "$1"
    chown mysql "$MDB_DATA" "${MDB_SOCK%/*}"
    mariadb-install-db --no-defaults --user=mysql --datadir="$MDB_DATA" \
        --auth-root-authentication-method=normal --skip-test-db >"$1/mariadb-install.log" 2>&1 ||
        { tail -20 "$1/mariadb-install.log"; return 1; }
    # The tests need no durability: no binary log, no flush at commit.
    /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MDB_DATA" \
        --socket="$MDB_SOCK" --port="$MDB_PORT" --bind-address=127.0.0.1 \
        --skip-name-resolve --pid-file="$MDB_DATA/mariadbd.pid" \
        --log-error="$MDB_DATA/error.log" --innodb-flush-log-at-trx-commit=0 \
        --innodb-buffer-pool-size=64M --character-set-server=utf8mb4 \
        </dev/null >/dev/null 2>&1 &
    mdb_pid=$!
    i=0
    until mdb_client -e 'SELECT 1' >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 300 ] || ! kill -0 "$mdb_pid" 2>/dev/null; then
            tail -20 "$MDB_DATA/error.log"
            mdb_stop
            return 1
        fi
        sleep 0.1
    done
    # Over TCP the server sees 127.0.0.1, not localhost: root may come from there.
    mdb_client -e "CREATE USER IF NOT EXISTS root@'127.0.0.1';
        GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;" || { mdb_stop; return 1; }
}

mdb_createdb() {
    mdb_client -e "CREATE DATABASE \`$1\` CHARACTER SET utf8mb4"
}

mdb_url() {
    echo "mysql+pymysql://root@127.0.0.1:$MDB_PORT/$1?charset=utf8mb4"
}

mdb_stop() {
    [ -n "$mdb_pid" ] || return 0
    kill "$mdb_pid" 2>/dev/null
    i=0
    while kill -0 "$mdb_pid" 2>/dev/null && [ $i -lt 100 ]; do
        i=$((i + 1))
        sleep 0.1
    done
    kill -9 "$mdb_pid" 2>/dev/null
    wait "$mdb_pid" 2>/dev/null
    mdb_pid=
}
