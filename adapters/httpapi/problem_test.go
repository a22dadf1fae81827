package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConflictProblems: a taken external ID or VIN is a 409 whose detail
// says in words which field is taken and whose errors name it, without a
// constraint, SQLSTATE or store name (issue 12).
func TestConflictProblems(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodPost, "/v1/customers", keyA, obj{"name": "王伟", "mobile": "13912345678", "external_id": "DMS-C1"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	owner := decode(t, w)["id"].(string)
	w = e.do(http.MethodPost, "/v1/vehicles", keyA, obj{"vin": vin(1), "model": "A4L", "owner_id": owner, "external_id": "DMS-V1"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	cases := []struct {
		name, path, field, detail string
		body                      obj
	}{
		{"CustomerExternalID", "/v1/customers", "external_id", "external_id is already registered to another customer of this dealer",
			obj{"name": "李娜", "mobile": "13812345678", "external_id": "DMS-C1"}},
		{"VehicleVIN", "/v1/vehicles", "vin", "vin is already registered to another vehicle of this dealer",
			obj{"vin": vin(1), "model": "A6L", "owner_id": owner}},
		{"VehicleExternalID", "/v1/vehicles", "external_id", "external_id is already registered to another vehicle of this dealer",
			obj{"vin": vin(2), "model": "A6L", "owner_id": owner, "external_id": "DMS-V1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(http.MethodPost, tc.path, keyA, tc.body)
			p := requireProblem(t, w, http.StatusConflict, "conflict")
			assert.Equal(t, tc.detail, p["detail"])
			assert.Equal(t, map[string]string{tc.field: "unique"}, problemFields(p), "errors name the field")
			body := strings.ToLower(w.Body.String())
			for _, bad := range []string{"sqlstate", "_key", "_pkey", "memory:", "postgres:", "constraint", "13812345678", "李娜"} {
				assert.NotContains(t, body, bad, "the problem does not show %q", bad)
			}
		})
	}
}

// TestStatusOf: the status of a domain error is the one the API answers
// it with (the console's pages use it too).
func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{dealercrm.Errorf(dealercrm.Invalid, "bad"), http.StatusUnprocessableEntity},
		{dealercrm.Errorf(dealercrm.NotFound, "gone"), http.StatusNotFound},
		{dealercrm.Errorf(dealercrm.FailedPrecondition, "closed"), http.StatusConflict},
		{dealercrm.Errorf(dealercrm.PermissionDenied, "no"), http.StatusForbidden},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{errors.New("driver broke"), http.StatusInternalServerError},
	} {
		assert.Equal(t, tc.want, httpapi.StatusOf(tc.err), "%v", tc.err)
	}
}
