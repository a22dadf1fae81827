// Package webhooktest is the conformance suite of webhook.Store
// implementations (RunStoreTests) and the end-to-end delivery suite
// (RunDeliveryTests: a receiver down for 60 s, a killed worker, signature
// checks, disabling and replay), run by adapters/memory and
// adapters/postgres on their own backends.
package webhooktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/require"
)

// Backend is what the suites need of a backend: the webhook store, the
// event feed, and a way to write events (crm.Store.Events().Add outside
// a transaction).
type Backend struct {
	Store  webhook.Store
	Events crm.EventStore
	Add    func(ctx context.Context, evs ...crm.Event) error
}

// t0 is the suites' start time.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Events returns n events of dealer, points.earned and task.created in
// turn, about subjects customers c0…c(subjects-1) in turn.
func Events(dealer crm.DealerID, n, subjects int) []crm.Event {
	out := make([]crm.Event, n)
	for i := range out {
		typ := crm.EventPointsEarned
		if i%2 == 1 {
			typ = crm.EventTaskCreated
		}
		subject := crm.EventSubject{Kind: crm.SubjectCustomer, ID: "c" + strconv.Itoa(i%subjects)}
		out[i] = crm.NewEvent(dealer, typ, subject, t0.Add(time.Duration(i)*time.Second), map[string]int{"n": i})
	}
	return out
}

// Receiver is a webhook receiver as a host writes one: it verifies each
// request's signature with its own implementation of the Standard
// Webhooks algorithm (not package webhook's), refuses what fails, and
// keeps each event once by webhook-id (per request path: one per
// subscription), in the order of arrival.
type Receiver struct {
	Server *httptest.Server
	secret string
	now    func() time.Time

	mu sync.Mutex
	// Down makes the receiver answer 503 to every request while it
	// returns true.
	Down func() bool
	// OnEvent, when set, runs for each verified request before it is
	// answered (2xx), with the number of distinct events so far.
	OnEvent func(distinct int)
	// capture, when set, sees each verified request's headers and body.
	capture  func(h http.Header, body []byte)
	seen     map[string]bool        // path + " " + webhook-id
	events   []crm.Event            // distinct, in order of first arrival
	byPath   map[string][]crm.Event // the same, by request path
	requests int
	refused  int // bad signatures
	dupes    int // verified requests of an event already received
	inFlight map[string]int
	overlap  bool
}

// NewReceiver starts a receiver (closed at the test's end); its secret
// is set with SetSecret once the subscription is made.
func NewReceiver(t *testing.T, now func() time.Time) *Receiver {
	r := &Receiver{now: now, seen: map[string]bool{}, byPath: map[string][]crm.Event{}, inFlight: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// SetSecret sets the secret the receiver verifies with.
func (r *Receiver) SetSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

// VerifyStandard is the receiver's signature check, written from the
// Standard Webhooks specification alone: the key is the base64 after
// "whsec_"; the signed content is id.timestamp.body; the header holds
// space-separated "v1,<base64 HMAC-SHA256>" entries, one of which must
// match; the timestamp must be within five minutes of now.
func VerifyStandard(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("bad secret: %w", err)
	}
	id, ts, sig := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sig == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Unix() - sec; d > 300 || d < -300 {
		return fmt.Errorf("timestamp %d too far from %d", sec, now.Unix())
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Split(sig, " ") {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no signature matches")
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	down, secret := r.Down != nil && r.Down(), r.secret
	r.mu.Unlock()
	if down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := VerifyStandard(secret, req.Header, body, r.now()); err != nil {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev crm.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != req.Header.Get("webhook-id") {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	sub := req.URL.Path
	r.mu.Lock()
	r.inFlight[sub]++
	if r.inFlight[sub] > 1 {
		r.overlap = true
	}
	if key := sub + " " + ev.ID; !r.seen[key] {
		r.seen[key] = true
		r.events = append(r.events, ev)
		r.byPath[sub] = append(r.byPath[sub], ev)
	} else {
		r.dupes++
	}
	n, on, capture := len(r.events), r.OnEvent, r.capture
	r.mu.Unlock()
	if capture != nil {
		capture(req.Header, body)
	}
	if on != nil {
		on(n)
	}
	r.mu.Lock()
	r.inFlight[sub]--
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Got returns the distinct events received, in order of first arrival.
func (r *Receiver) Got() []crm.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// gotFor returns the distinct events received at a path.
func (r *Receiver) gotFor(path string) []crm.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.byPath[path])
}

// Counts returns the requests received and those refused for their
// signature.
func (r *Receiver) Counts() (requests, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.refused
}

// Duplicates returns how many verified requests brought an event the
// receiver had (and dropped by webhook-id).
func (r *Receiver) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dupes
}

// Overlapped reports whether two requests for one path were ever in
// flight at once (two workers on one subscription).
func (r *Receiver) Overlapped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlap
}

// requireExactlyOnceInOrder checks that got holds each of want once, and
// each subject's events in sequence order.
func requireExactlyOnceInOrder(t *testing.T, want, got []crm.Event) {
	t.Helper()
	ids := func(evs []crm.Event) []string {
		out := make([]string, len(evs))
		for i, e := range evs {
			out[i] = e.ID
		}
		return out
	}
	require.ElementsMatch(t, ids(want), ids(got), "every event arrives, once by webhook-id")
	last := map[crm.EventSubject]int64{}
	for _, e := range got {
		require.Greater(t, e.Seq, last[e.Subject], "the events of %v arrive in sequence order", e.Subject)
		last[e.Subject] = e.Seq
	}
}

func newDealer() crm.DealerID { return crm.DealerID("d-" + dealercrm.NewID()) }
