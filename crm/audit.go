package crm

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
)

// The audit trail (SPEC §9): every write and every read of personal data
// leaves an append-only AuditRecord — who (key and staff), which operation
// on which records, when, under which request ID, and how it ended,
// denials included. An adapter (httpapi) starts an AuditPending for each
// request it audits and carries it in the context; a store that commits a
// transaction for that request writes the record in the same transaction
// (ClaimAudit), so that a change and its record commit or vanish together.
// What no transaction wrote — a read, a denial, a failure, or any request
// on a store without transactions — the adapter appends afterwards
// (AuditStore.Append).

// AuditOutcome is how an audited request ended.
type AuditOutcome string

// The outcomes.
const (
	// AuditOK: the operation was carried out (for a write: committed).
	AuditOK AuditOutcome = "ok"
	// AuditDenied: the principal was refused (a permission or a rule about
	// people, such as deciding one's own lost request).
	AuditDenied AuditOutcome = "denied"
	// AuditFailed: the operation failed (invalid input, not found, a
	// conflict, an outage); nothing was changed by it, unless an ok record
	// of the same request says what was.
	AuditFailed AuditOutcome = "failed"
)

var allAuditOutcomes = []AuditOutcome{AuditOK, AuditDenied, AuditFailed}

// AuditOutcomes returns every outcome.
func AuditOutcomes() []AuditOutcome { return slices.Clone(allAuditOutcomes) }

// Valid reports whether o is a known outcome.
func (o AuditOutcome) Valid() bool { return slices.Contains(allAuditOutcomes, o) }

// MaxAuditRecords caps the record IDs of one AuditRecord: an operation
// that touches more (an import, a daily run) says so in its own report,
// not in the trail.
const MaxAuditRecords = 20

// AuditRecord is one entry of the audit trail. Records are appended and
// never changed; only retention (AuditStore.Purge) removes them.
type AuditRecord struct {
	// ID is a new ID (dealercrm.NewID): records list newest first, in ID
	// order.
	ID       string   `json:"id"`
	DealerID DealerID `json:"dealer_id"`
	// At is when the request was received, to the microsecond.
	At time.Time `json:"at"`
	// KeyID is the API key of the request (Principal.KeyID); empty for a
	// credential without an ID.
	KeyID string `json:"key_id,omitempty"`
	// StaffID is the member of staff acting (Principal.Staff); empty for
	// a system key.
	StaffID StaffID `json:"staff_id,omitempty"`
	// Operation is the operation's name (the HTTP API's operationId:
	// getCustomer, postPoints, decideLostLead).
	Operation string `json:"operation"`
	// Records are the IDs of the records the operation named or created:
	// those of its path, those its body names (customer_id, task_ids) and
	// the new record's; at most MaxAuditRecords.
	Records []string `json:"records,omitempty"`
	// RequestID is the request's ID (the X-Request-Id header).
	RequestID string       `json:"request_id,omitempty"`
	Outcome   AuditOutcome `json:"outcome"`
	// Reason says why a request was denied or failed: the problem code,
	// and for a denial the permission or rule ("permission_denied:
	// leads.decide_lost", "permission_denied: not_requester").
	Reason string `json:"reason,omitempty"`
}

// Clone returns a deep copy of r.
func (r AuditRecord) Clone() AuditRecord {
	r.Records = slices.Clone(r.Records)
	return r
}

// CheckAuditRecord returns a *ValidationError naming each field of r that
// no store accepts: a missing ID, dealer, time or operation, an unknown
// outcome, too many records, text with a NUL or invalid UTF-8.
func CheckAuditRecord(r *AuditRecord) error {
	var c Checker
	for _, f := range []struct{ field, v string }{{"id", r.ID}, {"dealer_id", string(r.DealerID)}, {"operation", r.Operation}} {
		if f.v == "" {
			c.Add(f.field, RuleRequired, "is required")
		}
	}
	if r.At.IsZero() {
		c.Add("at", RuleRequired, "is required")
	}
	if !r.Outcome.Valid() {
		c.Add("outcome", RuleEnum, "must be one of %v, got %q", allAuditOutcomes, r.Outcome)
	}
	if len(r.Records) > MaxAuditRecords {
		c.Add("records", RuleMaxLength, "has %d IDs, at most %d", len(r.Records), MaxAuditRecords)
	}
	texts := []string{r.ID, string(r.DealerID), r.KeyID, string(r.StaffID), r.Operation, r.RequestID, r.Reason}
	names := []string{"id", "dealer_id", "key_id", "staff_id", "operation", "request_id", "reason"}
	for i, v := range texts {
		if f, bad := CheckText(names[i], v); bad {
			c.Append(f)
		}
	}
	for _, v := range r.Records {
		if f, bad := CheckText("records", v); bad {
			c.Append(f)
			break
		}
	}
	return c.Err("audit record")
}

