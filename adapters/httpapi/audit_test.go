package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditTrail is generated from the route table (through the OpenAPI
// document): every authenticated route is sent by a key of store B whose
// role holds the route's permission, with the walk's valid request, and by
// one whose role lacks it; then the trail must say —
//
//   - every write (any method but GET) left exactly one record of its
//     request ID: ok on a 2xx, failed with the problem code otherwise;
//   - every GET whose answer carries phone numbers (a read of personal
//     data) did too, and every other GET that succeeded left none;
//   - every refusal left one record, denied, naming the permission;
//   - each record names the key, the staff member, the operation and the
//     path's IDs.
//
// A new route is covered without anyone adding it; its reads of personal
// data are found by the masking rules (a phone member in its answer).
func TestAuditTrail(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 40)
			runAudit(t, s)
		})
	}
}

func runAudit(t *testing.T, s *stack) {
	iso := newWalk(t, s)
	table := crm.DefaultRoles()
	ctx := context.Background()
	counts := map[crm.AuditOutcome]int{}
	n := 0
	for _, rt := range iso.routes {
		perm := crm.Permission(rt.op.Permission)
		vs := iso.variants(rt)
		if len(vs) == 0 || perm == "" {
			continue // reported by the walk and the permission test
		}
		control := vs[len(vs)-1]
		var allowed, denied crm.Role
		for _, r := range crm.Roles() {
			if slices.Contains(table[r], perm) {
				if allowed == "" {
					allowed = r
				}
			} else if denied == "" {
				denied = r
			}
		}
		write := rt.method != http.MethodGet
		personal := write || rt.op.Audited == "every request"
		for _, role := range []crm.Role{denied, allowed} {
			if role == "" {
				continue
			}
			n++
			reqID := fmt.Sprintf("audit-walk-%d", n)
			code, body := s.sendKey(t, s.roleKeys[role], rt.method, control.target, control.body,
				append(iso.headers(rt), "X-Request-Id", reqID)...)
			recs := s.auditOf(ctx, t, reqID)
			what := fmt.Sprintf("%s: %s as %s (%d %.200s)", s.name, rt, role, code, body)
			var want crm.AuditOutcome
			switch {
			case code == http.StatusForbidden:
				want = crm.AuditDenied
			case code >= 400:
				want = crm.AuditFailed
			case personal:
				want = crm.AuditOK
			}
			if want == "" {
				assert.Empty(t, recs, "%s: a GET without personal data that succeeded leaves no record", what)
				assert.False(t, hasPhoneKey(body), "%s: a GET whose answer has a phone number is audited", what)
				continue
			}
			if !assert.Len(t, recs, 1, "%s: one record of the request", what) {
				continue
			}
			r := recs[0]
			counts[r.Outcome]++
			assert.Equal(t, want, r.Outcome, what)
			assert.Equal(t, rt.op.OperationID, r.Operation, what)
			assert.Equal(t, "role-key-"+string(role), r.KeyID, what)
			assert.Equal(t, staffOf(role), r.StaffID, what)
			assert.Equal(t, s.b, r.DealerID, what)
			for _, seg := range strings.Split(strings.SplitN(control.target, "?", 2)[0], "/") {
				if iso.idsB.has(seg) {
					assert.Contains(t, r.Records, seg, "%s: the record names the path's IDs", what)
				}
			}
			if code == http.StatusCreated {
				var made struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(body, &made) == nil && made.ID != "" {
					assert.Contains(t, r.Records, made.ID, "%s: the record names the record made", what)
				}
			}
			if code < 400 {
				for _, id := range bodyIDs(control.body) {
					if iso.idsB.has(id) {
						assert.Contains(t, r.Records, id, "%s: the record names the body's IDs", what)
					}
				}
			}
			if role == denied {
				assert.Equal(t, crm.AuditDenied, r.Outcome, what)
				assert.Equal(t, "permission_denied: "+string(perm), r.Reason, what)
			}
		}
	}
	t.Logf("%s: %d requests over %d routes: %v", s.name, n, len(iso.routes), counts)
	require.NotZero(t, counts[crm.AuditOK])
	require.NotZero(t, counts[crm.AuditDenied])
}

