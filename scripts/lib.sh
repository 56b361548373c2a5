# shellcheck shell=bash
# scripts/lib.sh — shared helpers for scripts/test, scripts/demo and the
# benchmark: install what the build needs, build and install the extension,
# and run a throwaway PostgreSQL 15 server.  Source it; do not run it.
#
#   . scripts/lib.sh
#   trail_install_deps               # apt-get what is missing (sudo if not root)
#   trail_build_install              # make && make install (COPT=-Werror when CI=true)
#   trail_tmpdir                     # sets TRAIL_TMP: a temp dir the server user owns
#   trail_server_start "$TRAIL_TMP"  # initdb + start; exports PGHOST PGPORT PGUSER PGDATABASE
#   trail_as_server_user CMD...      # run CMD as the server's (unprivileged) user
#   trail_server_stop                # stop the server (safe to call twice)
#   trail_cleanup                    # stop the server and remove TRAIL_TMP
#
# PostgreSQL refuses to run as root.  When these helpers run as root, the
# server and everything that must touch its files run as "postgres" if that
# account exists, otherwise as a system user "trail" created on demand.
#
# The functions return non-zero on failure (they never exit), so callers
# decide what a failure means.  Settings, all optional:
#   PG_CONFIG        pg_config to build against (default PostgreSQL 15's)
#   TRAIL_INFLATER   isal or zlib: the inflater to build with (default: the
#                    Makefile's, ISA-L when pkg-config finds libisal)
#   TRAIL_KEEP_TMP=1 keep the temp dir (data dir, logs, results) for a look

TRAIL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRAIL_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TRAIL_PGBIN=$(dirname "$TRAIL_PG_CONFIG")
TRAIL_DEPS=(build-essential pkg-config postgresql-15 postgresql-server-dev-15
	zlib1g-dev libisal-dev libdeflate-dev libcjson-dev libssl-dev libipc-run-perl python3
	python3-cryptography postgresql-15-cron)

trail_say() { printf 'trail: %s\n' "$*"; }
trail_err() { printf 'trail: error: %s\n' "$*" >&2; }
trail_is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when we are root, else through sudo.
trail_sudo() {
	if trail_is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		trail_err "need root for: $* (sudo is not installed)"
		return 1
	fi
}

_trail_have_pkg() {
	case "$1" in
	python3) command -v python3 >/dev/null 2>&1 && return 0 ;;
	esac
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# trail_install_deps [EXTRA_PACKAGE...]: install the build and test
# dependencies (plus any extra Debian packages named) that are missing.
# Quiet: says what it installs, shows apt's output only on failure.
trail_install_deps() {
	local p missing=() log
	if ! command -v dpkg-query >/dev/null 2>&1; then
		trail_say "not a Debian system: not installing packages; expecting ${TRAIL_DEPS[*]} or equivalents"
		return 0
	fi
	for p in "${TRAIL_DEPS[@]}" "$@"; do
		_trail_have_pkg "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	trail_say "installing with apt-get: ${missing[*]}"
	log=$(mktemp "${TMPDIR:-/tmp}/trail-apt.XXXXXX")
	if ! trail_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
		! trail_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" </dev/null >>"$log" 2>&1; then
		cat "$log"
		rm -f "$log"
		trail_err "apt-get failed to install: ${missing[*]}"
		return 1
	fi
	rm -f "$log"
}

# Arguments for every make call: the pg_config, the inflater if one was
# asked for, and -Werror in CI.
trail_make_args() {
	TRAIL_MAKE_ARGS=("PG_CONFIG=$TRAIL_PG_CONFIG")
	if [ -n "${TRAIL_INFLATER:-}" ]; then
		TRAIL_MAKE_ARGS+=("TRAIL_INFLATER=$TRAIL_INFLATER")
	fi
	if [ "${CI:-}" = true ]; then
		TRAIL_MAKE_ARGS+=("COPT=-Werror")
	fi
}

# trail_build_install: build the extension in the repository and install it
# into the PostgreSQL 15 tree (as root, through sudo if needed).
trail_build_install() {
	trail_make_args
	if [ ! -x "$TRAIL_PG_CONFIG" ]; then
		trail_err "$TRAIL_PG_CONFIG not found (is postgresql-server-dev-15 installed?)"
		return 1
	fi
	trail_say "building: make ${TRAIL_MAKE_ARGS[*]}"
	(cd "$TRAIL_ROOT" && make -s -j"$(nproc 2>/dev/null || echo 2)" "${TRAIL_MAKE_ARGS[@]}") || {
		trail_err "build failed"
		return 1
	}
	(cd "$TRAIL_ROOT" && trail_sudo make -s "${TRAIL_MAKE_ARGS[@]}" install >/dev/null) || {
		trail_err "make install failed"
		return 1
	}
	trail_say "installed into $("$TRAIL_PG_CONFIG" --pkglibdir) and $("$TRAIL_PG_CONFIG" --sharedir)/extension"
}

# Sets TRAIL_SERVER_USER (and creates the "trail" system user if needed).
trail_server_user() {
	[ -n "${TRAIL_SERVER_USER:-}" ] && return 0
	if ! trail_is_root; then
		TRAIL_SERVER_USER=$(id -un)
	elif id -u postgres >/dev/null 2>&1; then
		TRAIL_SERVER_USER=postgres
	else
		if ! id -u trail >/dev/null 2>&1; then
			trail_say "creating system user 'trail' to run PostgreSQL"
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin trail || return 1
		fi
		TRAIL_SERVER_USER=trail
	fi
}

