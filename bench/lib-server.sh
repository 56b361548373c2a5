# shellcheck shell=bash
# bench/lib-server.sh - minimal stand-ins for the server helpers of
# scripts/lib.sh, used by bench/run only when scripts/lib.sh is missing.
# Same names and contract:
#   trail_tmpdir; trail_server_start DIR; trail_as_server_user CMD...;
#   trail_server_stop; trail_cleanup
# A throwaway PostgreSQL 15: initdb into DIR/data (as "postgres" when root),
# unix socket only in DIR/sock, port 5439x.

TRAIL_ROOT=${TRAIL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TRAIL_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TRAIL_PGBIN=$(dirname "$TRAIL_PG_CONFIG")

trail_say() { printf 'trail: %s\n' "$*"; }
trail_err() { printf 'trail: error: %s\n' "$*" >&2; }
trail_is_root() { [ "$(id -u)" -eq 0 ]; }

trail_server_user() {
	[ -n "${TRAIL_SERVER_USER:-}" ] && return 0
	if trail_is_root; then
		id -u postgres >/dev/null 2>&1 || { trail_err "running as root needs a 'postgres' user"; return 1; }
		TRAIL_SERVER_USER=postgres
	else
		TRAIL_SERVER_USER=$(id -un)
	fi
}

trail_as_server_user() {
	trail_server_user || return 1
	if trail_is_root; then
		runuser -u "$TRAIL_SERVER_USER" -- env "PATH=$TRAIL_PGBIN:/usr/bin:/bin" "HOME=${TRAIL_TMP:-/tmp}" "$@"
	else
		env "PATH=$TRAIL_PGBIN:$PATH" "$@"
	fi
}

trail_give() {
	trail_server_user || return 1
	if trail_is_root; then chown -R "$TRAIL_SERVER_USER:" "$@"; fi
}

trail_tmpdir() {
	trail_server_user || return 1
	TRAIL_TMP=$(mktemp -d /tmp/trail-bench.XXXXXX) || return 1
	chmod 755 "$TRAIL_TMP"
	trail_give "$TRAIL_TMP"
}

trail_server_start() {
	local dir=${1:?directory} port
	trail_server_user || return 1
	mkdir -p "$dir/sock" && dir=$(cd "$dir" && pwd)
	TRAIL_PGDATA=$dir/data
	TRAIL_SERVER_LOG=$dir/server.log
	trail_give "$dir" || return 1
	(cd "$dir" && trail_as_server_user initdb -D "$TRAIL_PGDATA" --auth=trust --encoding=UTF8 \
		--locale=C --username="$TRAIL_SERVER_USER" --no-sync >"$dir/initdb.log" 2>&1) ||
		{ cat "$dir/initdb.log"; trail_err "initdb failed"; return 1; }
	port=$((54390 + RANDOM % 10))
	cat >>"$TRAIL_PGDATA/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir/sock'
		port = $port
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	trail_give "$TRAIL_PGDATA/postgresql.conf"
	(cd "$dir" && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -l "$TRAIL_SERVER_LOG" -w -t 60 start \
		>/dev/null 2>&1) || { tail -n 40 "$TRAIL_SERVER_LOG"; trail_err "PostgreSQL did not start"; return 1; }
	TRAIL_SERVER_RUNNING=1
	export PGHOST=$dir/sock PGPORT=$port PGUSER=$TRAIL_SERVER_USER PGDATABASE=postgres
}

trail_server_stop() {
	[ -n "${TRAIL_SERVER_RUNNING:-}" ] || return 0
	(cd / && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1) ||
		(cd / && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -m immediate -w stop >/dev/null 2>&1)
	TRAIL_SERVER_RUNNING=
}

trail_cleanup() {
	trail_server_stop
	if [ -n "${TRAIL_TMP:-}" ] && [ -d "$TRAIL_TMP" ] && [ "${TRAIL_KEEP_TMP:-}" != 1 ]; then
		rm -rf "$TRAIL_TMP"
	fi
	TRAIL_TMP=
}
