#!/bin/sh
# provision-devices.sh: give every device in OxyWatch's registry a Mosquitto
# login. Reads the registry as CSV (the API's export, or the inventory file
# you imported), adds a password entry for each device id not yet in the
# password file, and writes the new credentials to a file you load onto the
# devices. The ACL needs no per-device line: "pattern write o2/%u/#" in
# oxywatch.acl already limits each login to its own topics.
#
#   curl -fsS -H "Authorization: Bearer $TOKEN" \
#     "https://oxywatch.example/api/v1/devices?format=csv" > devices.csv
#   sudo deploy/mosquitto/provision-devices.sh --reload devices.csv
#
# or let the script fetch the export itself (the token, a viewer's is
# enough, comes from the environment so it stays out of `ps`):
#
#   sudo OXYWATCH_TOKEN=... deploy/mosquitto/provision-devices.sh \
#     --api http://127.0.0.1:8080 --reload
#
# Options:
#   --api URL         read the registry from OxyWatch at URL (needs curl and
#                     OXYWATCH_TOKEN) instead of a CSV file
#   --passwd FILE     Mosquitto password file (default /etc/mosquitto/oxywatch.passwd)
#   --out FILE        where new logins are appended as id,password
#                     (default ./device-credentials.csv, created mode 600)
#   --password TEXT   use TEXT as the password of every new device, with
#                     {id} replaced by the device id (demo fleets only)
#   --rotate          give devices that already have a login a new password
#   --ingester NAME   the ingester's username, which no device may take (default oxywatch)
#   --reload          tell the running broker to re-read the file (systemctl reload mosquitto)
# CSV "-" or no CSV reads standard input. Exit status 1 if any row was refused.
set -eu

passwd=/etc/mosquitto/oxywatch.passwd
out=./device-credentials.csv
template=
api=
rotate=0
ingester=oxywatch
reload=0
while [ $# -gt 0 ]; do
	case "$1" in
	--passwd) passwd=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--api) api=$2; shift 2 ;;
	--password) template=$2; shift 2 ;;
	--rotate) rotate=1; shift ;;
	--ingester) ingester=$2; shift 2 ;;
	--reload) reload=1; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--*) echo "provision-devices: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
csv=${1:--}

command -v mosquitto_passwd >/dev/null 2>&1 || {
	echo "provision-devices: mosquitto_passwd not found (apt-get install mosquitto)" >&2
	exit 2
}

# Device ids as CONTRACT §3 allows them; this also keeps + # / out of
# usernames, which matter in ACL patterns (CVE-2017-7650).
valid_id='^[A-Za-z0-9][A-Za-z0-9._-]\{0,63\}$'

new_password() {
	if [ -n "$template" ]; then
		printf '%s\n' "$template" | sed "s/{id}/$1/g"
	else
		# 144 random bits, URL-safe, no padding: easy to type into firmware.
		head -c 18 /dev/urandom | base64 | tr '+/' '-_'
	fi
}

if [ ! -e "$passwd" ]; then
	# Readable by the broker's group only: it holds password hashes.
	(umask 077 && : >"$passwd")
	if getent group mosquitto >/dev/null 2>&1; then
		chgrp mosquitto "$passwd" && chmod 640 "$passwd"
	fi
fi
if [ ! -e "$out" ]; then
	(umask 077 && echo "id,password" >"$out")
fi

# The CSV's id column, wherever it is; quoted fields before it would shift
# the split, and the id check below then refuses the row.
read_registry() {
	if [ -n "$api" ]; then
		[ -n "${OXYWATCH_TOKEN:-}" ] || { echo "provision-devices: --api needs OXYWATCH_TOKEN in the environment" >&2; exit 2; }
		printf 'header = "Authorization: Bearer %s"\n' "$OXYWATCH_TOKEN" |
			curl -fsS --config - "${api%/}/api/v1/devices?format=csv"
	else
		cat -- "$csv"
	fi
}

registry=$(read_registry) || { echo "provision-devices: could not read the registry" >&2; exit 2; }
ids=$(printf '%s\n' "$registry" | tr -d '\r' | awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == "id" || $i == "\"id\"") col = i
	          if (!col) { print "no id column in the CSV header" > "/dev/stderr"; exit 3 }
	          next }
	NF > 0  { v = $col; gsub(/^"|"$/, "", v); print v }')

added=0 kept=0 refused=0
while IFS= read -r id; do
	[ -n "$id" ] || continue
	if ! printf '%s\n' "$id" | grep -q "$valid_id"; then
		echo "provision-devices: refused $id: not a valid device id" >&2
		refused=$((refused + 1))
		continue
	fi
	if [ "$id" = "$ingester" ]; then
		echo "provision-devices: refused $id: that is the ingester's username" >&2
		refused=$((refused + 1))
		continue
	fi
	if grep -q "^$id:" "$passwd" && [ "$rotate" = 0 ]; then
		kept=$((kept + 1))
		continue
	fi
	pw=$(new_password "$id")
	mosquitto_passwd -b "$passwd" "$id" "$pw"
	printf '%s,%s\n' "$id" "$pw" >>"$out"
	added=$((added + 1))
done <<IDS
$ids
IDS

echo "provision-devices: $added added, $kept already present, $refused refused; new logins in $out" >&2
if [ "$reload" = 1 ] && [ "$added" -gt 0 ]; then
	systemctl reload mosquitto
fi
[ "$refused" = 0 ]
