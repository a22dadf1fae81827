package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// The value types with their own JSON form.
var (
	typeDecimal = reflect.TypeFor[decimal.Decimal]()
	typeDate    = reflect.TypeFor[dealercrm.Date]()
	typeTime    = reflect.TypeFor[time.Time]()
	typeRaw     = reflect.TypeFor[json.RawMessage]()
)

// schemaRegistry is what the OpenAPI document knows of types beyond their
// Go form: the values of every enumeration, component names, the schemas of
// types with their own JSON form, and descriptions. NewHandler builds one
// per handler: crm's (newSchemaRegistry), then each enabled module adds its
// own (module.schemas), and the document is generated from it.
type schemaRegistry struct {
	// enums lists the values of every enumeration the API exposes.
	// schemaGen panics on a string type with a Valid method missing here,
	// so a new enum cannot be documented as a bare string.
	enums map[reflect.Type][]string
	// names overrides the component name of a type (an enumeration or a
	// struct), for module types whose Go names are too generic or clash
	// across packages (grading.Method and satisfaction.Method).
	names map[reflect.Type]string
	// custom documents the types with their own JSON form (a MarshalJSON
	// or UnmarshalJSON method), which schemaGen cannot derive from the Go
	// type.
	custom map[reflect.Type]customSchema
	// docs describes the main schemas, by component name.
	docs map[string]string
	// eventPayloads names the payload type of each event type
	// (WithEvents).
	eventPayloads map[crm.EventType]reflect.Type
}

// customSchema is the named schema of a type with its own JSON form.
type customSchema struct {
	name  string
	build func() map[string]any
}

// addEnum registers the values of enumeration T.
func addEnum[T ~string](r *schemaRegistry, vals ...T) {
	r.enums[reflect.TypeFor[T]()] = strs(vals)
}

