package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// Authenticator decides which dealer a request acts for. Every handler
// takes the dealer from it and from nowhere else: IDs of another dealer's
// records in paths and bodies are simply not found.
type Authenticator interface {
	// Authenticate returns the dealer whose credentials r carries. It
	// returns an error matching ErrUnauthenticated (answered with 401) when
	// r carries no credentials or unknown ones; any other error is answered
	// by its dealercrm code (503 for Unavailable, 500 otherwise).
	Authenticate(r *http.Request) (crm.DealerID, error)
}

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
// each scoped to one dealer.
type keyring struct {
	entries []keyEntry
}

type keyEntry struct {
	hash   [sha256.Size]byte
	dealer crm.DealerID
}

// add stores the hash of key for dealer, replacing an earlier entry of key.
func (k *keyring) add(key string, dealer crm.DealerID) {
	if key == "" {
		return
	}
	if dealer == "" {
		panic("httpapi: WithAPIKeys: a key is mapped to an empty dealer ID")
	}
	h := sha256.Sum256([]byte(key))
	for i := range k.entries {
		if k.entries[i].hash == h {
			k.entries[i].dealer = dealer
			return
		}
	}
	k.entries = append(k.entries, keyEntry{hash: h, dealer: dealer})
}

// Authenticate implements Authenticator. It hashes the presented key and
// compares it with every stored hash, without stopping at a match, so that
// the time taken says nothing about which keys exist.
func (k *keyring) Authenticate(r *http.Request) (crm.DealerID, error) {
	key := APIKey(r)
	if key == "" {
		return "", ErrUnauthenticated
	}
	h := sha256.Sum256([]byte(key))
	var dealer crm.DealerID
	for i := range k.entries {
		if subtle.ConstantTimeCompare(h[:], k.entries[i].hash[:]) == 1 {
			dealer = k.entries[i].dealer
		}
	}
	if dealer == "" {
		return "", ErrUnauthenticated
	}
	return dealer, nil
}
