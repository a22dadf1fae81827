package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/require"
)

// TestTenantIsolation is generated from the route table (through the
// OpenAPI document, which is built from it): for every route, store B's key
// sends store A's real IDs — in the path, in the query and in every
// reference field of the body, one slot at a time and all at once — and
// the test checks that
//
//   - no answer is a 5xx;
//   - no answer carries anything of A's that the request did not bring
//     (IDs, phones, VINs, plates, names, comments: every text A's own
//     key reads that B's does not);
//   - A's records are unchanged: on Postgres every row with A's dealer_id,
//     table by table, after every write; on both backends everything A's
//     key reads, at the end;
//   - nothing B's key reads refers to A's records afterwards (a B record
//     linked to A's customer is a leak waiting to happen).
//
// A and B are two stores of one group, so group-level routes are tried too
// (group=true wherever a route takes it). A new route is covered without
// anyone adding it; a route with a path parameter or a reference field of
// a kind this test does not know fails it, until pathKinds or refKinds say
// where such IDs come from.
func TestTenantIsolation(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 40)
			runIsolation(t, s)
		})
	}
}

// pathKinds maps the path before a parameter to the kind of ID it takes.
var pathKinds = map[string]string{
	"/v1/customers/":                "customer",
	"/v1/leads/":                    "lead",
	"/v1/vehicles/":                 "vehicle",
	"/v1/sales/":                    "sale",
	"/v1/service-orders/":           "service_order",
	"/v1/insurance-policies/":       "policy",
	"/v1/interactions/":             "interaction",
	"/v1/complaints/":               "complaint",
	"/v1/event-participations/":     "participation",
	"/v1/campaigns/":                "campaign",
	"/v1/campaigns/{id}/members/":   "customer",
	"/v1/grading/customers/":        "customer",
	"/v1/grading/runs/":             "run",
	"/v1/hierarchies/":              "hierarchy",
	"/v1/questionnaires/":           "questionnaire",
	"/v1/survey-responses/":         "survey_response",
	"/v1/tasks/":                    "task",
	"/v1/loyalty/members/":          "member",
	"/v1/loyalty/entries/":          "entry",
	"/v1/customers/{id}/consents/":  "customer",
	"/v1/campaigns/{id}/responses/": "customer",
	"/v1/api-keys/":                 "api_key",
	"/v1/webhooks/":                 "webhook",
}

// refKinds maps a reference field or query parameter to the kind of ID it
// takes. Fields ending in _id that are not references are in notRefs.
var refKinds = map[string]string{
	"customer_id":      "customer",
	"owner_id":         "customer",
	"referrer_id":      "customer",
	"merged_id":        "customer",
	"lead_id":          "lead",
	"vehicle_id":       "vehicle",
	"sale_id":          "sale",
	"service_order_id": "service_order",
	"policy_id":        "policy",
	"complaint_id":     "complaint",
	"campaign_id":      "campaign",
	"questionnaire_id": "questionnaire",
	"questionnaire":    "questionnaire",
	"hierarchy_id":     "hierarchy",
	"entry_id":         "entry",
	"task_id":          "task",
	"run_id":           "run",
	"dealer_id":        "dealer",
}

// notRefs are fields ending in _id that name no record of a store: staff
// (the DMS's numbering, shared by nobody), external IDs (the caller's own),
// event IDs (free text naming an event or campaign) and item IDs inside a
// document.
var notRefs = []string{"external_id", "event_id", "staff_id", "consultant_id", "advisor_id", "item_id", "indicator_id",
	"requested_by", "decided_by", "id"}

// listKinds names the kind of the items of a list route, for collecting
// IDs: the route's path → kind.
var listKinds = map[string]string{
	"/v1/customers":            "customer",
	"/v1/leads":                "lead",
	"/v1/vehicles":             "vehicle",
	"/v1/sales":                "sale",
	"/v1/service-orders":       "service_order",
	"/v1/insurance-policies":   "policy",
	"/v1/interactions":         "interaction",
	"/v1/complaints":           "complaint",
	"/v1/event-participations": "participation",
	"/v1/campaigns":            "campaign",
	"/v1/hierarchies":          "hierarchy",
	"/v1/questionnaires":       "questionnaire",
	"/v1/survey-responses":     "survey_response",
	"/v1/tasks":                "task",
	"/v1/loyalty/members":      "member",
	"/v1/api-keys":             "api_key",
	"/v1/webhooks":             "webhook",
	// Items without an ID of their own; their references are collected.
	"/v1/grading/customers": "",
	"/v1/call-groups":       "",
}

