package httpapi

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOperationsServed checks that Operations describes the handler with
// every module as it serves: the same operations, patterns, bodies,
// results and Idempotency-Key rules, in the same order.
func TestOperationsServed(t *testing.T) {
	svc, modules := newModules(t)
	var opts []Option
	for _, m := range modules {
		opts = append(opts, m.opt)
	}
	h, ok := NewHandler(svc, opts...).(*handler)
	require.True(t, ok)
	row := func(id, pattern string, body, result reflect.Type, list, idem, key bool) string {
		return fmt.Sprintf("%s %s body=%v result=%v list=%v idempotent=%v key=%v", id, pattern, body, result, list, idem, key)
	}
	var served, described []string
	for _, rt := range h.routes {
		served = append(served, row(rt.op, rt.pattern(), rt.body, rt.result, rt.list, rt.idempotent || rt.keyRequired, rt.keyRequired))
	}
	for _, op := range Operations() {
		described = append(described, row(op.ID, op.Method+" "+op.Path, op.Body, op.Result, op.List, op.Idempotent, op.KeyRequired))
		assert.Equal(t, op.Public, op.Permission == "", "%s: a permission unless public", op.ID)
	}
	require.NotEmpty(t, described)
	assert.ElementsMatch(t, served, described, "Operations describes every route the full handler serves")
}