// AuditFilter selects a dealer's audit records, newest first. Every field
// is optional.
type AuditFilter struct {
	// StaffID keeps one member of staff's records.
	StaffID StaffID `json:"staff_id,omitempty"`
	// KeyID keeps one API key's records.
	KeyID string `json:"key_id,omitempty"`
	// Record keeps the records naming one record ID (a customer's).
	Record string `json:"record,omitempty"`
	// Operation keeps one operation's records.
	Operation string `json:"operation,omitempty"`
	// Outcome keeps one outcome's records.
	Outcome AuditOutcome `json:"outcome,omitempty"`
	// RequestID keeps one request's records.
	RequestID string `json:"request_id,omitempty"`
	// From and To bound At: From ≤ At < To; zero for no bound.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	PageRequest
}

// Validate returns a *ValidationError naming the fields of f no store
// accepts: an unknown outcome, To not after From, a malformed cursor.
func (f AuditFilter) Validate() error {
	var c Checker
	if f.Outcome != "" && !f.Outcome.Valid() {
		c.Add("outcome", RuleEnum, "must be one of %v, got %q", allAuditOutcomes, f.Outcome)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		c.Add("to", RuleOrder, "must be after from")
	}
	if _, err := f.AfterID(); err != nil {
		c.Add("after", RuleFormat, "is not a cursor returned by a previous page")
	}
	return c.Err("audit filter")
}

// Match reports whether f selects r (cursor aside); stores use it or
// agree with it, and their conformance suite checks they do.
func (f *AuditFilter) Match(r *AuditRecord) bool {
	return (f.StaffID == "" || r.StaffID == f.StaffID) && (f.KeyID == "" || r.KeyID == f.KeyID) &&
		(f.Record == "" || slices.Contains(r.Records, f.Record)) &&
		(f.Operation == "" || r.Operation == f.Operation) && (f.Outcome == "" || r.Outcome == f.Outcome) &&
		(f.RequestID == "" || r.RequestID == f.RequestID) &&
		(f.From.IsZero() || !r.At.Before(f.From)) && (f.To.IsZero() || r.At.Before(f.To))
}

// AuditStore keeps the audit trail. Append adds one record (checked with
// CheckAuditRecord; an ID already there is a *ConflictError on "id"),
// List pages a dealer's records newest first (by ID, descending; the
// cursor resumes below the last one; a filter AuditFilter.Validate
// refuses is its error), and Purge removes a dealer's records
// older than before — the only way records leave. Implementations must be
// safe for concurrent use. A store that commits transactions writes the
// pending record of a request in the transaction of its first write
// (ClaimAudit).
type AuditStore interface {
	Append(ctx context.Context, r AuditRecord) error
	List(ctx context.Context, dealer DealerID, f AuditFilter) (Page[AuditRecord], error)
	Purge(ctx context.Context, dealer DealerID, before time.Time) (int, error)
}

// AuditPending is the audit record of a request in progress, carried in
// its context (WithAudit). Services add the IDs of the records they create
// (NoteAudit); a store claims it to write it in a transaction of the
// request (ClaimAudit) and gives it back if that transaction does not
// commit (UnclaimAudit). It is safe for concurrent use.
type AuditPending struct {
	mu  sync.Mutex
	rec AuditRecord
	// created are the IDs services noted (NoteAudit): named only by a
	// record of what was done, never by a failure's.
	created []string
	collect bool
	claimed bool
}

// NewAuditPending returns the pending record rec (its Outcome is set when
// it is written). collect says whether created records are noted: false
// for bulk operations, whose records are counted in their own answer.
func NewAuditPending(rec AuditRecord, collect bool) *AuditPending {
	ids := rec.Records
	rec.Records = nil
	p := &AuditPending{rec: rec, collect: collect}
	p.rec.Records = addIDs(nil, 0, ids)
	return p
}

// MaxAuditIDLength caps the length of a record ID in the trail, in bytes.
const MaxAuditIDLength = 128