// bodies are valid request bodies for routes whose generated body would
// fail validation before any reference is looked at. "@kind" stands for an
// ID of that kind (B's, or A's in the slot under test); "@vin", "@ext",
// "@today", "@yesterday" and "@answers" are filled in fresh.
var bodies = map[string]string{
	"createVehicle":            `{"vin": "@vin", "owner_id": "@customer", "brand": "天澜", "model": "SUV", "plate": "沪A@ext", "price": "150000", "purchase_date": "@yesterday", "delivery_date": "@yesterday"}`,
	"createSale":               `{"customer_id": "@customer", "vehicle_id": "@vehicle", "lead_id": "@lead", "date": "@yesterday", "price": "150000", "gross_profit": "5000"}`,
	"createServiceOrder":       `{"customer_id": "@customer", "vehicle_id": "@vehicle", "date": "@yesterday", "kind": "maintenance", "labour": "300", "parts": "200", "payer": "customer", "odometer_km": 12000}`,
	"createInsurancePolicy":    `{"customer_id": "@customer", "vehicle_id": "@vehicle", "kind": "commercial", "insurer": "人保", "premium": "3000", "start": "@yesterday", "end": "@nextyear"}`,
	"createInteraction":        `{"customer_id": "@customer", "vehicle_id": "@vehicle", "lead_id": "@lead", "channel": "phone", "direction": "outbound", "purpose": "survey", "outcome": "reached", "at": "@now"}`,
	"createCustomer":           `{"name": "孙七", "mobile": "13912345679"}`,
	"updateDealer":             `{}`,
	"convertLead":              `{"vehicle": {"vin": "@vin", "brand": "天澜", "model": "SUV", "price": "150000"}, "sale": {"date": "@yesterday", "price": "150000"}}`,
	"computeAHPWeights":        `{"matrix": [[1, 3], ["1/3", 1]], "labels": ["质量", "价格"]}`,
	"computeAHPHierarchy":      `{"root": {"id": "goal", "name": "满意度", "comparisons": [[1, 3], ["1/3", 1]], "children": [{"id": "q", "name": "质量"}, {"id": "p", "name": "价格"}]}}`,
	"createHierarchy":          `{"id": "@ext", "name": "测试", "root": {"id": "goal", "name": "满意度", "weights": [1, 1], "children": [{"id": "q", "name": "质量"}, {"id": "p", "name": "价格"}]}}`,
	"previewSegment":           `{"segment": {}, "as_of": "@today"}`,
	"createCampaign":           `{"name": "冬季关怀", "kind": "care", "purpose": "service_reminder", "channels": ["phone"], "start": "@today", "end": "@nextyear", "targets": [{"name": "all", "segment": {}, "rate": "0.1"}]}`,
	"createQuestionnaire":      `{"id": "@ext", "name": "回访", "department": "service", "scale": "likert5", "hierarchy_id": "@hierarchy", "items": [{"id": "i1", "text": "总体满意吗?", "indicator_id": "overall"}]}`,
	"createComplaint":          `{"customer_id": "@customer", "vehicle_id": "@vehicle", "service_order_id": "@service_order", "category": "service", "severity": "low", "status": "open", "opened": "@yesterday"}`,
	"createEventParticipation": `{"customer_id": "@customer", "event_id": "EV-1", "event_name": "爱车讲堂", "date": "@yesterday", "attended": true}`,
	"createAPIKey":             `{"name": "走查密钥", "roles": ["cr"], "staff_id": "S07"}`,
	"rotateAPIKey":             `{"overlap_hours": 1}`,
	"createWebhook":            `{"url": "https://hooks.example.com/crm", "types": ["points.earned", "task.created"]}`,
	"replayWebhook":            `{"from": 1}`,
	"createLead":               `{"name": "赵六", "mobile": "13912345678", "source": "walk_in", "customer_id": "@customer", "referrer_id": "@customer"}`,
	"recordSurveyResponse":     `{"questionnaire_id": "@questionnaire", "customer_id": "@customer", "service_order_id": "@service_order", "date": "@yesterday", "answers": @answers, "comment": "很不满意"}`,
	"postEarning":              `{"service_order_id": "@service_order"}`,
	"joinLoyalty":              `{"customer_id": "@customer", "method": "consumption"}`,
	"redeemPoints":             `{"points": 1, "purpose": "voucher"}`,
	"reverseLedgerEntry":       `{"reason": "voided"}`,
	"runGrading":               `{"as_of": "@today", "group": true}`,
	"recordTaskOutcome":        `{"outcome": "reached", "channel": "phone"}`,
	"skipTask":                 `{"reason": "moved away"}`,
	"assignTask":               `{"staff_id": "S07"}`,
	"assignTasks":              `{"ids": ["@task"], "staff_id": "S07"}`,
	"recordCampaignResponse":   `{"kind": "responded", "date": "@today"}`,
	"setValueChainTargets":     `{"targets": [{"dealer_id": "@dealer", "dimension": "consultant", "key": "S1", "month": "@today", "amount": "1000"}]}`,
	"importBatch":              `{"vehicles": [{"external_id": "@ext", "vin": "@vin", "owner_id": "@customer_ext", "model": "SUV"}]}`,
	"setCustomerConsent":       `{"purpose": "marketing", "channel": "sms", "granted": true, "at": "@now", "source": "test"}`,
	"requestLeadLost":          `{"reason": "competitor", "requested_by": "S1"}`,
	"decideLeadLost":           `{"decision": "approved", "decided_by": "M1"}`,
	"logLeadFollowUp":          `{"at": "@now", "channel": "phone", "staff_id": "S1"}`,
	"setLeadLevel":             `{"level": "A"}`,
	"transitionCampaign":       `{"status": "approved"}`,
	"freezeCampaignAudience":   `{"as_of": "@today"}`,
	"addCampaignCost":          `{"amount": "100", "channel": "phone", "date": "@yesterday", "description": "短信"}`,
	"mergeCustomer":            `{"merged_id": "@other_customer"}`,
}

