package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Notify configures SMS, email and webhook delivery. The notification feature
// owns this file.
type Notify struct {
	TimeZone        string        `yaml:"time_zone" doc:"IANA zone for times written in messages and for the daily SMS budget, e.g. Africa/Kampala"`
	Language        string        `yaml:"language" doc:"the deployment's language: messages to contacts who chose none, webhook text, HTML reports without --lang or ?lang=, and the dashboard when the browser asks for none of en, fr, pt"`
	GroupWindow     time.Duration `yaml:"group_window" doc:"transitions at one facility within this window go to a recipient as one message; 0 sends at once"`
	RateLimit       int           `yaml:"rate_limit_per_hour" doc:"most messages per recipient and channel in an hour; later ones wait and are grouped; 0 is no limit"`
	SMSDailyBudget  int           `yaml:"sms_daily_budget" doc:"most SMS a deployment sends a day; beyond it contacts are told by email only; 0 is no limit"`
	MaxAge          time.Duration `yaml:"max_age" doc:"a message still unsent this long after it was queued is marked failed"`
	RetryMin        time.Duration `yaml:"retry_min" doc:"first wait before a failed send is retried; doubles each attempt"`
	RetryMax        time.Duration `yaml:"retry_max" doc:"longest wait between send retries"`
	SendTimeout     time.Duration `yaml:"send_timeout" doc:"time limit of one provider request"`
	PollInterval    time.Duration `yaml:"poll_interval" doc:"how often the outbox and escalation schedule are read"`
	Workers         int           `yaml:"workers" doc:"messages sent at the same time"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" doc:"how long Stop waits for sends in flight"`
	Routes          []Route       `yaml:"routes" doc:"first matching route wins; a route without matchers is the default"`
	SMS             NotifySMS     `yaml:"sms"`
	Email           NotifyEmail   `yaml:"email"`
	Webhook         NotifyWebhook `yaml:"webhook"`
}

// Route sends matching alerts to escalation tiers. Empty matchers match all.
type Route struct {
	Name        string        `yaml:"name"`
	Regions     []string      `yaml:"regions"`
	Facilities  []string      `yaml:"facilities"`
	Rules       []string      `yaml:"rules"`
	DeviceKinds []string      `yaml:"device_kinds"`
	Severities  []string      `yaml:"severities"`
	Repeat      time.Duration `yaml:"repeat"`
	Tiers       []Tier        `yaml:"tiers"`
}

// Tier is one escalation step: who is told, how, and how long after the
// alert fired when nobody has acknowledged it.
type Tier struct {
	After    time.Duration `yaml:"after"`
	Scope    string        `yaml:"scope"`
	Roles    []string      `yaml:"roles"`
	Channels []string      `yaml:"channels"`
}

// Scopes a tier may pick contacts by.
const (
	ScopeFacility = "facility" // contacts listing the alert's facility
	ScopeRegion   = "region"   // contacts listing the alert's region
	ScopeNational = "national" // contacts listing neither facilities nor regions
	ScopeAny      = "any"      // any of the above
)

// NotifySMS selects the SMS provider.
type NotifySMS struct {
	Provider       string               `yaml:"provider" doc:"africastalking, twilio or http; empty disables SMS"`
	From           string               `yaml:"from" doc:"sender id or number; empty uses the provider account's default"`
	InboundToken   string               `yaml:"inbound_token" doc:"when set, the inbound-SMS webhook requires ?token= with this value" secret:"true"`
	AfricasTalking NotifyAfricasTalking `yaml:"africastalking"`
	Twilio         NotifyTwilio         `yaml:"twilio"`
	HTTP           NotifySMSGateway     `yaml:"http"`
}

// NotifyAfricasTalking is an Africa's Talking account.
type NotifyAfricasTalking struct {
	URL      string `yaml:"url" doc:"API base URL (sandbox: https://api.sandbox.africastalking.com)"`
	Username string `yaml:"username" doc:"application username"`
	APIKey   string `yaml:"api_key" doc:"API key" secret:"true"`
}

// NotifyTwilio is a Twilio account.
type NotifyTwilio struct {
	URL        string `yaml:"url" doc:"API base URL"`
	AccountSID string `yaml:"account_sid" doc:"account SID (AC...)"`
	AuthToken  string `yaml:"auth_token" doc:"auth token; also verifies X-Twilio-Signature on inbound SMS" secret:"true"`
	InboundURL string `yaml:"inbound_url" doc:"public URL Twilio posts replies to, as configured at Twilio; empty rebuilds it from the request"`
}

