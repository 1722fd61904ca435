package api

import (
	"net/http"
	"strconv"
)

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	if s.opt.Deliveries == nil {
		notConfigured(w, r, "notifications")
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	limit = min(limit, 1000)
	q := r.URL.Query()
	f := DeliveryFilter{Facility: q.Get("facility"), Channel: q.Get("channel"), State: q.Get("state"), Limit: limit}
	for name, dst := range map[string]*int64{"alert_id": &f.AlertID, "contact_id": &f.ContactID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				problem(w, r, http.StatusBadRequest, name+" must be an integer")
				return
			}
		}
	}
	if after != "" {
		if f.BeforeID, err = strconv.ParseInt(after, 10, 64); err != nil {
			problem(w, r, http.StatusBadRequest, "cursor is not one this server gave")
			return
		}
	}
	list, err := s.opt.Deliveries(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, facs := principal(r), s.facilityRegions(r)
	out := []Delivery{}
	for _, d := range list {
		region, ok := facs[d.Facility]
		if !p.Limited() || (ok && p.Sees(region)) {
			out = append(out, d)
		}
	}
	res := List[Delivery]{Items: out}
	if len(list) >= limit && len(list) > 0 {
		res.Next = encodeCursor(itoa(list[len(list)-1].ID))
	}
	writeJSON(w, http.StatusOK, res)
}
