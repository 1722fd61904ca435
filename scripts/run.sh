#!/usr/bin/env bash
# make run: a local OxyWatch to look at. Starts InfluxDB 1.8 (data under
# ./var/influxd), `oxywatch serve` with its embedded MQTT broker (data under
# ./var/oxywatch) and firmware-sim with a demo fleet, then prints where to
# look. Ctrl-C stops everything; the data stays in ./var for the next run.
#
# Ports (override with the environment): InfluxDB 127.0.0.1:${INFLUX_PORT:-8086},
# API and dashboard ${OXYWATCH_HTTP_ADDR:-127.0.0.1:8080}, MQTT ${OXYWATCH_MQTT_LISTEN:-127.0.0.1:1883}.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
var=$root/var
export PATH="$(go env GOPATH)/bin:$PATH"

influx_port=${INFLUX_PORT:-8086}
influx_url=http://127.0.0.1:$influx_port
http_addr=${OXYWATCH_HTTP_ADDR:-127.0.0.1:8080}
mqtt_listen=${OXYWATCH_MQTT_LISTEN:-127.0.0.1:1883}
devices=${DEMO_DEVICES:-40}
mkdir -p "$var/influxd" "$var/oxywatch"

pids=()
helpers=()
say() { printf '\033[1mrun:\033[0m %s\n' "$*" >&2; }
stop_all() {
  trap - INT TERM EXIT
  say "stopping (devices first, so they say offline)"
  for h in "${helpers[@]}"; do kill -TERM "$h" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  say "stopped; data kept in $var (delete it for a fresh start)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# wait_for URL WHAT LOG: poll until URL answers, or show the log and fail.
wait_for() {
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  say "$2 did not come up; the last lines of $3:"
  tail -n 30 "$3" >&2 || true
  exit 1
}

# 1. InfluxDB: reuse one already answering on the port, else start ours.
if curl -fsS -o /dev/null "$influx_url/ping" 2>/dev/null; then
  say "using the InfluxDB already answering on $influx_url"
else
  command -v influxd >/dev/null || { say "influxd not found: run make deps"; exit 1; }
  cat >"$var/influxd/influxd.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$((influx_port + 2))"
[meta]
  dir = "$var/influxd/meta"
[data]
  dir = "$var/influxd/data"
  wal-dir = "$var/influxd/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$influx_port"
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
EOF
  say "starting influxd on $influx_url (log: var/influxd.log)"
  influxd run -config "$var/influxd/influxd.conf" >"$var/influxd.log" 2>&1 &
  pids+=($!)
  wait_for "$influx_url/ping" influxd "$var/influxd.log"
fi
# InfluxDB 1.8 answers 404 to writes into a database that does not exist.
curl -fsS -o /dev/null -XPOST "$influx_url/query" --data-urlencode "q=CREATE DATABASE oxywatch"

# 2. OxyWatch with its embedded broker.
# The inbound-SMS webhook needs a secret in its URL; the demo's SMS alarm
# module (step 4) posts with it.
sms_token_file=$var/sms-inbound-token
[ -s "$sms_token_file" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$sms_token_file")
say "starting oxywatch serve on http://$http_addr, MQTT on $mqtt_listen (log: var/oxywatch.log)"
OXYWATCH_DATA_DIR="$var/oxywatch" OXYWATCH_HTTP_ADDR="$http_addr" OXYWATCH_MQTT_LISTEN="$mqtt_listen" \
  OXYWATCH_INFLUX_URL="$influx_url" OXYWATCH_NOTIFY_SMS_INBOUND_TOKEN="$(cat "$sms_token_file")" \
  "$root/bin/oxywatch" serve >"$var/oxywatch.out" 2>"$var/oxywatch.log" &
pids+=($!)
wait_for "http://$http_addr/readyz" oxywatch "$var/oxywatch.log"

# On its first start oxywatch prints a new admin token once, on stdout (never
# in the log); keep it, readable by you only, for later runs.
token_file=$var/admin-token
token=$(sed -n 's/^OxyWatch admin token.*: \([A-Za-z0-9_-]*\)$/\1/p' "$var/oxywatch.out" | head -n 1)
if [ -z "$token" ] && [ ! -s "$token_file" ]; then
  # Not a first start, and the token it printed then was never kept (that
  # run stopped early, or var/admin-token was deleted): make another.
  say "no admin token kept in var/admin-token; creating one with oxywatch token create"
  token=$(OXYWATCH_DATA_DIR="$var/oxywatch" "$root/bin/oxywatch" token create --role admin --name "make run" | tail -n 1)
fi
if [ -n "$token" ]; then
  (umask 077 && printf '%s\n' "$token" >"$token_file")
fi
rm -f "$var/oxywatch.out"

# 3. The demo fleet: registered through the API (facilities, regions, rated
# flow), then simulated.
fleet=$var/demo-fleet.csv
"$root/bin/firmware-sim" --devices "$devices" --write-fleet "$fleet" >/dev/null
if [ -s "$token_file" ]; then
  say "registering the demo fleet ($devices devices) through POST /api/v1/devices/import"
  curl -fsS -o /dev/null -XPOST -H "Authorization: Bearer $(cat "$token_file")" -H "Content-Type: text/csv" \
    --data-binary @"$fleet" "http://$http_addr/api/v1/devices/import" ||
    say "could not register the demo fleet; the devices show as kind unknown"
  # The demo's facilities by name ("zomba-dh" is Zomba District Hospital),
  # with a bed count so the supply view has a demand to compare with.
  facilities=$var/demo-facilities.csv
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "id,name,region,country,beds"; next }
    !seen[$col["facility"]]++ {
      id = $col["facility"]; n = split(id, w, "-"); name = ""
      for (i = 1; i <= n; i++) {
        word = (w[i] == "dh") ? "District Hospital" : toupper(substr(w[i], 1, 1)) substr(w[i], 2)
        name = name (i > 1 ? " " : "") word
      }
      print id "," name "," $col["region"] "," $col["country"] ",200"
    }' "$fleet" >"$facilities"
  curl -fsS -o /dev/null -XPOST -H "Authorization: Bearer $(cat "$token_file")" -H "Content-Type: text/csv" \
    --data-binary @"$facilities" "http://$http_addr/api/v1/facilities/import" ||
    say "could not register the demo facilities; they show by id"
fi
say "starting firmware-sim: $devices devices, demo scenario, a reading every 15 s (log: var/firmware-sim.log)"
"$root/bin/firmware-sim" --broker "tcp://$mqtt_listen" --fleet "$fleet" --scenario demo --interval 15s >"$var/firmware-sim.log" 2>&1 &
pids+=($!)

# The demo fleet's service history (POST /api/v1/maintenance/import), once
# the devices have reported their running hours (a record without runtime_h
# takes the device's newest): services done 1 to 3 months ago, and psa-001's
# filter elements 7 months ago, due by the calendar (every 6 months). Once:
# a second start keeps the history it has.
if [ -s "$token_file" ] && [ ! -e "$var/demo-service.csv" ]; then
  (
    # Wait until the fleet has sent its running hours (at most 3 minutes).
    n=$(($(wc -l <"$fleet") - 1))
    for _ in $(seq 90); do
      got=$(curl -fsS -H "Authorization: Bearer $(cat "$token_file")" "http://$http_addr/api/v1/devices?limit=1000" 2>/dev/null |
        grep -o '"runtime_h"' | wc -l) || got=0
      [ "$got" -ge "$n" ] && break
      sleep 2
    done
    awk -F, -v today="$(date -u +%s)" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "id,component,done_at,note"; next }
      function day(n) { return strftime("%Y-%m-%d", today - n * 86400, 1) }
      $col["kind"] == "psa" {
        print $1 ",filter_elements," day($1 == "psa-001" ? 210 : 30 + NR % 60) ",demo history"
        print $1 ",air_compressor," day(40 + NR % 50) ",demo history"
        print $1 ",zeolite," day(400) ",demo history"
      }
      $col["kind"] == "concentrator" {
        print $1 ",inlet_filter_clean," day(NR % 5) ",demo history"
        print $1 ",inlet_filter," day(60 + NR % 30) ",demo history"
        print $1 ",preventive_service," day(90 + NR % 90) ",demo history"
        print $1 ",sieve_beds," day(700) ",demo history"
      }' "$fleet" >"$var/demo-service.csv.new"
    # kept (so not imported again) only once imported
    if curl -fsS -o /dev/null -XPOST -H "Authorization: Bearer $(cat "$token_file")" -H "Content-Type: text/csv" \
      --data-binary @"$var/demo-service.csv.new" "http://$http_addr/api/v1/maintenance/import"; then
      mv "$var/demo-service.csv.new" "$var/demo-service.csv"
    else
      say "could not import the demo service history; the next start tries again"
    fi
  ) &
  helpers+=($!) # not in pids: it ends on its own, or with the rest
