package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
)

// TestPermissions is generated from the route table (through the OpenAPI
// document, whose x-permission is the permission table's entry): every
// authenticated route is sent by a key of every default role of store B,
// with the isolation walk's valid request of B's own IDs, and the answer
// must be what the table and crm.DefaultRoles say —
//
//   - a role without the route's permission gets 403 permission_denied
//     naming exactly that permission, before anything else is looked at;
//   - a role with it is never refused for that permission (it may still
//     meet a people rule: a consultant working another's task is refused
//     for tasks.all, a group view without group; a record already deleted
//     by an earlier role is a 404), and never gets a 5xx.
//
// A route without an entry in the table fails it (NewHandler refuses to
// build, and an operation without x-permission is reported); a new route
// is covered without anyone adding it.
func TestPermissions(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 40)
			runPermissions(t, s)
		})
	}
}

func runPermissions(t *testing.T, s *stack) {
	iso := newWalk(t, s)
	table := crm.DefaultRoles()
	allowed, denied := 0, 0
	for _, rt := range iso.routes {
		perm := crm.Permission(rt.op.Permission)
		if perm == "" {
			t.Errorf("%s: %s has no permission: add it to the permission table", s.name, rt)
			continue
		}
		vs := iso.variants(rt)
		if len(vs) == 0 {
			continue // reported by variants
		}
		control := vs[len(vs)-1]
		// The roles without the permission first: their requests must
		// change nothing the others then meet.
		roles := slices.Clone(crm.Roles())
		slices.SortStableFunc(roles, func(a, b crm.Role) int {
			return boolInt(slices.Contains(table[a], perm)) - boolInt(slices.Contains(table[b], perm))
		})
		for _, role := range roles {
			code, body := s.sendKey(t, s.roleKeys[role], rt.method, control.target, control.body, iso.headers(rt)...)
			var p struct {
				Code       string `json:"code"`
				Permission string `json:"permission"`
			}
			_ = json.Unmarshal(body, &p)
			if code >= 500 || code == http.StatusUnauthorized {
				t.Errorf("%s: %s as %s: %d %.300s", s.name, rt, role, code, body)
				continue
			}
			if slices.Contains(table[role], perm) {
				allowed++
				if code == http.StatusForbidden && p.Permission == string(perm) {
					t.Errorf("%s: %s as %s: refused for %s, which the role holds: %.300s", s.name, rt, role, perm, body)
				}
				continue
			}
			denied++
			if code != http.StatusForbidden || p.Code != "permission_denied" || p.Permission != string(perm) {
				t.Errorf("%s: %s as %s: %d %.300s, want 403 permission_denied naming %s, which the role lacks",
					s.name, rt, role, code, body, perm)
			}
		}
	}
	t.Logf("%s: %d routes × %d roles: %d allowed, %d denied", s.name, len(iso.routes), len(crm.Roles()), allowed, denied)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