// vocabulary matches the codes of the API (enum values, segment tags like
// "marketing:sms", message codes like "lifecycle.status.outcome", event
// types): words any store's answers may hold, never data of A's. (A
// message code A's answers held before B's did was once taken for A's
// data in B's answer.)
var vocabulary = regexp.MustCompile(`^[a-z][a-z0-9_]*([.:][a-z][a-z0-9_]*)*$`)

// calendarDate matches a bare date: any store's tasks, policies and
// memberships fall on the same calendar, so a date is no data of A's (a
// B task due 2027-01-01 was once taken for A's, in one run of many).
var calendarDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// fresh are the placeholders filled with a new value for each request
// rather than an ID.
var fresh = []string{"vin", "ext", "ext2", "today", "yesterday", "nextyear", "now"}

// apiDoc is the part of the OpenAPI document the test reads.
type apiDoc struct {
	Paths      map[string]map[string]apiOp `json:"paths"`
	Components struct {
		Schemas map[string]apiSchema `json:"schemas"`
	} `json:"components"`
}

type apiOp struct {
	OperationID string     `json:"operationId"`
	Parameters  []apiParam `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema apiSchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Security *[]any `json:"security"`
	// Permission is the operation's entry in the permission table.
	Permission string `json:"x-permission"`
	// Audited says what the audit trail records: "every request" or
	// "refusals".
	Audited   string `json:"x-audited"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema apiSchema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type apiParam struct {
	Name   string    `json:"name"`
	In     string    `json:"in"`
	Schema apiSchema `json:"schema"`
}

type apiSchema struct {
	Ref        string               `json:"$ref"`
	Type       any                  `json:"type"`
	Format     string               `json:"format"`
	Enum       []any                `json:"enum"`
	Properties map[string]apiSchema `json:"properties"`
	Items      *apiSchema           `json:"items"`
	ReadOnly   bool                 `json:"readOnly"`
	OneOf      []apiSchema          `json:"oneOf"`
}

// route is one operation of the document.
type isoRoute struct {
	method, path string
	op           apiOp
}

func (r isoRoute) String() string { return r.method + " " + r.path }

// idSet holds the IDs of one dealer by kind.
type idSet map[string][]string

// has reports whether id is one of x's, of any kind.
func (x idSet) has(id string) bool {
	for _, ids := range x {
		if slices.Contains(ids, id) {
			return true
		}
	}
	return false
}

func (x idSet) add(kind, id string) {
	if id != "" && !slices.Contains(x[kind], id) {
		x[kind] = append(x[kind], id)
	}
}

func (x idSet) addFirst(kind, id string) {
	if id != "" && !slices.Contains(x[kind], id) {
		x[kind] = append([]string{id}, x[kind]...)
	}
}

func (x idSet) first(kind string) string {
	if len(x[kind]) == 0 {
		return ""
	}
	return x[kind][0]
}

// isolation is the state of one run.
type isolation struct {
	t      *testing.T
	s      *stack
	doc    apiDoc
	routes []isoRoute
	idsA   idSet
	idsB   idSet
	// markers are texts A's key reads and B's key does not.
	markers []string
	seq     int
	// statuses are the answers by route and variant, for the log.
	statuses map[string]int
}

// newWalk reads the OpenAPI document of s, lists its authenticated
// routes (reads first, deletes and erasures last) and collects both
// stores' IDs.
func newWalk(t *testing.T, s *stack) *isolation {
	iso := &isolation{t: t, s: s, statuses: map[string]int{}}
	code, raw := s.send(t, "", http.MethodGet, "/v1/openapi.json", nil)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, json.Unmarshal(raw, &iso.doc))
	for path, ops := range iso.doc.Paths {
		for method, op := range ops {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public
			}
			iso.routes = append(iso.routes, isoRoute{method: strings.ToUpper(method), path: path, op: op})
		}
	}
	sort.Slice(iso.routes, func(i, j int) bool {
		// Reads first, deletes and erasures last, so that the writes in
		// between meet records that still exist.
		oi, oj := methodOrder(iso.routes[i]), methodOrder(iso.routes[j])
		if oi != oj {
			return oi < oj
		}
		return iso.routes[i].String() < iso.routes[j].String()
	})
	for _, d := range []crm.DealerID{s.a, s.b} {
		iso.prepare(d)
	}
	iso.idsA, iso.idsB = iso.collect(s.a), iso.collect(s.b)
	for _, kind := range []string{"customer", "vehicle", "service_order", "lead", "campaign", "member", "entry", "task", "questionnaire", "survey_response"} {
		require.NotEmpty(t, iso.idsA[kind], "store A has a %s to try", kind)
		require.NotEmpty(t, iso.idsB[kind], "store B has a %s to use", kind)
	}
	return iso
}

