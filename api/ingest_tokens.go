package api

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// Device tokens are made and revoked by an unlimited admin, through the API
// (/api/v1/device-tokens) or the CLI (oxywatch device-token). The secret is
// shown once, in the answer to its creation.

// DeviceTokenRequest is the body of POST /api/v1/device-tokens. Devices
// lists the registered devices the token may post readings for: one for a
// device, several for a gateway.
type DeviceTokenRequest struct {
	Devices []plant.DeviceID `json:"devices"`
	Name    string           `json:"name"`
}

// NewDeviceToken answers POST /api/v1/device-tokens.
type NewDeviceToken struct {
	store.DeviceToken
	Secret string `json:"token"`
}

// maxTokenDevices bounds the devices of one token (a large gateway).
const maxTokenDevices = 1000

// validDeviceTokenRequest checks the devices are well formed and
// registered (a typo would make a token nobody can use).
func validDeviceTokenRequest(ctx context.Context, reg interface {
	Get(context.Context, plant.DeviceID) (plant.Device, error)
}, in DeviceTokenRequest) error {
	if len(in.Devices) == 0 {
		return errors.New(`devices: name at least one registered device, e.g. {"devices": ["psa-1"]}`)
	}
	if len(in.Devices) > maxTokenDevices {
		return fmt.Errorf("devices: at most %d per token", maxTokenDevices)
	}
	if len(in.Name) > 200 {
		return errors.New("name: at most 200 characters")
	}
	for _, d := range in.Devices {
		if !plant.ValidDeviceID(string(d)) {
			return fmt.Errorf("devices: id %q must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", d)
		}
		if _, err := reg.Get(ctx, d); err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrNotFound) {
				return fmt.Errorf("devices: %s is not registered; register it first (PUT /api/v1/devices/%s or the CSV import)", d, d)
			}
			return err
		}
	}
	return nil
}

func (s *server) listDeviceTokens(w http.ResponseWriter, r *http.Request) {
	if s.opt.DeviceTokens == nil {
		notConfigured(w, r, "device tokens")
		return
	}
	list, err := s.opt.DeviceTokens.List(r.Context(), plant.DeviceID(r.URL.Query().Get("device")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, List[store.DeviceToken]{Items: list})
}

func (s *server) createDeviceToken(w http.ResponseWriter, r *http.Request) {
	if s.opt.DeviceTokens == nil || s.opt.Registry == nil {
		notConfigured(w, r, "device tokens")
		return
	}
	var in DeviceTokenRequest
	if !s.decode(w, r, &in) {
		return
	}
	if err := validDeviceTokenRequest(r.Context(), s.opt.Registry, in); err != nil {
		if errors.Is(err, r.Context().Err()) {
			s.fail(w, r, err)
			return
		}
		problem(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx := s.withAudit(r, "device_token.create", "", map[string]any{"name": in.Name, "devices": in.Devices})
	secret, tok, err := s.opt.DeviceTokens.Create(ctx, in.Devices, in.Name, principal(r).Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, NewDeviceToken{DeviceToken: tok, Secret: secret})
}

func (s *server) revokeDeviceToken(w http.ResponseWriter, r *http.Request) {
	if s.opt.DeviceTokens == nil {
		notConfigured(w, r, "device tokens")
		return
	}
	id := chiParam(r, "id")
	if err := s.opt.DeviceTokens.Revoke(s.withAudit(r, "device_token.revoke", id, nil), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

const deviceTokenUsage = `usage:
  oxywatch device-token create [--name NAME] DEVICE [DEVICE...]
         prints the new token once on stdout; several devices make a gateway's token
  oxywatch device-token list [DEVICE]
  oxywatch device-token revoke ID`

// DeviceTokenCLI runs `oxywatch device-token ...` against the SQLite
// database; args start after "device-token". As with TokenCLI the secret
// alone goes to stdout, and each change is audited with actor "cli".
func DeviceTokenCLI(ctx context.Context, args []string, db *sql.DB, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, deviceTokenUsage)
		return errors.New("device-token: missing subcommand")
	}
	toks, err := store.OpenDeviceTokens(ctx, db, nil)
	if err != nil {
		return err
	}
	if _, err := store.OpenAudit(ctx, db); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		reg, err := store.OpenRegistry(ctx, db, nil)
		if err != nil {
			return err
		}
		return deviceTokenCreate(ctx, args[1:], reg, toks, stdout, stderr)
	case "list":
		if len(args) > 2 {
			fmt.Fprintln(stderr, deviceTokenUsage)
			return errors.New("device-token list: give at most one device")
		}
		var dev plant.DeviceID
		if len(args) == 2 {
			dev = plant.DeviceID(args[1])
		}
		return deviceTokenList(ctx, toks, dev, stdout)
	case "revoke":
		if len(args) != 2 {
			fmt.Fprintln(stderr, deviceTokenUsage)
			return errors.New("device-token revoke: give one token id (see: oxywatch device-token list)")
		}
		if err := toks.Revoke(store.WithAudit(ctx, store.AuditEntry{Actor: "cli", Action: "device_token.revoke"}), args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", args[1])
		return nil
	}
	fmt.Fprintln(stderr, deviceTokenUsage)
	return fmt.Errorf("device-token: unknown subcommand %q", args[0])
}

func deviceTokenCreate(ctx context.Context, args []string, reg *store.Registry, toks *store.DeviceTokens, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("device-token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "what the token is for (e.g. the gateway)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := DeviceTokenRequest{Name: *name}
	for _, a := range fs.Args() {
		in.Devices = append(in.Devices, plant.DeviceID(a))
	}
	if err := validDeviceTokenRequest(ctx, reg, in); err != nil {
		return fmt.Errorf("device-token create: %w", err)
	}
	entry := store.AuditEntry{Actor: "cli", Action: "device_token.create",
		Detail: fmt.Sprintf(`{"name":%q,"devices":%q}`, in.Name, strings.Join(deviceStrings(in.Devices), ","))}
	secret, tok, err := toks.Create(store.WithAudit(ctx, entry), in.Devices, in.Name, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created device token %s for %s; it is shown once:\n", tok.ID, strings.Join(deviceStrings(tok.Devices), ","))
	fmt.Fprintln(stdout, secret)
	return nil
}

func deviceTokenList(ctx context.Context, toks *store.DeviceTokens, dev plant.DeviceID, stdout io.Writer) error {
	list, err := toks.List(ctx, dev)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDEVICES\tCREATED\tREVOKED")
	for _, t := range list {
		revoked := "-"
		if t.Revoked() {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), strings.Join(deviceStrings(t.Devices), ","), t.CreatedAt.Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func deviceStrings(ds []plant.DeviceID) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

// revokeTokensOf revokes the device tokens made for device alone, once it
// left the registry: no one posts for a device that is gone. A gateway's
// token covering other devices too stays (its readings for this device are
// then those of an unknown device).
func (s *server) revokeTokensOf(r *http.Request, device plant.DeviceID) error {
	if s.opt.DeviceTokens == nil {
		return nil
	}
	list, err := s.opt.DeviceTokens.List(r.Context(), device)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.Revoked() || len(t.Devices) != 1 {
			continue
		}
		if err := s.opt.DeviceTokens.Revoke(s.withAudit(r, "device_token.revoke", t.ID, map[string]any{"reason": "device deleted"}), t.ID); err != nil {
			return err
		}
	}
	return nil
}
