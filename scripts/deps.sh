#!/usr/bin/env bash
# Installs the programs OxyWatch's tests and `make run` need, when missing:
# mosquitto, chromium, curl, sqlite3 (backup script), promtool (package prometheus,
# for the alert rule tests) and systemd-analyze from Debian, influxd 1.8.10 built from source with go install.
set -euo pipefail
need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing ${need_apt[*]} with apt-get" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
gobin="$(go env GOPATH)/bin"
if ! command -v influxd >/dev/null 2>&1 && [ ! -x "$gobin/influxd" ]; then
  echo "deps: building influxd v1.8.10 with go install (once, takes a few minutes)" >&2
  (cd /tmp && GOFLAGS= go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10)
fi
