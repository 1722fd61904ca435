package api

import (
	"net/http"
	"strconv"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	if s.opt.Deliveries == nil {
		notConfigured(w, r, "api.part.notifications")
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	limit = min(limit, 1000)
	q := r.URL.Query()
	f := DeliveryFilter{Facility: q.Get("facility"), Channel: q.Get("channel"), State: q.Get("state"), Limit: limit}
	for name, dst := range map[string]*int64{"alert_id": &f.AlertID, "contact_id": &f.ContactID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				problemT(w, r, http.StatusBadRequest, "api.not_integer", name)
				return
			}
		}
	}
	if after != "" {
		if f.BeforeID, err = strconv.ParseInt(after, 10, 64); err != nil {
			problemT(w, r, http.StatusBadRequest, "api.bad_cursor")
			return
		}
	}
	list, err := s.opt.Deliveries(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.visibleDeliveries(r, list)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Add("Vary", "Accept-Language") // a hidden recipient is named in the reader's language
	res := List[Delivery]{Items: out}
	if len(list) >= limit && len(list) > 0 {
		res.Next = encodeCursor(itoa(list[len(list)-1].ID))
	}
	writeJSON(w, http.StatusOK, res)
}

// visibleDeliveries keeps the deliveries of facilities that lie wholly
// inside the caller's regions, and hides who was told, and where, when the
// caller may not see that contact (one of another region, or national):
// the recipient is then "a contact outside your regions" in the reader's
// language.
func (s *server) visibleDeliveries(r *http.Request, list []Delivery) ([]Delivery, error) {
	sc := s.scope(r)
	out := []Delivery{}
	if !principal(r).Limited() {
		return append(out, list...), nil
	}
	seen := map[int64]bool{}
	if s.opt.Contacts != nil {
		contacts, err := s.opt.Contacts.List(r.Context())
		if err != nil {
			return nil, err
		}
		for _, c := range contacts {
			seen[c.ID] = sc.inside(contactReach(c))
		}
	}
	hidden := i18n.Msg("api.hidden_recipient").In(requestLang(r))
	for _, d := range list {
		if !sc.inside(footprint{facilities: []string{d.Facility}}) {
			continue
		}
		if d.ContactID != nil && !seen[*d.ContactID] {
			d.Recipient, d.Address = hidden, ""
		}
		out = append(out, d)
	}
	return out, nil
}
