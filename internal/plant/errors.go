package plant

import "errors"

// The errors every package wraps for the same meaning, so a caller tests
// one sentinel whoever answered: the API turns them into 404, 400 and 409.
// alerting, notify, store and api re-export them under their own names.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
	ErrConflict = errors.New("conflict")
)
