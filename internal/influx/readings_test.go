package influx

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestMeansAgainstInfluxd runs the history query on a real
// influxd 1.8 with Flux: window means, fields as columns, other devices and
// string fields left out, tag changes merged.
func TestMeansAgainstInfluxd(t *testing.T) {
	srv := testenv.StartInfluxd(t, "oxywatch")
	in := New(Options{URL: srv.URL, Bucket: "oxywatch/autogen"})
	defer in.Close()
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	var lines []string
	for i := range 120 { // one reading a minute for 2 h
		ts := start.Add(time.Duration(i) * time.Minute).UnixMilli()
		facility := "f-north"
		if i >= 60 {
			facility = "f-moved" // the device moved: another tag set
		}
		lines = append(lines,
			fmt.Sprintf(`o2_reading,device=n-psa-1,kind=psa,facility=%s,region=north purity_pct=%d,flow_lpm=300,state="running" %d`, facility, 90+i%2*2, ts),
			fmt.Sprintf(`o2_reading,device=other,kind=psa,region=south purity_pct=50 %d`, ts))
	}
	// Line protocol at millisecond precision, as the sender writes it.
	if err := in.Write(ctx, lines...); err != nil {
		t.Fatal(err)
	}
	var points []Window
	fields := []string{"purity_pct", "flow_lpm", "pressure_bar"}
	testenv.Eventually(t, 10*time.Second, "readings visible", func() bool {
		var err error
		points, err = in.Means(ctx, "n-psa-1", fields, start, start.Add(2*time.Hour), 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return len(points) == 4
	})
	for i, p := range points {
		if want := start.Add(time.Duration(i+1) * 30 * time.Minute); !p.Time.Equal(want) {
			t.Errorf("point %d at %s, want %s (window end)", i, p.Time, want)
		}
		if math.Abs(p.Values["purity_pct"]-91) > 1e-9 || p.Values["flow_lpm"] != 300 {
			t.Errorf("point %d: got %v, want purity mean 91 and flow 300", i, p.Values)
		}
		if _, ok := p.Values["state"]; ok {
			t.Errorf("point %d holds a string field", i)
		}
	}
}
