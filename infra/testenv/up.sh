#!/usr/bin/env bash
# up.sh starts the emulators the tests and the local runner talk to:
# DynamoDB Local on 127.0.0.1:${SWITCHBOARD_DDB_PORT:-48000} and moto server
# (SQS and EventBridge) on 127.0.0.1:${SWITCHBOARD_MOTO_PORT:-48001}.
#
# It waits until each answers (at most ${SWITCHBOARD_TESTENV_WAIT:-30} seconds),
# writes pids and logs to .tools/run/, and prints the environment the tests
# read, so `eval "$(infra/testenv/up.sh)"` prepares a shell for `go test`.
# If anything fails it stops whatever it had started. down.sh stops them.
# The tools come from `make tools`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$RUN_DIR"
started=()

on_exit() {
	local status=$?
	if ((status != 0)); then
		for s in "${started[@]}"; do stop_service "$s"; done
	fi
	exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	say "error: $*"
	exit 1
}

ddb_lib="$TOOLS_DIR/dynamodb-local/lib"
moto_bin="$TOOLS_DIR/venv-moto/bin/moto_server"
compgen -G "$ddb_lib/DynamoDBLocal-*.jar" >/dev/null ||
	fail "DynamoDB Local is not installed in $ddb_lib; run: make tools"
[[ -x $moto_bin ]] || fail "moto is not installed in $TOOLS_DIR/venv-moto; run: make tools"
command -v java >/dev/null || fail "java is not on PATH; DynamoDB Local needs a Java 17+ runtime"

# Refuse to start over anything: our own earlier instance or a stranger.
for s in "${SERVICES[@]}"; do
	port=$(port_of "$s")
	if pid=$(running_pid "$s"); then
		fail "$s is already running (pid $pid, port $port) from an earlier start; stop it with infra/testenv/down.sh (or make down)"
	fi
	if port_open "$port"; then
		fail "port $port for $s is already in use by another process; free it or pick another port with SWITCHBOARD_$([[ $s == moto ]] && echo MOTO || echo DDB)_PORT"
	fi
done

# start runs "$@" detached in its own session (so a Ctrl-C aimed at make
# reaches our traps, not the emulators), logging to the service's log file.
start() {
	local name=$1
	shift
	local log
	log=$(log_file "$name")
	setsid "$@" >"$log" 2>&1 </dev/null &
	echo $! >"$(pid_file "$name")"
	started+=("$name")
	say "starting $name on 127.0.0.1:$(port_of "$name") (pid $!, log $log)"
}

# DynamoDB Local has no bind-address option: it listens on every interface.
start dynamodb-local java -Xmx512m -Djava.library.path="$ddb_lib" -cp "$ddb_lib/*" \
	com.amazonaws.services.dynamodbv2.local.main.ServerRunner \
	-inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
start moto "$moto_bin" -H 127.0.0.1 -p "$MOTO_PORT"

# Wait for both at once, bounded, and name the one that did not come up.
deadline=$((SECONDS + WAIT_SECONDS))
pending=("${SERVICES[@]}")
while ((${#pending[@]} > 0)); do
	still=()
	for s in "${pending[@]}"; do
		if ! running_pid "$s" >/dev/null; then
			fail "$s exited while starting; see $(log_file "$s"):
$(tail -n 20 "$(log_file "$s")" 2>/dev/null)"
		fi
		if answers "$(port_of "$s")"; then
			say "$s is up"
		else
			still+=("$s")
		fi
	done
	pending=("${still[@]+"${still[@]}"}")
	((${#pending[@]} == 0)) && break
	if ((SECONDS >= deadline)); then
		fail "${pending[*]} did not answer within ${WAIT_SECONDS}s; see $(for s in "${pending[@]}"; do printf '%s ' "$(log_file "$s")"; done)"
	fi
	sleep 0.2
done

cat <<ENV
export SWITCHBOARD_DYNAMODB_ENDPOINT=http://127.0.0.1:$DDB_PORT
export SWITCHBOARD_SQS_ENDPOINT=http://127.0.0.1:$MOTO_PORT
export SWITCHBOARD_EVENTBRIDGE_ENDPOINT=http://127.0.0.1:$MOTO_PORT
ENV
