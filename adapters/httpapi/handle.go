package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"reflect"

	"github.com/dealercrm/dealercrm/crm"
)

// The routes of the modules are built with three handler builders, so that
// every route reads its input, calls its service and replies the same way:
//
//   - command: a JSON body decoded into In (call.decode: strict, shape
//     checks of In's validate method), for POST, PUT and PATCH;
//   - query: the query string parsed into a small params struct P
//     (parseQuery: unknown, repeated and malformed parameters are a 422),
//     then P's validate method when it has one, for GET;
//   - fetch: no input but the path, for GET and bodiless POST.
//
// Each takes the route's table entry and the work to do, fills in what the
// work's types say (the body type, the result type, the documented query
// parameters) and replies the result with the entry's status, so the
// OpenAPI document and the handler cannot disagree. Errors go to the one
// problem writer (problem.go). The Idempotency-Key is read and checked by
// the endpoint for every idempotent route (call.key) before the work runs.

// work is what a route does with its decoded input: c carries the
// request's context, the key's dealer, the Idempotency-Key and the path.
type work[In, Out any] func(c *call, in In) (Out, error)

// forDealer is the work of a service method that takes the dealer and the
// input.
func forDealer[In, Out any](f func(context.Context, crm.DealerID, In) (Out, error)) work[In, Out] {
	return func(c *call, in In) (Out, error) { return f(c.r.Context(), c.dealer, in) }
}

// forID is the work of a service method that takes the dealer, the
// route's {id} and the input.
func forID[ID ~string, In, Out any](f func(context.Context, crm.DealerID, ID, In) (Out, error)) work[In, Out] {
	return func(c *call, in In) (Out, error) { return f(c.r.Context(), c.dealer, ID(c.r.PathValue("id")), in) }
}

// command returns rt answering with do's result for a JSON body In.
func command[In, Out any](rt route, do work[In, Out]) route {
	rt.body = reflect.TypeFor[In]()
	return finish(rt, func(c *call) (Out, error) {
		var in In
		if err := c.decode(&in); err != nil {
			var zero Out
			return zero, err
		}
		return do(c, in)
	})
}

// query returns rt answering with do's result for the query parameters
// params parse into a P.
func query[P, Out any](rt route, params []filterParam[P], do work[P, Out]) route {
	rt.params = make([]queryParam, len(params))
	for i, p := range params {
		rt.params[i] = p.queryParam
	}
	return finish(rt, func(c *call) (Out, error) {
		var p P
		if err := parseQuery(c.r, params, &p); err != nil {
			var zero Out
			return zero, err
		}
		if v, ok := any(&p).(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				var zero Out
				return zero, err
			}
		}
		return do(c, p)
	})
}

// fetch returns rt answering with do's result; the request has no input
// but its path.
func fetch[Out any](rt route, do func(c *call) (Out, error)) route {
	return finish(rt, do)
}

// byID returns rt answering with f's record of the route's {id}.
func byID[ID ~string, Out any](rt route, f func(context.Context, crm.DealerID, ID) (Out, error)) route {
	return finish(rt, func(c *call) (Out, error) { return f(c.r.Context(), c.dealer, ID(c.r.PathValue("id"))) })
}

// finish sets rt's handler to reply run's result with rt's status (no
// body for a 204), or its again status when run set call.again, and
// documents Out as the result unless rt names one (a list names its item
// type).
func finish[Out any](rt route, run func(c *call) (Out, error)) route {
	if rt.result == nil && rt.status != http.StatusNoContent {
		rt.result = reflect.TypeFor[Out]()
	}
	status, again := rt.status, rt.again
	rt.handle = func(_ *handler, c *call) error {
		out, err := run(c)
		if err != nil {
			return err
		}
		if status == http.StatusNoContent {
			return c.reply(status, nil)
		}
		if c.again && again != 0 {
			return c.reply(again, out)
		}
		return c.reply(status, out)
	}
	return rt
}

// setLocation names a new record in the Location header of a 201:
// /v1/coll/id.
func (c *call) setLocation(coll, id string) {
	c.w.Header().Set("Location", "/v1/"+coll+"/"+url.PathEscape(id))
}

// created names a new record in the Location header of a 201
// (/v1/coll/id) when err is nil, and passes v and err on.
func created[Out any, ID ~string](c *call, coll string, id ID, v Out, err error) (Out, error) {
	if err == nil {
		c.setLocation(coll, string(id))
	}
	return v, err
}

// markReplayed says in a header that the answer is a replay of an earlier
// request with the same Idempotency-Key (or the same order or entry).
func (c *call) markReplayed(replayed bool) {
	if replayed {
		c.w.Header().Set("Idempotent-Replayed", "true")
	}
}
