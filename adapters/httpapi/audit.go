package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The audit trail (SPEC §9). With WithAudit, every authenticated request
// that writes (any method but GET), reads personal data (a GET whose
// answer carries phone numbers: auditsReads) or is refused (403) leaves a
// crm.AuditRecord: the key and staff member, the operation, the records
// it names (path, body, created), the time, the request ID and the
// outcome. A write's record goes into the transaction of its change when
// the store has transactions (crm.ClaimAudit); the rest is appended when
// the request is over. Unauthenticated requests (401) and requests over
// their rate (429) leave none: they are logged, and writing a row for each
// would hand a flood of them to the database.

// requestIDHeader carries the request's ID: the client's when it sends a
// usable one, else a new one; the answer always carries it.
const requestIDHeader = "X-Request-Id"

// auditTimeout bounds the append of a request's record, which runs after
// the request (perhaps past its own deadline).
const auditTimeout = 5 * time.Second

// WithAudit keeps the audit trail in store (the same store as the
// records, backend.Stores.Audit, so that a write's record commits with
// it) and serves it to a principal with permission audit.read (admin):
//
//	GET /v1/audit   the dealer's records, newest first (staff_id, key_id, record, operation, outcome, from, to)
//
// Retention is the daily job's (jobs.Services.Audit). Without WithAudit
// nothing is recorded.
func WithAudit(store crm.AuditStore) Option {
	return func(c *config) {
		c.audit = store
		c.modules = append(c.modules, module{routes: func() []route { return auditRoutes(store) }, schemas: auditSchemas})
	}
}

func auditSchemas(r *schemaRegistry) {
	r.addNames(map[reflect.Type]string{reflect.TypeFor[crm.AuditRecord](): "AuditRecord"})
	addEnum(r, crm.AuditOutcomes()...)
	r.docs["AuditRecord"] = "One entry of the audit trail: who (key, staff), which operation on which records, when, the request ID and the outcome (ok, denied, failed, with the reason). Entries are never changed; retention removes old ones."
}

func auditRoutes(store crm.AuditStore) []route {
	params := paged(func(f *crm.AuditFilter) *crm.PageRequest { return &f.PageRequest },
		textParam("staff_id", "The records of this member of staff.", strings.TrimSpace, func(f *crm.AuditFilter) *crm.StaffID { return &f.StaffID }),
		textParam("key_id", "The records of this API key.", strings.TrimSpace, func(f *crm.AuditFilter) *string { return &f.KeyID }),
		textParam("record", "The records naming this record ID (a customer's, a lead's).", strings.TrimSpace, func(f *crm.AuditFilter) *string { return &f.Record }),
		textParam("operation", "The records of this operation (an operationId of this document: getCustomer, postPoints).", strings.TrimSpace,
			func(f *crm.AuditFilter) *string { return &f.Operation }),
		textParam("request_id", "The records of this request (its X-Request-Id).", strings.TrimSpace, func(f *crm.AuditFilter) *string { return &f.RequestID }),
		enumParam("outcome", "The records of this outcome.", func(f *crm.AuditFilter) *crm.AuditOutcome { return &f.Outcome }),
		timeParam("from", "The records at or after this instant.", func(f *crm.AuditFilter) *time.Time { return &f.From }),
		timeParam("to", "The records before this instant.", func(f *crm.AuditFilter) *time.Time { return &f.To }),
	)
	return []route{
		query(route{method: http.MethodGet, path: "/v1/audit", op: "listAuditRecords", tag: "Audit",
			summary: "List the audit trail of the key's dealer, newest first: every write, every read of personal data and every refusal",
			status:  http.StatusOK, result: reflect.TypeFor[crm.AuditRecord](), list: true},
			params, func(c *call, f crm.AuditFilter) (crm.Page[crm.AuditRecord], error) {
				return store.List(c.r.Context(), c.dealer, f) // checks f (AuditFilter.Validate)
			}),
	}
}

// requestID returns the ID of r: its X-Request-Id when that is 1 to 128
// characters of letters, digits and -_.:/+=, else a new ID.
func requestID(r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	if id == "" || len(id) > 128 {
		return dealercrm.NewID()
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0) {
			return dealercrm.NewID()
		}
	}
	return id
}

// auditReason is the audit reason of a problem answer: its code, and for
// a refusal the permission or rule refused.
func auditReason(p *problem) string {
	switch {
	case p.Code != string(dealercrm.PermissionDenied):
		return p.Code
	case len(p.Errors) > 0 && p.Errors[0].Rule != "":
		return p.Code + ": " + p.Errors[0].Rule
	case p.Permission != "":
		return p.Code + ": " + string(p.Permission)
	}
	return p.Code
}

// auditsReads reports whether a successful GET of rt is audited: its
// answer carries personal data — a member the masking rules treat as a
// phone number (isPhoneKey), anywhere in its result type. The rule is the
// masking's, so that a new route answering customers is audited without
// anyone listing it.
func auditsReads(rt route) bool {
	return rt.method == http.MethodGet && rt.result != nil && hasPhoneMember(rt.result, map[reflect.Type]bool{})
}

