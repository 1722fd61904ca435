package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/packets"
	"go.etcd.io/bbolt"
)

// importLegacyStore recovers the messages an earlier version's embedded
// broker had acknowledged to devices but not yet handed to the ingester:
// they sat in its bbolt store as in-flight records. Each is taken through
// the ingest path (duplicates are harmless), then the store is renamed
// *.imported. A store that cannot be opened is renamed *.damaged with a log
// line: a start never loops on it.
func (b *Broker) importLegacyStore(ctx context.Context) {
	path := b.legacyPath()
	if _, err := os.Stat(path); err != nil {
		return
	}
	n, err := b.importLegacy(ctx, path)
	if errors.Is(err, errNotDurable) {
		b.log.Error("the old broker store is kept for the next start: its messages could not be buffered", "path", path, "imported", n, "err", err)
		return
	}
	suffix := legacyImportedSuffix
	if err != nil {
		suffix = legacyDamagedSuffix
	}
	moved, mvErr := moveAside(path, suffix)
	switch {
	case mvErr != nil:
		b.log.Error("could not move the old broker store aside; move it by hand", "path", path, "err", mvErr)
	case err != nil:
		b.log.Error("the old broker store could not be read and was moved aside; the messages it held may be lost", "moved_to", moved, "imported", n, "err", err)
	default:
		b.log.Info("imported the messages an earlier version's broker still held", "messages", n, "moved_to", moved)
	}
}

func (b *Broker) importLegacy(ctx context.Context, path string) (int, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errLegacy, err)
	}
	defer db.Close()
	var msgs []storage.Message
	err = db.View(func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte("mochi"))
		if bk == nil {
			return nil
		}
		prefix := []byte(storage.InflightKey + "_")
		c := bk.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var m storage.Message
			if err := m.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			if m.FixedHeader.Type == packets.Publish {
				msgs = append(msgs, m)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errLegacy, err)
	}
	n := 0
	for _, m := range msgs {
		if err := b.opts.Handle(ctx, m.TopicName, m.Payload); err != nil {
			return n, fmt.Errorf("%w: message on %s: %w", errNotDurable, m.TopicName, err)
		}
		n++
	}
	return n, nil
}

var errNotDurable = errors.New("not made durable")
