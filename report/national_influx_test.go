package report

import (
	"context"
	"testing"

	"github.com/oxywatch/oxywatch/internal/influx"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// influxProduction starts a real influxd, writes lines (line protocol,
// millisecond times, as internal/influx writes them) to oxywatch/autogen,
// and returns the production source that reads them as the server does.
// Kept apart so that the move of the production query out of report
// (issue 14) changes only this function.
func influxProduction(t *testing.T, lines []string) ProductionSource {
	t.Helper()
	in := testenv.StartInfluxd(t, "oxywatch")
	client := influx.New(influx.Options{URL: in.URL, Bucket: "oxywatch/autogen"})
	t.Cleanup(client.Close)
	for len(lines) > 0 {
		n := min(len(lines), 2000)
		if err := client.Write(context.Background(), lines[:n]...); err != nil {
			t.Fatal(err)
		}
		lines = lines[n:]
	}
	return client
}
