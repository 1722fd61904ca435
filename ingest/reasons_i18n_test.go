package ingest

import (
	"testing"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// Every code a device's last_error_code can hold has a text the dashboard
// shows in the reader's language (web.input_error.CODE): a new Reason
// without one fails here.
func TestEveryErrorCodeHasAText(t *testing.T) {
	codes := []string{string(ReasonSMSUnmatched), string(ReasonBadProtobuf), string(ReasonUnknownAlias), ErrorUnknownWord}
	for _, r := range Reasons {
		codes = append(codes, string(r))
	}
	for _, l := range i18n.Langs {
		web := i18n.Web(l)
		for _, c := range codes {
			if web["input_error."+c] == "" {
				t.Errorf("%s: no dashboard text input_error.%s", l, c)
			}
		}
	}
}