// addNames registers component names.
func (r *schemaRegistry) addNames(names map[reflect.Type]string) {
	for t, n := range names {
		r.names[t] = n
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// newSchemaRegistry returns the registry of the crm routes and of the
// shared value types.
func newSchemaRegistry() *schemaRegistry {
	r := &schemaRegistry{enums: map[reflect.Type][]string{}, names: map[reflect.Type]string{},
		custom: map[reflect.Type]customSchema{}, docs: map[string]string{
			"Dealer":             "A dealership (4S store), the tenant of every other record.",
			"Customer":           "An owner or buyer (C卡): a private person or a company.",
			"Lead":               "A prospect card (A卡) with its intent level, follow-up log and lost requests.",
			"Vehicle":            "A car sold or serviced by the dealer.",
			"Sale":               "A new-car sale with its value-chain items.",
			"ServiceOrder":       "A service order 维修工单: a workshop visit of a vehicle.",
			"InsurancePolicy":    "A motor insurance policy sold or renewed by the dealer.",
			"Interaction":        "A contact with a customer or prospect.",
			"Complaint":          "A customer complaint and its handling.",
			"EventParticipation": "A customer's invitation to or attendance of an event.",
			"Batch":              "Records from a host DMS to upsert, matched on external_id; references between records hold external IDs. IDs, dealer and timestamps are ignored.",
			"Problem":            "RFC 9457 problem details. type is always about:blank; code is the machine-readable error code; errors lists the fields at fault (an import lists the first 100, and total_errors then counts them all).",
			"Decimal":            "A decimal amount in CNY. Responses always write a string (\"1234.56\") to keep every digit; requests accept a string or a JSON number.",
			"Date":               "A calendar date YYYY-MM-DD in the dealer's time zone; null when not set.",
		}}
	addEnum(r, crm.CustomerKinds()...)
	addEnum(r, crm.Genders()...)
	addEnum(r, crm.FamilyStages()...)
	addEnum(r, crm.BirthdayCalendars()...)
	addEnum(r, crm.Sources()...)
	addEnum(r, crm.IntentLevels()...)
	addEnum(r, crm.LeadStatuses()...)
	addEnum(r, crm.PurchaseKinds()...)
	addEnum(r, crm.LostReasons()...)
	addEnum(r, crm.Decisions()...)
	addEnum(r, crm.Purposes()...)
	addEnum(r, crm.Channels()...)
	addEnum(r, crm.OdometerSources()...)
	addEnum(r, crm.ValueChainKinds()...)
	addEnum(r, crm.ServiceKinds()...)
	addEnum(r, crm.Payers()...)
	addEnum(r, crm.InsuranceKinds()...)
	addEnum(r, crm.Directions()...)
	addEnum(r, crm.Outcomes()...)
	addEnum(r, crm.Severities()...)
	addEnum(r, crm.ComplaintStatuses()...)
	addEnum(r, crm.DuplicateReasons()...)
	addEnum(r, crm.Created, crm.Updated, crm.Unchanged)
	// Optional dates and amounts (a plan change, a ratio without a
	// denominator) are the plain schemas or null.
	r.custom[reflect.TypeFor[*dealercrm.Date]()] = customSchema{name: "OptionalDate", build: func() map[string]any {
		return map[string]any{"type": []string{"string", "null"}, "format": "date", "examples": []string{"2025-03-10"}}
	}}
	r.custom[reflect.TypeFor[*decimal.Decimal]()] = customSchema{name: "OptionalDecimal", build: func() map[string]any {
		return map[string]any{"type": []string{"string", "number", "null"}, "examples": []string{"1234.56"}}
	}}
	return r
}

// schemaGen builds JSON Schemas (OpenAPI 3.1, draft 2020-12) from Go types,
// collecting named ones in defs.
type schemaGen struct {
	reg *schemaRegistry
	// roles is the role table, to say who holds each operation's
	// permission.
	roles crm.RoleTable
	defs  map[string]any
	names map[string]reflect.Type
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// schema returns the schema of t: a $ref for structs and enumerations,
// inline for the rest.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case typeDecimal:
		return g.named("Decimal", t, func() map[string]any {
			return map[string]any{"type": []string{"string", "number"}, "examples": []string{"298000", "1234.56"}}
		})
	case typeDate:
		return g.named("Date", t, func() map[string]any {
			return map[string]any{"type": []string{"string", "null"}, "format": "date", "examples": []string{"2025-03-10"}}
		})
	case typeTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case typeRaw:
		return map[string]any{}
	}
	if vals, ok := g.reg.enums[t]; ok {
		name := t.Name()
		if n, ok := g.reg.names[t]; ok {
			name = n
		}
		return g.named(name, t, func() map[string]any { return map[string]any{"type": "string", "enum": vals} })
	}
	if cs, ok := g.reg.custom[t]; ok {
		return g.named(cs.name, t, cs.build)
	}
	if t.Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		panic(fmt.Sprintf("httpapi: no schema for %v, which has its own JSON form", t))
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := t.MethodByName("Valid"); ok {
			panic(fmt.Sprintf("httpapi: enumeration %v is missing from the schema registry", t))
		}
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		s := map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
		if _, ok := g.reg.enums[t.Key()]; ok {
			s["propertyNames"] = g.schema(t.Key())
		}
		return s
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{g.schema(t.Elem()), map[string]any{"type": "null"}}}
	case reflect.Interface:
		// Any JSON value: another package's section of a customer export.
		return map[string]any{}
	case reflect.Struct:
		return g.named(g.name(t), t, func() map[string]any {
			props := map[string]any{}
			g.fields(t, props)
			return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		})
	}
	panic(fmt.Sprintf("httpapi: no schema for %v", t))
}