func runIsolation(t *testing.T, s *stack) {
	iso := newWalk(t, s)
	textA, keysA := iso.sweepTexts(s.a)
	textB, keysB := iso.sweepTexts(s.b)
	for v := range textA {
		// The dealer IDs of the group are no secret of A's: group-level
		// answers name the stores they cover; member names are not data.
		if !textB[v] && !keysA[v] && !keysB[v] && v != string(s.a) && !vocabulary.MatchString(v) && !calendarDate.MatchString(v) {
			iso.markers = append(iso.markers, v)
		}
	}
	sort.Strings(iso.markers)
	require.NotEmpty(t, iso.markers)

	beforeHTTP := iso.fingerprintHTTP(s.a)
	beforeSQL := iso.fingerprintSQL(s.a)

	tried := 0
	for _, rt := range iso.routes {
		for _, v := range iso.variants(rt) {
			tried++
			iso.try(rt, v, beforeSQL)
		}
	}
	t.Logf("%s: %d routes, %d requests with store A's IDs, %d texts of A watched", s.name, len(iso.routes), tried, len(iso.markers))

	afterHTTP := iso.fingerprintHTTP(s.a)
	for route, h := range beforeHTTP {
		if afterHTTP[route].sum != h.sum {
			t.Errorf("%s: what store A's key reads at %s changed while only store B's key wrote:\nbefore %s\nafter  %s",
				s.name, route, h.body, afterHTTP[route].body)
		}
	}
	// Nothing B's key reads now refers to A's records: B's requests
	// brought A's IDs, and none may have been stored as a reference.
	var idsOfA []string
	for kind, list := range iso.idsA {
		for _, id := range list {
			// IDs both stores use (default-4s, a questionnaire's own ID)
			// name a record of each.
			if kind != "dealer" && !slices.Contains(iso.idsB[kind], id) {
				idsOfA = append(idsOfA, id)
			}
		}
	}
	for target, body := range iso.sweepBodies(s.b) {
		for _, id := range idsOfA {
			if quoted, _ := json.Marshal(id); bytes.Contains(body, quoted) {
				t.Errorf("%s: store B's key reads a reference to store A's record %s at %s after the walk", s.name, id, target)
				break
			}
		}
	}
}

func methodOrder(r isoRoute) int {
	switch {
	case r.method == http.MethodGet:
		return 0
	case strings.HasSuffix(r.path, "/merge"):
		// After the other writes, which may need the merged customer,
		// and before erasures, after which a merge is refused.
		return 2
	case r.method == http.MethodDelete || strings.HasSuffix(r.path, "/erase"):
		return 3
	}
	return 1
}

// variant is one request of the walk.
type variant struct {
	name   string
	target string
	body   []byte
	// brought is everything the request carries, so that an echo of it is
	// not a leak.
	brought string
	// slot is the one place holding A's ID ("path:id", "body:customer"),
	// "" when A's IDs are everywhere or nowhere.
	slot string
	// control marks the request with B's own IDs everywhere.
	control bool
}

// slot is one place an ID goes: a path parameter, a query parameter or a
// body field.
type slot struct {
	kind string
	name string
}

