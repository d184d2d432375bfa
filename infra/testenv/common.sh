# common.sh holds what up.sh and down.sh share: where the tools live, which
# ports the emulators use and how to tell our own processes from strangers.
# It is sourced, never run.

TESTENV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS_DIR="$TESTENV_ROOT/.tools"
RUN_DIR="$TOOLS_DIR/run"
DDB_PORT=${SWITCHBOARD_DDB_PORT:-48000}
MOTO_PORT=${SWITCHBOARD_MOTO_PORT:-48001}
WAIT_SECONDS=${SWITCHBOARD_TESTENV_WAIT:-30}
SERVICES=(dynamodb-local moto)

say() { printf 'testenv: %s\n' "$*" >&2; }

port_of() {
	case $1 in
	dynamodb-local) echo "$DDB_PORT" ;;
	moto) echo "$MOTO_PORT" ;;
	esac
}

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# marker_of names a word the service's command line contains, so a stale pid
# file whose pid now belongs to another process never gets that process killed.
marker_of() {
	case $1 in
	dynamodb-local) echo "dynamodbv2.local.main.ServerRunner" ;;
	moto) echo "moto_server" ;;
	esac
}

# running_pid prints the pid of our running instance of service $1, if any.
running_pid() {
	local file pid
	file=$(pid_file "$1")
	[[ -f $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$(marker_of "$1")" || return 1
	echo "$pid"
}

# port_open reports whether anything accepts TCP connections on 127.0.0.1:$1.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answers reports whether an HTTP server answers on 127.0.0.1:$1, whatever
# the status: both emulators reject a bare GET, which is fine.
answers() {
	curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/"
}

# stop_service stops our instance of service $1: TERM to its process group,
# then KILL after ten seconds. A missing or stale pid file is not an error.
stop_service() {
	local pid i
	if pid=$(running_pid "$1"); then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "$1 (pid $pid) ignored TERM; killing it"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
		say "stopped $1 (pid $pid)"
	fi
	rm -f "$(pid_file "$1")"
}
