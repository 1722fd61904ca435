#!/usr/bin/env bash
# Installs the programs OxyWatch's tests and `make run` need, when missing:
# mosquitto, chromium, curl, sqlite3 (backup script), promtool (package prometheus,
# for the alert rule tests) and systemd-analyze from Debian, influxd 1.8.10 built from source with go install,
# and Node-RED from npm (when npm is there) for the Modbus recipe's test.
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
# Node-RED for the Modbus gateway recipe's end-to-end test (deploy/modbus),
# from the npm registry (node-red-contrib-modbus 5.45 and later fetch a
# dependency from outside it; 5.23.3 does not).
nodered="${NODE_RED_DIR:-$HOME/.cache/oxywatch/node-red}"
if command -v npm >/dev/null 2>&1 && [ ! -f "$nodered/node_modules/node-red/red.js" ]; then
  echo "deps: installing Node-RED 4.1.15 and node-red-contrib-modbus 5.23.3 into $nodered (once)" >&2
  mkdir -p "$nodered"
  (cd "$nodered" && npm install --no-audit --no-fund --silent node-red@4.1.15 node-red-contrib-modbus@5.23.3 >/dev/null)
fi
