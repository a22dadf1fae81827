package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// resource is the REST collection of one crm entity kind T with ID type ID,
// request type In and list filter F. Its five routes call the Service
// through method expressions, always with the dealer of the API key.
type resource[T any, ID ~string, In any, F any] struct {
	coll   string // path segment: "service-orders"
	name   string // operation name: "ServiceOrder"
	plural string // "ServiceOrders"
	label  string // prose: "service order"
	create func(*crm.Service, context.Context, crm.DealerID, T) (T, error)
	get    func(*crm.Service, context.Context, crm.DealerID, ID) (T, error)
	update func(*crm.Service, context.Context, crm.DealerID, ID, func(*T) error) (T, error)
	remove func(*crm.Service, context.Context, crm.DealerID, ID) error
	list   func(*crm.Service, context.Context, crm.DealerID, F) (crm.Page[T], error)
	id     func(*T) ID
	// view returns the writable part of a record; apply writes it back.
	view  func(*T) In
	apply func(*In, *T)
	// page reaches the filter's embedded PageRequest.
	page   func(*F) *crm.PageRequest
	params []filterParam[F]
	// scope, when set, restricts a list's filter to what the principal
	// sees (crm.Principal.ScopeLeads); check refuses a record it does not
	// see (crm.Principal.CheckLead) on get, update and delete.
	scope func(crm.Principal, *F) error
	check func(crm.Principal, *T) error
	// actor, when set, reaches the request's field naming the member of
	// staff acting (an interaction's staff_id): on create it is the
	// principal's own (crm.Principal.Actor), and a patch may change it
	// only to that staff member.
	actor func(*In) *crm.StaffID
}

func (rs resource[T, ID, In, F]) routes() []route {
	coll := "/v1/" + rs.coll
	item := coll + "/{id}"
	return []route{
		{method: http.MethodPost, path: coll, op: "create" + rs.name, tag: rs.plural,
			summary: "Create " + article(rs.label), body: reflect.TypeFor[In](),
			status: http.StatusCreated, result: reflect.TypeFor[T](), handle: rs.handleCreate},
		{method: http.MethodGet, path: item, op: "get" + rs.name, tag: rs.plural,
			summary: "Get " + article(rs.label), status: http.StatusOK, result: reflect.TypeFor[T](), handle: rs.handleGet},
		{method: http.MethodPatch, path: item, op: "update" + rs.name, tag: rs.plural,
			summary: "Update " + article(rs.label) + " with a JSON merge patch", body: reflect.TypeFor[In](), patch: true,
			status: http.StatusOK, result: reflect.TypeFor[T](), handle: rs.handlePatch},
		{method: http.MethodDelete, path: item, op: "delete" + rs.name, tag: rs.plural,
			summary: "Delete " + article(rs.label), status: http.StatusNoContent, handle: rs.handleDelete},
		{method: http.MethodGet, path: coll, op: "list" + rs.plural, tag: rs.plural,
			summary: "List " + rs.label + " records, one page at a time, in ID order", params: rs.queryParams(),
			status: http.StatusOK, result: reflect.TypeFor[T](), list: true, handle: rs.handleList},
	}
}

func (rs resource[T, ID, In, F]) handleCreate(h *handler, c *call) error {
	var in In
	if err := c.decode(&in); err != nil {
		return err
	}
	if rs.actor != nil {
		staff, err := c.principal.Actor("staff_id", *rs.actor(&in))
		if err != nil {
			return err
		}
		*rs.actor(&in) = staff
	}
	var v T
	rs.apply(&in, &v)
	v, err := rs.create(h.svc, c.r.Context(), c.dealer, v)
	if err != nil {
		return err
	}
	c.setLocation(rs.coll, string(rs.id(&v)))
	return c.reply(http.StatusCreated, v)
}

func (rs resource[T, ID, In, F]) handleGet(h *handler, c *call) error {
	v, err := rs.get(h.svc, c.r.Context(), c.dealer, ID(c.r.PathValue("id")))
	if err != nil {
		return err
	}
	if rs.check != nil {
		if err := rs.check(c.principal, &v); err != nil {
			return err
		}
	}
	return c.reply(http.StatusOK, v)
}