// NotifySMSGateway is a generic HTTP JSON SMS gateway.
type NotifySMSGateway struct {
	URL   string `yaml:"url" doc:"gateway URL; receives POST {\"to\",\"text\",\"idempotency_key\"}"`
	Token string `yaml:"token" doc:"bearer token sent to the gateway" secret:"true"`
}

// NotifyEmail is the SMTP relay.
type NotifyEmail struct {
	SMTPAddr string `yaml:"smtp_addr" doc:"SMTP relay host:port; empty disables email"`
	Username string `yaml:"username" doc:"SMTP user for PLAIN auth; empty sends without auth"`
	Password string `yaml:"password" doc:"SMTP password" secret:"true"`
	From     string `yaml:"from" doc:"From address, e.g. OxyWatch <alerts@moh.example>"`
	StartTLS string `yaml:"starttls" doc:"auto (use when offered), required or off"`
}

// NotifyWebhook receives every alert transition as signed JSON.
type NotifyWebhook struct {
	URL    string `yaml:"url" doc:"URL receiving each alert transition as JSON; empty disables"`
	Secret string `yaml:"secret" doc:"HMAC-SHA256 key of the X-OxyWatch-Signature header" secret:"true"`
}

func defaultNotify() Notify {
	return Notify{
		TimeZone:        "UTC",
		Language:        "en",
		GroupWindow:     30 * time.Second,
		RateLimit:       20,
		SMSDailyBudget:  500,
		MaxAge:          24 * time.Hour,
		RetryMin:        5 * time.Second,
		RetryMax:        5 * time.Minute,
		SendTimeout:     30 * time.Second,
		PollInterval:    time.Second,
		Workers:         4,
		ShutdownTimeout: 10 * time.Second,
		SMS: NotifySMS{
			AfricasTalking: NotifyAfricasTalking{URL: "https://api.africastalking.com"},
			Twilio:         NotifyTwilio{URL: "https://api.twilio.com"},
		},
		Email: NotifyEmail{StartTLS: "auto"},
	}
}

// DefaultTiers is the escalation used when no route matches a critical
// alert: the facility's engineers at once, the region's after 15 minutes,
// the national programme after an hour.
func DefaultTiers() []Tier {
	return []Tier{
		{Scope: ScopeFacility},
		{After: 15 * time.Minute, Scope: ScopeRegion},
		{After: time.Hour, Scope: ScopeNational},
	}
}

// DefaultTiersFor is the escalation used when no route matches an alert of
// severity sev. Critical alerts escalate as DefaultTiers; a warning tells
// the facility by SMS and e-mail and the region by e-mail after an hour;
// info (such as maintenance coming due) is e-mail to the facility only, so
// SMS and the national programme are kept for what cannot wait.
func DefaultTiersFor(sev string) []Tier {
	switch sev {
	case "warning":
		return []Tier{
			{Scope: ScopeFacility},
			{After: time.Hour, Scope: ScopeRegion, Channels: []string{"email"}},
		}
	case "info":
		return []Tier{{Scope: ScopeFacility, Channels: []string{"email"}}}
	}
	return DefaultTiers()
}

func (n *Notify) validate(bad func(key, format string, args ...any)) {
	if _, err := time.LoadLocation(n.TimeZone); err != nil || n.TimeZone == "" {
		bad("notify.time_zone", "%q is not an IANA time zone such as Africa/Kampala", n.TimeZone)
	}
	if lang := strings.ToLower(strings.TrimSpace(n.Language)); lang != "en" && lang != "fr" && lang != "pt" && !strings.HasPrefix(lang, "en-") && !strings.HasPrefix(lang, "fr-") && !strings.HasPrefix(lang, "pt-") {
		bad("notify.language", "%q is not a language OxyWatch writes: en, fr or pt (a regional form such as fr-SN is accepted)", n.Language)
	}
	notifyNonNegative(bad, "notify.group_window", n.GroupWindow)
	if n.RateLimit < 0 {
		bad("notify.rate_limit_per_hour", "must not be negative")
	}
	if n.SMSDailyBudget < 0 {
		bad("notify.sms_daily_budget", "must not be negative")
	}
	notifyPositive(bad, "notify.max_age", n.MaxAge)
	notifyPositive(bad, "notify.retry_min", n.RetryMin)
	if n.RetryMax < n.RetryMin {
		bad("notify.retry_max", "%s is below retry_min", n.RetryMax)
	}
	notifyPositive(bad, "notify.send_timeout", n.SendTimeout)
	notifyPositive(bad, "notify.poll_interval", n.PollInterval)
	notifyPositive(bad, "notify.shutdown_timeout", n.ShutdownTimeout)
	if n.Workers < 1 || n.Workers > 64 {
		bad("notify.workers", "%d is outside 1 to 64", n.Workers)
	}
	for i := range n.Routes {
		n.Routes[i].validate(bad, fmt.Sprintf("notify.routes[%d]", i))
	}
	n.SMS.validate(bad)
	n.Email.validate(bad)
	if n.Webhook.URL != "" {
		notifyURL(bad, "notify.webhook.url", n.Webhook.URL)
		if n.Webhook.Secret == "" {
			bad("notify.webhook.secret", "required when notify.webhook.url is set, so receivers can check the signature")
		}
	}
}

