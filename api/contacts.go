package api

import (
	"net/http"
	"slices"
	"strings"
)

func contactKey(c Contact) string { return descKey(-c.ID) } // ascending id

// contactVisible: a region-limited token sees a contact only when every
// region and facility of the contact's scope lies in its regions; national
// contacts are hidden from it.
func (s *server) contactVisible(r *http.Request, c Contact, facs map[string]string) bool {
	p := principal(r)
	if !p.Limited() {
		return true
	}
	if len(c.Regions) == 0 && len(c.Facilities) == 0 {
		return false
	}
	for _, reg := range c.Regions {
		if !p.Sees(reg) {
			return false
		}
	}
	for _, f := range c.Facilities {
		region, ok := facs[f]
		if !ok || !p.Sees(region) {
			return false
		}
	}
	return true
}

func (s *server) listContacts(w http.ResponseWriter, r *http.Request) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "contacts")
		return
	}
	list, err := s.opt.Contacts.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	facs, q := s.facilityRegions(r), r.URL.Query()
	out := []Contact{}
	for _, c := range list {
		if s.contactVisible(r, c, facs) && (q.Get("region") == "" || slices.Contains(c.Regions, q.Get("region"))) &&
			(q.Get("facility") == "" || slices.Contains(c.Facilities, q.Get("facility"))) {
			out = append(out, c)
		}
	}
	sortBy(out, contactKey)
	writePage(w, r, out, contactKey)
}

func (s *server) contact(w http.ResponseWriter, r *http.Request) (Contact, bool) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "contacts")
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
	if !s.contactVisible(r, c, s.facilityRegions(r)) {
		problem(w, r, http.StatusForbidden, "this contact is outside your regions")
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
	c.Name = strings.TrimSpace(c.Name)
	if c.Regions == nil {
		c.Regions = []string{}
	}
	if c.Facilities == nil {
		c.Facilities = []string{}
	}
	if !s.contactVisible(r, c, s.facilityRegions(r)) {
		problem(w, r, http.StatusForbidden, "a region-limited token may only manage contacts of its own regions")
		return c, false
	}
	return c, true
}

func (s *server) createContact(w http.ResponseWriter, r *http.Request) {
	if s.opt.Contacts == nil {
		notConfigured(w, r, "contacts")
		return
	}
	c, ok := s.readContact(w, r)
	if !ok {
		return
	}
	c.ID = 0
	saved, err := s.opt.Contacts.Create(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "contact.create", itoa(saved.ID), map[string]any{"name": saved.Name, "regions": saved.Regions, "facilities": saved.Facilities})
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
		problem(w, r, http.StatusBadRequest, "body id differs from the path's")
		return
	}
	c.ID = old.ID
	saved, err := s.opt.Contacts.Update(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "contact.update", itoa(saved.ID), map[string]any{"name": saved.Name, "regions": saved.Regions, "facilities": saved.Facilities})
	writeJSON(w, http.StatusOK, saved)
}

func (s *server) deleteContact(w http.ResponseWriter, r *http.Request) {
	c, ok := s.contact(w, r)
	if !ok {
		return
	}
	if err := s.opt.Contacts.Delete(r.Context(), c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "contact.delete", itoa(c.ID), map[string]string{"name": c.Name})
	w.WriteHeader(http.StatusNoContent)
}
