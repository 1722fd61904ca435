#!/bin/sh
# Compose only: creates the broker's password file on first start: the
# ingester's login from the environment and a login for every device of the
# demo fleet (password demo-<id>, as the simulator uses). Real devices get
# theirs from deploy/mosquitto/provision-devices.sh.
set -eu
passwd=/etc/mosquitto/oxywatch.passwd
if [ ! -s "$passwd" ]; then
	: >"$passwd"
	mosquitto_passwd -b "$passwd" oxywatch "$OXYWATCH_MQTT_PASSWORD"
	sh /opt/oxywatch/provision-devices.sh --passwd "$passwd" --out /dev/null \
		--password 'demo-{id}' /opt/oxywatch/demo-fleet.csv
fi
chown mosquitto:mosquitto "$passwd"
chmod 600 "$passwd"
