package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrRestart is returned by Run when OxyWatch stopped in order to start
// again at once (its SQLite file was deleted and written back); the caller
// starts it again in place (oxywatch serve re-executes itself).
var ErrRestart = errors.New("restart requested")

// dbFile watches the SQLite file under the open database. Deleted while
// OxyWatch runs (a clean-up of the data dir, say), new connections would
// see an empty database and everything written since would vanish at the
// next start. OxyWatch keeps a second name for the file (a hard link,
// .oxywatch.db.keep) so a deletion removes a name, not the data: the open
// connections go on, and OxyWatch stops in order, puts the file back under
// its name and starts again. A file replaced by someone else is left
// alone: readiness asks for a restart to use it.
type dbFile struct {
	path   string
	keep   string    // hard link to the file OxyWatch started on; "" when the file system has none
	pinned *sql.Conn // held from the start, so one connection always has the original open
	log    *slog.Logger
	open   os.FileInfo

	mu      sync.Mutex
	problem error
	deleted bool
	restart chan struct{} // closed when the file was found deleted
}

// dbCheckEvery is how often the file is looked at.
const dbCheckEvery = 2 * time.Second

func newDBFile(ctx context.Context, path string, db *sql.DB, log *slog.Logger, reg prometheus.Registerer) (*dbFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite file: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite file %s: %w", path, err)
	}
	// A read opens the connection's write-ahead log now: SQLite opens it
	// by name on first use, and opened after a deletion it would be the
	// empty log of a new file, which the checkpoint in close cannot read.
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlite file %s: %w", path, err)
	}
	w := &dbFile{path: path, pinned: conn, log: log, open: fi, restart: make(chan struct{})}
	keep := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".keep")
	_ = os.Remove(keep) // a previous run's, perhaps of another file
	if err := os.Link(path, keep); err != nil {
		log.Warn("cannot keep a second name for the SQLite file (no hard links on this file system?); a deleted file cannot be put back", "err", err)
	} else {
		w.keep = keep
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oxywatch_sqlite_file_ok", Help: "0 when the SQLite file was deleted or replaced while running.",
	}, func() float64 {
		if w.err() != nil {
			return 0
		}
		return 1
	}))
	return w, nil
}

func (w *dbFile) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.problem
}

// watch checks the file every dbCheckEvery until ctx ends.
func (w *dbFile) watch(ctx context.Context) { every(ctx, dbCheckEvery, w.check) }

func (w *dbFile) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problem != nil {
		return
	}
	cur, err := os.Stat(w.path)
	switch {
	case err == nil && os.SameFile(cur, w.open):
	case w.keep != "" && (errors.Is(err, os.ErrNotExist) || (err == nil && cur.Size() <= 8192)):
		// gone, or gone and made again, empty, by a new pool connection
		w.deleted = true
		w.problem = fmt.Errorf("sqlite file %s was deleted while running: oxywatch puts it back and starts again", w.path)
		w.log.Error("the SQLite file was deleted while oxywatch runs; stopping to put it back, then starting again", "path", w.path)
		close(w.restart)
	case errors.Is(err, os.ErrNotExist):
		w.problem = fmt.Errorf("sqlite file %s was deleted while running: stop oxywatch with Ctrl-C or SIGTERM, not SIGKILL, and copy the backup back", w.path)
		w.log.Error("the SQLite file was deleted while oxywatch runs", "path", w.path)
	case err == nil:
		w.problem = fmt.Errorf("sqlite file %s was replaced while running: restart oxywatch to use the new file", w.path)
		w.log.Error("the SQLite file was replaced while oxywatch runs; the running server still uses the old one: restart oxywatch to use the new file", "path", w.path)
	default:
		w.problem = fmt.Errorf("sqlite file %s: %w", w.path, err)
	}
}

// restartRequested is closed when the file was found deleted.
func (w *dbFile) restartRequested() <-chan struct{} { return w.restart }

// close puts a deleted file back under its name, after every writer
// stopped: its write-ahead log is checkpointed into it first, so nothing
// written since the deletion is missing. On a normal stop it only drops
// the second name.
func (w *dbFile) close() error {
	defer w.pinned.Close()
	w.check() // a deletion since the last look (every dbCheckEvery) must not cost the keep link
	w.mu.Lock()
	deleted := w.deleted
	w.mu.Unlock()
	if w.keep == "" {
		return nil
	}
	if !deleted {
		return os.Remove(w.keep)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := w.pinned.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("put the deleted SQLite file back: checkpoint: %w", err)
	}
	// An empty database made meanwhile by new connections goes, with its
	// journal, so it cannot lend it to the file put back.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(w.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("put the deleted SQLite file back: %w", err)
		}
	}
	if err := os.Link(w.keep, w.path); err != nil {
		return fmt.Errorf("put the deleted SQLite file back (it is still at %s): %w", w.keep, err)
	}
	w.log.Info("put the SQLite file back", "path", w.path)
	return os.Remove(w.keep)
}
