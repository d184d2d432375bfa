#!/usr/bin/env bash
# down.sh stops the emulators up.sh started, found through the pid files in
# .tools/run/. It is safe to run when nothing is running, and it never kills
# a process whose command line is not the emulator's (a reused pid).
# Logs stay in .tools/run/ until the next up.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for s in "${SERVICES[@]}"; do
	stop_service "$s"
done
