package report

import (
	"context"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

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
	client := influxdb2.NewClientWithOptions(in.URL, "", influxdb2.DefaultOptions().SetPrecision(time.Millisecond))
	t.Cleanup(client.Close)
	w := client.WriteAPIBlocking("", "oxywatch/autogen")
	for len(lines) > 0 {
		n := min(len(lines), 2000)
		if err := w.WriteRecord(context.Background(), lines[:n]...); err != nil {
			t.Fatal(err)
		}
		lines = lines[n:]
	}
	return &InfluxProduction{Query: client.QueryAPI(""), Bucket: "oxywatch/autogen"}
}