// variants builds the requests for rt: for each slot, A's ID there and B's
// everywhere else; then A's IDs everywhere.
func (iso *isolation) variants(rt isoRoute) []variant {
	t := iso.t
	var slots []slot
	for _, p := range rt.op.Parameters {
		switch p.In {
		case "path":
			prefix := rt.path[:strings.Index(rt.path, "{"+p.Name+"}")]
			kind, ok := pathKinds[prefix]
			if !ok && strings.Count(prefix, "{") > 0 {
				kind, ok = pathKinds[prefix[:strings.LastIndex(prefix[:len(prefix)-1], "/")+1]]
			}
			if !ok {
				t.Errorf("%s: no ID kind for path parameter {%s}: add %q to pathKinds", rt, p.Name, prefix)
				return nil
			}
			slots = append(slots, slot{kind: kind, name: "path:" + p.Name})
		case "query":
			if kind, ok := refKinds[p.Name]; ok {
				slots = append(slots, slot{kind: kind, name: "query:" + p.Name})
			}
		}
	}
	var tmpl string
	if rt.op.RequestBody != nil {
		schema := rt.op.RequestBody.Content["application/json"].Schema
		if b, ok := bodies[rt.op.OperationID]; ok {
			tmpl = b
		} else if rt.method == http.MethodPatch {
			// A merge patch of the reference fields alone.
			obj := map[string]any{}
			if full, ok := iso.generate(rt, schema, "", 0).(map[string]any); ok {
				for k, v := range full {
					if str, ok := v.(string); ok && strings.HasPrefix(str, "@") && !slices.Contains(fresh, str[1:]) {
						obj[k] = v
					}
				}
			}
			raw, err := json.Marshal(obj)
			require.NoError(t, err)
			tmpl = string(raw)
		} else {
			raw, err := json.Marshal(iso.generate(rt, schema, "", 0))
			require.NoError(t, err)
			tmpl = string(raw)
		}
		for _, m := range regexp.MustCompile(`"@([a-z_]+)"`).FindAllStringSubmatch(tmpl, -1) {
			if !slices.Contains(fresh, m[1]) {
				slots = append(slots, slot{kind: m[1], name: "body:" + m[1]})
			}
		}
	}
	// A slot whose kind both stores share an ID of (default-4s) cannot
	// tell the stores apart: it keeps B's ID in every variant.
	shared := func(sl slot) bool { return sl.kind != "dealer" && iso.aOnly(sl.kind) == "" }
	build := func(name string, useA func(i int) bool) variant {
		v := variant{name: name}
		path := rt.path
		q := url.Values{}
		body := tmpl
		for i, sl := range slots {
			id := iso.idsB.first(sl.kind)
			if useA(i) {
				id = iso.aOnly(sl.kind)
			}
			if sl.kind == "dealer" {
				id = string(iso.s.b)
				if useA(i) {
					id = string(iso.s.a)
				}
			}
			if sl.kind == "entry" && !useA(i) {
				id = iso.freshEntryB()
			}
			kind, field, _ := strings.Cut(sl.name, ":")
			switch kind {
			case "path":
				path = strings.Replace(path, "{"+field+"}", url.PathEscape(id), 1)
			case "query":
				q.Set(field, id)
			case "body":
				body = strings.Replace(body, `"@`+field+`"`, strconv.Quote(id), 1)
			}
		}
		for _, p := range rt.op.Parameters {
			if p.In != "query" {
				continue
			}
			if p.Name == "group" {
				q.Set("group", "true")
			} else if d, ok := iso.dateParam(p); ok {
				q.Set(p.Name, d)
			}
		}
		v.target = path
		if len(q) > 0 {
			v.target += "?" + q.Encode()
		}
		if rt.op.RequestBody != nil {
			v.body = []byte(iso.fill(body))
		}
		v.brought = v.target + " " + string(v.body)
		return v
	}
	var out []variant
	for i := range slots {
		if shared(slots[i]) {
			continue
		}
		v := build("A's "+slots[i].name, func(j int) bool { return i == j })
		v.slot = slots[i].name
		out = append(out, v)
	}
	out = append(out, build("A's IDs everywhere", func(i int) bool { return !shared(slots[i]) }))
	if !slices.ContainsFunc(slots, func(sl slot) bool { return !shared(sl) }) {
		out = out[:1]
		out[0].name = "no IDs"
	}
	// The control: B's own IDs everywhere, which the route must accept, so
	// that the variants above fail for the ID under test and nothing else.
	control := build("control: B's IDs", func(int) bool { return false })
	control.control = true
	return append(out, control)
}

// aOnly returns A's first ID of kind that B does not have too ("" when
// every ID of A's is one of B's as well, like default-4s).
func (iso *isolation) aOnly(kind string) string {
	for _, id := range iso.idsA[kind] {
		if !slices.Contains(iso.idsB[kind], id) {
			return id
		}
	}
	return ""
}

// dateParam is the value of a date query parameter: the last year up to
// today for a range, today for a day or a month.
func (iso *isolation) dateParam(p apiParam) (string, bool) {
	var d string
	switch p.Name {
	case "from", "date_from":
		d = iso.s.today.AddYears(-1).String()
	case "to", "date_to", "date", "as_of", "month":
		d = iso.s.today.String()
	default:
		return "", false
	}
	if p.Schema.Format == "date-time" || strings.HasSuffix(p.Schema.Ref, "/DateTime") || strings.HasSuffix(p.Schema.Ref, "/Time") {
		d += "T00:00:00+08:00"
	}
	return d, true
}

// fill replaces the fresh placeholders of a body.
func (iso *isolation) fill(body string) string {
	iso.seq++
	today := iso.s.today
	r := strings.NewReplacer(
		`"@vin"`, strconv.Quote(testVIN(iso.seq)),
		`"@ext"`, strconv.Quote(fmt.Sprintf("ISO-%d", iso.seq)),
		`"@ext2"`, strconv.Quote(fmt.Sprintf("ISO-%d-2", iso.seq)),
		`沪A@ext`, fmt.Sprintf("沪A%05d", iso.seq),
		`"@today"`, strconv.Quote(today.String()),
		`"@yesterday"`, strconv.Quote(today.AddDays(-1).String()),
		`"@nextyear"`, strconv.Quote(today.AddYears(1).String()),
		`"@now"`, strconv.Quote(today.AddDays(-1).Time(nil).Format("2006-01-02T15:04:05Z")),
		`@answers`, iso.answers(),
	)
	return r.Replace(body)
}

