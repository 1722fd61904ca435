package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

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
