package notify

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/oxywatch/oxywatch/alerting/notify/email"
	"github.com/oxywatch/oxywatch/alerting/notify/sms"
	"github.com/oxywatch/oxywatch/alerting/notify/webhook"
	"github.com/oxywatch/oxywatch/internal/config"
)

// SendersFromConfig builds a Sender for every channel cfg enables: SMS when
// sms.provider is set, email when email.smtp_addr is, webhook when
// webhook.url is. client carries the HTTP requests (nil: a client with the
// send timeout). Secrets go into the senders and nowhere else.
func SendersFromConfig(cfg config.Notify, client *http.Client) (map[Channel]Sender, error) {
	if client == nil {
		client = &http.Client{Timeout: cfg.SendTimeout}
	}
	out := map[Channel]Sender{}
	if s, err := smsSender(cfg.SMS, client); err != nil {
		return nil, err
	} else if s != nil {
		out[SMS] = s
	}
	if e := cfg.Email; e.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(e.SMTPAddr); err != nil {
			return nil, fmt.Errorf("notify.email.smtp_addr: %w", err)
		}
		out[Email] = EmailSender(&email.Sender{Addr: e.SMTPAddr, Username: e.Username, Password: e.Password,
			From: e.From, StartTLS: e.StartTLS})
	}
	if w := cfg.Webhook; w.URL != "" {
		out[Webhook] = WebhookSender(&webhook.Sender{URL: w.URL, Secret: w.Secret, Client: client})
	}
	return out, nil
}

func smsSender(c config.NotifySMS, client *http.Client) (Sender, error) {
	switch c.Provider {
	case "":
		return nil, nil
	case "africastalking":
		a := c.AfricasTalking
		return SMSSender(&sms.AfricasTalking{BaseURL: a.URL, Username: a.Username, APIKey: a.APIKey, From: c.From, Client: client}), nil
	case "twilio":
		t := c.Twilio
		return SMSSender(&sms.Twilio{BaseURL: t.URL, AccountSID: t.AccountSID, AuthToken: t.AuthToken, From: c.From, Client: client}), nil
	case "http":
		return SMSSender(&sms.Gateway{URL: c.HTTP.URL, Token: c.HTTP.Token, Client: client}), nil
	}
	return nil, fmt.Errorf("notify.sms.provider: %q is not africastalking, twilio or http", c.Provider)
}

// TextSender is what the sms package's senders implement.
type TextSender interface {
	Send(ctx context.Context, to, text, key string) error
}

// SMSSender adapts an sms package sender to Sender.
func SMSSender(t TextSender) Sender {
	return SenderFunc(func(ctx context.Context, m Message) error { return t.Send(ctx, m.To, m.Text, m.Key) })
}

// EmailSender adapts an email.Sender to Sender.
func EmailSender(e *email.Sender) Sender {
	return SenderFunc(func(ctx context.Context, m Message) error {
		return e.Send(ctx, email.Message{To: m.To, ToName: m.Name, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Key: m.Key})
	})
}

// WebhookSender adapts a webhook.Sender to Sender.
func WebhookSender(w *webhook.Sender) Sender {
	return SenderFunc(func(ctx context.Context, m Message) error { return w.Send(ctx, m.JSON, m.Key) })
}