# trail_as_server_user CMD...: run CMD as the server user, with the
# PostgreSQL 15 bin dir first in PATH.  The caller's environment (PGHOST,
# PGPORT, ...) is passed on; run it from a directory that user can enter.
trail_as_server_user() {
	trail_server_user || return 1
	if trail_is_root && [ "$TRAIL_SERVER_USER" != root ]; then
		runuser -u "$TRAIL_SERVER_USER" -- env \
			"PATH=$TRAIL_PGBIN:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin" \
			"HOME=${TRAIL_TMP:-/tmp}" "$@"
	else
		env "PATH=$TRAIL_PGBIN:$PATH" "$@"
	fi
}

# trail_give DIR...: hand files to the server user (no-op unless root).
trail_give() {
	trail_server_user || return 1
	if trail_is_root && [ "$TRAIL_SERVER_USER" != root ]; then
		chown -R "$TRAIL_SERVER_USER:" "$@"
	fi
}

# trail_tmpdir: create TRAIL_TMP, a private temp dir owned by the server user.
trail_tmpdir() {
	trail_server_user || return 1
	TRAIL_TMP=$(mktemp -d "${TRAIL_TMPBASE:-/tmp}/trail.XXXXXX") || return 1
	chmod 755 "$TRAIL_TMP"
	trail_give "$TRAIL_TMP"
}

# trail_server_start DIR: initdb a UTF8/C-locale cluster in DIR/data and start
# it with a unix socket in DIR/sock only (listen_addresses = ''), log in
# DIR/server.log.  Exports PGHOST, PGPORT, PGUSER (the superuser: the server
# user's name) and PGDATABASE=postgres.
trail_server_start() {
	local dir=${1:?trail_server_start needs a directory} port sock
	trail_server_user || return 1
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	sock=$dir/sock
	# A unix socket path must stay under ~107 bytes.
	if [ ${#sock} -gt 80 ]; then
		sock=$(mktemp -d /tmp/trail-sock.XXXXXX) || return 1
		TRAIL_SOCK_TMP=$sock
	fi
	mkdir -p "$sock"
	TRAIL_PGDATA=$dir/data
	TRAIL_SERVER_LOG=$dir/server.log
	trail_give "$dir" "$sock" || return 1
	(cd "$dir" && trail_as_server_user initdb -D "$TRAIL_PGDATA" --auth=trust \
		--encoding=UTF8 --locale=C --username="$TRAIL_SERVER_USER" --no-sync \
		>"$dir/initdb.log" 2>&1) || {
		cat "$dir/initdb.log"
		trail_err "initdb failed"
		return 1
	}
	# No TCP at all, so any port number is free: it only names the socket.
	port=$((20000 + RANDOM % 30000))
	cat >>"$TRAIL_PGDATA/postgresql.conf" <<-EOF

		# trail: throwaway test server
		listen_addresses = ''
		unix_socket_directories = '$sock'
		port = $port
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		lc_messages = 'C'
		log_min_messages = warning
	EOF
	trail_give "$TRAIL_PGDATA/postgresql.conf" || return 1
	(cd "$dir" && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -l "$TRAIL_SERVER_LOG" \
		-w -t 60 start >/dev/null 2>&1) || {
		trail_err "PostgreSQL did not start; server log:"
		trail_server_log_tail 40
		return 1
	}
	TRAIL_SERVER_RUNNING=1
	export PGHOST=$sock PGPORT=$port PGUSER=$TRAIL_SERVER_USER PGDATABASE=postgres
	trail_say "PostgreSQL $("$TRAIL_PGBIN/postgres" -V | awk '{print $3}') running as $TRAIL_SERVER_USER, socket $PGHOST port $PGPORT"
}

trail_server_log_tail() {
	[ -n "${TRAIL_SERVER_LOG:-}" ] && [ -f "$TRAIL_SERVER_LOG" ] &&
		tail -n "${1:-50}" "$TRAIL_SERVER_LOG"
	return 0
}

# trail_server_stop: stop the server started by trail_server_start, if any.
trail_server_stop() {
	[ -n "${TRAIL_SERVER_RUNNING:-}" ] || return 0
	if [ -f "$TRAIL_PGDATA/postmaster.pid" ]; then
		(cd / && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1) ||
			(cd / && trail_as_server_user pg_ctl -D "$TRAIL_PGDATA" -m immediate -w stop >/dev/null 2>&1)
	fi
	TRAIL_SERVER_RUNNING=
}

# trail_cleanup: stop the server and remove the temp dirs (for an EXIT trap).
trail_cleanup() {
	trail_server_stop
	if [ -n "${TRAIL_SOCK_TMP:-}" ]; then
		rm -rf "$TRAIL_SOCK_TMP"
		TRAIL_SOCK_TMP=
	fi
	if [ -n "${TRAIL_TMP:-}" ] && [ -d "$TRAIL_TMP" ]; then
		if [ "${TRAIL_KEEP_TMP:-}" = 1 ]; then
			trail_say "kept $TRAIL_TMP"
		else
			rm -rf "$TRAIL_TMP"
		fi
	fi
	TRAIL_TMP=
}
