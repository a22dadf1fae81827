package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Keys of dealer A with roles and staff (SPEC §9).
const (
	keyConsultant  = "k-consultant-S07"
	keyConsultant2 = "k-consultant-S08"
	keyManager     = "k-manager-M01"
	keyManagerS07  = "k-manager-S07" // S07 promoted: still the requester of S07's requests
	keyCR          = "k-cr-C02"
	keyAdvisor     = "k-advisor-S01"
	keyIntegration = "k-integration"
	keyGroupAdmin  = "k-group-admin"
)

func withPeople() httpapi.Option {
	p := func(staff crm.StaffID, r crm.Role) crm.Principal {
		return crm.Principal{Dealer: dealerA, Staff: staff, Roles: []crm.Role{r}}
	}
	return httpapi.WithPrincipals(map[string]crm.Principal{
		keyConsultant: p("S07", crm.RoleConsultant), keyConsultant2: p("S08", crm.RoleConsultant),
		keyManager: p("M01", crm.RoleManager), keyManagerS07: p("S07", crm.RoleManager),
		keyCR: p("C02", crm.RoleCR), keyAdvisor: p("S01", crm.RoleAdvisor),
		keyIntegration: p("", crm.RoleIntegration), keyGroupAdmin: p("", crm.RoleGroupAdmin),
	})
}