// named registers the schema of t under name once and returns a $ref.
func (g *schemaGen) named(name string, t reflect.Type, build func() map[string]any) map[string]any {
	if prev, ok := g.names[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("httpapi: schema name %s used by %v and %v", name, prev, t))
		}
		return ref(name)
	}
	g.names[name] = t
	g.defs[name] = nil // placeholder against recursion
	s := build()
	if doc, ok := g.reg.docs[name]; ok {
		s["description"] = doc
	}
	g.defs[name] = s
	return ref(name)
}

// fields adds the JSON properties of struct t, flattening embedded structs
// the way encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "-" {
			continue
		}
		_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		var s map[string]any
		switch f.Tag.Get("api") {
		case "server":
			s = map[string]any{"readOnly": true, "description": "Set by the server; ignored in request bodies."}
		case "derived":
			s = map[string]any{"readOnly": true, "description": "Read-only (" + f.Tag.Get("hint") + "); a request body that sets it is rejected with 422."}
		default:
			s = g.schema(f.Type)
			omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			if typ, ok := s["type"].(string); ok && !omit && (f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map) {
				// A nil slice or map without omitempty is written as null
				// (a $ref to a custom schema says so itself).
				s["type"] = []string{typ, "null"}
			}
		}
		props[name] = s
	}
}

// name is the component name of a struct type: its name in the
// registry, else its Go name with an upper-case first letter
// (customerInput → CustomerInput).
func (g *schemaGen) name(t reflect.Type) string {
	if n, ok := g.reg.names[t]; ok {
		return n
	}
	name := t.Name()
	if name == "" || strings.ContainsAny(name, "[]") {
		panic(fmt.Sprintf("httpapi: no schema name for %v", t))
	}
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// openAPI builds the OpenAPI 3.1 document of routes, whose types reg
// describes, with the permission of each operation and the roles of roles
// that hold it.
func openAPI(routes []route, reg *schemaRegistry, roles crm.RoleTable) map[string]any {
	g := &schemaGen{reg: reg, roles: roles, defs: map[string]any{}, names: map[string]reflect.Type{}}
	paths := map[string]map[string]any{}
	var tags []any
	seenTag := map[string]bool{}
	for _, rt := range routes {
		if !seenTag[rt.tag] {
			seenTag[rt.tag] = true
			tags = append(tags, map[string]any{"name": rt.tag})
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = g.operation(rt)
	}

	eventPayloadSchemas(g, reg.eventPayloads)
	g.schema(reflect.TypeFor[problem]())
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	g.defs["Problem"].(map[string]any)["properties"].(map[string]any)["code"] = map[string]any{"type": "string", "enum": codes}

	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "dealercrm API",
			"version":     dealercrm.Version,
			"description": apiDescription,
		},
		"tags":     tags,
		"paths":    paths,
		"x-roles":  roleDoc(roles),
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKey": []any{}}},
		"components": map[string]any{
			"schemas": g.defs,
			"responses": map[string]any{
				"Problem": map[string]any{
					"description": "An error, as RFC 9457 problem details.",
					"content":     map[string]any{"application/problem+json": map[string]any{"schema": ref("Problem")}},
					"headers": map[string]any{"Retry-After": map[string]any{"schema": map[string]any{"type": "integer"},
						"description": "On a 503: the seconds to wait before retrying (the server is at its cap of heavy requests, a request ran past its deadline, or the database is unreachable). On a 429: the seconds until the API key may send again, or until one of the dealer's heavy requests has ended."}},
				},
			},
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "Authorization: Bearer <API key>. Every key belongs to one dealer, and every request acts for that dealer, as the key's staff member with the key's roles; each operation needs the permission in its x-permission (x-roles lists the roles and their permissions)."},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key",
					"description": "The API key in its own header, as an alternative to Authorization: Bearer."},
			},
		},
	}
}

