package app

import (
	"context"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/report"
)

// WorkOrders gives reports the work orders engineers recorded
// (report.WorkOrderSource): MTTR and main causes of failure.
func (g registryForReports) WorkOrders(ctx context.Context, f plant.WorkOrderFilter) ([]plant.WorkOrder, error) {
	return g.r.WorkOrders(ctx, f)
}

var _ report.WorkOrderSource = registryForReports{}