// auditOf returns store B's audit records of a request ID, through the
// admin's GET /v1/audit (whose own request, a read without personal data,
// leaves none).
func (s *stack) auditOf(_ context.Context, t *testing.T, reqID string) []crm.AuditRecord {
	t.Helper()
	code, body := s.sendKey(t, s.roleKeys[crm.RoleAdmin], http.MethodGet, "/v1/audit?request_id="+reqID, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	var page crm.Page[crm.AuditRecord]
	require.NoError(t, json.Unmarshal(body, &page))
	return page.Items
}

// TestAuditOfTheLostLeadFlow: the audit trail of the lost-lead flow shows
// the consultant's request, the refused decision of its requester (the
// rule named) and the manager's decision, each with its staff member.
func TestAuditOfTheLostLeadFlow(t *testing.T) {
	trail := memory.NewAuditStore()
	e := newEnv(t, withPeople(), httpapi.WithAudit(trail))
	lead := e.create(keyA, "leads", obj{"name": "赵敏", "source": "call_in", "consultant_id": "S07"})
	id := lead["id"].(string)
	path := "/v1/leads/" + id
	require.Equal(t, http.StatusOK, e.do(http.MethodPost, path+"/lost-request", keyConsultant, obj{"reason": "competitor"}).Code)
	requireProblem(t, e.do(http.MethodPost, path+"/lost-decision", keyManagerS07, obj{"decision": "approved"}),
		http.StatusForbidden, "permission_denied")
	require.Equal(t, http.StatusOK, e.do(http.MethodPost, path+"/lost-decision", keyManager, obj{"decision": "approved"}).Code)

	w := e.do(http.MethodGet, "/v1/audit?record="+id, keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var page crm.Page[crm.AuditRecord]
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	type line struct {
		Op      string
		Staff   crm.StaffID
		Outcome crm.AuditOutcome
		Reason  string
	}
	var got []line
	for _, r := range page.Items {
		got = append(got, line{r.Operation, r.StaffID, r.Outcome, r.Reason})
		assert.NotEmpty(t, r.RequestID)
	}
	assert.Equal(t, []line{
		{"decideLeadLost", "M01", crm.AuditOK, ""},
		{"decideLeadLost", "S07", crm.AuditDenied, "permission_denied: not_requester"},
		{"requestLeadLost", "S07", crm.AuditOK, ""},
		{"createLead", "", crm.AuditOK, ""},
	}, got, "newest first")

	// The admin filters by staff member and outcome; the others may not
	// read the trail at all.
	w = e.do(http.MethodGet, "/v1/audit?staff_id=S07&outcome=denied", keyA, nil)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Len(t, page.Items, 1)
	assert.Equal(t, "decideLeadLost", page.Items[0].Operation)
	p := requireProblem(t, e.do(http.MethodGet, "/v1/audit", keyManager, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermAudit), p["permission"])
	requireProblem(t, e.do(http.MethodGet, "/v1/audit?outcome=maybe", keyA, nil), http.StatusUnprocessableEntity, "invalid")
}

// hasPhoneKey reports whether a JSON body has a member named like a phone
// number (mobile, phone), the masking rules' test, independent of the
// handler's own reading of its types.
func hasPhoneKey(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case []any:
			return slices.ContainsFunc(x, walk)
		case map[string]any:
			for k, e := range x {
				if l := strings.ToLower(k); strings.Contains(l, "mobile") || strings.Contains(l, "phone") || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// bodyIDs returns the values of a JSON body's top-level members named
// …_id or …_ids.
func bodyIDs(body []byte) []string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		switch x := v.(type) {
		case string:
			if strings.HasSuffix(k, "_id") {
				out = append(out, x)
			}
		case []any:
			if strings.HasSuffix(k, "_ids") {
				for _, e := range x {
					if s, ok := e.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

// TestAuditOfHostileIDs: a request naming an ID no store could hold (a
// NUL, a megabyte) is refused, and the trail still says what was asked,
// quoted and cut.
func TestAuditOfHostileIDs(t *testing.T) {
	trail := memory.NewAuditStore()
	e := newEnv(t, httpapi.WithAudit(trail))
	w := e.do(http.MethodGet, "/v1/customers/a%00b", keyA, nil)
	require.GreaterOrEqual(t, w.Code, 400)
	w = e.do(http.MethodPost, "/v1/interactions", keyA, obj{"customer_id": strings.Repeat("c", 1<<16), "channel": "phone"})
	require.GreaterOrEqual(t, w.Code, 400)
	page, err := trail.List(context.Background(), dealerA, crm.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 2, "both refused requests are in the trail")
	assert.Equal(t, crm.AuditFailed, page.Items[0].Outcome)
	assert.Equal(t, []string{strings.Repeat("c", crm.MaxAuditIDLength-len("…")) + "…"}, page.Items[0].Records)
	assert.Equal(t, "getCustomer", page.Items[1].Operation)
	assert.Equal(t, []string{`"a\x00b"`}, page.Items[1].Records)
	assert.NotEmpty(t, w.Header().Get("X-Request-Id"), "every answer carries its request ID")
}
