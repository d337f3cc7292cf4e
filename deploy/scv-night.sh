#!/usr/bin/env bash
# The unattended night as a scheduler runs it (cron, systemd): the project's environment, one run at a time on
# this machine, every line appended to a log file as it is written. Arguments go to `scv run-night`.
#
#   SCV_HOME      the project checkout holding .venv (default: this script's parent folder)
#   SCV_LOG_DIR   where night.log goes (default: $SCV_HOME/var/log); rotate it with deploy/logrotate/scv
#   SCV_ENV_FILE  a file of KEY=value lines sourced first: SCV_SMTP_*, SCV_LLM_*, SCV_ENV, SCV_LAKE_ROOT ...
#                 (default: /etc/scv/scv.env when it exists)
#
# Exit codes are run-night's (0 done, 1 failed, 3 incomplete: alerts held), or 75 when the previous night is
# still running on this machine. The lake itself is guarded by run-night's lease, across machines too.
set -euo pipefail
home="${SCV_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
log_dir="${SCV_LOG_DIR:-$home/var/log}"
env_file="${SCV_ENV_FILE:-/etc/scv/scv.env}"
if [ -f "$env_file" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
fi
mkdir -p "$log_dir"
cd "$home"
exec >>"$log_dir/night.log" 2>&1
echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) scv run-night $*"
export PYTHONUNBUFFERED=1 PYARROW_IGNORE_TIMEZONE=1 GRADIO_ANALYTICS_ENABLED=False
exec flock --nonblock --conflict-exit-code 75 "$log_dir/.night.lock" "$home/.venv/bin/scv" run-night "$@"
