package notify

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/oxywatch/oxywatch/internal/config"
	"github.com/oxywatch/oxywatch/internal/plant"
)

// defaultRouteName names the route used when no configured route matches.
const defaultRouteName = "default"

// event is what one outbox row or escalation says about an alert; it is
// stored as JSON so messages can be written later, after a restart.
type event struct {
	Alert        plant.Alert      `json:"alert"`
	From         plant.AlertState `json:"from"`
	To           plant.AlertState `json:"to"`
	At           time.Time        `json:"at"`
	FacilityName string           `json:"facility_name"`
	Kind         plant.Kind       `json:"kind,omitempty"`
}

func matches(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

// route returns the first configured route matching e, or the default.
func (s *Service) route(e event) config.Route {
	for _, r := range s.cfg.Routes {
		if matches(r.Regions, e.Alert.Region) && matches(r.Facilities, e.Alert.Facility) &&
			matches(r.Rules, e.Alert.Rule) && matches(r.DeviceKinds, string(e.Kind)) &&
			matches(r.Severities, string(e.Alert.Severity)) {
			return r
		}
	}
	return defaultRoute(string(e.Alert.Severity))
}

// defaultRoute is the route of an alert no configured route matches; its
// name carries the severity, so an escalation finds the same tiers later.
func defaultRoute(sev string) config.Route {
	name := defaultRouteName
	if sev == string(plant.SeverityWarning) || sev == string(plant.SeverityInfo) {
		name += "-" + sev
	}
	return config.Route{Name: name, Tiers: config.DefaultTiersFor(sev)}
}

// routeNamed returns the route called name; the default when it is gone.
func (s *Service) routeNamed(name string) config.Route {
	for _, r := range s.cfg.Routes {
		if r.Name == name {
			return r
		}
	}
	sev, _ := strings.CutPrefix(name, defaultRouteName+"-")
	return defaultRoute(sev)
}

// inScope reports whether contact c belongs to tier t for alert a.
func inScope(c *Contact, t config.Tier, a plant.Alert) bool {
	if len(t.Roles) > 0 && !slices.Contains(t.Roles, c.Role) {
		return false
	}
	facility := slices.Contains(c.Facilities, a.Facility)
	region := slices.Contains(c.Regions, a.Region)
	switch t.Scope {
	case config.ScopeFacility:
		return facility
	case config.ScopeRegion:
		return region
	case config.ScopeNational:
		return c.National()
	default:
		return facility || region || c.National()
	}
}

// tierContacts returns the contacts of tier t for alert a: those on call at
// now, or all of them when none is on call (a duplicate beats a miss).
func (s *Service) tierContacts(ctx context.Context, q querier, t config.Tier, a plant.Alert) ([]Contact, error) {
	all, err := queryContacts(ctx, q, `ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var in, onCall []Contact
	local := s.now().In(s.loc)
	for _, c := range all {
		if !inScope(&c, t, a) {
			continue
		}
		in = append(in, c)
		if c.OnCallAt(local) {
			onCall = append(onCall, c)
		}
	}
	if len(onCall) > 0 {
		return onCall, nil
	}
	return in, nil
}

// tierChannels lists the channels a tier uses, sms and email by default.
func tierChannels(t config.Tier) []Channel {
	if len(t.Channels) == 0 {
		return []Channel{SMS, Email}
	}
	out := make([]Channel, len(t.Channels))
	for i, c := range t.Channels {
		out[i] = Channel(c)
	}
	return out
}

// address returns the contact's address on channel ch, or "".
func address(c *Contact, ch Channel) string {
	switch ch {
	case SMS:
		return c.Phone
	case Email:
		return c.Email
	}
	return ""
}
