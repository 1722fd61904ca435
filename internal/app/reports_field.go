package app

import (
	"context"
	"time"

	"github.com/oxywatch/oxywatch/api"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// LatestFunctional and LatestStock give reports the functional statuses and
// stock counts engineers record (report.FieldRecordSource). The API reaches
// the same records through registryForAPI, which embeds *store.Registry.

func (g registryForReports) LatestFunctional(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.FunctionalRecord, error) {
	return g.r.LatestFunctional(ctx, at)
}

func (g registryForReports) LatestStock(ctx context.Context, at time.Time) (map[plant.DeviceID]plant.StockRecord, error) {
	return g.r.LatestStock(ctx, at)
}

var (
	_ report.FieldRecordSource = registryForReports{}
	_ api.FieldRecords         = registryForAPI{}
)