func hasPhoneMember(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !f.Anonymous && isPhoneKey(name) || hasPhoneMember(f.Type, seen) {
			return true
		}
	}
	return false
}

// startAudit returns the pending record of an authenticated request to
// rt that writes, and the context that carries it to the stores, which
// commit it with the change; for any other request, nil and ctx. A read's
// record, and a refusal's, is appended by finishAudit.
func startAudit(ctx context.Context, rt route, p crm.Principal, at time.Time, sw *statusWriter, r *http.Request) (*crm.AuditPending, context.Context) {
	if rt.method == http.MethodGet {
		return nil, ctx
	}
	pend := crm.NewAuditPending(auditRecord(rt, p, at, sw, r), !rt.bulk)
	return pend, crm.WithAudit(ctx, pend)
}

// auditRecord is the record of an authenticated request to rt received at
// at, before its outcome: a new ID, who, the operation, the path's IDs.
func auditRecord(rt route, p crm.Principal, at time.Time, sw *statusWriter, r *http.Request) crm.AuditRecord {
	rec := crm.AuditRecord{ID: dealercrm.NewID(), DealerID: p.Dealer, At: at.UTC().Truncate(time.Microsecond),
		KeyID: p.KeyID, StaffID: p.Staff, Operation: rt.op, RequestID: sw.requestID}
	for _, name := range rt.wildcards {
		if v := crm.AuditID(r.PathValue(name)); v != "" {
			rec.Records = append(rec.Records, v)
		}
	}
	return rec
}

// finishAudit writes the record of a request when no transaction did:
// denied on a 403, failed on another error (also after a write that
// committed a record of its own: that one says what was changed, this one
// that the request then failed), ok on a success that is audited. pend is
// startAudit's (nil for a GET). A record that cannot be written is
// logged: the answer has gone.
func (h *handler) finishAudit(ctx context.Context, rt route, p crm.Principal, at time.Time, pend *crm.AuditPending, sw *statusWriter, r *http.Request) {
	var outcome crm.AuditOutcome
	switch status := sw.status; {
	case status == http.StatusUnauthorized || status == http.StatusTooManyRequests:
		return
	case status == http.StatusForbidden:
		outcome = crm.AuditDenied
	case status >= 400 || status == 0: // 0: the handler panicked
		outcome = crm.AuditFailed
		if status == 0 {
			sw.reason = string(dealercrm.Internal)
		}
	case !rt.auditOK || pend != nil && pend.Claimed():
		return
	default:
		outcome = crm.AuditOK
	}
	var rec crm.AuditRecord
	if pend != nil {
		rec, _ = pend.Finish(outcome, sw.reason) // a claimed record is not AuditOK here
	} else {
		rec = auditRecord(rt, p, at, sw, r)
		rec.Outcome = outcome
		if outcome != crm.AuditOK {
			rec.Reason = sw.reason
		}
	}
	if ctx.Err() != nil {
		// The request ran out of time or its client went away: the
		// record is still written, within a deadline of its own.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
		defer cancel()
	}
	if err := h.cfg.audit.Append(ctx, rec); err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "httpapi: audit record not written",
			slog.String("route", sw.route), slog.String("dealer", string(rec.DealerID)), slog.String("request_id", rec.RequestID),
			slog.String("error", maskString(err.Error())))
	}
}

// noteBodyIDs adds to the request's pending record the IDs its body
// names: the fields of in whose type is a record's ID type (crm.CustomerID,
// lifecycle.TaskID, …; not a staff member's or dealer's), and lists of
// them.
func noteBodyIDs(ctx context.Context, in any) {
	p := crm.AuditFrom(ctx)
	if p == nil {
		return
	}
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	for _, idx := range idFields(v.Type()) {
		f, err := v.FieldByIndexErr(idx)
		if err != nil {
			continue // behind a nil embedded pointer
		}
		if f.Kind() == reflect.String {
			p.Note(f.String())
			continue
		}
		for i := range f.Len() {
			p.Note(f.Index(i).String())
		}
	}
}

// idFieldsOf caches idFields by type.
var idFieldsOf sync.Map // reflect.Type → [][]int

// notRecordIDs are ID types that name no record of the audit trail's
// interest: people and tenants.
var notRecordIDs = map[reflect.Type]bool{
	reflect.TypeFor[crm.StaffID](): true, reflect.TypeFor[crm.DealerID](): true, reflect.TypeFor[crm.GroupID](): true,
}

// idFields returns the index paths of t's fields (embedded ones
// included) whose type is a named string type called …ID, or a slice of
// one, other than notRecordIDs.
func idFields(t reflect.Type) [][]int {
	if t.Kind() != reflect.Struct {
		return nil
	}
	if v, ok := idFieldsOf.Load(t); ok {
		return v.([][]int)
	}
	var out [][]int
	for _, f := range reflect.VisibleFields(t) {
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if f.IsExported() && ft.Kind() == reflect.String && ft.PkgPath() != "" && strings.HasSuffix(ft.Name(), "ID") && !notRecordIDs[ft] {
			out = append(out, f.Index)
		}
	}
	idFieldsOf.Store(t, out)
	return out
}