// AuditID returns id as the trail keeps it: an ID named by a request
// (its path, its body) is not checked yet, and may be anything — so text
// that is not valid UTF-8 or holds a NUL is quoted (Go syntax),
// and what is longer than MaxAuditIDLength bytes is cut there (at a
// character boundary) and marked with "…". The request is then refused
// for that ID, and the trail still says what was asked.
func AuditID(id string) string {
	if _, bad := CheckText("id", id); bad {
		id = strconv.Quote(id)
	}
	if len(id) <= MaxAuditIDLength {
		return id
	}
	cut := MaxAuditIDLength - len("…")
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut] + "…"
}

// Note adds the IDs of records the request names (its path, its body),
// each once, up to MaxAuditRecords.
func (p *AuditPending) Note(ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rec.Records = addIDs(p.rec.Records, len(p.created), ids)
}

// addIDs appends ids to list, each once and as AuditID keeps it, while
// list and others hold fewer than MaxAuditRecords.
func addIDs(list []string, others int, ids []string) []string {
	for _, id := range ids {
		id = AuditID(id)
		if id != "" && len(list)+others < MaxAuditRecords && !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	return list
}

// Record returns a copy of the record as it stands, with outcome o: the
// IDs of records the request created only when o is AuditOK (a failed
// request created nothing).
func (p *AuditPending) Record(o AuditOutcome) AuditRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.record(o)
}

func (p *AuditPending) record(o AuditOutcome) AuditRecord {
	r := p.rec.Clone()
	r.Outcome = o
	if o == AuditOK {
		for _, id := range p.created {
			if !slices.Contains(r.Records, id) {
				r.Records = append(r.Records, id)
			}
		}
	}
	return r
}

// Finish returns the record to write once the request is over, with
// outcome o and, unless o is AuditOK, reason; false when there is none to
// write: a transaction committed the record with the change, and o is
// AuditOK. A request that failed after its transaction committed the
// record gets a record of its own, with a new ID.
func (p *AuditPending) Finish(o AuditOutcome, reason string) (AuditRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed && o == AuditOK {
		return AuditRecord{}, false
	}
	r := p.record(o)
	if p.claimed {
		r.ID = dealercrm.NewID()
	}
	if o != AuditOK {
		r.Reason = reason
	}
	return r, true
}

// Claimed reports whether a transaction has the record (and, once the
// request is over, committed it).
func (p *AuditPending) Claimed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.claimed
}

type auditKey struct{}

// WithAudit returns ctx carrying p (nil: carrying none, for work that must
// not write the request's record, such as appending it).
func WithAudit(ctx context.Context, p *AuditPending) context.Context {
	return context.WithValue(ctx, auditKey{}, p)
}

// AuditFrom returns the pending record ctx carries, or nil.
func AuditFrom(ctx context.Context) *AuditPending {
	p, _ := ctx.Value(auditKey{}).(*AuditPending)
	return p
}

// NoteAudit adds the IDs of records an operation creates to the pending
// record of ctx's request, when it has one that collects them; services
// call it where they make a new record's ID.
func NoteAudit(ctx context.Context, ids ...string) {
	if p := AuditFrom(ctx); p != nil && p.collect {
		p.mu.Lock()
		p.created = addIDs(p.created, len(p.rec.Records), ids)
		p.mu.Unlock()
	}
}

// AuditUnclaimed reports whether ctx carries a pending record that no
// transaction has claimed: a store writing outside a transaction then
// opens one, to write the record with the change.
func AuditUnclaimed(ctx context.Context) bool {
	p := AuditFrom(ctx)
	return p != nil && !p.Claimed()
}

// ClaimAudit claims the pending record of ctx for the transaction about to
// commit and returns it with outcome AuditOK; false when ctx carries none
// or another transaction claimed it. A store writes it in that
// transaction, and calls UnclaimAudit if the transaction then does not
// commit, so that a later one (or the adapter) writes it.
func ClaimAudit(ctx context.Context) (AuditRecord, bool) {
	p := AuditFrom(ctx)
	if p == nil {
		return AuditRecord{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed {
		return AuditRecord{}, false
	}
	p.claimed = true
	return p.record(AuditOK), true
}

// UnclaimAudit gives back the record ClaimAudit returned, when its
// transaction rolled back.
func UnclaimAudit(ctx context.Context) {
	if p := AuditFrom(ctx); p != nil {
		p.mu.Lock()
		p.claimed = false
		p.mu.Unlock()
	}
}