func (r *Route) validate(bad func(key, format string, args ...any), key string) {
	if r.Name == "" {
		bad(key+".name", "must not be empty")
	}
	for _, s := range r.Severities {
		if !oneOf(s, "critical", "warning", "info") {
			bad(key+".severities", "%q is not critical, warning or info", s)
		}
	}
	for _, k := range r.DeviceKinds {
		if !oneOf(k, "psa", "concentrator", "lox_tank", "cylinder_bank", "unknown") {
			bad(key+".device_kinds", "%q is not psa, concentrator, lox_tank, cylinder_bank or unknown", k)
		}
	}
	notifyNonNegative(bad, key+".repeat", r.Repeat)
	if len(r.Tiers) == 0 {
		bad(key+".tiers", "must list at least one tier")
	}
	for i, t := range r.Tiers {
		tk := fmt.Sprintf("%s.tiers[%d]", key, i)
		t.validate(bad, tk)
		if i > 0 && t.After <= r.Tiers[i-1].After {
			bad(tk+".after", "%s must be later than the previous tier's %s", t.After, r.Tiers[i-1].After)
		}
	}
}

func (t Tier) validate(bad func(key, format string, args ...any), key string) {
	notifyNonNegative(bad, key+".after", t.After)
	if t.Scope != "" && !oneOf(t.Scope, ScopeFacility, ScopeRegion, ScopeNational, ScopeAny) {
		bad(key+".scope", "%q is not facility, region, national or any", t.Scope)
	}
	for _, c := range t.Channels {
		if !oneOf(c, "sms", "email") {
			bad(key+".channels", "%q is not sms or email", c)
		}
	}
}

func (s *NotifySMS) validate(bad func(key, format string, args ...any)) {
	switch s.Provider {
	case "":
	case "africastalking":
		notifyURL(bad, "notify.sms.africastalking.url", s.AfricasTalking.URL)
		if s.AfricasTalking.Username == "" || s.AfricasTalking.APIKey == "" {
			bad("notify.sms.africastalking.username", "username and api_key are required")
		}
	case "twilio":
		notifyURL(bad, "notify.sms.twilio.url", s.Twilio.URL)
		if s.Twilio.AccountSID == "" || s.Twilio.AuthToken == "" {
			bad("notify.sms.twilio.account_sid", "account_sid and auth_token are required")
		}
		if s.From == "" {
			bad("notify.sms.from", "Twilio needs a sending number or messaging service")
		}
	case "http":
		notifyURL(bad, "notify.sms.http.url", s.HTTP.URL)
	default:
		bad("notify.sms.provider", "%q is not africastalking, twilio or http", s.Provider)
	}
	if s.Twilio.InboundURL != "" {
		notifyURL(bad, "notify.sms.twilio.inbound_url", s.Twilio.InboundURL)
	}
}

func (e *NotifyEmail) validate(bad func(key, format string, args ...any)) {
	if !oneOf(e.StartTLS, "auto", "required", "off") {
		bad("notify.email.starttls", "%q is not auto, required or off", e.StartTLS)
	}
	if e.SMTPAddr == "" {
		return
	}
	if _, _, err := net.SplitHostPort(e.SMTPAddr); err != nil {
		bad("notify.email.smtp_addr", "%q is not host:port", e.SMTPAddr)
	}
	if e.From == "" {
		bad("notify.email.from", "required when notify.email.smtp_addr is set")
	}
	if (e.Username == "") != (e.Password == "") {
		bad("notify.email.username", "username and password must be set together")
	}
}

func notifyURL(bad func(key, format string, args ...any), key, s string) {
	if u, err := url.Parse(s); err != nil || u.Host == "" || !oneOf(u.Scheme, "http", "https") {
		bad(key, "%q is not an http(s) URL", s)
	}
}

func notifyPositive(bad func(key, format string, args ...any), key string, d time.Duration) {
	if d <= 0 {
		bad(key, "must be positive")
	}
}

func notifyNonNegative(bad func(key, format string, args ...any), key string, d time.Duration) {
	if d < 0 {
		bad(key, "must not be negative")
	}
}

// Location returns the notification time zone; UTC when it does not load.
func (n Notify) Location() *time.Location {
	loc, err := time.LoadLocation(n.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