// answers are the lowest answers to every item of B's first questionnaire
// (a dissatisfied answer, so that a follow-up task would be opened).
func (iso *isolation) answers() string {
	q, _ := iso.s.getJSON(iso.t, iso.s.b, "/v1/questionnaires/"+url.PathEscape(iso.idsB.first("questionnaire"))).(map[string]any)
	items, _ := q["items"].([]any)
	var out []map[string]any
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, map[string]any{"item_id": m["id"], "value": 1})
	}
	raw, _ := json.Marshal(out)
	return string(raw)
}

// freshEntryB is a ledger entry of B that may still be reversed: the
// latest earning of B's members.
func (iso *isolation) freshEntryB() string {
	return iso.idsB.first("entry")
}

// generate builds a JSON value for a schema: references become "@kind"
// placeholders, other fields plausible values.
func (iso *isolation) generate(rt isoRoute, s apiSchema, name string, depth int) any {
	if s.Ref != "" {
		ref := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		switch ref {
		case "Date":
			return "@yesterday"
		case "Decimal", "OptionalDecimal":
			return "1"
		}
		s = iso.doc.Components.Schemas[ref]
	}
	if depth > 4 {
		return nil
	}
	if strings.HasSuffix(name, "_id") || name == "questionnaire" {
		if kind, ok := refKinds[name]; ok {
			return "@" + kind
		}
		if !slices.Contains(notRefs, name) {
			iso.t.Errorf("%s: body field %q looks like a reference of an unknown kind: add it to refKinds or notRefs", rt, name)
		}
		return "S1"
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	typ, _ := s.Type.(string)
	if list, ok := s.Type.([]any); ok && len(list) > 0 {
		typ, _ = list[0].(string)
	}
	switch typ {
	case "object":
		obj := map[string]any{}
		for k, p := range s.Properties {
			if p.ReadOnly || k == "id" {
				continue
			}
			if v := iso.generate(rt, p, k, depth+1); v != nil {
				obj[k] = v
			}
		}
		return obj
	case "array":
		if s.Items == nil {
			return []any{}
		}
		if v := iso.generate(rt, *s.Items, name, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	case "string":
		if s.Format == "date-time" {
			return "@now"
		}
		return "x"
	case "integer", "number":
		return 1
	case "boolean":
		return name == "group" || name == "attended"
	}
	return nil
}

// try sends v as B and checks the answer and A's records.
func (iso *isolation) try(rt isoRoute, v variant, before map[string]string) {
	t := iso.t
	code, body := iso.s.send(t, iso.s.b, rt.method, v.target, v.body, iso.headers(rt)...)
	if testing.Verbose() {
		t.Logf("%d %s %s (%s) %.160s", code, rt.method, v.target, v.name, body)
	}
	if code >= 500 {
		t.Errorf("%s: B's key, %s %s (%s): %d %s", iso.s.name, rt.method, v.target, v.name, code, body)
	}
	iso.statuses[rt.String()+" "+v.name] = code
	if v.control && code >= 400 && code != http.StatusConflict {
		t.Errorf("%s: B's key, %s %s: the control with B's own IDs answers %d %.300s: fix its body in bodies", iso.s.name, rt.method, v.target, code, body)
	}
	if kind, field, _ := strings.Cut(v.slot, ":"); kind == "path" && code != http.StatusNotFound {
		t.Errorf("%s: B's key, %s %s (%s): %d, want 404: another store's record is simply not found", iso.s.name, rt.method, v.target, v.name, code)
	} else if kind == "body" && field != "dealer" && code != http.StatusNotFound && !namesField(body, field) {
		t.Errorf("%s: B's key, %s %s (%s): %d %.300s, want 404 or 422 naming the %s field: another store's record is simply not found",
			iso.s.name, rt.method, v.target, v.name, code, body, field)
	}
	if m := iso.leak(body, v.brought); m != "" {
		t.Errorf("%s: B's key, %s %s (%s): the %d answer carries store A's %q", iso.s.name, rt.method, v.target, v.name, code, m)
	}
	if rt.method == http.MethodGet {
		return
	}
	if iso.s.pg != nil {
		after := iso.fingerprintSQL(iso.s.a)
		for table, h := range after {
			if before[table] != h {
				t.Errorf("%s: B's key, %s %s (%s): %d, and store A's rows in %s changed", iso.s.name, rt.method, v.target, v.name, code, table)
				before[table] = h // report each change once
			}
		}
	}
}

// headers are the headers of a request of rt: a fresh Idempotency-Key
// where the route takes one.
func (iso *isolation) headers(rt isoRoute) []string {
	if !slices.ContainsFunc(rt.op.Parameters, func(p apiParam) bool { return p.Name == "Idempotency-Key" }) {
		return nil
	}
	iso.seq++
	return []string{"Idempotency-Key", "iso-" + strconv.Itoa(iso.seq)}
}

// leak returns the first text of A's in body that brought does not hold.
func (iso *isolation) leak(body []byte, brought string) string {
	for _, m := range iso.markers {
		quoted, _ := json.Marshal(m)
		if bytes.Contains(body, quoted) && !strings.Contains(brought, m) {
			return m
		}
	}
	return ""
}

// getTargets are the GET requests of a sweep as dealer: every GET route
// with the dealer's first ID of each kind, and today's date where a route
// takes a date.
func (iso *isolation) getTargets(dealer string, x idSet) []string {
	var out []string
	for _, rt := range iso.routes {
		if rt.method != http.MethodGet || rt.path == "/v1/audit" {
			// The audit trail grows with every read, and it names what a
			// key asked for, another store's IDs included: TestAuditTrail
			// checks it.
			continue
		}
		path := rt.path
		q := url.Values{}
		ok := true
		for _, p := range rt.op.Parameters {
			switch {
			case p.In == "path":
				prefix := rt.path[:strings.Index(rt.path, "{"+p.Name+"}")]
				kind := pathKinds[prefix]
				if kind == "" {
					kind = pathKinds[prefix[:strings.LastIndex(prefix[:len(prefix)-1], "/")+1]]
				}
				id := x.first(kind)
				if id == "" {
					ok = false
				}
				path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(id), 1)
			case p.In == "query" && p.Name != "group":
				if d, ok := iso.dateParam(p); ok {
					q.Set(p.Name, d)
				}
			case p.In == "query" && p.Name == "limit":
				q.Set("limit", "200")
			}
		}
		if !ok {
			continue
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		out = append(out, path)
	}
	_ = dealer
	return out
}

// prepare gives dealer what the demo data lacks for the walk: a running
// campaign with a frozen audience, so that responses can be recorded.
func (iso *isolation) prepare(dealer crm.DealerID) {
	t := iso.t
	body := iso.fill(bodies["createCampaign"])
	code, raw := iso.s.send(t, dealer, http.MethodPost, "/v1/campaigns", []byte(body))
	require.Equal(t, http.StatusCreated, code, "create a campaign: %s", raw)
	var c struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(raw, &c))
	base := "/v1/campaigns/" + url.PathEscape(c.ID)
	for _, st := range []string{"approved", "running"} {
		code, raw = iso.s.send(t, dealer, http.MethodPost, base+"/transitions", []byte(`{"status": "`+st+`"}`))
		require.Equal(t, http.StatusOK, code, "campaign to %s: %s", st, raw)
	}
	code, raw = iso.s.send(t, dealer, http.MethodPost, base+"/audience", []byte(iso.fill(`{"as_of": "@today"}`)))
	require.Less(t, code, 300, "freeze the audience: %s", raw)
	// A managed API key, so that the key routes have one to act on.
	code, raw = iso.s.send(t, dealer, http.MethodPost, "/v1/api-keys", []byte(bodies["createAPIKey"]))
	require.Equal(t, http.StatusCreated, code, "create an API key: %s", raw)
	// A webhook subscription, for the webhook routes.
	code, raw = iso.s.send(t, dealer, http.MethodPost, "/v1/webhooks", []byte(bodies["createWebhook"]))
	require.Equal(t, http.StatusCreated, code, "create a webhook: %s", raw)
}

// collect gathers dealer's IDs by kind from its list routes.
func (iso *isolation) collect(dealer crm.DealerID) idSet {
	x := idSet{}
	for path, kind := range listKinds {
		target := path + "?limit=200"
		if path == "/v1/tasks" {
			target = path + "?date=" + iso.s.today.String()
		}
		page, _ := iso.s.getJSON(iso.t, dealer, target).(map[string]any)
		items, _ := page["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			id, _ := m["id"].(string)
			if kind == "member" {
				id, _ = m["customer_id"].(string)
			}
			// Open leads and running campaigns first: a route that acts on
			// one must meet a record in a state that allows it.
			if st, _ := m["status"].(string); (kind == "lead" && st == "open") || (kind == "campaign" && st == "running") {
				x.addFirst(kind, id)
			} else if kind != "" {
				x.add(kind, id)
			}
			if kind == "customer" {
				ext, _ := m["external_id"].(string)
				x.add("customer_ext", ext)
			}
			collectRefs(m, x)
		}
	}
	for _, member := range x["member"] {
		page, _ := iso.s.getJSON(iso.t, dealer, "/v1/loyalty/members/"+url.PathEscape(member)+"/entries?limit=200").(map[string]any)
		items, _ := page["items"].([]any)
		for i := len(items) - 1; i >= 0; i-- { // latest first
			m, _ := items[i].(map[string]any)
			if pts, _ := m["points"].(float64); pts > 0 && m["kind"] == "earn" {
				id, _ := m["id"].(string)
				x.add("entry", id)
			}
		}
	}
	// A merge needs a second customer of the store to fold into the
	// first.
	if c := x["customer"]; len(c) > 1 {
		x["other_customer"] = slices.Clone(c[1:])
	}
	x.add("dealer", string(dealer))
	return x
}

// collectRefs adds the reference fields of a JSON value to x.
func collectRefs(v any, x idSet) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok {
				if kind, ok := refKinds[k]; ok && kind != "dealer" {
					x.add(kind, s)
				}
			}
			collectRefs(e, x)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, x)
		}
	}
}

