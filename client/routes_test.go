package client_test

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/client"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hit is one request a method sent, as the route table's mux matched it.
type hit struct {
	pattern, query, key, contentType string
	body                             []byte
}

// TestClientCoversRouteTable calls every exported method of Client against
// a server that knows only the route table's patterns (httpapi.Operations)
// and checks both ways: every operation is called by exactly one method
// and every method calls an operation — with the route's method and path,
// a body exactly when the route takes one, an Idempotency-Key exactly when
// it honours one, and only its documented query parameters. The iterators
// (All…, FollowEvents) must read a listing.
func TestClientCoversRouteTable(t *testing.T) {
	ops := map[string]httpapi.Operation{}
	var mu sync.Mutex
	var hits []hit
	mux := http.NewServeMux()
	for _, op := range httpapi.Operations() {
		pattern := op.Method + " " + op.Path
		ops[pattern] = op
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			hits = append(hits, hit{pattern: r.Pattern, query: r.URL.RawQuery, key: r.Header.Get("Idempotency-Key"),
				contentType: r.Header.Get("Content-Type"), body: body})
			mu.Unlock()
			switch {
			case op.Status == http.StatusNoContent:
				w.WriteHeader(op.Status)
			case op.List:
				w.WriteHeader(op.Status)
				_, _ = io.WriteString(w, `{"items":[{}]}`)
			case op.Result == reflect.TypeFor[crm.EventPage]():
				w.WriteHeader(op.Status)
				_, _ = io.WriteString(w, `{"items":[{}],"next":1}`)
			default:
				w.WriteHeader(op.Status)
				_, _ = io.WriteString(w, `{}`)
			}
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s %s matches no route", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := client.New(srv.URL, "key", client.WithRetries(0))
	require.NoError(t, err)

	ctx := context.Background()
	cv := reflect.ValueOf(c)
	ct := cv.Type()
	called := map[string][]string{} // pattern → methods
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		ft := m.Type
		args := []reflect.Value{cv}
		for j := 1; j < ft.NumIn(); j++ {
			in := ft.In(j)
			switch {
			case in == reflect.TypeFor[context.Context]():
				args = append(args, reflect.ValueOf(ctx))
			case in.Kind() == reflect.String:
				args = append(args, reflect.ValueOf("p"+string(rune('0'+j))).Convert(in))
			case in == reflect.TypeFor[client.Patch]():
				args = append(args, reflect.ValueOf(client.Patch{"name": "x"}))
			default:
				args = append(args, reflect.Zero(in))
			}
		}
		mu.Lock()
		hits = nil
		mu.Unlock()
		out := m.Func.Call(args)
		iterator := ft.NumOut() == 1 && strings.HasPrefix(ft.Out(0).Name(), "Seq2[")
		if iterator {
			// Read the first item; the iterator must get it from a listing.
			seq := out[0].Interface()
			n := 0
			for _, err := range seqOf(t, seq) {
				assert.NoError(t, err, m.Name)
				n++
				break
			}
			assert.Equal(t, 1, n, "%s yields the listing's item", m.Name)
		} else {
			errV := out[len(out)-1]
			assert.True(t, errV.IsNil(), "%s: %v", m.Name, errV.Interface())
		}
		mu.Lock()
		got := slices.Clone(hits)
		mu.Unlock()
		require.Len(t, got, 1, "%s sends one request", m.Name)
		h := got[0]
		op, ok := ops[h.pattern]
		require.True(t, ok, "%s calls a route of the table", m.Name)
		if iterator {
			assert.True(t, op.List || op.ID == "listEvents", "%s reads a listing, not %s", m.Name, op.ID)
			continue
		}
		called[h.pattern] = append(called[h.pattern], m.Name)
		assert.Equal(t, op.Body != nil, len(h.body) > 0, "%s sends a body exactly when %s takes one", m.Name, op.ID)
		if op.Body != nil {
			assert.True(t, json.Valid(h.body), "%s sends JSON", m.Name)
			want := "application/json"
			if op.Patch {
				want = "application/merge-patch+json"
			}
			assert.Equal(t, want, h.contentType, m.Name)
		}
		assert.Equal(t, op.Idempotent, h.key != "", "%s sends an Idempotency-Key exactly when %s honours one", m.Name, op.ID)
		assert.Empty(t, h.query, "%s sends no parameter it was not given", m.Name)
	}
	for pattern, op := range ops {
		assert.Len(t, called[pattern], 1, "operation %s (%s) has exactly one method; has %v", op.ID, pattern, called[pattern])
	}
}

// seqOf returns the iterator seq (an iter.Seq2[T, error] for some T) as one
// over any.
func seqOf(t *testing.T, seq any) iter.Seq2[any, error] {
	t.Helper()
	v := reflect.ValueOf(seq)
	return func(yield func(any, error) bool) {
		fn := reflect.MakeFunc(v.Type().In(0), func(args []reflect.Value) []reflect.Value {
			err, _ := args[1].Interface().(error)
			return []reflect.Value{reflect.ValueOf(yield(args[0].Interface(), err))}
		})
		v.Call([]reflect.Value{fn})
	}
}
