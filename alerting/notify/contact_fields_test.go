package notify

import (
	"errors"
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// TestContactErrorsNameFields (issue 18): an invalid contact is ErrInvalid
// with one line of text, and each bad field is an i18n.FieldError the API
// says in its reader's language.
func TestContactErrorsNameFields(t *testing.T) {
	c := Contact{Name: " ", Phone: "0772 123", OnCall: "8-17"}
	err := checkContact(&c)
	if !errors.Is(err, ErrInvalid) || err.Error() != "invalid contact: name: must not be empty; phone: \"0772123\" is not E.164 such as +256772123456; on_call: \"8-17\" is not HH:MM-HH:MM" {
		t.Fatalf("got %v", err)
	}
	fields := i18n.Fields(err)
	if len(fields) != 3 || fields[1].Field != "phone" || i18n.Text(fields[1].Err, i18n.French) != `"0772123" n’est pas au format E.164 comme +256772123456` ||
		i18n.ErrCode(fields[1]) != "bad_phone" {
		t.Errorf("fields %v", fields)
	}
}