// sweepBodies GETs every GET target as dealer and returns the 200 bodies.
func (iso *isolation) sweepBodies(dealer crm.DealerID) map[string][]byte {
	x := iso.idsA
	if dealer == iso.s.b {
		x = iso.idsB
	}
	out := map[string][]byte{}
	for _, target := range iso.getTargets(string(dealer), x) {
		code, body := iso.s.send(iso.t, dealer, http.MethodGet, target, nil)
		if code == http.StatusOK {
			out[target] = body
		}
	}
	return out
}

// sweepTexts returns every string value of six or more bytes dealer's key
// reads, and every member name.
func (iso *isolation) sweepTexts(dealer crm.DealerID) (texts, keys map[string]bool) {
	texts, keys = map[string]bool{}, map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) >= 6 {
				texts[v] = true
			}
		case map[string]any:
			for k, e := range v {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, body := range iso.sweepBodies(dealer) {
		var v any
		if json.Unmarshal(body, &v) == nil {
			walk(v)
		}
	}
	return texts, keys
}

// volatile are the members of answers that say when they were made.
var volatile = regexp.MustCompile(`"exported_at":"[^"]*"`)

// fingerprint is what a GET answered: its hash, and its body to show.
type fingerprint struct {
	sum  string
	body []byte
}

// fingerprintHTTP hashes what dealer's key reads, by target.
func (iso *isolation) fingerprintHTTP(dealer crm.DealerID) map[string]fingerprint {
	out := map[string]fingerprint{}
	for target, body := range iso.sweepBodies(dealer) {
		// The time of an export is when it was asked for, not data.
		body = volatile.ReplaceAll(body, nil)
		sum := sha256.Sum256(body)
		out[target] = fingerprint{sum: hex.EncodeToString(sum[:]), body: body}
	}
	return out
}

