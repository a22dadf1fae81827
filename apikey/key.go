package apikey

import (
	"context"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ID identifies a key. It is public: it is part of the key's secret
// (Token) and names the key in lists, the audit trail and revocation.
type ID string

// Key is an API key's record: whom the key acts as (a crm.Principal: the
// dealer, the member of staff and the roles; a group_admin key acts for
// its dealer's own group)
// and its life (created, expires, revoked, last used). The secret itself
// is never kept: Hash is its HMAC-SHA256 under the server's secret
// (Service), so that a copy of the table lets nobody in.
type Key struct {
	ID       ID           `json:"id"`
	DealerID crm.DealerID `json:"dealer_id"`
	// Name says what the key is for ("DMS sync", "王芳's call list").
	Name  string     `json:"name"`
	Roles []crm.Role `json:"roles"`
	// StaffID is the member of staff the key acts as; empty for a
	// system key (a DMS integration).
	StaffID   crm.StaffID `json:"staff_id,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// CreatedBy is the key that created this one (empty for a key the
	// host created, such as the first admin key).
	CreatedBy ID `json:"created_by,omitempty"`
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt is when the key was revoked; zero while it is not.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// LastUsedAt is when the key was last accepted, to the minute
	// (Service.Authenticate writes it at most once a TouchEvery).
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// Hash is HMAC-SHA256(server secret, token); never shown.
	Hash []byte `json:"-"`
}

// Active reports whether k is accepted at t: not revoked, not expired.
func (k *Key) Active(t time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || t.Before(k.ExpiresAt))
}

// Principal returns whom k acts as.
func (k *Key) Principal() crm.Principal {
	return crm.Principal{Dealer: k.DealerID, Staff: k.StaffID, Roles: slices.Clone(k.Roles), KeyID: string(k.ID)}
}

// Clone returns a deep copy of k.
func (k Key) Clone() Key {
	k.Roles, k.Hash = slices.Clone(k.Roles), slices.Clone(k.Hash)
	return k
}

// Filter selects a dealer's keys: by default the active ones and the
// revoked or expired ones alike, in ID order.
type Filter struct {
	// Active keeps only the keys accepted at that time (Key.Active).
	Active time.Time `json:"-"`
	// StaffID keeps a staff member's keys.
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	crm.PageRequest
}

// Match reports whether k is one f selects (the stores' conformance
// suite checks them against it).
func (f *Filter) Match(k *Key) bool {
	return (f.Active.IsZero() || k.Active(f.Active)) && (f.StaffID == "" || k.StaffID == f.StaffID)
}

// Store keeps key records. Get finds a key by ID alone — authentication
// knows no dealer before it has the key — and every other method works
// within one dealer: another dealer's key is ErrNotFound. Implementations
// are safe for concurrent use and copy keys in and out.
type Store interface {
	// Create stores a new key; a key with its ID is dealercrm.Conflict.
	Create(ctx context.Context, k Key) error
	// Get returns the key with an ID, of any dealer; ErrNotFound when
	// absent.
	Get(ctx context.Context, id ID) (Key, error)
	// List returns a dealer's keys f selects in ID order, a page at a time.
	List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Key], error)
	// Update changes a dealer's key under a lock: fn sees the stored key,
	// an error from fn aborts; ID, dealer, hash and creation stay as
	// they were. ErrNotFound when absent.
	Update(ctx context.Context, dealer crm.DealerID, id ID, fn func(*Key) error) (Key, error)
	// Touch sets the key's LastUsedAt to at unless it is later already;
	// an absent key is no error.
	Touch(ctx context.Context, id ID, at time.Time) error
}

// ErrNotFound is the error of a key that does not exist (or is another
// dealer's).
var ErrNotFound error = dealercrm.Errorf(dealercrm.NotFound, "api key not found")

// ErrUnauthenticated is the error of Authenticate for a token that is
// malformed, unknown, revoked or expired: one error for all, so that an
// answer tells nothing about which keys exist.
var ErrUnauthenticated error = dealercrm.Errorf(dealercrm.PermissionDenied, "missing, unknown, revoked or expired API key")