fi

# 4. Devices without MQTT (issue 19): three GPRS concentrator monitors that
# post over HTTP with a gateway's device token, and a PSA plant whose alarm
# module only sends SMS (to the inbound webhook, as the SMS provider would).
if [ -s "$token_file" ]; then
  offgrid=$var/demo-offgrid.csv
  cat >"$offgrid" <<CSV
id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s,sms_number
gprs-conc-1,concentrator,Nuvo 8,zomba-dh,north,MW,8,30,
gprs-conc-2,concentrator,Nuvo 8,zomba-dh,north,MW,8,30,
gprs-conc-3,concentrator,Nuvo 8,zomba-dh,north,MW,8,30,
sms-psa-1,psa,PSA-40,zomba-dh,north,MW,667,86400,+265991000001
CSV
  curl -fsS -o /dev/null -XPOST -H "Authorization: Bearer $(cat "$token_file")" -H "Content-Type: text/csv" \
    --data-binary @"$offgrid" "http://$http_addr/api/v1/devices/import" || say "could not register the HTTP and SMS devices"
  dev_token_file=$var/device-token
  if [ ! -s "$dev_token_file" ]; then
    OXYWATCH_DATA_DIR="$var/oxywatch" "$root/bin/oxywatch" device-token create --name "make run GPRS gateway" \
      gprs-conc-1 gprs-conc-2 gprs-conc-3 2>/dev/null | (umask 077 && cat >"$dev_token_file")
  fi
  grep -v '^sms-' "$offgrid" >"$var/demo-http.csv"
  say "starting firmware-sim --protocol http: 3 concentrator monitors posting to /api/v1/ingest (log: var/firmware-sim-http.log)"
  "$root/bin/firmware-sim" --protocol http --url "http://$http_addr" --device-token-file "$dev_token_file" \
    --fleet "$var/demo-http.csv" --scenario demo --seed 2 >"$var/firmware-sim-http.log" 2>&1 &
  pids+=($!)
  # The simulated plant measures every 15 s; its module texts only changes
  # (the registry's interval of a day keeps it from counting as offline).
  { head -n 1 "$offgrid"; grep '^sms-' "$offgrid" | sed 's/,86400,/,15,/'; } >"$var/demo-sms.csv"
  echo "sms-psa-1,+265991000001" >"$var/demo-sms-numbers.csv"
  say "starting firmware-sim --protocol sms: a PSA alarm module texting its faults (log: var/firmware-sim-sms.log)"
  "$root/bin/firmware-sim" --protocol sms --sms-url "http://$http_addr/api/v1/notify/sms/inbound?token=$(cat "$sms_token_file")" \
    --sms-numbers "$var/demo-sms-numbers.csv" --fleet "$var/demo-sms.csv" --scenario demo --interval 15s --seed 3 \
    --random-faults 96 >"$var/firmware-sim-sms.log" 2>&1 &
  pids+=($!)

  # A PSA controller behind a Sparkplug B edge gateway (NBIRTH/DBIRTH,
  # DDATA by alias, NDEATH as its will) on the same embedded broker.
  spb=$var/demo-sparkplug.csv
  cat >"$spb" <<CSV
