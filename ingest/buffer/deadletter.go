package buffer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DeadLetterFile is the name of the file, beside the buffer's log, that
// keeps the lines InfluxDB refused, with the reason, for an operator to
// inspect and replay (`oxywatch buffer replay-dead-letters`).
const DeadLetterFile = "dead-letter.lp"

// Subdir is the buffer's folder under the data dir.
const Subdir = "buffer"

// DeadLetterPath is where the buffer's dead-letter file lives.
func (b *Buffer) DeadLetterPath() string { return filepath.Join(b.dir, DeadLetterFile) }

// ErrReplayRunning is returned by StartReplay while another replay of the
// same file runs.
var ErrReplayRunning = errors.New("another replay of the dead-letter file is running")

// DeadLetter is one line InfluxDB refused, as the dead-letter file keeps it.
//
// The file is line protocol with comments: each group of lines follows a
// header "# TIME refused (REASON): DETAIL". Files written before reasons
// were named have "# TIME refused: DETAIL"; both are read.
type DeadLetter struct {
	Line   string    // one line of line protocol
	Reason string    // short name (parse_error, beyond_retention, ...); may be empty
	Detail string    // InfluxDB's message
	At     time.Time // when it was refused; zero when the file does not say
}

// AppendDeadLetters appends dls to the dead-letter file at path and syncs
// it to disk. Only then may the caller forget the lines.
func AppendDeadLetters(path string, dls []DeadLetter) error {
	if len(dls) == 0 {
		return nil
	}
	unlock, err := lockFile(path+".lock", true)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	if _, err := f.Write(encodeDeadLetters(dls)); err != nil {
		f.Close()
		return fmt.Errorf("write dead-letter file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync dead-letter file %s: %w", path, err)
	}
	return f.Close()
}

// ReadDeadLetters reads the dead-letter file at path. A missing file holds
// no lines.
func ReadDeadLetters(path string) ([]DeadLetter, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	unlock, err := lockFile(path+".lock", true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	b, err := readIfExists(path)
	if err != nil {
		return nil, err
	}
	return parseDeadLetters(b), nil
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read dead-letter file: %w", err)
	}
	return b, nil
}

func encodeDeadLetters(dls []DeadLetter) []byte {
	var b bytes.Buffer
	for i, d := range dls {
		if i == 0 || d.Reason != dls[i-1].Reason || d.Detail != dls[i-1].Detail || !d.At.Equal(dls[i-1].At) {
			b.WriteString("#")
			if !d.At.IsZero() {
				b.WriteString(" " + d.At.UTC().Format(time.RFC3339))
			}
			b.WriteString(" refused")
			if d.Reason != "" {
				b.WriteString(" (" + d.Reason + ")")
			}
			b.WriteString(": " + oneLine(d.Detail) + "\n")
		}
		b.WriteString(oneLine(d.Line) + "\n")
	}
	return b.Bytes()
}

func parseDeadLetters(b []byte) []DeadLetter {
	var out []DeadLetter
	var head DeadLetter
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			head = parseHeader(line)
		default:
			d := head
			d.Line = line
			out = append(out, d)
		}
	}
	return out
}

// header is "# [TIME ]refused[ (REASON)]: DETAIL".
var header = regexp.MustCompile(`^#\s*(?:(\S+)\s+)?refused(?: \(([a-z_]+)\))?:\s*(.*)$`)

// parseHeader reads a group's header; any other comment becomes the detail
// of the lines that follow it.
func parseHeader(line string) DeadLetter {
	m := header.FindStringSubmatch(line)
	if m == nil {
		return DeadLetter{Detail: strings.TrimSpace(strings.TrimPrefix(line, "#"))}
	}
	d := DeadLetter{Reason: m[2], Detail: m[3]}
	if m[1] != "" {
		at, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			return DeadLetter{Detail: strings.TrimSpace(strings.TrimPrefix(line, "#"))}
		}
		d.At = at
	}
	return d
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// Replay holds the dead-letter file while its lines are sent again: one
// replay at a time, while the server's sender may still append to the file.
type Replay struct {
	path   string
	unlock func() error
	mine   []byte // the start of the file that holds this replay's lines
}

// StartReplay takes the dead-letter file at path for a replay and returns
// its lines. Close ends the replay. A missing file holds no lines: then the
// replay has nothing to keep.
func StartReplay(path string) (*Replay, []DeadLetter, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return &Replay{path: path, unlock: func() error { return nil }}, nil, nil
	}
	unlock, err := lockFile(path+".replay.lock", false)
	if err != nil {
		return nil, nil, err
	}
	r := &Replay{path: path, unlock: unlock}
	appendUnlock, err := lockFile(path+".lock", true)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	defer appendUnlock()
	if r.mine, err = readIfExists(path); err != nil {
		unlock()
		return nil, nil, err
	}
	return r, parseDeadLetters(r.mine), nil
}

// Keep makes remaining the replay's lines in the file: it writes them, then
// whatever the sender appended since the replay read the file, to a new file,
// syncs it and renames it over the old one, so a crash at any moment leaves
// either the old file or the new one. A file left empty is removed.
func (r *Replay) Keep(remaining []DeadLetter) error {
	if len(remaining) == 0 && len(r.mine) == 0 {
		return nil // nothing of ours in the file
	}
	unlock, err := lockFile(r.path+".lock", true)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := readIfExists(r.path)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(cur, r.mine) {
		return fmt.Errorf("dead-letter file %s was changed by something other than the sender during the replay; it was left as it is", r.path)
	}
	mine := encodeDeadLetters(remaining)
	data := append(append([]byte(nil), mine...), cur[len(r.mine):]...)
	if len(data) == 0 {
		err = os.Remove(r.path)
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	} else {
		err = writeAtomic(r.path, data)
	}
	if err != nil {
		return err
	}
	r.mine = mine
	return syncDir(filepath.Dir(r.path))
}

// Close ends the replay; the file keeps what the last Keep left.
func (r *Replay) Close() error { return r.unlock() }

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("rewrite dead-letter file %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("rewrite dead-letter file %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rewrite dead-letter file %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
