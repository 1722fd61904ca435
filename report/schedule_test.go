package report

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
)

func TestScheduleNext(t *testing.T) {
	s := Schedule{Day: 3, Hour: 6, Loc: kampala()}
	tests := []struct{ now, want string }{
		{"2026-11-01 00:00", "2026-11-03 06:00"},
		{"2026-11-03 05:59", "2026-11-03 06:00"},
		{"2026-11-03 06:00", "2026-12-03 06:00"}, // just pushed: next month
		{"2026-12-20 00:00", "2027-01-03 06:00"},
	}
	for _, tc := range tests {
		if got := s.Next(lt(tc.now)); !got.Equal(lt(tc.want)) {
			t.Errorf("Next(%s) = %s, want %s", tc.now, got.In(kampala()), tc.want)
		}
	}
}

type pushCall struct {
	at     time.Time
	period string
}

// TestRunSchedule runs the monthly push on a fake clock: synctest starts it
// at 2000-01-01 00:00 UTC, 03:00 in Kampala.
func TestRunSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := make(chan pushCall)
		n := 0
		push := func(_ context.Context, p Period) error {
			calls <- pushCall{time.Now(), p.DHIS2()}
			n++
			if n == 1 {
				return errors.New("dhis2 unreachable")
			}
			return nil
		}
		s := Schedule{Day: 3, Hour: 6, Loc: kampala(), RetryEvery: time.Hour, Retries: 2}
		done := make(chan error)
		go func() { done <- RunSchedule(ctx, s, time.Now, push) }()
		want := []pushCall{
			{time.Date(2000, 1, 3, 3, 0, 0, 0, time.UTC), "199912"}, // fails
			{time.Date(2000, 1, 3, 4, 0, 0, 0, time.UTC), "199912"}, // retried an hour later
			{time.Date(2000, 2, 3, 3, 0, 0, 0, time.UTC), "200001"},
		}
		for _, w := range want {
			got := <-calls
			if !got.at.Equal(w.at) || got.period != w.period {
				t.Errorf("got push of %s at %s, want %s at %s", got.period, got.at.UTC(), w.period, w.at)
			}
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("RunSchedule returned %v, want context.Canceled", err)
		}
	})
}

func TestScheduleFromConfig(t *testing.T) {
	cfg := config.Defaults().Report
	if _, ok := ScheduleFrom(cfg); ok {
		t.Error("the scheduled push is on by default")
	}
	cfg.DHIS2.PushDay, cfg.TimeZone = 5, "Africa/Kampala"
	s, ok := ScheduleFrom(cfg)
	if !ok || s.Day != 5 || s.Hour != 6 || s.Loc.String() != "Africa/Kampala" {
		t.Errorf("got %+v %v", s, ok)
	}
}

// TestReportConfigValidation checks the report section's rules through the
// whole configuration, each error naming its key.
func TestReportConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *config.Report)
		want string
	}{
		{"zone", func(r *config.Report) { r.TimeZone = "Africa/Kampal" }, "report.time_zone"},
		{"per bed", func(r *config.Report) { r.LitresPerBed = -1 }, "report.litres_per_bed_lpm"},
		{"batch", func(r *config.Report) { r.TimelineBatch = 0 }, "report.timeline_batch"},
		{"gap", func(r *config.Report) { r.MaxReadingGap = 0 }, "report.max_reading_gap"},
		{"url", func(r *config.Report) { r.DHIS2.URL = "dhis2.example.org"; r.DHIS2.MappingFile = "m.yaml" }, "report.dhis2.url"},
		{"mapping", func(r *config.Report) { r.DHIS2.URL = "https://dhis2.example.org" }, "report.dhis2.mapping_file"},
		{"both auths", func(r *config.Report) { r.DHIS2.Token = "d2pat_x"; r.DHIS2.Username = "u"; r.DHIS2.Password = "p" }, "report.dhis2.token"},
		{"half basic", func(r *config.Report) { r.DHIS2.Username = "u" }, "report.dhis2.username"},
		{"day", func(r *config.Report) { r.DHIS2.PushDay = 31 }, "report.dhis2.push_day"},
		{"day without server", func(r *config.Report) { r.DHIS2.PushDay = 3 }, "report.dhis2.push_day"},
		{"hour", func(r *config.Report) { r.DHIS2.PushHour = 24 }, "report.dhis2.push_hour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Defaults()
			tc.edit(&cfg.Report)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, k := range config.Keys() {
		if (k.Key == "report.dhis2.password" || k.Key == "report.dhis2.token") && !k.Secret {
			t.Errorf("%s is not marked secret", k.Key)
		}
	}
}
