package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// SetContactLanguage stores the language messages to contact id are written
// in: "en", "fr", "pt" or a tag of one ("fr-SN" is stored as "fr"); "" is
// the deployment default. Errors wrap ErrInvalid or ErrNotFound.
//
// It is a method of its own, not a Contact field, while api.Contact is
// converted to and from Contact field for field (internal/app/adapters.go).
func (s *Service) SetContactLanguage(ctx context.Context, id int64, lang string) error {
	l, err := i18n.Parse(lang)
	if err != nil {
		return fmt.Errorf("%w contact: %v", ErrInvalid, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE notify_contacts SET language = ?, updated_at = ? WHERE id = ?`,
		string(l), ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("set contact %d language: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	return nil
}

// ContactLanguage returns the language stored for contact id, "" when it
// chose none.
func (s *Service) ContactLanguage(ctx context.Context, id int64) (i18n.Lang, error) {
	var lang string
	err := s.db.QueryRowContext(ctx, `SELECT language FROM notify_contacts WHERE id = ?`, id).Scan(&lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("contact %d language: %w", id, err)
	}
	return i18n.Lang(lang), nil
}
