package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIMatchesRoutes walks the route table and the OpenAPI document
// both ways, for the crm routes alone, for each module next to them and
// for every module at once, as the example server builds it (schema names
// of the modules must not clash): every route is documented with its
// method, path, operation, parameters, request and response schemas, and
// every documented operation is a route that the mux sends to its own
// pattern. A new route or module is covered without anyone adding it here.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	svc, modules := newModules(t)
	build := func(t *testing.T, opts ...Option) *handler {
		h, ok := NewHandler(svc, opts...).(*handler)
		require.True(t, ok)
		return h
	}

	var base []string
	t.Run("crm", func(t *testing.T) {
		base = requireDocumentedBothWays(t, build(t))
		assert.Len(t, base, 9*5+15, "9 collections × 5 routes + 15 others")
	})
	var all []Option
	added := 0
	for _, m := range modules {
		all = append(all, m.opt)
		added += m.routes
		t.Run(m.name, func(t *testing.T) {
			ops := requireDocumentedBothWays(t, build(t, m.opt))
			assert.Len(t, ops, len(base)+m.routes, "%s adds %d routes", m.name, m.routes)
		})
	}
	h := build(t, all...)
	t.Run("all", func(t *testing.T) {
		ops := requireDocumentedBothWays(t, h)
		assert.Len(t, ops, len(base)+added, "the crm routes and every module's")

		// What the walk cannot derive from the route table: the routes
		// the modules are known by, and documented values of types with
		// their own or enumerated JSON form.
		for _, p := range []string{
			"GET /v1/tasks", "POST /v1/tasks/{id}/outcome", "GET /v1/vehicles/{id}/plan", "GET /v1/reports/abnormal", "GET /v1/reports/kpis",
			"POST /v1/grading/runs",
			"POST /v1/ahp/weights", "POST /v1/ahp/hierarchy", "POST /v1/questionnaires", "POST /v1/survey-responses",
			"GET /v1/reports/csi", "GET /v1/reports/satisfaction-priorities",
			"POST /v1/campaign-segments/preview",
			"GET /v1/job-runs", "POST /v1/job-runs",
		} {
			assert.Contains(t, ops, p)
		}
		doc := string(h.openapi)
		for _, s := range []struct{ text, why string }{
			{`"#/components/schemas/CampaignSegment"`, "campaign schemas carry a prefix"},
			{`"vehicle.odometer"`, "the segment fields are documented"},
			{`"champions"`, "the RFM segment enumeration is documented"},
			{`"#/components/schemas/GradeState"`, "grading schemas carry a prefix"},
			{`"#/components/schemas/LedgerEntry"`, "loyalty schemas carry their names"},
			{`"diamond"`, "the tier enumeration is documented"},
			{`"1/3"`, "the matrix schema shows fraction strings"},
		} {
			assert.Contains(t, doc, s.text, s.why)
		}
		var d oaDocument
		require.NoError(t, json.Unmarshal(h.openapi, &d))

		// The permission table has an entry for every authenticated route
		// (NewHandler panics otherwise) and none for a route that is not.
		for op := range permissions {
			assert.True(t, slices.ContainsFunc(h.routes, func(rt route) bool { return rt.op == op && !rt.public }),
				"the permission table's %s is an authenticated operation", op)
		}
		assert.Contains(t, doc, `"x-roles"`, "the document shows the role table")
		require.Contains(t, d.Components.Schemas, "ComparisonMatrix", "the matrix's own JSON form is documented")
		for name, want := range map[string]string{"AHPMethod": "geometric_mean", "Scale": "likert5", "RandomIndex": "donegan_dodd",
			"Department": "service", "Quadrant": "fix_first", "Granularity": "quarter"} {
			require.Contains(t, d.Components.Schemas, name)
			assert.Contains(t, d.Components.Schemas[name]["enum"], want, "enumeration %s", name)
		}
	})
}

// testModule is a module's Option and how many routes it adds.
type testModule struct {
	name   string
	opt    Option
	routes int
}

// newModules returns a crm service on the memory backend and every
// module on the same store.
func newModules(t *testing.T) (*crm.Service, []testModule) {
	t.Helper()
	store := memory.New()
	svc := crm.NewService(store)
	lc, err := lifecycle.NewService(svc, memory.NewTaskStore())
	require.NoError(t, err)
	gr, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore())
	require.NoError(t, err)
	club, err := loyalty.NewService(store, memory.NewLoyaltyStore())
	require.NoError(t, err)
	cs, err := campaign.NewService(store, memory.NewCampaignStore())
	require.NoError(t, err)
	sched, err := jobs.NewScheduler(jobs.Defaults(jobs.Services{Lifecycle: lc}), store.Dealers(), memory.NewRunStore())
	require.NoError(t, err)
	keys, err := apikey.NewService(memory.NewKeyStore(), []byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	hooks, err := webhook.NewService(memory.NewWebhookStore(), memory.NewEventLog())
	require.NoError(t, err)
	tpls, err := messages.NewTemplates()
	require.NoError(t, err)
	msgs, err := messages.NewService(memory.NewMessageStore(), svc, messages.NewLogSender(io.Discard, tpls), tpls)
	require.NoError(t, err)
	return svc, []testModule{
		{"lifecycle", WithLifecycle(lc), 10},
		{"grading", WithGrading(gr), 7},
		{"satisfaction", WithSatisfaction(sat), 14},
		{"loyalty", WithLoyalty(club), 14},
		{"campaign", WithCampaigns(cs), 18},
		{"jobs", WithJobs(sched), 2},
		{"keys", WithKeys(keys), 5},
		{"audit", WithAudit(memory.NewAuditStore()), 1},
		{"webhooks", WithWebhooks(hooks), 7},
		{"events", WithEvents(memory.NewEventLog()), 1},
		{"messages", WithMessages(msgs), 2},
	}
}

