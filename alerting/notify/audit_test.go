package notify

import (
	"context"
	"errors"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/store"
	"github.com/oxywatch/oxywatch/internal/testenv"
)

// TestContactChangesCommitWithTheirAuditEntry: a contact change and the
// audit entry its context carries commit together or not at all (issue 13
// finding 7): a contact that routes a plant's SMS must never appear
// without a record of who added it.
func TestContactChangesCommitWithTheirAuditEntry(t *testing.T) {
	h := newHarness(t, config.Notify{}, nil)
	ctx := context.Background()
	audit, err := store.OpenAudit(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	as := func(action string) context.Context {
		return store.WithAudit(ctx, store.AuditEntry{Actor: "token:ab", Action: action})
	}
	grace, err := h.s.CreateContact(as("contact.create"), Contact{Name: "Grace", Phone: "+256772000001", Regions: []string{"north"}})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := audit.List(ctx, 0, 10); len(entries) != 1 || entries[0].Target != "1" || entries[0].Action != "contact.create" {
		t.Fatalf("got %+v, want the creation of contact 1", entries)
	}

	testenv.BreakAuditLog(t, h.db)
	if _, err := h.s.CreateContact(as("contact.create"), Contact{Name: "Intruder", Phone: "+256772000009"}); !errors.Is(err, store.ErrAudit) {
		t.Errorf("create: got %v, want ErrAudit", err)
	}
	changed := grace
	changed.Regions = []string{"south"}
	if _, err := h.s.UpdateContact(as("contact.update"), changed); !errors.Is(err, store.ErrAudit) {
		t.Errorf("update: got %v, want ErrAudit", err)
	}
	if err := h.s.DeleteContact(as("contact.delete"), grace.ID); !errors.Is(err, store.ErrAudit) {
		t.Errorf("delete: got %v, want ErrAudit", err)
	}
	list, err := h.s.Contacts(ctx, ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "Grace" || len(list[0].Regions) != 1 || list[0].Regions[0] != "north" {
		t.Errorf("contacts %+v, want Grace alone, still north", list)
	}
}
