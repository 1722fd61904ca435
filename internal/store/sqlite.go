// Package store holds OxyWatch's storage: the SQLite registry shared by every
// component, and the InfluxDB writer and reader.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBFile is the SQLite file's name under the data dir.
const DBFile = "oxywatch.db"

// OpenSQLite opens (creating when missing) the SQLite database under dataDir
// in WAL mode with foreign keys on and a busy timeout, so several components
// can share it.
func OpenSQLite(dataDir string) (*sql.DB, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
	}
	return OpenSQLiteFile(filepath.Join(dataDir, DBFile))
}

// OpenSQLiteFile opens the SQLite database at path.
func OpenSQLiteFile(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Migrate applies, in order, the migrations of one component that the
// database has not seen yet. Each component (registry, alerting, notify, …)
// owns its tables and its list; a list only ever grows.
func Migrate(ctx context.Context, db *sql.DB, component string, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	for i, step := range steps {
		version := i + 1
		if err := migrateStep(ctx, db, component, version, step); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

func migrateStep(ctx context.Context, db *sql.DB, component string, version int, step string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`, component, version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, step); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`, component, version); err != nil {
		return err
	}
	return tx.Commit()
}
