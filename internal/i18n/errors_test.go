package i18n

import (
	"errors"
	"fmt"
	"testing"
)

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want Lang
	}{
		{map[string]string{"LANG": "fr_FR.UTF-8"}, French},
		{map[string]string{"LANG": "pt_BR.UTF-8@latin"}, Portuguese},
		{map[string]string{"OXYWATCH_LANG": "pt", "LC_ALL": "fr_FR.UTF-8"}, Portuguese},
		{map[string]string{"LC_ALL": "fr_SN.UTF-8", "LANG": "pt_PT.UTF-8"}, French},
		{map[string]string{"LC_MESSAGES": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}, English},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "de_DE.UTF-8"}, ""},
		{map[string]string{"OXYWATCH_LANG": "xx", "LANG": "fr_FR"}, French},
		{map[string]string{}, ""},
	} {
		if got := FromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.env, got, tc.want)
		}
	}
}

// An Error is said in the reader's language, the errors it wraps too, and
// errors.Is still finds them.
func TestErrorIn(t *testing.T) {
	sentinel := errors.New("usage")
	inner := Errorf("cli.report.bad_month", "2026-13")
	err := Wrap(sentinel, "cli.config_invalid", errors.Join(inner, errors.New("plain english")))
	if !errors.Is(err, sentinel) || !errors.Is(err, inner) {
		t.Error("errors.Is does not see what the error wraps")
	}
	want := "la configuration n’est pas valide\u00a0:\n--month \"2026-13\" n’est pas un mois comme 2026-11\nplain english"
	if got := Text(err, French); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := err.Error(); got != "configuration is not valid:\n--month \"2026-13\" is not a month such as 2026-11\nplain english" {
		t.Errorf("English: got %q", got)
	}
	if got := Text(fmt.Errorf("wrapped: %w", inner), French); got != "wrapped: --month \"2026-13\" is not a month such as 2026-11" {
		t.Errorf("an error wrapped by fmt stays as it says itself: got %q", got)
	}
}

// TestFieldErrors: a field error says its field and its words in the
// reader's language, its code is its key's second part, Fields finds it
// inside joins and wraps, and WithKind keeps the words of an Error while
// errors.Is finds the sentinel.
func TestFieldErrors(t *testing.T) {
	sentinel := errors.New("invalid")
	note := Field("note", "field.too_long", 2000)
	at := &FieldError{Field: "at", Err: WithKind(sentinel, Errorf("field.future_date"))}
	err := fmt.Errorf("saving: %w", errors.Join(note, at, Errorf("field.not_utf8.row")))
	fields := Fields(err)
	if len(fields) != 2 || fields[0].Field != "note" || fields[1].Field != "at" {
		t.Fatalf("Fields: %v", fields)
	}
	if got := Text(note, French); got != "note: au plus 2 000 caractères" && got != "note: au plus 2\u00a0000 caractères" && got != "note: au plus 2\u202f000 caractères" {
		t.Errorf("French: %q", got)
	}
	if got := Text(at, Portuguese); got != "at: está no futuro" {
		t.Errorf("Portuguese: %q", got)
	}
	if ErrCode(note) != "too_long" || ErrCode(at) != "future_date" || ErrCode(sentinel) != "" || KeyCode("api.bad_role") != "bad_role" {
		t.Errorf("codes: %q %q %q", ErrCode(note), ErrCode(at), ErrCode(sentinel))
	}
	if !errors.Is(err, sentinel) || at.Error() != "at: is in the future" {
		t.Errorf("WithKind: Is %v, text %q", errors.Is(err, sentinel), at.Error())
	}
}
