package httpapi

import (
	"reflect"

	"github.com/dealercrm/dealercrm/crm"
)

// Operation describes one route of the route table for programs that
// write or check clients of the API: the typed Go client's generator
// (client/internal/gen) reads it, and its tests compare the client with
// it, so that the client cannot drift from the server. Serving requests
// needs none of it.
type Operation struct {
	// Method and Path are the route's pattern: "GET", "/v1/customers/{id}".
	Method, Path string
	// ID is the OpenAPI operationId: "getCustomer".
	ID string
	// Summary is the operation's one-line description.
	Summary string
	// Public marks a route that needs no API key; Permission is the one
	// the key's roles must hold otherwise.
	Public     bool
	Permission crm.Permission
	// Body is the Go type the request body decodes into; nil when the
	// route takes no body. It may be a type of this package (the request
	// types hold only what a client may write): its fields tagged
	// api:"server" are ignored by the server and api:"derived" rejected,
	// so a client leaves both out.
	Body reflect.Type
	// Patch marks a JSON merge patch (RFC 7396) of Body.
	Patch bool
	// Status is the success status; Again the status of a repeated request
	// that found its record there already (0 for none).
	Status, Again int
	// Result is the Go type of the success body; nil for none (a 204) or a
	// document served as is (GET /v1/openapi.json). List marks a listing:
	// the body is a crm.Page of Result, read on with the page's next as the
	// after parameter.
	Result reflect.Type
	List   bool
	// Params are the query parameters.
	Params []Param
	// Idempotent marks a POST that honours an Idempotency-Key header;
	// KeyRequired one that refuses a request without it (it moves points
	// or money).
	Idempotent, KeyRequired bool
}

// Param describes one query parameter of an Operation.
type Param struct {
	// Name is the parameter's name in the query string.
	Name string
	// Doc says what it does.
	Doc string
	// Type is the Go type of one value.
	Type reflect.Type
	// List marks a list of values, comma-separated or repeated.
	List bool
}

// Operations returns every operation of the route table, in table order,
// with every module enabled (WithLifecycle, WithLoyalty, … as if all were
// given): the crm routes and those of each other package.
func Operations() []Operation {
	var cfg config
	for _, o := range allModules() {
		o(&cfg)
	}
	rs := allRoutes(nil)
	for _, m := range cfg.modules {
		rs = append(rs, m.routes()...)
	}
	out := make([]Operation, 0, len(rs))
	for _, rt := range rs {
		op := Operation{Method: rt.method, Path: rt.path, ID: rt.op, Summary: rt.summary, Public: rt.public,
			Permission: permissionOf(rt), Body: rt.body, Patch: rt.patch, Status: rt.status, Again: rt.again,
			Result: rt.result, List: rt.list, Idempotent: rt.idempotent || rt.keyRequired, KeyRequired: rt.keyRequired}
		for _, p := range rt.params {
			op.Params = append(op.Params, Param{Name: p.name, Doc: p.doc, Type: p.typ, List: p.list})
		}
		out = append(out, op)
	}
	return out
}

// allModules enables every module of the handler, without services: the
// route builders only keep the services for their requests. A module added
// to the handler is added here too (TestOperationsServed checks the full
// handler's document against Operations).
func allModules() []Option {
	return []Option{WithAudit(nil), WithCampaigns(nil), WithEvents(nil), WithGrading(nil), WithJobs(nil), WithKeys(nil),
		WithLifecycle(nil), WithLoyalty(nil), WithMessages(nil), WithSatisfaction(nil), WithWebhooks(nil)}
}