// handlePatch applies a JSON merge patch to the writable view of the
// stored record inside the Service's atomic update, so that concurrent
// patches of one record do not lose each other's changes.
func (rs resource[T, ID, In, F]) handlePatch(h *handler, c *call) error {
	patch, err := decodePatch[In](c)
	if err != nil {
		return err
	}
	v, err := rs.update(h.svc, c.r.Context(), c.dealer, ID(c.r.PathValue("id")), func(v *T) error {
		if rs.check != nil {
			if err := rs.check(c.principal, v); err != nil {
				return err
			}
		}
		in := rs.view(v)
		var before crm.StaffID
		if rs.actor != nil {
			before = *rs.actor(&in)
		}
		if err := applyPatch(&in, patch); err != nil {
			return err
		}
		noteBodyIDs(c.r.Context(), &in)
		if rs.actor != nil && *rs.actor(&in) != before && *rs.actor(&in) != "" {
			if _, err := c.principal.Actor("staff_id", *rs.actor(&in)); err != nil {
				return err
			}
		}
		rs.apply(&in, v)
		return nil
	})
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, v)
}

func (rs resource[T, ID, In, F]) handleDelete(h *handler, c *call) error {
	if rs.check != nil {
		v, err := rs.get(h.svc, c.r.Context(), c.dealer, ID(c.r.PathValue("id")))
		if err != nil {
			return err
		}
		if err := rs.check(c.principal, &v); err != nil {
			return err
		}
	}
	if err := rs.remove(h.svc, c.r.Context(), c.dealer, ID(c.r.PathValue("id"))); err != nil {
		return err
	}
	return c.reply(http.StatusNoContent, nil)
}

func (rs resource[T, ID, In, F]) handleList(h *handler, c *call) error {
	var f F
	if err := parseQuery(c.r, rs.allParams(), &f); err != nil {
		return err
	}
	if rs.scope != nil {
		if err := rs.scope(c.principal, &f); err != nil {
			return err
		}
	}
	p, err := rs.list(h.svc, c.r.Context(), c.dealer, f)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, p)
}

// allParams are the resource's filters and the paging parameters.
func (rs resource[T, ID, In, F]) allParams() []filterParam[F] {
	return paged(rs.page, rs.params...)
}

func (rs resource[T, ID, In, F]) queryParams() []queryParam {
	var out []queryParam
	for _, p := range rs.allParams() {
		out = append(out, p.queryParam)
	}
	return out
}

// paged returns the query parameters of a listing: its filters params and
// the paging parameters limit and after, which set the PageRequest that
// page reaches in the filter.
func paged[F any](page func(*F) *crm.PageRequest, params ...filterParam[F]) []filterParam[F] {
	return append(slices.Clone(params),
		filterParam[F]{
			queryParam: queryParam{name: "limit", typ: reflect.TypeFor[int](),
				doc: "Page size: 1 to " + strconv.Itoa(crm.MaxLimit) + " (larger values are capped), " + strconv.Itoa(crm.DefaultLimit) + " when omitted."},
			set: func(f *F, s string) string {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					return "must be a positive integer"
				}
				page(f).Limit = n
				return ""
			},
		},
		filterParam[F]{
			queryParam: queryParam{name: "after", typ: reflect.TypeFor[string](),
				doc: "Cursor: the next member of the previous page."},
			set: func(f *F, s string) string { page(f).After = s; return "" },
		})
}

// article prefixes a noun with "a" or "an".
func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// queryParam documents one query parameter.
type queryParam struct {
	name string
	doc  string
	// typ is the Go type of the value; its schema is the parameter's.
	typ reflect.Type
	// list marks a comma-separated list (it may also be repeated).
	list bool
}

// filterParam is a query parameter that sets a field of filter F. set
// parses one value and returns a message when it is malformed.
type filterParam[F any] struct {
	queryParam
	set func(f *F, v string) string
}