// TestLostLeadFlowByPrincipal is the lost-lead flow of issue 15: a
// consultant requests, the same person's decision is refused (403 naming
// the rule), a manager's is accepted; the requester and the decider are
// the keys' staff members, never a body's.
func TestLostLeadFlowByPrincipal(t *testing.T) {
	e := newEnv(t, withPeople())
	lead := e.create(keyA, "leads", obj{"name": "赵敏", "source": "call_in", "consultant_id": "S07"})
	path := "/v1/leads/" + lead["id"].(string)

	p := requireProblem(t, e.do(http.MethodPost, path+"/lost-request", keyConsultant, obj{"reason": "competitor", "requested_by": "S08"}),
		http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"requested_by": crm.RuleActor}, problemFields(p), "a consultant cannot request in a colleague's name")

	w := e.do(http.MethodPost, path+"/lost-request", keyConsultant, obj{"reason": "competitor", "note": "买了竞品"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	req := decode(t, w)["lost_requests"].([]any)[0].(obj)
	assert.Equal(t, "S07", req["requested_by"], "the requester is the key's staff member")

	p = requireProblem(t, e.do(http.MethodPost, path+"/lost-decision", keyConsultant, obj{"decision": "approved"}),
		http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermDecideLost), p["permission"], "a consultant does not decide")

	p = requireProblem(t, e.do(http.MethodPost, path+"/lost-decision", keyManagerS07, obj{"decision": "approved"}),
		http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"decided_by": crm.RuleNotRequester}, problemFields(p), "never the one who requested it")
	assert.Empty(t, p["permission"])

	p = requireProblem(t, e.do(http.MethodPost, path+"/lost-decision", keyManager, obj{"decision": "approved", "decided_by": "M02"}),
		http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"decided_by": crm.RuleActor}, problemFields(p), "a manager decides as themself")

	w = e.do(http.MethodPost, path+"/lost-decision", keyManager, obj{"decision": "approved", "note": "同意"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	l := decode(t, w)
	assert.Equal(t, "lost", l["status"])
	assert.Equal(t, "M01", l["lost_requests"].([]any)[0].(obj)["decided_by"])
}

// TestPermissionProblemInChinese: the 403 of the permission table is
// rendered in Chinese by default and names the permission for programs.
func TestPermissionProblemInChinese(t *testing.T) {
	e := newEnv(t, withPeople())
	f := e.fixtures(keyA)
	p := requireProblem(t, e.do(http.MethodPost, "/v1/customers/"+f.customer+"/erase", keyManager, nil, "Accept-Language", ""),
		http.StatusForbidden, "permission_denied")
	assert.Equal(t, "无权执行此操作：API 密钥的角色没有“privacy”权限", p["detail"])
	assert.Equal(t, "privacy", p["permission"])

	lead := e.create(keyA, "leads", obj{"name": "赵敏", "source": "call_in", "consultant_id": "S07"})
	w := e.do(http.MethodPost, "/v1/leads/"+lead["id"].(string)+"/lost-request", keyConsultant, obj{"reason": "competitor", "requested_by": "S08"}, "Accept-Language", "")
	p = requireProblem(t, w, http.StatusForbidden, "permission_denied")
	assert.Equal(t, "须为本 API 密钥对应的员工，或不填", p["errors"].([]any)[0].(obj)["message"])
}

// TestLeadsScopedToPrincipal: a consultant sees and works their own leads;
// a manager and CR all of the store's.
func TestLeadsScopedToPrincipal(t *testing.T) {
	e := newEnv(t, withPeople())
	mine := e.create(keyA, "leads", obj{"name": "赵敏", "source": "call_in", "consultant_id": "S07"})["id"].(string)
	theirs := e.create(keyA, "leads", obj{"name": "周芷若", "source": "walk_in", "consultant_id": "S08"})["id"].(string)
	nobodys := e.create(keyA, "leads", obj{"name": "张无忌", "source": "web"})["id"].(string)

	ids := func(key, q string) []string {
		w := e.do(http.MethodGet, "/v1/leads"+q, key, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var out []string
		for _, it := range decode(t, w)["items"].([]any) {
			out = append(out, it.(obj)["id"].(string))
		}
		return out
	}
	assert.ElementsMatch(t, []string{mine}, ids(keyConsultant, ""), "a consultant lists their own leads")
	assert.ElementsMatch(t, []string{mine}, ids(keyConsultant, "?consultant_id=S07"))
	assert.ElementsMatch(t, []string{theirs}, ids(keyConsultant2, ""))
	assert.ElementsMatch(t, []string{mine, theirs, nobodys}, ids(keyManager, ""), "a manager lists all of the store's")
	assert.ElementsMatch(t, []string{theirs}, ids(keyManager, "?consultant_id=S08"))
	assert.ElementsMatch(t, []string{mine, theirs, nobodys}, ids(keyCR, ""), "CR hands leads on")

	p := requireProblem(t, e.do(http.MethodGet, "/v1/leads?consultant_id=S08", keyConsultant, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"consultant_id": crm.RuleScope}, problemFields(p))
	p = requireProblem(t, e.do(http.MethodGet, "/v1/leads/"+theirs, keyConsultant, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermAllLeads), p["permission"])
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPatch, "/v1/leads/" + theirs, obj{"name": "x"}},
		{http.MethodDelete, "/v1/leads/" + theirs, nil},
		{http.MethodPost, "/v1/leads/" + theirs + "/level", obj{"level": "A"}},
		{http.MethodPost, "/v1/leads/" + theirs + "/follow-ups", obj{"channel": "phone"}},
		{http.MethodPost, "/v1/leads/" + nobodys + "/lost-request", obj{"reason": "competitor"}},
	} {
		p := requireProblem(t, e.do(c.method, c.path, keyConsultant, c.body), http.StatusForbidden, "permission_denied")
		assert.Equal(t, string(crm.PermAllLeads), p["permission"], "%s %s: another's lead", c.method, c.path)
	}
	w := e.do(http.MethodGet, "/v1/leads/"+theirs, keyA, nil)
	assert.Equal(t, http.StatusOK, w.Code, "nothing was changed or deleted: %s", w.Body)
	w = e.do(http.MethodPost, "/v1/leads/"+mine+"/follow-ups", keyConsultant, obj{"channel": "phone", "note": "约了周六试驾"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	ups := decode(t, w)["follow_ups"].([]any)
	assert.Equal(t, "S07", ups[len(ups)-1].(obj)["staff_id"], "the follow-up's staff is the key's")
}

// TestCallListScopedToPrincipal: on the call list of callListEnv (tasks
// t1–t4 CR's, t5 the advisors', all assigned to S01) an advisor S01 sees
// theirs, CR the CR tasks, a consultant S07 none, a manager all; working
// a task one does not see is refused.
func TestCallListScopedToPrincipal(t *testing.T) {
	e, _ := callListEnv(t, withPeople())
	list := func(key, q string) []string {
		w := e.do(http.MethodGet, "/v1/tasks"+q, key, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		return callIDs(decodeAs[crm.Page[lifecycle.CallItem]](t, w.Body.Bytes()))
	}
	assert.Equal(t, []string{"t1", "t2", "t3", "t4", "t5"}, list(keyManager, ""), "a manager sees all of the store")
	assert.Equal(t, []string{"t1", "t2", "t3", "t4"}, list(keyCR, ""), "cr the CR tasks")
	assert.Equal(t, []string{"t1", "t2", "t3", "t4", "t5"}, list(keyAdvisor, ""), "S01 is the assignee of every task")
	assert.Equal(t, []string{"t5"}, list(keyAdvisor, "?owner_role=service_advisor"))
	assert.Empty(t, list(keyConsultant, ""), "a consultant with no tasks of theirs")

	p := requireProblem(t, e.do(http.MethodGet, "/v1/tasks?owner_role=service_advisor", keyCR, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"owner_role": crm.RuleScope}, problemFields(p))
	p = requireProblem(t, e.do(http.MethodGet, "/v1/call-groups?staff_id=S01", keyConsultant, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"staff_id": crm.RuleScope}, problemFields(p))

	p = requireProblem(t, e.do(http.MethodPost, "/v1/tasks/t1/skip", keyConsultant, obj{"reason": "not mine"}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermAllTasks), p["permission"])
	p = requireProblem(t, e.do(http.MethodPost, "/v1/tasks/t1/outcome", keyCR, obj{"outcome": "reached", "staff_id": "S01"}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"staff_id": crm.RuleActor}, problemFields(p), "CR records their own call")
	p = requireProblem(t, e.do(http.MethodPost, "/v1/tasks/t5/assign", keyCR, obj{"staff_id": "C02"}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermAllTasks), p["permission"], "CR assigns the CR tasks only")
	p = requireProblem(t, e.do(http.MethodPost, "/v1/tasks/assign", keyCR, obj{"ids": []string{"t1", "t5"}, "staff_id": "C02"}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermAllTasks), p["permission"], "nor in bulk")
	w := e.do(http.MethodPost, "/v1/tasks/assign", keyCR, obj{"ids": []string{"t3", "t4"}, "staff_id": "C02"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/tasks/t1/outcome", keyCR, obj{"outcome": "reached", "channel": "phone"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "C02", decode(t, w)["interaction"].(obj)["staff_id"], "the interaction names the key's staff member")

	// Group views need group_admin; the store's own view a manager reads.
	p = requireProblem(t, e.do(http.MethodGet, "/v1/reports/abnormal?group=true", keyManager, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermGroup), p["permission"])
	w = e.do(http.MethodGet, "/v1/reports/abnormal?live=true", keyManager, nil)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(http.MethodGet, "/v1/reports/abnormal?group=true", keyGroupAdmin, nil)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// TestPhoneNumbersMasked: phone and ID numbers are shown in full only to
// roles that contact or manage customers; the integration key reads them
// masked, also in free text, once a host grants it reads.
func TestPhoneNumbersMasked(t *testing.T) {
	table := crm.DefaultRoles()
	table[crm.RoleIntegration] = append(table[crm.RoleIntegration], crm.PermCustomersRead)
	e := newEnv(t, withPeople(), httpapi.WithRoles(table))

	w := e.do(http.MethodPost, "/v1/customers", keyIntegration, obj{"name": "王伟", "mobile": "13912345678", "id_number": "110105 19491231 002x",
		"occupation": "身份证 11010519491231002X，备用 13800138000"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	c := decode(t, w)
	assert.Equal(t, "139****5678", c["mobile"], "the integration writes in full and reads masked")
	assert.Equal(t, "110***********002X", c["id_number"], "the ID card number too")
	assert.Equal(t, "身份证 110***********002X，备用 138****8000", c["occupation"])
	assert.NotContains(t, w.Body.String(), "13912345678")

	for _, key := range []string{keyA, keyManager, keyCR, keyConsultant, keyAdvisor} {
		w := e.do(http.MethodGet, "/v1/customers/"+c["id"].(string), key, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "13912345678", decode(t, w)["mobile"], "%s sees the number in full", key)
		assert.Equal(t, "11010519491231002X", decode(t, w)["id_number"], "%s sees the ID number in full, normalised", key)
	}
	w = e.do(http.MethodGet, "/v1/customers?mobile=13912345678", keyIntegration, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	items := decode(t, w)["items"].([]any)
	require.Len(t, items, 1, "the filter takes the full number")
	assert.Equal(t, "139****5678", items[0].(obj)["mobile"])
	assert.Equal(t, c["id"], items[0].(obj)["id"], "IDs are not masked")

	p := requireProblem(t, e.do(http.MethodGet, "/v1/customers", keyGroupAdmin, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, string(crm.PermCustomersRead), p["permission"], "group_admin reads no customers in bulk")
}

// TestInteractionStaffIsTheKeys: an interaction a staffed key records is
// that staff member's; a system key names the staff member.
func TestInteractionStaffIsTheKeys(t *testing.T) {
	e := newEnv(t, withPeople())
	f := e.fixtures(keyA)
	body := func(staff string) obj {
		b := obj{"customer_id": f.customer, "channel": "phone", "direction": "outbound", "purpose": "回访", "outcome": "reached", "at": "2025-03-10T09:00:00Z"}
		if staff != "" {
			b["staff_id"] = staff
		}
		return b
	}
	i := e.create(keyConsultant, "interactions", body(""))
	assert.Equal(t, "S07", i["staff_id"], "the key's staff member")
	p := requireProblem(t, e.do(http.MethodPost, "/v1/interactions", keyConsultant, body("S08")), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"staff_id": crm.RuleActor}, problemFields(p))
	p = requireProblem(t, e.do(http.MethodPatch, "/v1/interactions/"+i["id"].(string), keyConsultant, obj{"staff_id": "S08"}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"staff_id": crm.RuleActor}, problemFields(p), "nor by a patch")
	w := e.do(http.MethodPatch, "/v1/interactions/"+i["id"].(string), keyConsultant, obj{"note": "约了周六"})
	assert.Equal(t, http.StatusOK, w.Code, "a patch that leaves staff_id alone: %s", w.Body)
	assert.Equal(t, "S08", e.create(keyA, "interactions", body("S08"))["staff_id"], "a system key names the staff member")
}
