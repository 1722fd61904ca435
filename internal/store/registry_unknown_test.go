package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

func openTestRegistry(t *testing.T) (*Registry, *sql.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := OpenRegistry(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg, db, filepath.Join(dir, DBFile)
}

// lockDB holds SQLite's write lock from another connection until the
// returned function is called, as a busy moment of another writer would.
func lockDB(t *testing.T, path string) (release func()) {
	t.Helper()
	other, err := OpenSQLiteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := other.BeginTx(t.Context(), nil) // BEGIN IMMEDIATE (_txlock in the DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO facilities (id) VALUES ('lock')`); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback()
			other.Close()
		}
	}
	t.Cleanup(release)
	return release
}

func countUnknown(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM devices WHERE kind = 'unknown'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The first reading of a new device must not wait for SQLite (issue 12): with
// another writer holding the lock, AddUnknown still returns at once and the
// device is in the cache; the rows follow when the lock is free.
func TestAddUnknownDoesNotWaitForSQLite(t *testing.T) {
	reg, db, path := openTestRegistry(t)
	release := lockDB(t, path)
	const n = 300 // more than a batch
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for i := range n {
			reg.AddUnknown(plant.DeviceID(fmt.Sprintf("new-%03d", i)), start)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("AddUnknown of %d devices still running after 5 s: it waits for SQLite", n)
	}
	for i := range n {
		if d, ok := reg.Device(plant.DeviceID(fmt.Sprintf("new-%03d", i))); !ok || d.Kind != plant.KindUnknown {
			t.Fatalf("device new-%03d not in the cache: %v %+v", i, ok, d)
		}
	}
	release()
	testenv.Eventually(t, 15*time.Second, "the unknown devices in SQLite", func() bool { return countUnknown(t, db) == n })
}

// Close writes what is queued at once; after it, devices are written as
// they come.
func TestCloseWritesQueuedDevices(t *testing.T) {
	reg, db, _ := openTestRegistry(t)
	for i := range 5 {
		reg.AddUnknown(plant.DeviceID(fmt.Sprintf("new-%d", i)), time.Now())
	}
	reg.AddUnknown("new-0", time.Now()) // known by now: not queued twice
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if got := countUnknown(t, db); got != 5 {
		t.Errorf("%d unknown devices in SQLite after Close, want 5", got)
	}
	reg.AddUnknown("late", time.Now())
	if got := countUnknown(t, db); got != 6 {
		t.Errorf("%d unknown devices in SQLite after a device seen past Close, want 6", got)
	}
}

// A batch SQLite refuses stays queued and is written once it can be.
func TestFailedBatchIsRetried(t *testing.T) {
	reg, db, path := openTestRegistry(t)
	release := lockDB(t, path)
	reg.AddUnknown("new-1", time.Now())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := reg.Flush(ctx); err == nil {
		t.Fatal("flush succeeded while another writer held the lock")
	}
	release()
	testenv.Eventually(t, 15*time.Second, "the queued device in SQLite", func() bool { return countUnknown(t, db) == 1 })
}

// Reads and deletes see a device as soon as it is cached: a queued device
// does not come back after it was deleted.
func TestQueuedDeviceReadAndDeleted(t *testing.T) {
	reg, db, _ := openTestRegistry(t)
	reg.AddUnknown("new-1", time.Now())
	if _, err := reg.Get(t.Context(), "new-1"); err != nil {
		t.Fatalf("get a queued device: %v", err)
	}
	reg.AddUnknown("new-2", time.Now())
	if err := reg.Delete(t.Context(), "new-2"); err != nil {
		t.Fatalf("delete a queued device: %v", err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if got := countUnknown(t, db); got != 1 {
		t.Errorf("%d unknown devices in SQLite, want 1 (new-2 deleted)", got)
	}
}
