package api

import (
	"net/http"
	"slices"
)

func contactKey(c Contact) string { return descKey(-c.ID) } // ascending id

func (s *server) listContacts(w http.ResponseWriter, r *http.Request) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "api.part.contacts")
		return
	}
	list, err := s.opt.Contacts.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc, q := s.scope(r), r.URL.Query()
	out := []Contact{}
	for _, c := range list {
		if sc.inside(contactReach(c)) && (q.Get("region") == "" || slices.Contains(c.Regions, q.Get("region"))) &&
			(q.Get("facility") == "" || slices.Contains(c.Facilities, q.Get("facility"))) {
			out = append(out, c)
		}
	}
	sortBy(out, contactKey)
	writePage(w, r, out, contactKey)
}

func (s *server) contact(w http.ResponseWriter, r *http.Request) (Contact, bool) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "api.part.contacts")
		return Contact{}, false
	}
	id, ok := parseID(w, r)
	if !ok {
		return Contact{}, false
	}
	c, err := s.opt.Contacts.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return Contact{}, false
	}
	if !s.scope(r).inside(contactReach(c)) {
		problemT(w, r, http.StatusForbidden, "api.contact_outside_regions")
		return Contact{}, false
	}
	return c, true
}

func (s *server) getContact(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.contact(w, r); ok {
		writeJSON(w, http.StatusOK, c)
	}
}

func (s *server) readContact(w http.ResponseWriter, r *http.Request) (Contact, bool) {
	var c Contact
	if !s.decode(w, r, &c) {
		return c, false
	}
	c.Normalise()
	if err := s.allow(r, contactReach(c)); err != nil {
		s.fail(w, r, err)
		return c, false
	}
	return c, true
}

func (s *server) createContact(w http.ResponseWriter, r *http.Request) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "api.part.contacts")
		return
	}
	c, ok := s.readContact(w, r)
	if !ok {
		return
	}
	c.ID = 0
	ctx := s.withAudit(r, "contact.create", "", map[string]any{"name": c.Name, "regions": c.Regions, "facilities": c.Facilities})
	saved, err := s.opt.Contacts.Create(ctx, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

func (s *server) updateContact(w http.ResponseWriter, r *http.Request) {
	old, ok := s.contact(w, r)
	if !ok {
		return
	}
	c, ok := s.readContact(w, r)
	if !ok {
		return
	}
	if c.ID != 0 && c.ID != old.ID {
		problemT(w, r, http.StatusBadRequest, "api.body_id_differs")
		return
	}
	c.ID = old.ID
	ctx := s.withAudit(r, "contact.update", itoa(c.ID), map[string]any{"name": c.Name, "regions": c.Regions, "facilities": c.Facilities})
	saved, err := s.opt.Contacts.Update(ctx, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

func (s *server) deleteContact(w http.ResponseWriter, r *http.Request) {
	c, ok := s.contact(w, r)
	if !ok {
		return
	}
	if err := s.opt.Contacts.Delete(s.withAudit(r, "contact.delete", itoa(c.ID), map[string]string{"name": c.Name}), c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
