package store

import (
	"context"
	"testing"
)

func TestMigrateOnceAndInOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	steps := []string{
		`CREATE TABLE things (id INTEGER PRIMARY KEY)`,
		`ALTER TABLE things ADD COLUMN name TEXT`,
	}
	for range 2 { // the second open must find everything applied
		db, err := OpenSQLite(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := Migrate(ctx, db, "test", steps); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO things (name) VALUES ('x')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	db, _ := OpenSQLite(dir)
	defer db.Close()
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM things`).Scan(&n)
	if n != 2 {
		t.Errorf("got %d rows, want 2", n)
	}
	if err := Migrate(ctx, db, "test", append(steps, `NOT SQL`)); err == nil {
		t.Error("got no error for a bad migration, want one")
	}
}