const apiDescription = `The reference HTTP API of dealercrm, a customer-relationship SDK for car dealerships.

Every request but GET /healthz and GET /v1/openapi.json needs an API key; the key decides the dealer, and records of other dealers are simply not found.
Bodies are JSON (PATCH also takes application/merge-patch+json, RFC 7396); unknown fields are rejected (400), and so are read-only fields with their own operation (422).
Server-set fields (id, dealer_id, created_at, updated_at) may be sent and are ignored.
Dates are YYYY-MM-DD in the dealer's time zone, times RFC 3339, amounts decimal strings.
Lists return {"items": [...], "next": "cursor"}; pass next as after to get the following page.
Each API key acts for a principal: its dealer, its staff member and its roles. Every operation needs one permission (x-permission, and its description says which roles hold it; x-roles is the role table): a key whose roles lack it is answered 403 with the permission in the problem's permission member.
The acting staff member is the key's: requested_by, decided_by and the staff_id of a follow-up, a task outcome or an interaction may be left out, and must be the key's own staff member when given (403 naming the field); a system key without staff names them.
A consultant or an advisor sees their own leads and tasks, CR the CR tasks, a manager and an admin all of the store: list filters are forced accordingly (403 naming the parameter that asks for more).
Phone and ID numbers are shown in full only to roles with permission personal_data; other keys read them masked (138****8000).
Errors are RFC 9457 problem details with a code member: invalid 422 (errors lists the fields), not_found 404, conflict and failed_precondition 409, permission_denied 403, unavailable 503 (with Retry-After), internal 500, malformed_request 400, unauthenticated 401, body_too_large 413, rate_limited 429 (with Retry-After), cursor_expired 410 (an event feed cursor older than the retention).
With an audit trail (GET /v1/audit), every write, every read of personal data (x-audited: every request) and every refusal leaves a record naming the key, the staff member, the operation, its records and the request ID (X-Request-Id: the client's, or a new one; every answer carries it).
Reports, grading runs, imports, segment previews, audience freezes and exports are heavy: only a few run at once, and one that finds no turn within a short wait is answered 503 with Retry-After (429 when the dealer's own share of them is taken). Each API key may send a limited number of requests a second (429 with Retry-After beyond).`

// operation builds the OpenAPI operation of rt.
func (g *schemaGen) operation(rt route) map[string]any {
	op := map[string]any{"operationId": rt.op, "summary": rt.summary, "tags": []string{rt.tag}}
	if !rt.public {
		op["x-permission"] = string(rt.perm)
		op["description"] = permissionDoc(rt.perm, g.roles)
		// What the audit trail records of the operation (WithAudit).
		op["x-audited"] = "refusals"
		if rt.auditOK {
			op["x-audited"] = "every request"
		}
	}
	var params []any
	for _, name := range pathParams(rt.path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true,
			"description": "The record's ID.", "schema": map[string]any{"type": "string"}})
	}
	for _, qp := range rt.params {
		s := g.schema(qp.typ)
		p := map[string]any{"name": qp.name, "in": "query", "description": qp.doc, "schema": s}
		if qp.list {
			p["schema"] = map[string]any{"type": "array", "items": s}
			p["style"], p["explode"] = "form", false
		}
		params = append(params, p)
	}
	if rt.idempotent || rt.keyRequired {
		doc := "Makes the request idempotent: a repeat with the same key returns the first response (with Idempotent-Replayed: true); the same key with another body is a 409 conflict."
		if rt.keyRequired {
			doc = "Required: this request moves points or money. " + doc + " Without it the answer is 400."
		}
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": rt.keyRequired,
			"description": doc,
			"schema":      map[string]any{"type": "string", "maxLength": maxIdempotencyKey}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != nil {
		s := g.schema(rt.body)
		content := map[string]any{"application/json": map[string]any{"schema": s}}
		body := map[string]any{"required": true, "content": content}
		if rt.patch {
			content["application/merge-patch+json"] = map[string]any{"schema": s}
			body["description"] = "A JSON merge patch (RFC 7396): a member sets a field, null clears it, an absent member keeps it; arrays are replaced whole."
		}
		op["requestBody"] = body
	}

	ok := map[string]any{"description": http.StatusText(rt.status)}
	var s map[string]any
	switch {
	case rt.status == http.StatusNoContent:
	case rt.list:
		s = g.page(rt.result)
	case rt.result != nil:
		s = g.schema(rt.result)
	default:
		s = map[string]any{"type": "object"}
	}
	if s != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": s}}
	}
	if rt.status == http.StatusCreated {
		what := "the new record"
		if rt.location != "" {
			what = rt.location
		}
		ok["headers"] = map[string]any{"Location": map[string]any{"description": "The path of " + what + ".", "schema": map[string]any{"type": "string"}}}
	}
	responses := map[string]any{strconv.Itoa(rt.status): ok}
	if rt.again != 0 {
		again := map[string]any{"description": http.StatusText(rt.again) + ": the record was there already, and is answered as it is."}
		if c, has := ok["content"]; has {
			again["content"] = c
		}
		responses[strconv.Itoa(rt.again)] = again
	}
	for _, st := range problemStatuses(rt) {
		responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/Problem"}
	}
	responses["default"] = map[string]any{"$ref": "#/components/responses/Problem"}
	op["responses"] = responses
	if rt.public {
		op["security"] = []any{}
	}
	return op
}