// fingerprintSQL hashes dealer's rows, table by table (Postgres only; nil
// on memory).
func (iso *isolation) fingerprintSQL(dealer crm.DealerID) map[string]string {
	if iso.s.pg == nil {
		return nil
	}
	ctx := context.Background()
	db := pgtest.DB(iso.t)
	var tables []string
	require.NoError(iso.t, db.NewRaw(`SELECT table_name FROM information_schema.columns
		WHERE table_schema = ? AND column_name = 'dealer_id' ORDER BY table_name`, iso.s.pg.Schema()).Scan(ctx, &tables))
	require.NotEmpty(iso.t, tables)
	out := map[string]string{}
	for _, table := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %q.%q t WHERE t.dealer_id = ?`,
			iso.s.pg.Schema(), table)
		require.NoError(iso.t, db.NewRaw(q, string(dealer)).Scan(ctx, &sum))
		out[table] = sum
	}
	return out
}

// testVIN returns a valid VIN (ISO 3779 check digit) for serial n.
func testVIN(n int) string {
	base := []byte(fmt.Sprintf("LFV2A21K0P%07d", n%10000000))
	base[8] = '0'
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	value := func(c byte) int {
		switch {
		case c >= '0' && c <= '9':
			return int(c - '0')
		case c >= 'A' && c <= 'H':
			return int(c-'A') + 1
		case c >= 'J' && c <= 'N':
			return int(c-'J') + 1
		case c == 'P':
			return 7
		case c == 'R':
			return 9
		}
		return int(c-'S') + 2
	}
	sum := 0
	for i, c := range base {
		sum += value(c) * weights[i]
	}
	base[8] = byte('0' + sum%11)
	if sum%11 == 10 {
		base[8] = 'X'
	}
	return string(base)
}

// namesField reports whether body is a 422 problem whose errors name a
// field of the kind under test (customer: customer_id, owner_id, …).
func namesField(body []byte, kind string) bool {
	var p struct {
		Status int `json:"status"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil || p.Status != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range p.Errors {
		name := e.Field[strings.LastIndexAny(e.Field, ".]")+1:]
		if k := strings.TrimSuffix(kind, "_ext"); refKinds[name] == k || name == k {
			return true
		}
	}
	return false
}
