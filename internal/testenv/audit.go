package testenv

import (
	"database/sql"
	"testing"
)

// BreakAuditLog makes every insert into db's audit log (store.OpenAudit
// must have created it) fail, as a corrupt or unwritable audit table would,
// while the rest of the database still takes writes.
func BreakAuditLog(t testing.TB, db *sql.DB) {
	t.Helper()
	if _, err := db.Exec(`CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END`); err != nil {
		t.Fatal(err)
	}
}
