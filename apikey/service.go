package apikey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

const (
	// Prefix starts every token, so that a leaked one is recognised by
	// secret scanners and in logs.
	Prefix = "dcrm_"
	// MinSecret is the shortest server secret NewService takes: 32 bytes,
	// the size of an HMAC-SHA256 key.
	MinSecret = 32
	// DefaultOverlap is how long a rotated key keeps working beside its
	// successor (Rotate), so that every client can move to the new one.
	DefaultOverlap = 24 * time.Hour
	// TouchEvery is how often Authenticate writes a key's LastUsedAt at
	// most: not on every request.
	TouchEvery = time.Minute
	// MaxName is the longest key name, in characters.
	MaxName = 100
)

// Service creates, lists, revokes and rotates a dealer's API keys and
// authenticates tokens. The token is Prefix + ID + "_" + 32 random bytes
// (base64url); the store keeps its HMAC-SHA256 under the server's secret,
// so the token is shown once, when created, and never again.
type Service struct {
	store  Store
	secret []byte
	roles  []crm.Role
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithRoles sets the roles a key may have (default crm.Roles()), the
// roles of the host's role table.
func WithRoles(roles []crm.Role) Option {
	return func(s *Service) { s.roles = slices.Clone(roles) }
}

// WithClock sets the service's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a Service over store with the server's secret, at
// least MinSecret bytes (a host keeps it outside the database: an
// environment variable, a secret manager). Changing the secret revokes
// every key at once.
func NewService(store Store, secret []byte, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, errors.New("apikey: a Store is required")
	}
	if len(secret) < MinSecret {
		return nil, fmt.Errorf("apikey: the server secret has %d bytes, want at least %d", len(secret), MinSecret)
	}
	s := &Service{store: store, secret: slices.Clone(secret), roles: crm.Roles(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// CreateRequest is what a new key acts as.
type CreateRequest struct {
	Name    string      `json:"name"`
	Roles   []crm.Role  `json:"roles"`
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	// ExpiresAt is when the key stops working: in the future, or zero
	// for never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// check validates r at now.
func (s *Service) check(r *CreateRequest, now time.Time) error {
	var c crm.Checker
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		c.Add("name", crm.RuleRequired, "is required")
	case utf8.RuneCountInString(r.Name) > MaxName:
		c.Add("name", crm.RuleMaxLength, "must be at most %d characters", MaxName)
	}
	for field, v := range map[string]string{"name": r.Name, "staff_id": string(r.StaffID)} {
		if fe, bad := crm.CheckText(field, v); bad {
			c.Append(fe)
		}
	}
	if len(r.Roles) == 0 {
		c.Add("roles", crm.RuleRequired, "at least one role is required")
	}
	for i, role := range r.Roles {
		switch {
		case !slices.Contains(s.roles, role):
			c.Add(fmt.Sprintf("roles[%d]", i), crm.RuleEnum, "%q is not one of %v", role, s.roles)
		case slices.Contains(r.Roles[:i], role):
			c.Add(fmt.Sprintf("roles[%d]", i), crm.RuleUnique, "%q is given twice", role)
		}
	}
	if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
		c.Add("expires_at", crm.RuleMin, "must be in the future")
	}
	return c.Err("api key")
}

// Create makes a key of dealer as r says, created by the key by (empty
// for the host), and returns it with its token — the only time the
// token is seen. Bad input is a *crm.ValidationError naming the field.
func (s *Service) Create(ctx context.Context, dealer crm.DealerID, by ID, r CreateRequest) (Key, string, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	if dealer == "" {
		return Key{}, "", &crm.ValidationError{Entity: "api key", Fields: []crm.FieldError{{Field: "dealer_id", Rule: crm.RuleRequired, Message: "is required"}}}
	}
	if err := s.check(&r, now); err != nil {
		return Key{}, "", err
	}
	id, token, err := newToken()
	if err != nil {
		return Key{}, "", err
	}
	k := Key{ID: id, DealerID: dealer, Name: r.Name, Roles: slices.Clone(r.Roles), StaffID: r.StaffID,
		CreatedAt: now, CreatedBy: by, ExpiresAt: r.ExpiresAt.UTC(), Hash: s.hash(token)}
	crm.NoteAudit(ctx, string(id))
	if err := s.store.Create(ctx, k); err != nil {
		return Key{}, "", fmt.Errorf("apikey: create: %w", err)
	}
	return k, token, nil
}

// newToken returns a new key ID and its token: 10 random bytes of ID
// (base32, lower case) and 32 of secret (base64url).
func newToken() (ID, string, error) {
	var b [42]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("apikey: random: %w", err)
	}
	id := ID(strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:10])))
	return id, Prefix + string(id) + "_" + base64.RawURLEncoding.EncodeToString(b[10:]), nil
}

