package notify

// migrations create notify's tables. The list only ever grows. Times are Unix
// milliseconds.
var migrations = []string{
	`CREATE TABLE notify_contacts (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT NOT NULL,
		phone      TEXT NOT NULL DEFAULT '',
		email      TEXT NOT NULL DEFAULT '',
		role       TEXT NOT NULL DEFAULT '',
		regions    TEXT NOT NULL DEFAULT '[]',
		facilities TEXT NOT NULL DEFAULT '[]',
		on_call    TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX notify_contacts_phone ON notify_contacts (phone) WHERE phone <> '';

	CREATE TABLE notify_outbox (
		id             INTEGER PRIMARY KEY AUTOINCREMENT,
		idem_key       TEXT NOT NULL UNIQUE,
		alert_id       INTEGER NOT NULL,
		transition_key TEXT NOT NULL,
		event          TEXT NOT NULL,
		alert          TEXT NOT NULL,
		at             INTEGER NOT NULL,
		facility       TEXT NOT NULL,
		ack_code       TEXT NOT NULL DEFAULT '',
		contact_id     INTEGER,
		recipient      TEXT NOT NULL,
		channel        TEXT NOT NULL,
		address        TEXT NOT NULL,
		tier           INTEGER NOT NULL DEFAULT 0,
		state          TEXT NOT NULL DEFAULT 'pending',
		created_at     INTEGER NOT NULL,
		not_before     INTEGER NOT NULL,
		attempts       INTEGER NOT NULL DEFAULT 0,
		last_error     TEXT NOT NULL DEFAULT '',
		sent_at        INTEGER,
		sent_key       TEXT NOT NULL DEFAULT '',
		text           TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX notify_outbox_due ON notify_outbox (state, not_before);
	CREATE INDEX notify_outbox_alert ON notify_outbox (alert_id);
	CREATE INDEX notify_outbox_to ON notify_outbox (channel, address, state, sent_at);

	CREATE TABLE notify_escalations (
		alert_id       INTEGER PRIMARY KEY,
		transition_key TEXT NOT NULL,
		alert          TEXT NOT NULL,
		route          TEXT NOT NULL,
		fired_at       INTEGER NOT NULL,
		next_tier      INTEGER NOT NULL,
		next_at        INTEGER,
		repeat_at      INTEGER,
		repeats        INTEGER NOT NULL DEFAULT 0,
		done           INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX notify_escalations_due ON notify_escalations (done, next_at);`,
	// A contact's language (en, fr, pt); empty is the deployment default.
	`ALTER TABLE notify_contacts ADD COLUMN language TEXT NOT NULL DEFAULT '';`,
}
