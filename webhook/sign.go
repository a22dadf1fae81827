package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
)

// The headers of a signed request (Standard Webhooks).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret: "whsec_" and the base64 of the key.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock, either way, for Verify to accept it.
const DefaultTolerance = 5 * time.Minute

// secretBytes is the length of a new secret's key (the convention asks
// for 24 to 64 bytes).
const secretBytes = 32

// ErrSignature is the error of Verify for a request whose signature, or
// its headers, do not check out. Its code is dealercrm.PermissionDenied.
var ErrSignature error = dealercrm.Errorf(dealercrm.PermissionDenied, "webhook: no valid signature")

// NewSecret returns a new random secret: SecretPrefix and the standard
// base64 of 32 random bytes.
func NewSecret() string {
	var b [secretBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// secretKey returns the HMAC key of secret: the base64 after the prefix
// (the prefix is optional, as in the convention's libraries).
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("webhook: a secret is %q and standard base64", SecretPrefix)
	}
	return key, nil
}

// Sign returns the webhook-signature header value of a message: "v1,"
// and the base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body),
// timestamp in Unix seconds. It fails only on a malformed secret.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, timestamp.Unix(), body)), nil
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SetHeaders signs body and sets the three headers of a signed request
// on h.
func SetHeaders(h http.Header, secret, id string, timestamp time.Time, body []byte) error {
	sig, err := Sign(secret, id, timestamp, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(timestamp.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

// Verify checks a received request as a receiver does: the headers are
// present, the timestamp is within tolerance of now (DefaultTolerance
// when tolerance is 0), and one of the space-separated signatures of
// webhook-signature is a "v1" signature of the body under secret. It
// returns nil or an error wrapping ErrSignature saying what failed.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: missing %s, %s or %s", ErrSignature, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d >= tolerance || d <= -tolerance {
		return fmt.Errorf("%w: timestamp %d is more than %s from now", ErrSignature, ts, tolerance)
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches the body", ErrSignature)
}
