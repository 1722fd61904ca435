package score

import (
	"bytes"
	"context"
	"testing"
)

func runSuite(t *testing.T, s Suite) *Result {
	t.Helper()
	r, err := Run(context.Background(), s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSameSeedSameScore(t *testing.T) {
	s, err := Find("clock", 3)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	runSuite(t, s).Write(&a, true)
	runSuite(t, s).Write(&b, true)
	if a.String() != b.String() {
		t.Fatalf("the same seed scored differently:\n%s\n---\n%s", a.String(), b.String())
	}
	if r := runSuite(t, s); r.Alerts == 0 || len(r.Kinds) == 0 {
		t.Fatalf("suite raised %d alerts over %d fault kinds: the scorer saw nothing", r.Alerts, len(r.Kinds))
	}
}
