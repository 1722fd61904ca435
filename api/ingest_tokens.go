package api

import (
	"context"
	"errors"
	"net/http"

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

// validDeviceTokenRequest checks the devices are well formed and
// registered.
func validDeviceTokenRequest(ctx context.Context, reg interface {
	Get(context.Context, plant.DeviceID) (plant.Device, error)
}, in DeviceTokenRequest) error {
	return store.ValidateDeviceToken(ctx, reg, in.Devices, in.Name)
}

// listDeviceTokens is GET /device-tokens?device=&limit=&cursor=: one page
// of the device tokens (of device, when given), oldest first.
func (s *server) listDeviceTokens(w http.ResponseWriter, r *http.Request) {
	if s.opt.DeviceTokens == nil {
		notConfigured(w, r, "api.part.device_tokens")
		return
	}
	list, err := s.opt.DeviceTokens.List(r.Context(), plant.DeviceID(r.URL.Query().Get("device")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortBy(list, deviceTokenKey)
	writePage(w, r, list, deviceTokenKey)
}

// deviceTokenKey sorts device tokens as the store does: oldest first, by
// id within the second.
func deviceTokenKey(t store.DeviceToken) string {
	return t.CreatedAt.UTC().Format("20060102150405") + t.ID
}

func (s *server) createDeviceToken(w http.ResponseWriter, r *http.Request) {
	if s.opt.DeviceTokens == nil || s.opt.Registry == nil {
		notConfigured(w, r, "api.part.device_tokens")
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
		problemErr(w, r, http.StatusBadRequest, err)
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
		notConfigured(w, r, "api.part.device_tokens")
		return
	}
	id := chiParam(r, "id")
	if err := s.opt.DeviceTokens.Revoke(s.withAudit(r, "device_token.revoke", id, nil), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
