package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// Authenticator decides whom a request acts for: the principal — dealer,
// group, staff member, roles, key ID (crm.Principal). Every handler takes
// the dealer from it and from nowhere else: IDs of another dealer's
// records in paths and bodies are simply not found. The handler resolves
// the principal's permissions from its roles with the role table
// (WithRoles) and checks each operation's permission before it runs.
type Authenticator interface {
	// Authenticate returns the principal whose credentials r carries. It
	// returns an error matching ErrUnauthenticated (answered with 401) when
	// r carries no credentials or unknown ones, and so is a principal
	// without a dealer; any other error is answered by its dealercrm code
	// (503 for Unavailable, 500 otherwise). Permissions set on the
	// principal are replaced by those of its roles.
	Authenticate(r *http.Request) (crm.Principal, error)
}

// LegacyRoles are the roles of a key given to WithAPIKeys in its old form,
// key → dealer: admin and group_admin, together everything the default
// role table allows, as every key could before keys had roles. Give keys
// roles with WithPrincipals.
var LegacyRoles = []crm.Role{crm.RoleAdmin, crm.RoleGroupAdmin}

// ErrUnauthenticated is the error of an Authenticator for a request without
// valid credentials.
var ErrUnauthenticated error = &apiError{code: codeUnauthenticated, detail: "missing or unknown API key",
	header: http.Header{"Www-Authenticate": {`Bearer realm="dealercrm"`}}}

// APIKey returns the API key of r: the token of an "Authorization: Bearer"
// header, else the X-API-Key header, else "". Custom Authenticators use it
// to read keys the way the default one does.
func APIKey(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// keyring is the default Authenticator: API keys, kept as SHA-256 hashes,
// each with its principal.
type keyring struct {
	entries []keyEntry
}

type keyEntry struct {
	hash      [sha256.Size]byte
	principal crm.Principal
}

// add stores the hash of key for p, replacing an earlier entry of key. It
// panics on a principal without a dealer or roles, since every request
// with the key would fail.
func (k *keyring) add(key string, p crm.Principal) {
	if key == "" {
		return
	}
	if p.Dealer == "" {
		panic("httpapi: WithAPIKeys/WithPrincipals: a key is mapped to an empty dealer ID")
	}
	if len(p.Roles) == 0 {
		panic(fmt.Sprintf("httpapi: WithPrincipals: the key of dealer %s has no roles", p.Dealer))
	}
	p.Roles, p.Permissions = slices.Clone(p.Roles), nil
	h := sha256.Sum256([]byte(key))
	for i := range k.entries {
		if k.entries[i].hash == h {
			k.entries[i].principal = p
			return
		}
	}
	k.entries = append(k.entries, keyEntry{hash: h, principal: p})
}

// Authenticate implements Authenticator. It hashes the presented key and
// compares it with every stored hash, without stopping at a match, so that
// the time taken says nothing about which keys exist.
func (k *keyring) Authenticate(r *http.Request) (crm.Principal, error) {
	key := APIKey(r)
	if key == "" {
		return crm.Principal{}, ErrUnauthenticated
	}
	h := sha256.Sum256([]byte(key))
	found := -1
	for i := range k.entries {
		if subtle.ConstantTimeCompare(h[:], k.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return crm.Principal{}, ErrUnauthenticated
	}
	// The principal's slices are the entry's, resolved by NewHandler; the
	// handler only reads them.
	return k.entries[found].principal, nil
}

// resolve sets the permissions of every key's principal from t, once, so
// that requests with the handler's own keyring need not resolve them.
func (k *keyring) resolve(t crm.RoleTable) {
	for i := range k.entries {
		t.Resolve(&k.entries[i].principal)
	}
}
