package apikey_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

type fixture struct {
	ctx   context.Context
	store *memory.KeyStore
	svc   *apikey.Service
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), store: memory.NewKeyStore(), now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	svc, err := apikey.NewService(f.store, secret, apikey.WithClock(func() time.Time { return f.now }))
	require.NoError(t, err)
	f.svc = svc
	return f
}

func (f *fixture) create(t *testing.T, r apikey.CreateRequest) (apikey.Key, string) {
	t.Helper()
	k, token, err := f.svc.Create(f.ctx, "SH01", "", r)
	require.NoError(t, err)
	return k, token
}

func TestCreateAndAuthenticate(t *testing.T) {
	f := newFixture(t)
	k, token := f.create(t, apikey.CreateRequest{Name: " 王芳的回访 ", Roles: []crm.Role{crm.RoleCR}, StaffID: "S07"})
	assert.True(t, strings.HasPrefix(token, apikey.Prefix+string(k.ID)+"_"), "the token names its key: %s", token)
	assert.Len(t, token, len(apikey.Prefix)+16+1+43)
	assert.Equal(t, "王芳的回访", k.Name, "trimmed")
	stored, err := f.store.Get(f.ctx, k.ID)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(stored.Hash, []byte(token)), "the token is not stored")
	assert.Len(t, stored.Hash, 32, "an HMAC-SHA256")

	p, err := f.svc.Authenticate(f.ctx, token)
	require.NoError(t, err)
	assert.Equal(t, crm.Principal{Dealer: "SH01", Staff: "S07", Roles: []crm.Role{crm.RoleCR}, KeyID: string(k.ID)}, p)
	stored, _ = f.store.Get(f.ctx, k.ID)
	assert.Equal(t, f.now, stored.LastUsedAt, "the use is recorded")

	// Last used is written at most once a minute.
	f.now = f.now.Add(30 * time.Second)
	_, err = f.svc.Authenticate(f.ctx, token)
	require.NoError(t, err)
	stored, _ = f.store.Get(f.ctx, k.ID)
	assert.Equal(t, f.now.Add(-30*time.Second), stored.LastUsedAt)

	// Every wrong token is the same error, whatever is wrong with it.
	other, _ := f.create(t, apikey.CreateRequest{Name: "other", Roles: []crm.Role{crm.RoleAdmin}})
	wrongSecret := token[:len(token)-4] + "AAAA"
	swapped := apikey.Prefix + string(other.ID) + token[len(apikey.Prefix)+16:]
	for name, bad := range map[string]string{"empty": "", "no prefix": strings.TrimPrefix(token, apikey.Prefix), "wrong secret": wrongSecret,
		"another key's ID": swapped, "unknown ID": apikey.Prefix + "aaaaaaaaaaaaaaaa" + token[len(apikey.Prefix)+16:],
		"truncated": token[:len(token)-1], "NUL": token + "\x00", "old demo key": "demo-sh01-key"} {
		_, err := f.svc.Authenticate(f.ctx, bad)
		assert.ErrorIs(t, err, apikey.ErrUnauthenticated, name)
	}
}

