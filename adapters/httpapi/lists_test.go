package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// documents are answers whose "items" are parts of one record, not a list
// of records to page through.
var documents = map[string]string{
	"Questionnaire":  "a questionnaire's own items",
	"Sale":           "a sale's value-chain items",
	"PriorityReport": "one row per indicator of a hierarchy, bounded by its size",
}

// TestListRoutesPage is generated from the route table: every route that
// lists records answers {items, next}, takes limit and after, honours
// limit=1, follows its next cursor to the following page, and answers
// limit=abc, limit=0 and a cursor it never gave (after=AAAA) with a 422
// naming the parameter, on every backend. A new list route is covered
// without anyone adding it.
func TestListRoutesPage(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 40)
			w := newWalk(t, s)
			lists := 0
			for _, rt := range w.routes {
				if rt.method != http.MethodGet {
					continue
				}
				name, schema := w.resultSchema(rt)
				if schema == nil {
					continue
				}
				_, hasItems := schema.Properties["items"]
				_, hasNext := schema.Properties["next"]
				isArray := schema.Type == "array" || typeHas(schema.Type, "array")
				if !isArray && !hasNext && (!hasItems || documents[name] != "") {
					continue
				}
				lists++
				t.Run(rt.path, func(t *testing.T) {
					if isArray {
						t.Errorf("%s answers a bare JSON array: a list answers {items, next}", rt)
						return
					}
					if !hasItems || !hasNext {
						t.Errorf("%s answers %s without items and next: a list answers {items, next}", rt, name)
					}
					params := map[string]bool{}
					for _, p := range rt.op.Parameters {
						params[p.Name] = true
					}
					if !params["limit"] || !params["after"] {
						t.Errorf("%s takes no limit or after: a list is paged", rt)
						return
					}
					target := w.listTarget(rt)
					for _, bad := range []struct{ param, value string }{{"limit", "abc"}, {"limit", "0"}, {"after", "AAAA"}} {
						code, body := s.send(t, s.b, http.MethodGet, withQuery(target, bad.param, bad.value), nil)
						if assert.Equal(t, http.StatusUnprocessableEntity, code, "%s?%s=%s: %s", rt, bad.param, bad.value, body) {
							assert.Contains(t, string(body), `"field":"`+bad.param+`"`, "the problem names %s", bad.param)
						}
					}
					if next := schema.Properties["next"].Type; next == "integer" || typeHas(next, "integer") {
						// A feed (the events): next is a sequence number,
						// the position to read on from, never empty.
						w.checkFeed(t, rt.String(), target)
						return
					}
					first := w.page(t, withQuery(target, "limit", "1"))
					assert.LessOrEqual(t, len(first.Items), 1, "%s honours limit=1", rt)
					if first.Next == "" {
						return
					}
					second := w.page(t, withQuery(withQuery(target, "limit", "1"), "after", first.Next))
					if assert.Len(t, second.Items, 1, "%s: the next cursor leads to another page", rt) && len(first.Items) == 1 {
						assert.NotEqual(t, string(first.Items[0]), string(second.Items[0]), "%s: the second page starts after the first", rt)
					}
				})
			}
			assert.Greater(t, lists, 15, "the walk found the list routes")
		})
	}
}

// page is a decoded list answer.
type page struct {
	Items []json.RawMessage `json:"items"`
	Next  string            `json:"next"`
}

func (w *isolation) page(t *testing.T, target string) page {
	t.Helper()
	code, body := w.s.send(t, w.s.b, http.MethodGet, target, nil)
	var p page
	if assert.Equal(t, http.StatusOK, code, "GET %s: %s", target, body) {
		assert.NoError(t, json.Unmarshal(body, &p))
	}
	return p
}

// listTarget is rt's path with B's IDs and the date parameters a report
// needs.
func (w *isolation) listTarget(rt isoRoute) string {
	path := rt.path
	q := url.Values{}
	for _, p := range rt.op.Parameters {
		switch p.In {
		case "path":
			prefix := rt.path[:strings.Index(rt.path, "{"+p.Name+"}")]
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(w.idsB.first(pathKinds[prefix])), 1)
		case "query":
			if d, ok := w.dateParam(p); ok {
				q.Set(p.Name, d)
			}
		}
	}
	if len(q) > 0 {
		return path + "?" + q.Encode()
	}
	return path
}

// resultSchema returns the name and schema of rt's 200 answer.
func (w *isolation) resultSchema(rt isoRoute) (string, *apiSchema) {
	s := rt.op.Responses["200"].Content["application/json"].Schema
	if s.Ref == "" {
		if s.Type == nil {
			return "", nil
		}
		return "", &s
	}
	name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
	def := w.doc.Components.Schemas[name]
	return name, &def
}

func withQuery(target, name, value string) string {
	u, _ := url.Parse(target)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func typeHas(t any, name string) bool {
	list, _ := t.([]any)
	for _, e := range list {
		if e == name {
			return true
		}
	}
	return false
}

// checkFeed checks a sequence feed: limit=1 gives one item and next is
// its seq; reading after next gives the following items only, with
// larger sequence numbers.
func (w *isolation) checkFeed(t *testing.T, rt, target string) {
	t.Helper()
	type feedPage struct {
		Items []struct {
			Seq int64 `json:"seq"`
		} `json:"items"`
		Next int64 `json:"next"`
	}
	read := func(target string) feedPage {
		code, body := w.s.send(t, w.s.b, http.MethodGet, target, nil)
		var p feedPage
		if assert.Equal(t, http.StatusOK, code, "GET %s: %s", target, body) {
			assert.NoError(t, json.Unmarshal(body, &p))
		}
		return p
	}
	all := read(target)
	first := read(withQuery(target, "limit", "1"))
	if !assert.Len(t, first.Items, min(1, len(all.Items)), "%s honours limit=1", rt) || len(first.Items) == 0 {
		return
	}
	assert.Equal(t, first.Items[0].Seq, first.Next, "%s: next is the last seq read", rt)
	rest := read(withQuery(target, "after", strconv.FormatInt(first.Next, 10)))
	if len(all.Items) > 1 && assert.NotEmpty(t, rest.Items, "%s: after next, the rest", rt) {
		assert.Equal(t, all.Items[1].Seq, rest.Items[0].Seq, "%s: after next, the following event", rt)
	}
	for _, it := range rest.Items {
		assert.Greater(t, it.Seq, first.Next, "%s: only later events after the cursor", rt)
	}
}