// oaDocument is the part of an OpenAPI document the walk reads.
type oaDocument struct {
	Paths      map[string]map[string]oaOperation `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

type oaOperation struct {
	OperationID string   `json:"operationId"`
	Summary     string   `json:"summary"`
	Tags        []string `json:"tags"`
	Parameters  []struct {
		Name     string         `json:"name"`
		In       string         `json:"in"`
		Required bool           `json:"required"`
		Schema   map[string]any `json:"schema"`
		Style    string         `json:"style"`
	} `json:"parameters"`
	RequestBody *struct {
		Required bool                      `json:"required"`
		Content  map[string]map[string]any `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref     string                    `json:"$ref"`
		Content map[string]map[string]any `json:"content"`
		Headers map[string]any            `json:"headers"`
	} `json:"responses"`
	Security    *[]any `json:"security"`
	Permission  string `json:"x-permission"`
	Description string `json:"description"`
}

var wildcard = regexp.MustCompile(`\{([^}]+)\}`)

// requireDocumentedBothWays checks h's OpenAPI document against its route
// table and its mux, and returns the documented operations, sorted.
func requireDocumentedBothWays(t *testing.T, h *handler) []string {
	t.Helper()
	var doc oaDocument
	require.NoError(t, json.Unmarshal(h.openapi, &doc))

	// Documented operations, route table and mux: the same operations.
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var table []string
	for _, rt := range h.routes {
		table = append(table, rt.pattern())
	}
	registered := slices.Clone(h.patterns)
	slices.Sort(documented)
	slices.Sort(table)
	slices.Sort(registered)
	require.Equal(t, registered, documented, "the mux and the OpenAPI document list the same operations")
	require.Equal(t, table, documented, "the route table and the OpenAPI document list the same operations")
	for _, p := range documented {
		method, path, _ := strings.Cut(p, " ")
		req := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "x1"), nil)
		_, pattern := h.mux.Handler(req)
		assert.Equal(t, p, pattern, "the mux routes %s %s to its own pattern", method, req.URL.Path)
	}

	// Every $ref resolves.
	refs := regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(h.openapi), -1)
	for _, r := range refs {
		assert.Contains(t, doc.Components.Schemas, r[1], "$ref %s resolves", r[1])
	}

	ids := map[string]bool{}
	for _, rt := range h.routes {
		op := doc.Paths[rt.path][strings.ToLower(rt.method)]
		assert.False(t, ids[op.OperationID], "operationId %s is unique", op.OperationID)
		ids[op.OperationID] = true
		checkOperation(t, h, doc, rt, op)
	}
	return documented
}