// hash is the HMAC-SHA256 of token under the server's secret.
func (s *Service) hash(token string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// idOf returns the ID a token names, or false for a malformed token.
func idOf(token string) (ID, bool) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return "", false
	}
	return ID(id), true
}

// Authenticate returns whom token acts as, or ErrUnauthenticated for a
// malformed, unknown, revoked or expired token. The comparison takes the
// same time whether the key exists or not. It writes the key's
// LastUsedAt when it is older than TouchEvery.
func (s *Service) Authenticate(ctx context.Context, token string) (crm.Principal, error) {
	got := s.hash(token)
	id, ok := idOf(token)
	if !ok {
		return crm.Principal{}, ErrUnauthenticated
	}
	k, err := s.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		hmac.Equal(got, got) // as long as a comparison with a stored hash
		return crm.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return crm.Principal{}, fmt.Errorf("apikey: authenticate: %w", err)
	}
	now := s.now().UTC()
	if !hmac.Equal(got, k.Hash) || !k.Active(now) {
		return crm.Principal{}, ErrUnauthenticated
	}
	if now.Sub(k.LastUsedAt) >= TouchEvery {
		if err := s.store.Touch(ctx, k.ID, now.Truncate(time.Second)); err != nil {
			return crm.Principal{}, fmt.Errorf("apikey: authenticate: %w", err)
		}
	}
	return k.Principal(), nil
}

// Get returns a dealer's key.
func (s *Service) Get(ctx context.Context, dealer crm.DealerID, id ID) (Key, error) {
	k, err := s.store.Get(ctx, id)
	if err == nil && k.DealerID != dealer {
		err = ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("apikey: get %s: %w", id, err)
	}
	return k, nil
}

// List returns a dealer's keys f selects, in ID order.
func (s *Service) List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Key], error) {
	p, err := s.store.List(ctx, dealer, f)
	if err != nil {
		return p, fmt.Errorf("apikey: list: %w", err)
	}
	return p, nil
}

// Now returns the time by the Service's clock (WithClock), the time
// against which its keys are active (Filter.Active).
func (s *Service) Now() time.Time { return s.now() }

// Revoke revokes a dealer's key from now on; revoking it again changes
// nothing.
func (s *Service) Revoke(ctx context.Context, dealer crm.DealerID, id ID) (Key, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	k, err := s.store.Update(ctx, dealer, id, func(k *Key) error {
		if k.RevokedAt.IsZero() {
			k.RevokedAt = now
		}
		return nil
	})
	if err != nil {
		return Key{}, fmt.Errorf("apikey: revoke %s: %w", id, err)
	}
	return k, nil
}

// Rotate replaces a dealer's active key: a new key with the same name,
// roles, staff and expiry (its token returned, the only time it is
// seen), while the old one keeps working for overlap more (DefaultOverlap
// when overlap ≤ 0), unless it expires sooner: two keys are active at
// once, so that every client can move to the new one. A revoked or
// expired key is a dealercrm.FailedPrecondition error.
func (s *Service) Rotate(ctx context.Context, dealer crm.DealerID, id ID, by ID, overlap time.Duration) (Key, string, error) {
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	old, err := s.Get(ctx, dealer, id)
	if err != nil {
		return Key{}, "", err
	}
	if !old.Active(now) {
		return Key{}, "", dealercrm.Errorf(dealercrm.FailedPrecondition, "apikey: rotate %s: the key is revoked or expired", id)
	}
	k, token, err := s.Create(ctx, dealer, by, CreateRequest{Name: old.Name, Roles: old.Roles, StaffID: old.StaffID, ExpiresAt: old.ExpiresAt})
	if err != nil {
		return Key{}, "", err
	}
	end := now.Add(overlap)
	if _, err := s.store.Update(ctx, dealer, id, func(k *Key) error {
		if k.ExpiresAt.IsZero() || end.Before(k.ExpiresAt) {
			k.ExpiresAt = end
		}
		return nil
	}); err != nil {
		return Key{}, "", fmt.Errorf("apikey: rotate %s: %w", id, err)
	}
	return k, token, nil
}