func TestRevokeAndExpire(t *testing.T) {
	f := newFixture(t)
	k, token := f.create(t, apikey.CreateRequest{Name: "DMS", Roles: []crm.Role{crm.RoleIntegration}, ExpiresAt: f.now.Add(time.Hour)})
	_, err := f.svc.Authenticate(f.ctx, token)
	require.NoError(t, err)
	f.now = f.now.Add(time.Hour)
	_, err = f.svc.Authenticate(f.ctx, token)
	assert.ErrorIs(t, err, apikey.ErrUnauthenticated, "expired at its hour")

	k2, token2 := f.create(t, apikey.CreateRequest{Name: "DMS 2", Roles: []crm.Role{crm.RoleIntegration}})
	revoked, err := f.svc.Revoke(f.ctx, "SH01", k2.ID)
	require.NoError(t, err)
	assert.Equal(t, f.now, revoked.RevokedAt)
	_, err = f.svc.Authenticate(f.ctx, token2)
	assert.ErrorIs(t, err, apikey.ErrUnauthenticated, "revoked")
	f.now = f.now.Add(time.Minute)
	again, err := f.svc.Revoke(f.ctx, "SH01", k2.ID)
	require.NoError(t, err)
	assert.Equal(t, revoked.RevokedAt, again.RevokedAt, "revoking again changes nothing")

	_, err = f.svc.Revoke(f.ctx, "BJ02", k.ID)
	assert.ErrorIs(t, err, apikey.ErrNotFound, "another dealer's key")
	_, err = f.svc.Get(f.ctx, "BJ02", k.ID)
	assert.ErrorIs(t, err, apikey.ErrNotFound, "another dealer's key")
	p, err := f.svc.List(f.ctx, "SH01", apikey.Filter{Active: f.now})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "neither is active")
}

// TestRotate: the successor has the same principal; both keys work for
// the overlap, then only the new one; a revoked key cannot be rotated.
func TestRotate(t *testing.T) {
	f := newFixture(t)
	old, oldToken := f.create(t, apikey.CreateRequest{Name: "门店看板", Roles: []crm.Role{crm.RoleManager, crm.RoleGroupAdmin}, StaffID: "M01"})
	k, token, err := f.svc.Rotate(f.ctx, "SH01", old.ID, old.ID, 2*time.Hour)
	require.NoError(t, err)
	assert.NotEqual(t, old.ID, k.ID)
	assert.Equal(t, old.ID, k.CreatedBy)
	want, err := f.svc.Authenticate(f.ctx, oldToken)
	require.NoError(t, err)
	got, err := f.svc.Authenticate(f.ctx, token)
	require.NoError(t, err)
	want.KeyID = string(k.ID)
	assert.Equal(t, want, got, "the same principal")

	f.now = f.now.Add(2 * time.Hour)
	_, err = f.svc.Authenticate(f.ctx, oldToken)
	assert.ErrorIs(t, err, apikey.ErrUnauthenticated, "the old key ends with the overlap")
	_, err = f.svc.Authenticate(f.ctx, token)
	assert.NoError(t, err)

	_, _, err = f.svc.Rotate(f.ctx, "SH01", old.ID, "", 0)
	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err), "an expired key: %v", err)
	_, _, err = f.svc.Rotate(f.ctx, "BJ02", k.ID, "", 0)
	assert.ErrorIs(t, err, apikey.ErrNotFound)
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.svc.Create(f.ctx, "SH01", "", apikey.CreateRequest{Name: strings.Repeat("名", 101),
		Roles: []crm.Role{"boss", crm.RoleCR, crm.RoleCR}, StaffID: "S\x00", ExpiresAt: f.now})
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	fields := map[string]string{}
	for _, fe := range ve.Fields {
		fields[fe.Field] = fe.Rule
	}
	assert.Equal(t, map[string]string{"name": crm.RuleMaxLength, "roles[0]": crm.RuleEnum, "roles[2]": crm.RuleUnique,
		"staff_id": crm.RuleText, "expires_at": crm.RuleMin}, fields)
	_, _, err = f.svc.Create(f.ctx, "SH01", "", apikey.CreateRequest{})
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Fields, 2, "name and roles: %v", ve.Fields)

	// A host's role table names its own roles.
	svc, err := apikey.NewService(f.store, secret, apikey.WithRoles([]crm.Role{"boss"}))
	require.NoError(t, err)
	_, _, err = svc.Create(f.ctx, "SH01", "", apikey.CreateRequest{Name: "x", Roles: []crm.Role{"boss"}})
	assert.NoError(t, err)

	_, err = apikey.NewService(f.store, secret[:31])
	assert.ErrorContains(t, err, "at least 32")
}
