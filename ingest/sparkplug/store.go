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

// maxSessionFile is the size past which a session file is rewritten with
// only the current BIRTHs (a device that keeps dying and being born again
// appends a DBIRTH each time).
var maxSessionFile int64 = 1 << 20

// saveBirth keeps a BIRTH message on disk, and remembers it in n for
// compaction.
func (d *Decoder) saveBirth(t Topic, topic string, payload []byte, n *node) error {
	if d.dir == "" {
		return nil
	}
	if t.Type == NBIRTH {
		n.nbirth, n.dbirths, n.fileBytes = nil, map[string][]byte{}, 0
	}
	if n.dbirths == nil {
		n.dbirths = map[string][]byte{}
	}
	rec := record(topic, payload)
	if t.Type == DBIRTH && n.fileBytes+int64(len(rec)) > maxSessionFile && n.nbirth != nil {
		n.dbirths[t.Device] = rec
		return d.compact(t, n)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if t.Type == NBIRTH {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	if err := writeSync(sessionFile(d.dir, t), flags, rec); err != nil {
		return fmt.Errorf("keep Sparkplug session: %w", err)
	}
	n.fileBytes += int64(len(rec))
	if t.Type == NBIRTH {
		n.nbirth = rec
	} else {
		n.dbirths[t.Device] = rec
	}
	return nil
}

// compact rewrites the session file with the NBIRTH and each device's
// latest DBIRTH, atomically.
func (d *Decoder) compact(t Topic, n *node) error {
	buf := append([]byte(nil), n.nbirth...)
	for _, rec := range n.dbirths {
		buf = append(buf, rec...)
	}
	path := sessionFile(d.dir, t)
	tmp := path + ".tmp"
	err := writeSync(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, buf)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(d.dir)
	}
	if err != nil {
		return fmt.Errorf("keep Sparkplug session: %w", err)
	}
	n.fileBytes = int64(len(buf))
	return nil
}

func record(topic string, payload []byte) []byte {
	var hdr [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(topic)))
	n += binary.PutUvarint(hdr[n:], uint64(len(payload)))
	buf := make([]byte, 0, n+len(topic)+len(payload))
	return append(append(append(buf, hdr[:n]...), topic...), payload...)
}

func writeSync(path string, flags int, b []byte) error {
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
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
			return fmt.Errorf("session file %s: %w (the rest is dropped; the edge node will be asked to rebirth)", path, err)
		}
		d.handle(topic, payload, time.Now(), true)
		d.remember(topic, payload)
	}
}

// remember notes a replayed BIRTH for a later compaction.
func (d *Decoder) remember(topic string, payload []byte) {
	t, err := ParseTopic(topic)
	if err != nil {
		return
	}
	n := d.node(t)
	n.mu.Lock()
	defer n.mu.Unlock()
	rec := record(topic, payload)
	switch t.Type {
	case NBIRTH:
		n.nbirth, n.dbirths, n.fileBytes = rec, map[string][]byte{}, 0
	case DBIRTH:
		if n.dbirths == nil {
			n.dbirths = map[string][]byte{}
		}
		n.dbirths[t.Device] = rec
	}
	n.fileBytes += int64(len(rec))
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
