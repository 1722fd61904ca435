package report

import (
	"html/template"
)

// barSegment is one status's share of a stacked bar, in percent of its width.
type barSegment struct {
	X, W  float64
	Class string
	Title string
}

// statusBar splits a row's hours into the segments of a stacked bar:
// operational, degraded, down, maintenance, no_data.
// lowCoveragePct is the data coverage below which the chart says, in a
// region's label, how much of the time its uptime rests on.
const lowCoveragePct = 90

func statusBar(tr *words, r UptimeRow) []barSegment {
	parts := []struct {
		h     float64
		class string
	}{
		{r.OperationalH, "operational"}, {r.DegradedH, "degraded"}, {r.DownH, "down"},
		{r.MaintenanceH, "maintenance"}, {r.NoDataH, "no_data"},
	}
	if r.PeriodH <= 0 {
		return nil
	}
	var out []barSegment
	x := 0.0
	for _, p := range parts {
		if p.h <= 0 {
			continue
		}
		w := round(100*p.h/r.PeriodH, 2)
		out = append(out, barSegment{X: x, W: w, Class: p.class, Title: tr.status(p.class) + " " + tr.hours(p.h) + " h"})
		x = round(x+w, 2)
	}
	return out
}

// statusColors are the fills of the status classes, shared by CSS and SVG
// so a printed page and the legend agree.
var statusColors = template.CSS(`.operational{fill:#2e7d32;background:#2e7d32}
.degraded{fill:#f9a825;background:#f9a825}
.down{fill:#c62828;background:#c62828}
.maintenance{fill:#1565c0;background:#1565c0}
.no_data{fill:#bdbdbd;background:#bdbdbd}`)

// Colors is the status colour CSS, for the template.
func (p *Page) Colors() template.CSS { return statusColors }

// regionBar is one bar of the region uptime chart, in SVG units.
type regionBar struct {
	Label         string
	Y, TextY      float64
	W, LabelX     float64
	Uptime, Class string
}

// chartTick is a marked uptime percentage on the chart's axis.
type chartTick struct {
	X     float64
	Label string
}

// regionChart is a horizontal bar per region, its length the uptime.
type regionChart struct {
	Bars                 []regionBar
	Ticks                []chartTick
	PlotH, AxisY, Height float64
}

// ChartPlotW is the width of the region chart's plot area, in SVG units.
const ChartPlotW = 440

const chartRowH = 20

// RegionChart lays out the region uptime chart.
func (p *Page) RegionChart() *regionChart {
	if p.Regions == nil || len(p.Regions.Items) == 0 {
		return nil
	}
	c := &regionChart{}
	for i, r := range p.Regions.Items {
		y := float64(i*chartRowH) + 3
		b := regionBar{Label: dash(r.Key), Y: y, TextY: y + 11, Uptime: p.tr.pct(r.UptimePct), Class: "no_data"}
		if c := r.DataCoveragePct; c != nil && *c < lowCoveragePct {
			b.Label += p.tr.T("report.chart_data", p.tr.pctOf(*c, 0))
		}
		if r.UptimePct != nil {
			b.W = round(*r.UptimePct*ChartPlotW/100, 2)
			b.Class = uptimeClass(*r.UptimePct)
		}
		b.LabelX = 150 + b.W + 4
		c.Bars = append(c.Bars, b)
	}
	c.PlotH = float64(len(c.Bars) * chartRowH)
	c.AxisY = c.PlotH + 12
	c.Height = c.AxisY + 4
	for _, v := range []float64{0, 50, 80, 100} {
		c.Ticks = append(c.Ticks, chartTick{X: v * ChartPlotW / 100, Label: p.tr.pctOf(v, 0)})
	}
	return c
}

// uptimeClass colours an uptime figure: at least 95 % operational, at least
// 80 % degraded, else down.
func uptimeClass(v float64) string {
	switch {
	case v >= 95:
		return "operational"
	case v >= 80:
		return "degraded"
	}
	return "down"
}