// checkOperation checks the documented operation op of route rt.
func checkOperation(t *testing.T, h *handler, doc oaDocument, rt route, op oaOperation) {
	t.Helper()
	name := rt.pattern()
	assert.Equal(t, rt.op, op.OperationID, "%s: operationId", name)
	assert.Equal(t, rt.summary, op.Summary, "%s: summary", name)
	assert.Equal(t, []string{rt.tag}, op.Tags, "%s: tag", name)

	// Parameters: the path's wildcards, the route's query parameters in
	// order, and the Idempotency-Key header of an idempotent route.
	type param struct {
		name, in string
		required bool
		schema   map[string]any
	}
	var want []param
	for _, m := range wildcard.FindAllStringSubmatch(rt.path, -1) {
		want = append(want, param{m[1], "path", true, map[string]any{"type": "string"}})
	}
	for _, qp := range rt.params {
		s := paramSchema(h, qp.typ)
		if qp.list {
			s = map[string]any{"type": "array", "items": s}
		}
		want = append(want, param{qp.name, "query", false, s})
	}
	if rt.idempotent || rt.keyRequired {
		want = append(want, param{"Idempotency-Key", "header", rt.keyRequired, map[string]any{"type": "string", "maxLength": float64(maxIdempotencyKey)}})
	}
	var got []param
	for _, p := range op.Parameters {
		got = append(got, param{p.Name, p.In, p.Required, p.Schema})
	}
	assert.Equal(t, want, got, "%s: parameters", name)

	// The request body is the route's body type, strict.
	if rt.body == nil {
		assert.Nil(t, op.RequestBody, "%s takes no body", name)
	} else if assert.NotNil(t, op.RequestBody, "%s documents its body", name) {
		assert.True(t, op.RequestBody.Required, "%s: the body is required", name)
		types := []string{"application/json"}
		if rt.patch {
			types = append(types, "application/merge-patch+json")
		}
		for _, ct := range types {
			assert.Equal(t, ref(schemaName(h, rt.body)), op.RequestBody.Content[ct]["schema"], "%s: %s body", name, ct)
		}
		assert.Len(t, op.RequestBody.Content, len(types), "%s: body media types", name)
		checkStruct(t, doc, h, rt.body)
	}

	// The success response is the route's status with its result: a page
	// of them for a list, nothing for a 204.
	ok, found := op.Responses[strconv.Itoa(rt.status)]
	if !assert.True(t, found, "%s documents %d", name, rt.status) {
		return
	}
	var body any
	if c, has := ok.Content["application/json"]; has {
		body = c["schema"]
	}
	switch {
	case rt.status == http.StatusNoContent:
		assert.Nil(t, body, "%s: a 204 has no body", name)
	case rt.list:
		page := schemaName(h, rt.result) + "Page"
		assert.Equal(t, ref(page), body, "%s answers a page", name)
		props, _ := doc.Components.Schemas[page]["properties"].(map[string]any)
		assert.Equal(t, map[string]any{"type": "array", "items": ref(schemaName(h, rt.result))}, props["items"], "%s: page items", name)
		assert.Contains(t, props, "next", "%s: page cursor", name)
		checkStruct(t, doc, h, rt.result)
	case rt.result != nil:
		assert.Equal(t, ref(schemaName(h, rt.result)), body, "%s: result", name)
		checkStruct(t, doc, h, rt.result)
	default:
		assert.Equal(t, map[string]any{"type": "object"}, body, "%s: result", name)
	}
	if rt.status == http.StatusCreated {
		assert.Contains(t, ok.Headers, "Location", "%s: a 201 names the new record", name)
	}
	if rt.again != 0 {
		again, found := op.Responses[strconv.Itoa(rt.again)]
		if assert.True(t, found, "%s documents %d", name, rt.again) {
			assert.Equal(t, ok.Content, again.Content, "%s: the %d of a repeat has the body of the %d", name, rt.again, rt.status)
		}
	}

	// Problems: every route documents the default, an authenticated one
	// 401 too.
	assert.Contains(t, op.Responses, "default", "%s documents problem responses", name)
	if rt.public {
		if assert.NotNil(t, op.Security, "%s is public", name) {
			assert.Empty(t, *op.Security, "%s is public", name)
		}
		assert.Empty(t, op.Permission, "%s is public", name)
	} else {
		assert.Contains(t, op.Responses, "401", "%s needs a key", name)
		assert.Contains(t, op.Responses, "403", "%s needs a permission", name)
		assert.Nil(t, op.Security, "%s needs a key", name)
		// The permission of the table, shown and described.
		assert.Equal(t, string(permissions[rt.op]), op.Permission, "%s: x-permission is the table's", name)
		assert.Contains(t, crm.Permissions(), crm.Permission(op.Permission), "%s: a known permission", name)
		assert.Contains(t, op.Description, "Needs permission "+op.Permission+", held by ", "%s: the description names the permission", name)
	}
}

// checkStruct checks that the component of struct type t lists exactly
// t's JSON fields, and nothing else.
func checkStruct(t *testing.T, doc oaDocument, h *handler, typ reflect.Type) {
	t.Helper()
	name := schemaName(h, typ)
	s, ok := doc.Components.Schemas[name]
	if !assert.True(t, ok, "schema %s of %v is documented", name, typ) {
		return
	}
	props, _ := s["properties"].(map[string]any)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	assert.Equal(t, jsonFields(typ), keys, "schema %s has the JSON fields of %v", name, typ)
	assert.Equal(t, false, s["additionalProperties"], "schema %s is strict", name)
}

// paramSchema is the schema a query parameter of type t documents.
func paramSchema(h *handler, t reflect.Type) map[string]any {
	if _, enum := h.schemas.enums[t]; enum || t == typeDate {
		return ref(schemaName(h, t))
	}
	switch {
	case t == typeTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{"unexpected parameter type": t.String()}
}

// schemaName is the component name of t: its registered name, else its Go
// name with an upper-case first letter.
func schemaName(h *handler, t reflect.Type) string {
	if n, ok := h.schemas.names[t]; ok {
		return n
	}
	r, n := utf8.DecodeRuneInString(t.Name())
	return string(unicode.ToUpper(r)) + t.Name()[n:]
}

// TestPermissionTableRequired: an authenticated route without an entry in
// the permission table is never served — NewHandler refuses to build.
func TestPermissionTableRequired(t *testing.T) {
	rt := route{method: http.MethodGet, path: "/v1/new", op: "someNewOperation"}
	assert.PanicsWithValue(t, "httpapi: operation someNewOperation (GET /v1/new) has no entry in the permission table (routes.go)",
		func() { permissionOf(rt) })
	rt.public = true
	assert.Empty(t, permissionOf(rt), "a public route needs none")
	rt = route{method: http.MethodGet, path: "/v1/customers", op: "listCustomers"}
	assert.Equal(t, crm.PermCustomersRead, permissionOf(rt))
}
