package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keysEnv serves the managed keys beside the fixed ones: keyA (store A's,
// the legacy admin and group_admin) and an admin-only key of store A.
func keysEnv(t *testing.T) (*env, *time.Time) {
	t.Helper()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	svc, err := apikey.NewService(memory.NewKeyStore(), []byte("the test's server secret, 32 bytes and more"),
		apikey.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	e := newEnvOn(t, memory.New(), httpapi.WithKeys(svc),
		httpapi.WithPrincipals(map[string]crm.Principal{"admin-only": {Dealer: dealerA, Staff: "A01", Roles: []crm.Role{crm.RoleAdmin}, KeyID: "K-ADMIN"}}))
	return e, &now
}

func TestManagedKeys(t *testing.T) {
	e, _ := keysEnv(t)
	// The store's admin makes a key for the CR specialist 王芳.
	w := e.do(http.MethodPost, "/v1/api-keys", "admin-only", obj{"name": "王芳的回访", "roles": []string{"cr"}, "staff_id": "S07"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	made := decode(t, w)
	token, _ := made["token"].(string)
	key, _ := made["key"].(map[string]any)
	id, _ := key["id"].(string)
	require.True(t, strings.HasPrefix(token, apikey.Prefix+id+"_"), "the token, shown once: %s", token)
	assert.Equal(t, "/v1/api-keys/"+id, w.Header().Get("Location"))
	assert.Equal(t, "K-ADMIN", key["created_by"], "made by the admin's key")
	assert.NotContains(t, key, "hash")

	// The token acts as a CR specialist of store A.
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/customers", token, nil).Code)
	requireProblem(t, e.do(http.MethodGet, "/v1/api-keys", token, nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyA, nil).Code, "the fixed keys work beside the managed ones")

	// Lists and reads never show a token again.
	for _, path := range []string{"/v1/api-keys", "/v1/api-keys/" + id} {
		w = e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.NotContains(t, w.Body.String(), token[len(apikey.Prefix)+len(id)+1:], path)
		assert.NotContains(t, w.Body.String(), `"hash"`, path)
	}

	// Store B sees none of it and can touch none of it.
	w = e.do(http.MethodGet, "/v1/api-keys", keyB, nil)
	assert.JSONEq(t, `{"items":[]}`, w.Body.String())
	for _, req := range []struct{ method, path string }{{http.MethodGet, ""}, {http.MethodPost, "/revoke"}, {http.MethodPost, "/rotate"}} {
		requireProblem(t, e.do(req.method, "/v1/api-keys/"+id+req.path, keyB, obj{}), http.StatusNotFound, "not_found")
	}

	// Revoked, the token is refused; revoking again changes nothing.
	w = e.do(http.MethodPost, "/v1/api-keys/"+id+"/revoke", "admin-only", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	revokedAt := decode(t, w)["revoked_at"]
	require.NotEmpty(t, revokedAt)
	requireProblem(t, e.do(http.MethodGet, "/v1/customers", token, nil), http.StatusUnauthorized, "unauthenticated")
	w = e.do(http.MethodPost, "/v1/api-keys/"+id+"/revoke", "admin-only", nil)
	assert.Equal(t, revokedAt, decode(t, w)["revoked_at"])
	w = e.do(http.MethodGet, "/v1/api-keys?active=true", keyA, nil)
	assert.JSONEq(t, `{"items":[]}`, w.Body.String(), "no active key left")

	// Tokens that look managed but are not are a 401, never a 500.
	for _, bad := range []string{apikey.Prefix, apikey.Prefix + id + "_x", token + "A", apikey.Prefix + strings.Repeat("a", 16) + "_" + strings.Repeat("b", 43)} {
		requireProblem(t, e.do(http.MethodGet, "/v1/dealer", bad, nil), http.StatusUnauthorized, "unauthenticated")
	}
}

// TestManagedKeysGrantNoMore: no key grants more than its maker holds —
// an admin (without group views) cannot make or manage a group_admin key,
// a legacy admin + group_admin key can; bad input names the field.
func TestManagedKeysGrantNoMore(t *testing.T) {
	e, _ := keysEnv(t)
	w := e.do(http.MethodPost, "/v1/api-keys", "admin-only", obj{"name": "集团看板", "roles": []string{"group_admin"}})
	p := requireProblem(t, w, http.StatusForbidden, "permission_denied")
	assert.Equal(t, map[string]string{"roles": "scope"}, problemFields(p), "%s", w.Body)

	w = e.do(http.MethodPost, "/v1/api-keys", keyA, obj{"name": "集团看板", "roles": []string{"group_admin"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	id := decode(t, w)["key"].(map[string]any)["id"].(string)
	requireProblem(t, e.do(http.MethodPost, "/v1/api-keys/"+id+"/revoke", "admin-only", nil), http.StatusForbidden, "permission_denied")
	requireProblem(t, e.do(http.MethodPost, "/v1/api-keys/"+id+"/rotate", "admin-only", obj{}), http.StatusForbidden, "permission_denied")
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/v1/api-keys/"+id+"/revoke", keyA, nil).Code)

	w = e.do(http.MethodPost, "/v1/api-keys", keyA, obj{"name": "", "roles": []string{"boss"}, "expires_at": "2020-01-01T00:00:00Z"})
	p = requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"name": "required", "roles[0]": "enum", "expires_at": "min"}, problemFields(p))
	w = e.do(http.MethodPost, "/v1/api-keys/"+id+"/rotate", keyA, obj{"overlap_hours": 721})
	assert.Equal(t, map[string]string{"overlap_hours": "min"}, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")))
}

// TestManagedKeyRotation: the successor works at once with the same
// roles and staff; the old key works for the overlap, then stops.
func TestManagedKeyRotation(t *testing.T) {
	e, now := keysEnv(t)
	w := e.do(http.MethodPost, "/v1/api-keys", keyA, obj{"name": "DMS 同步", "roles": []string{"integration"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	old := decode(t, w)
	oldToken := old["token"].(string)
	oldID := old["key"].(map[string]any)["id"].(string)

	w = e.do(http.MethodPost, "/v1/api-keys/"+oldID+"/rotate", keyA, obj{"overlap_hours": 2})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	next := decode(t, w)
	key := next["key"].(map[string]any)
	assert.Equal(t, []any{"integration"}, key["roles"])
	assert.Equal(t, "DMS 同步", key["name"])
	for _, token := range []string{oldToken, next["token"].(string)} {
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", token, nil).Code, "both work during the overlap")
	}
	*now = now.Add(2 * time.Hour)
	requireProblem(t, e.do(http.MethodGet, "/v1/dealer", oldToken, nil), http.StatusUnauthorized, "unauthenticated")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", next["token"].(string), nil).Code)
	w = e.do(http.MethodPost, "/v1/api-keys/"+oldID+"/rotate", keyA, obj{})
	requireProblem(t, w, http.StatusConflict, "failed_precondition")
}