id,kind,model,facility,region,country,rated_flow_lpm,report_interval_s
spb-psa-1,psa,PSA-60,zomba-dh,north,MW,1000,15
CSV
  curl -fsS -o /dev/null -XPOST -H "Authorization: Bearer $(cat "$token_file")" -H "Content-Type: text/csv" \
    --data-binary @"$spb" "http://$http_addr/api/v1/devices/import" || say "could not register the Sparkplug plant"
  say "starting firmware-sim --protocol sparkplug: a PSA plant behind a Sparkplug B gateway (log: var/firmware-sim-sparkplug.log)"
  "$root/bin/firmware-sim" --protocol sparkplug --broker "tcp://$mqtt_listen" --fleet "$spb" --scenario demo \
    --interval 15s --seed 4 >"$var/firmware-sim-sparkplug.log" 2>&1 &
  pids+=($!)
fi

cat >&2 <<EOF

  OxyWatch is running.
    dashboard    http://$http_addr/
    admin token  $(cat "$token_file" 2>/dev/null || echo "(not found: see var/oxywatch.log, or set OXYWATCH_ADMIN_TOKEN)")
    API          curl -H "Authorization: Bearer \$(cat var/admin-token)" http://$http_addr/api/v1/devices
    metrics      http://$http_addr/metrics
    InfluxDB     $influx_url  (database oxywatch, measurement o2_reading)
    logs         var/oxywatch.log  var/firmware-sim*.log  var/influxd.log

  A few devices fail in the first minutes (demo scenario); watch their alerts.
  gprs-conc-1..3 post over HTTP; sms-psa-1's alarm module texts its faults.
  Ctrl-C stops everything.

EOF
# Exit when any child exits (or on Ctrl-C), then stop the rest. Ctrl-C
# reaches the children too, and they end cleanly (status 0) before the
# trap runs: only a failure is worth a word.
status=0
wait -n "${pids[@]}" || status=$?
if ((status != 0 && status != 130)); then
  say "a process stopped on its own (exit status $status); see the logs in var/"
fi
