// Package email sends alert mail through an SMTP relay: STARTTLS when the
// relay offers it (or always, or never, as configured), PLAIN auth when a
// user is set, and a multipart/alternative body with a plain-text and an
// HTML part.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// StartTLS modes.
const (
	StartTLSAuto     = "auto"     // upgrade when the relay offers STARTTLS
	StartTLSRequired = "required" // refuse to send without it
	StartTLSOff      = "off"      // never upgrade
)

// Message is one email.
type Message struct {
	To      string
	ToName  string
	Subject string
	Text    string
	HTML    string // optional
	Key     string // idempotency key; becomes the Message-ID
}

// Sender talks to one relay.
type Sender struct {
	Addr     string // host:port
	Username string // empty: no auth
	Password string
	From     string // "OxyWatch <alerts@moh.example>" or a bare address
	StartTLS string // auto (default), required or off
	TLS      *tls.Config
	Hello    string           // name in EHLO; default the host's name when it has a dot, else localhost
	Now      func() time.Time // optional clock for the Date header
}

// permanentError is an SMTP 5xx answer to MAIL, RCPT or DATA: the relay
// refuses this message and retrying it cannot help.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }

// Send delivers m to the relay.
func (s *Sender) Send(ctx context.Context, m Message) error {
	from, err := parseFrom(s.From)
	if err != nil {
		return permanentError{err}
	}
	data, err := s.compose(m, from)
	if err != nil {
		return permanentError{err}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", s.Addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := s.session(conn, from.Address, m.To, data); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp: %w", ctx.Err())
		}
		return err
	}
	return nil
}

func (s *Sender) session(conn net.Conn, from, to string, data []byte) error {
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	hello := s.Hello
	if hello == "" {
		hello, _ = os.Hostname()
	}
	if hello == "" || !strings.Contains(hello, ".") {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if err := s.upgrade(c, host); err != nil {
		return err
	}
	if s.Username != "" {
		// net/smtp refuses PLAIN over a clear connection except to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp: auth as %s: %w", s.Username, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return classify("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify("end of DATA", err)
	}
	if err := c.Quit(); err != nil {
		// The relay took the message at the end of DATA; a lost QUIT
		// reply does not undo that.
		return nil
	}
	return nil
}

func (s *Sender) upgrade(c *smtp.Client, host string) error {
	mode := s.StartTLS
	if mode == "" {
		mode = StartTLSAuto
	}
	if mode == StartTLSOff {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if mode == StartTLSRequired {
			return fmt.Errorf("smtp: %s does not offer STARTTLS, which notify.email.starttls requires", host)
		}
		return nil
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		cfg = s.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("smtp: STARTTLS: %w", err)
	}
	return nil
}

// classify marks 5xx answers permanent.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return permanentError{fmt.Errorf("smtp: %s: %w", step, err)}
	}
	return fmt.Errorf("smtp: %s: %w", step, err)
}
