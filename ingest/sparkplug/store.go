package sparkplug

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Sessions outlive a restart. An edge node declares its aliases once, in
// its BIRTH messages; after a restart of OxyWatch an external broker hands
// over the DATA it queued for the ingester's persistent session, and the
// edge node has no reason to send its BIRTH again. So each BIRTH is written
// (and fsync'd) to a file per edge node in the session directory before
// the message is acknowledged, and replayed when the decoder starts:
// NBIRTH starts the file afresh, DBIRTH appends to it, NDEATH removes it.
// A torn last record (power cut) is dropped, the rest is kept.

const maxRecord = MaxPayloadBytes + 1024

// sessionFile is the file of edge node GROUP/EDGE in dir.
func sessionFile(dir string, t Topic) string {
	return filepath.Join(dir, hex.EncodeToString([]byte(t.Group+"/"+t.Edge))+".births")
}

// saveBirth keeps a BIRTH message on disk.
func (d *Decoder) saveBirth(t Topic, topic string, payload []byte) error {
	if d.dir == "" {
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if t.Type == NBIRTH {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(sessionFile(d.dir, t), flags, 0o600)
	if err != nil {
		return fmt.Errorf("keep Sparkplug session: %w", err)
	}
	var hdr [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(topic)))
	n += binary.PutUvarint(hdr[n:], uint64(len(payload)))
	buf := make([]byte, 0, n+len(topic)+len(payload))
	buf = append(append(append(buf, hdr[:n]...), topic...), payload...)
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keep Sparkplug session: %w", err)
	}
	return nil
}

// forget removes an edge node's session file after its NDEATH.
func (d *Decoder) forget(t Topic) error {
	if d.dir == "" {
		return nil
	}
	if err := os.Remove(sessionFile(d.dir, t)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("end Sparkplug session: %w", err)
	}
	return nil
}

// restore replays every kept BIRTH. A file it cannot read is reported and
// skipped: that node's DATA then asks for a rebirth.
func (d *Decoder) restore() error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("read Sparkplug sessions: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".births") {
			continue
		}
		if err := d.replay(filepath.Join(d.dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *Decoder) replay(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		topic, payload, err := readRecord(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("Sparkplug session %s: %w (the rest is dropped; the edge node will be asked to rebirth)", path, err)
		}
		d.handle(topic, payload, time.Now(), true)
	}
}

func readRecord(r *bufio.Reader) (string, []byte, error) {
	tl, err := binary.ReadUvarint(r)
	if err != nil {
		if err == io.EOF {
			return "", nil, io.EOF
		}
		return "", nil, errors.New("torn record")
	}
	pl, err := binary.ReadUvarint(r)
	if err != nil || tl > 1024 || pl > maxRecord {
		return "", nil, errors.New("torn or damaged record")
	}
	b := make([]byte, tl+pl)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", nil, errors.New("torn record")
	}
	return string(b[:tl]), b[tl:], nil
}
