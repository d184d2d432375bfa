#!/usr/bin/env bash
# fuzz-one.sh DIR NAME FUZZTIME: fuzz one target, telling a finding from the
# Go 1.26 coordinator race at the -fuzztime boundary.
#
# go test -fuzz can fail with a bare "context deadline exceeded" when the
# duration budget ends while a worker is mid-input (golang/go#75804, fixed in
# Go 1.27). That is not a finding: nothing is written to testdata/fuzz. Such a
# run is retried once; a run that wrote a failing input, panicked or failed in
# any other way fails at once, and so does a second deadline race in a row.
set -uo pipefail
dir=$1 name=$2 fuzztime=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for attempt in 1 2; do
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	[ "$status" -eq 0 ] && exit 0
	# A finding writes its input, panics, or reports from a _test.go line.
	if grep -q 'context deadline exceeded' "$log" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
		if [ "$attempt" -eq 1 ]; then
			echo "==> fuzz $dir $name: the Go fuzzing engine's deadline race (golang/go#75804), not a finding; running it again" >&2
			continue
		fi
	fi
	exit "$status"
done
exit 1
