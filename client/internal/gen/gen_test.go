package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedIsCurrent regenerates the client from the route table and
// fails when the checked-in file differs: a route added, removed or
// changed without `go generate ./client`.
func TestGeneratedIsCurrent(t *testing.T) {
	d, err := httpapiDocs()
	require.NoError(t, err)
	assert.NotEmpty(t, d["customerInput"].doc, "the API's comments are read")
	want, err := generate(httpapi.Operations(), d)
	require.NoError(t, err)
	got, err := os.ReadFile("../../zz_generated.go")
	require.NoError(t, err)
	if string(got) != string(want) {
		t.Fatal("client/zz_generated.go is not what the route table generates; run go generate ./client")
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"getCustomer": "GetCustomer", "listAPIKeys": "ListAPIKeys", "getRFMReport": "GetRFMReport", "openapi": "OpenAPI",
	} {
		assert.Equal(t, want, methodName(in), in)
	}
	for in, want := range map[string]string{
		"customerInput": "CustomerInput", "ahpWeightsInput": "AHPWeightsInput", "newKey": "NewKey",
	} {
		assert.Equal(t, want, goName(splitCamel(in)), in)
	}
	assert.Equal(t, "ConsultantID", goName(strings.Split("consultant_id", "_")))
	assert.Equal(t, "AllCustomers", allName("ListCustomers"))
}

// TestGenerateRefuses checks that what the generator cannot copy
// faithfully stops it instead of writing a client that differs.
func TestGenerateRefuses(t *testing.T) {
	type clash struct{ A int }
	ops := []httpapi.Operation{{Method: "GET", Path: "/a", ID: "new", Status: 200, Result: reflect.TypeFor[clash]()}}
	_, err := generate(ops, docs{})
	require.Error(t, err, "an operation named like a hand-written function")
	assert.Contains(t, err.Error(), "hand-written")

	ops = []httpapi.Operation{{Method: "GET", Path: "/a", ID: "getA", Status: 200, List: true, Result: reflect.TypeFor[clash]()}}
	_, err = generate(ops, docs{})
	require.Error(t, err, "a listing without after")

	ops = []httpapi.Operation{{Method: "GET", Path: "/a", ID: "getA", Status: 200,
		Params: []httpapi.Param{{Name: "m", Type: reflect.TypeFor[map[string]int]()}}}}
	_, err = generate(ops, docs{})
	require.Error(t, err, "a query parameter without an encoding")
}

// TestPathIDs checks the ID types of the path wildcards against the
// records: where GET of a path up to {id} answers a record with an ID
// field, the wildcard has that field's type. Every entry is used.
func TestPathIDs(t *testing.T) {
	used := map[string]bool{}
	checked := 0
	for _, op := range httpapi.Operations() {
		_, prefixes := pathWildcards(op.Path)
		for _, p := range prefixes {
			used[p] = true
		}
		if op.Method != "GET" || op.List || op.Result == nil || op.Result.Kind() != reflect.Struct || !strings.HasSuffix(op.Path, "{id}") {
			continue
		}
		f, ok := op.Result.FieldByName("ID")
		if !ok || f.Type.Kind() != reflect.String {
			continue
		}
		checked++
		assert.Equal(t, f.Type, pathIDs[op.Path], "%s answers a %s, whose ID is a %s", op.Path, op.Result, f.Type)
	}
	assert.GreaterOrEqual(t, checked, 15, "the records the table names")
	for p := range pathIDs {
		assert.True(t, used[p], "pathIDs[%q] is a path of the table", p)
	}
}