// page returns the schema of one page of a listing of t.
func (g *schemaGen) page(t reflect.Type) map[string]any {
	item := g.schema(t)
	return g.named(g.name(t)+"Page", reflect.PointerTo(t), func() map[string]any {
		return map[string]any{
			"type": "object",
			"properties": map[string]any{
				"items": map[string]any{"type": "array", "items": item},
				"next":  map[string]any{"type": "string", "description": "Cursor of the next page, for the after parameter; absent on the last page."},
			},
			"required":             []string{"items"},
			"additionalProperties": false,
		}
	})
}

// problemStatuses lists the error statuses a route documents besides the
// default.
func problemStatuses(rt route) []int {
	var st []int
	if rt.body != nil || rt.params != nil {
		st = append(st, http.StatusBadRequest)
	}
	if !rt.public {
		// 404 also when the key's dealer itself does not exist.
		st = append(st, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound)
	}
	if rt.method != http.MethodGet && !rt.public {
		st = append(st, http.StatusConflict)
	}
	if rt.body != nil {
		st = append(st, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if rt.body != nil || rt.params != nil {
		st = append(st, http.StatusUnprocessableEntity)
	}
	if !rt.public {
		// 429: the key's rate, or the dealer's share of heavy turns.
		st = append(st, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable)
	}
	return st
}

// pathParams returns the names of the {wildcards} of a path pattern.
func pathParams(path string) []string {
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return out
}

// permissionDoc is the description of an operation that needs perm: the
// permission and the roles of roles that hold it.
func permissionDoc(perm crm.Permission, roles crm.RoleTable) string {
	var holders []string
	for _, r := range sortedRoles(roles) {
		if slices.Contains(roles[r], perm) {
			holders = append(holders, string(r))
		}
	}
	who := "no role"
	if len(holders) > 0 {
		who = "the roles " + strings.Join(holders, ", ")
	}
	return "Needs permission " + string(perm) + ", held by " + who + "."
}

// roleDoc is the x-roles member of the document: each role's permissions.
func roleDoc(roles crm.RoleTable) map[string][]string {
	out := make(map[string][]string, len(roles))
	for r, perms := range roles {
		out[string(r)] = strs(perms)
	}
	return out
}

// sortedRoles returns the roles of t: the default ones first, in their
// order, then the host's own by name.
func sortedRoles(t crm.RoleTable) []crm.Role {
	var out, own []crm.Role
	for _, r := range crm.Roles() {
		if _, ok := t[r]; ok {
			out = append(out, r)
		}
	}
	for r := range t {
		if !slices.Contains(crm.Roles(), r) {
			own = append(own, r)
		}
	}
	slices.Sort(own)
	return append(out, own...)
}
