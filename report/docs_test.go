package report

import (
	"os"
	"strings"
	"testing"

	"github.com/oxywatch/oxywatch/report/dhis2"
)

// The sample mapping the README points to is valid, and the README names
// every indicator a mapping may use.
func TestDocumentedDHIS2Mapping(t *testing.T) {
	if _, err := dhis2.LoadMapping("dhis2/mapping.example.yaml", Indicators()); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ind := range Indicators() {
		if !strings.Contains(string(readme), "`"+ind+"`") {
			t.Errorf("report/README.md does not document the indicator %s", ind)
		}
	}
}
