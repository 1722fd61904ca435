package buffer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// ErrDiskFull is returned by Append when the disk has less free space than
// the buffer keeps in reserve. Nothing was written: a write cut short by a
// full disk would leave a torn entry in the log.
var ErrDiskFull = errors.New("disk full")

// Repaired is set by Open when the newest WAL segment ended in a torn entry
// (a power cut during a write) and that entry was cut off; it holds the
// number of bytes cut. The entries before it are kept. A torn entry was
// never acknowledged: its fsync had not returned.
var Repaired int64

// repairTail cuts a torn last entry off the newest segment in dir and
// reports how many bytes it cut; 0 when the newest segment is whole (the
// damage is elsewhere, and the caller moves the buffer aside).
func repairTail(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var segs []string
	for _, e := range entries {
		if len(e.Name()) == 20 && e.Type().IsRegular() {
			segs = append(segs, e.Name())
		}
	}
	if len(segs) == 0 {
		return 0, nil
	}
	path := filepath.Join(dir, slices.Max(segs))
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	good := wholeEntries(data)
	if good == len(data) {
		return 0, nil
	}
	// The cut bytes are kept beside the buffer for inspection by hand.
	torn := fmt.Sprintf("%s.torn-%d", dir, time.Now().UnixNano())
	if err := os.WriteFile(torn, data[good:], 0o640); err != nil {
		return 0, fmt.Errorf("keep torn entry of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Truncate(int64(good)); err != nil {
		return 0, fmt.Errorf("cut torn entry off %s: %w", path, err)
	}
	return int64(len(data) - good), f.Sync()
}

// wholeEntries returns the length of data's prefix made of whole entries:
// a uvarint size, then that many bytes, at least a record header (a zero
// run left by a power cut reads as empty entries and is torn too).
func wholeEntries(data []byte) int {
	pos := 0
	for pos < len(data) {
		size, n := binary.Uvarint(data[pos:])
		if n <= 0 || size < headerLen || uint64(len(data)-pos-n) < size {
			break
		}
		pos += n + int(size)
	}
	return pos
}

// freeBytes is the space left for this user on dir's file system.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
