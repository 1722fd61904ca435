package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/oxywatch/oxywatch/internal/store"
)

// Me is the answer of GET /me: what the calling token may do.
type Me struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Role    Role     `json:"role"`
	Regions []string `json:"regions"`
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	regions := p.Regions
	if regions == nil {
		regions = []string{}
	}
	writeJSON(w, http.StatusOK, Me{ID: p.ID, Name: p.Name, Role: p.Role, Regions: regions})
}

// TokenRequest is the body of POST /tokens.
type TokenRequest struct {
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Regions []string `json:"regions"`
}

// NewToken is the answer of POST /tokens: the only time the secret is shown.
type NewToken struct {
	store.Token
	Secret string `json:"token"`
}

func tokenKey(t store.Token) string { return t.CreatedAt.Format("20060102150405") + t.ID }

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	if s.opt.Tokens == nil {
		notConfigured(w, r, "api.part.token_storage")
		return
	}
	list, err := s.opt.Tokens.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortBy(list, tokenKey)
	writePage(w, r, list, tokenKey)
}

// validToken checks a new token's role and regions.
func validToken(role string, regions []string, name string) error {
	return store.ValidateToken(role, regions, name)
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	if s.opt.Tokens == nil {
		notConfigured(w, r, "api.part.token_storage")
		return
	}
	var in TokenRequest
	if !s.decode(w, r, &in) {
		return
	}
	if err := validToken(in.Role, in.Regions, in.Name); err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	ctx := s.withAudit(r, "token.create", "", map[string]any{"name": in.Name, "role": in.Role, "regions": in.Regions})
	secret, tok, err := s.opt.Tokens.Create(ctx, in.Name, in.Role, in.Regions, principal(r).Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, NewToken{Token: tok, Secret: secret})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if s.opt.Tokens == nil {
		notConfigured(w, r, "api.part.token_storage")
		return
	}
	id := chiParam(r, "id")
	if err := s.opt.Tokens.Revoke(s.withAudit(r, "token.revoke", id, nil), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request) {
	if s.opt.Audit == nil {
		notConfigured(w, r, "api.part.audit_log")
		return
	}
	limit, after, err := pageParams(r)
	if err != nil {
		problemErr(w, r, http.StatusBadRequest, err)
		return
	}
	var before int64
	if after != "" {
		if before, err = strconv.ParseInt(after, 10, 64); err != nil {
			problemT(w, r, http.StatusBadRequest, "api.bad_cursor")
			return
		}
	}
	limit = min(limit, 1000)
	list, err := s.opt.Audit.List(r.Context(), before, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := List[store.AuditEntry]{Items: list}
	if len(list) == limit {
		res.Next = encodeCursor(itoa(list[len(list)-1].ID))
	}
	writeJSON(w, http.StatusOK, res)
}

// EnsureAdminToken creates an admin token named "bootstrap" when the
// database holds no live admin token, and returns its secret for the caller
// to print once. created is false (and token empty) when one exists.
func EnsureAdminToken(ctx context.Context, tokens *store.Tokens) (token string, created bool, err error) {
	n, err := tokens.CountActive(ctx, string(RoleAdmin))
	if err != nil || n > 0 {
		return "", false, err
	}
	secret, _, err := tokens.Create(ctx, "bootstrap", string(RoleAdmin), nil, "oxywatch first start")
	if err != nil {
		return "", false, err
	}
	return secret, true, nil
}
