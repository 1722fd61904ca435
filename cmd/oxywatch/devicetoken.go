package main

import (
	"context"
	"io"

	"github.com/oxywatch/oxywatch/internal/store"
)

func deviceToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadForCommand("device-token", `Usage: oxywatch device-token [--config FILE] COMMAND

Device tokens let devices without MQTT post readings over HTTP
(POST /api/v1/ingest/DEVICE, Authorization: Bearer TOKEN). A token posts
readings of its own devices and can do nothing else.

Commands:
  create [--name NAME] DEVICE [DEVICE...]
         prints the new token once on stdout; the devices must be registered;
         several devices make a gateway's token (POST /api/v1/ingest)
  list [DEVICE]
         tokens with their devices (never the secrets)
  revoke ID

The tokens live in the SQLite database under data_dir; a running server
sees changes within seconds.

Flags:`, args, stderr)
	if err != nil {
		return err
	}
	db, err := store.OpenSQLite(cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return deviceTokenCLI(ctx, rest, db, stdout, stderr)
}