// parseQuery fills f from the query string. Unknown parameters, repeated
// single-valued ones and malformed values are a *crm.ValidationError
// naming the parameter (422): a misspelt filter must not silently list
// everything.
func parseQuery[F any](r *http.Request, params []filterParam[F], f *F) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return &apiError{code: codeMalformed, detail: "malformed query string"}
	}
	var fs crm.Checker
	for _, name := range sortedKeys(q) {
		i := slices.IndexFunc(params, func(p filterParam[F]) bool { return p.name == name })
		if i < 0 {
			fs.Add(name, "unknown_parameter", "is not a parameter of this route")
			continue
		}
		p, vals := params[i], q[name]
		if p.list {
			var all []string
			for _, v := range vals {
				all = append(all, strings.Split(v, ",")...)
			}
			vals = all
		} else if len(vals) > 1 {
			fs.Add(name, crm.RuleUnique, "is given more than once")
			continue
		}
		for _, v := range vals {
			if msg := p.set(f, v); msg != "" {
				fs.Add(name, crm.RuleFormat, "%s", msg)
				break
			}
		}
	}
	return fs.Err("query")
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// textParam filters on an exact value, cleaned by norm when not nil.
func textParam[F any, S ~string](name, doc string, norm func(string) string, field func(*F) *S) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[S]()},
		set: func(f *F, v string) string {
			if norm != nil {
				v = norm(v)
			}
			*field(f) = S(v)
			return ""
		},
	}
}

// enumParam filters on one value of an enumeration.
func enumParam[F any, S interface {
	~string
	Valid() bool
}](name, doc string, field func(*F) *S) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[S]()},
		set: func(f *F, v string) string {
			if !S(v).Valid() {
				return "is not one of the allowed values"
			}
			*field(f) = S(v)
			return ""
		},
	}
}

// enumsParam filters on a list of values of an enumeration, comma-separated
// or repeated; what names the values in the error (a list of what), and
// norm, when not nil, cleans each value.
func enumsParam[F any, S interface {
	~string
	Valid() bool
}](name, doc, what string, norm func(string) string, field func(*F) *[]S) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[S](), list: true},
		set: func(f *F, v string) string {
			if norm != nil {
				v = norm(v)
			}
			if !S(v).Valid() {
				return "is not a list of " + what
			}
			*field(f) = append(*field(f), S(v))
			return ""
		},
	}
}

// boolParam sets a flag from "true" or "false".
func boolParam[F any](name, doc string, field func(*F) *bool) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[bool]()},
		set: func(f *F, v string) string {
			b, msg := parseFlag(v)
			if msg == "" {
				*field(f) = b
			}
			return msg
		},
	}
}

// parseFlag reads a query flag: "true" or "false", else the message of
// the field's error.
func parseFlag(v string) (bool, string) {
	switch v {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, "want true or false"
}

// dateParam sets a calendar date, "YYYY-MM-DD".
func dateParam[F any](name, doc string, field func(*F) *dealercrm.Date) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: typeDate},
		set: func(f *F, v string) string {
			d, err := dealercrm.ParseDate(v)
			if err != nil {
				return "is not a date YYYY-MM-DD"
			}
			*field(f) = d
			return ""
		},
	}
}

// monthParam sets a date from "YYYY-MM-DD" or from a month "YYYY-MM"
// (2026-11): its first day, or its last day when end is set. Every
// month-valued parameter uses it.
func monthParam[F any](name, doc string, end bool, field func(*F) *dealercrm.Date) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[string]()},
		set: func(f *F, v string) string {
			if d, err := dealercrm.ParseDate(v); err == nil {
				*field(f) = d
				return ""
			}
			m, err := time.Parse("2006-01", v)
			if err != nil {
				return "is not a date YYYY-MM-DD or a month YYYY-MM"
			}
			d := dealercrm.NewDate(m.Year(), m.Month(), 1)
			if end {
				d = d.AddMonths(1).AddDays(-1)
			}
			*field(f) = d
			return ""
		},
	}
}

// timeParam sets an instant, RFC 3339.
func timeParam[F any](name, doc string, field func(*F) *time.Time) filterParam[F] {
	return filterParam[F]{
		queryParam: queryParam{name: name, doc: doc, typ: typeTime},
		set: func(f *F, v string) string {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return "is not an RFC 3339 date-time"
			}
			*field(f) = t
			return ""
		},
	}
}
