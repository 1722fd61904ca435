package app

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/oxywatch/oxywatch/ingest"
	"github.com/oxywatch/oxywatch/ingest/mapping"
	"github.com/oxywatch/oxywatch/ingest/sparkplug"
)

// ingestOptions are the ingest options that come from ingest.mappings and
// ingest.sparkplug: the mapping file, the Sparkplug B session decoder, and
// how rebirth requests go out (through whichever intake runs).
func (a *App) ingestOptions() (ingest.Options, error) {
	var o ingest.Options
	set := mapping.Empty()
	if f := a.cfg.Ingest.Mappings; f != "" {
		var err error
		if set, err = ingest.LoadMappings(f); err != nil {
			return o, fmt.Errorf("ingest.mappings: %w", err)
		}
	}
	o.Mappings = set
	if !a.cfg.Ingest.Sparkplug.Enabled {
		return o, nil
	}
	sp, err := sparkplug.New(sparkplug.Options{Mappings: set, Dir: filepath.Join(a.cfg.DataDir, "sparkplug")})
	if err != nil {
		a.log.Warn("some Sparkplug sessions were not restored; those edge nodes will be asked to rebirth", "err", err)
	}
	o.Sparkplug = sp
	if a.cfg.Ingest.Sparkplug.Rebirth {
		o.Command = a.command
	}
	return o, nil
}

// command publishes a Sparkplug command through the running intake.
func (a *App) command(topic string, payload []byte) error {
	c, ok := a.intake.(interface {
		Command(topic string, payload []byte) error
	})
	if !ok || c == nil {
		return errors.New("no MQTT connection to send commands on")
	}
	return c.Command(topic, payload)
}
