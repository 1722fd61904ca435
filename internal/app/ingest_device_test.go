package app

import (
	"reflect"
	"testing"

	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/ingest"
)

// TestIngestResultTechnicalLine: what a device posted is answered by
// reason; the ingester's English line goes in Technical, and Detail is
// left for the API to say in the reader's language.
func TestIngestResultTechnicalLine(t *testing.T) {
	const line = "purity_pct 101 is out of range [0, 100]"
	for _, tc := range []struct {
		name string
		res  ingest.Result
		want api.IngestResult
	}{
		{"all accepted", ingest.Result{Accepted: 3},
			api.IngestResult{Accepted: 3, Errors: []api.IngestError{}}},
		{"one of a backlog rejected", ingest.Result{Accepted: 1, Backlog: true, Rejected: []ingest.Rejection{{Index: 1, Reason: ingest.ReasonOutOfRange, Detail: line}}},
			api.IngestResult{Accepted: 1, Rejected: 1, Errors: []api.IngestError{{Index: 1, Reason: "out_of_range", Technical: line}}}},
		{"the payload refused", ingest.Result{Rejected: []ingest.Rejection{{Index: -1, Reason: ingest.ReasonNotJSON, Detail: "invalid character 'x'"}}},
			api.IngestResult{Rejected: 1, Errors: []api.IngestError{{Index: -1, Reason: "not_json", Technical: "invalid character 'x'"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ingestResult(tc.res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
