package app

import (
	"context"

	"github.com/oxywatch/oxywatch/api"
)

// Repairs is the repairs report from work orders (api.RepairReports).
func (a reports) Repairs(ctx context.Context, q api.ReportQuery) (api.Report, error) {
	rq, err := a.query(q)
	if err != nil {
		return nil, err
	}
	r, err := a.r.Repairs(ctx, rq)
	if err != nil {
		return nil, badQuery(err)
	}
	return r, nil
}

var _ api.RepairReports = reports{}
