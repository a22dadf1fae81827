// Package apikey keeps a deployment's API keys as records (SPEC §9, issue
// 15): whom each key acts as — a crm.Principal: the dealer, the member of
// staff, the roles — and its life: created,
// expires, revoked, last used.
//
// A token is Prefix + the key's ID + "_" + 32 random bytes. The store keeps
// only its HMAC-SHA256 under a server secret the host keeps outside the
// database (Service), so the token is shown once, when Create or Rotate
// makes it; a stolen copy of the table lets nobody in, and changing the
// secret revokes every key. Authenticate finds the key by the ID in the
// token and compares the hashes in constant time; malformed, unknown,
// revoked and expired tokens get one error, ErrUnauthenticated.
//
// Rotate gives a key a successor with the same principal while the old
// key keeps working for an overlap (DefaultOverlap): two keys are active
// at once, so every client can move to the new one before the old one
// stops.
//
// The Store port has a conformance suite (apikeytest) that the memory and
// Postgres adapters pass; adapters/httpapi serves the keys to an admin
// and authenticates requests with them.
package apikey
