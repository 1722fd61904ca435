package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "oxywatch test relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message the relay took.
type received struct {
	user, from string
	to         []string
	tls        bool
	data       []byte
}

// relay is an in-process SMTP server speaking the real protocol.
type relay struct {
	mu       sync.Mutex
	got      []received
	rcptCode int // answer RCPT with this 5xx code when set
}

func (r *relay) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type session struct {
	r    *relay
	conn *smtp.Conn
	cur  received
}

func (r *relay) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{r: r, conn: c}, nil }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "smtp-secret" {
			return errors.New("bad credentials")
		}
		s.cur.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur.from = from
	_, s.cur.tls = s.conn.TLSConnectionState()
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.r.rcptCode != 0 {
		return &smtp.SMTPError{Code: s.r.rcptCode, Message: "no such user"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.r.mu.Lock()
	s.r.got = append(s.r.got, s.cur)
	s.r.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error { return nil }

// startRelay serves SMTP on loopback; withTLS offers STARTTLS.
func startRelay(t *testing.T, withTLS bool) (*relay, string, *x509.CertPool) {
	t.Helper()
	r := &relay{}
	srv := smtp.NewServer(r)
	srv.Domain = "relay.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var pool *x509.CertPool
	if withTLS {
		var cert tls.Certificate
		cert, pool = testCert(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	} else {
		srv.AllowInsecureAuth = true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return r, l.Addr().String(), pool
}

func TestSendOverStartTLSWithAuth(t *testing.T) {
	r, addr, pool := startRelay(t, true)
	s := &Sender{Addr: addr, Username: "alerts", Password: "smtp-secret", From: "OxyWatch <alerts@moh.example>",
		StartTLS: StartTLSRequired, TLS: &tls.Config{RootCAs: pool}}
	m := Message{To: "eng@mulago.example", ToName: "Grace Nakato", Subject: "[OxyWatch] Mulago: 2 alerts, 1 critical — purity",
		Text: "CRIT Mulago PSA psa-3 purity 78.2%\nreply ACK 4821\n", HTML: "<p><b>CRIT</b> Mulago</p>", Key: "firing/psa-3/7|contact:1|email"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := r.messages()
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	g := got[0]
	if !g.tls || g.user != "alerts" || g.from != "alerts@moh.example" || len(g.to) != 1 || g.to[0] != "eng@mulago.example" {
		t.Errorf("got tls %v user %q from %q to %v", g.tls, g.user, g.from, g.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(g.data))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subj != m.Subject {
		t.Errorf("got subject %q, want %q", subj, m.Subject)
	}
	if to := msg.Header.Get("To"); to != `"Grace Nakato" <eng@mulago.example>` {
		t.Errorf("got To %q", to)
	}
	if msg.Header.Get("Message-ID") != messageID(m.Key, "alerts@moh.example") || !strings.HasSuffix(msg.Header.Get("Message-ID"), "@moh.example>") {
		t.Errorf("got Message-ID %q, want one derived from the key", msg.Header.Get("Message-ID"))
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("got Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // quoted-printable is decoded by the reader
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("got parts %v, want text/plain then text/html", types)
	}
	if bodies[0] != m.Text || bodies[1] != m.HTML {
		t.Errorf("got bodies %q, want %q and %q", bodies, m.Text, m.HTML)
	}
}

func TestStartTLSRequiredRefusesPlainRelay(t *testing.T) {
	r, addr, _ := startRelay(t, false)
	s := &Sender{Addr: addr, Username: "alerts", Password: "smtp-secret", From: "alerts@moh.example", StartTLS: StartTLSRequired}
	err := s.Send(context.Background(), Message{To: "a@b.example", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("got %v, want an error about STARTTLS", err)
	}
	if strings.Contains(err.Error(), "smtp-secret") {
		t.Errorf("error %q shows the password", err)
	}
	if n := len(r.messages()); n != 0 {
		t.Errorf("relay got %d messages, want 0", n)
	}
}

func TestRecipientRefusedIsPermanent(t *testing.T) {
	r, addr, pool := startRelay(t, true)
	r.rcptCode = 550
	s := &Sender{Addr: addr, Username: "alerts", Password: "smtp-secret", From: "alerts@moh.example", TLS: &tls.Config{RootCAs: pool}}
	err := s.Send(context.Background(), Message{To: "gone@b.example", Subject: "s", Text: "t"})
	var p interface{ Permanent() bool }
	if err == nil || !errors.As(err, &p) || !p.Permanent() {
		t.Fatalf("got %v, want a permanent error", err)
	}
}

func TestBadPasswordIsRetried(t *testing.T) {
	_, addr, pool := startRelay(t, true)
	s := &Sender{Addr: addr, Username: "alerts", Password: "wrong", From: "alerts@moh.example", TLS: &tls.Config{RootCAs: pool}}
	err := s.Send(context.Background(), Message{To: "a@b.example", Subject: "s", Text: "t"})
	var p interface{ Permanent() bool }
	if err == nil || (errors.As(err, &p) && p.Permanent()) {
		t.Fatalf("got %v, want a retryable error", err)
	}
}
