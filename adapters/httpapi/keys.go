package httpapi

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
)

// WithKeys serves the dealer's managed API keys (package apikey) to a
// principal with permission keys.manage (the admin), and accepts their
// tokens: a request whose key starts with apikey.Prefix is authenticated
// by svc, any other by the handler's other Authenticator (WithAPIKeys,
// WithPrincipals or WithAuthenticator), so that fixed keys and managed
// ones work side by side while a host moves to the managed ones.
//
//	GET  /v1/api-keys               the dealer's keys (active, staff_id)
//	POST /v1/api-keys               a new key: 201 with the key and its token, shown this once
//	GET  /v1/api-keys/{id}          one key
//	POST /v1/api-keys/{id}/revoke   revoke a key from now on
//	POST /v1/api-keys/{id}/rotate   a successor with the same roles; the old key works for the overlap
//
// No key grants more than its maker holds: a new or rotated key's roles
// may allow nothing the requesting principal's do not, and a key is
// revoked or rotated only by a principal allowed all its key allows (403
// naming roles otherwise): an admin cannot make a group_admin key.
func WithKeys(svc *apikey.Service) Option {
	return func(c *config) {
		c.managed = svc
		c.modules = append(c.modules, module{routes: func() []route { return keyRoutes(svc, c.roles) }, schemas: keySchemas})
	}
}

// keySchemas names the key types of the OpenAPI document.
func keySchemas(r *schemaRegistry) {
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[apikey.Key]():           "APIKey",
		reflect.TypeFor[apikey.CreateRequest](): "APIKeyInput",
		reflect.TypeFor[newKey]():               "NewAPIKey",
	})
	r.docs["APIKey"] = "A managed API key: whom it acts as (dealer, group, staff, roles) and its life (created, expires, revoked, last used). The token is never shown again."
	r.docs["NewAPIKey"] = "A key just made, with its token: the only time the token is shown. Send it as Authorization: Bearer <token>."
}

// newKey is the answer of a key's creation or rotation.
type newKey struct {
	Key apikey.Key `json:"key"`
	// Token is the key's secret, shown this once.
	Token string `json:"token"`
}

// rotateInput is the body of POST /v1/api-keys/{id}/rotate.
type rotateInput struct {
	// OverlapHours is how long the old key keeps working beside the new
	// one, 1 to 720 hours (24 when omitted).
	OverlapHours int `json:"overlap_hours,omitempty"`
}

// keyQuery is the query of GET /v1/api-keys.
type keyQuery struct {
	active bool
	f      apikey.Filter
}

// managedKeys is the handler's Authenticator when WithKeys is given: the
// managed keys first, then the handler's other one.
type managedKeys struct {
	svc   *apikey.Service
	roles crm.RoleTable
	next  Authenticator
	// nextResolved reports that next's principals come with their
	// permissions (the handler's keyring).
	nextResolved bool
}

// Authenticate implements Authenticator; its principals come with their
// permissions.
func (m *managedKeys) Authenticate(r *http.Request) (crm.Principal, error) {
	token := APIKey(r)
	if !strings.HasPrefix(token, apikey.Prefix) {
		p, err := m.next.Authenticate(r)
		if err == nil && !m.nextResolved {
			m.roles.Resolve(&p)
		}
		return p, err
	}
	p, err := m.svc.Authenticate(r.Context(), token)
	if errors.Is(err, apikey.ErrUnauthenticated) {
		return crm.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return crm.Principal{}, err
	}
	m.roles.Resolve(&p)
	return p, nil
}

// within returns nil when the permissions of roles under t are all the
// principal's, else a *crm.PermissionError naming roles: no key grants
// more than its maker holds.
func within(t crm.RoleTable, p crm.Principal, roles []crm.Role) error {
	k := crm.Principal{Roles: roles}
	t.Resolve(&k)
	for _, perm := range k.Permissions {
		if !p.Can(perm) {
			return &crm.PermissionError{Field: "roles", Rule: crm.RuleScope, Permission: perm,
				Message: "roles: the key would allow " + string(perm) + ", which the API key making the request does not have"}
		}
	}
	return nil
}

func keyRoutes(svc *apikey.Service, roles crm.RoleTable) []route {
	const tag = "API keys"
	// manageable reads a key of the dealer that the principal may manage.
	manageable := func(c *call) (apikey.Key, error) {
		k, err := svc.Get(c.r.Context(), c.dealer, apikey.ID(c.r.PathValue("id")))
		if err != nil {
			return apikey.Key{}, err
		}
		return k, within(roles, c.principal, k.Roles)
	}
	params := paged(func(q *keyQuery) *crm.PageRequest { return &q.f.PageRequest },
		boolParam("active", "Only the keys that work now: not revoked, not expired.", func(q *keyQuery) *bool { return &q.active }),
		textParam("staff_id", "The keys of this member of staff.", strings.TrimSpace, func(q *keyQuery) *crm.StaffID { return &q.f.StaffID }),
	)
	return []route{
		query(route{method: http.MethodGet, path: "/v1/api-keys", op: "listAPIKeys", tag: tag,
			summary: "List the API keys of the key's dealer, in ID order (never their tokens)",
			status:  http.StatusOK, result: reflect.TypeFor[apikey.Key](), list: true},
			params, func(c *call, q keyQuery) (crm.Page[apikey.Key], error) {
				if q.active {
					q.f.Active = svc.Now()
				}
				return svc.List(c.r.Context(), c.dealer, q.f)
			}),
		command(route{method: http.MethodPost, path: "/v1/api-keys", op: "createAPIKey", tag: tag,
			summary: "Make an API key of the key's dealer: 201 with the key and its token, shown this once; its roles may allow nothing the requesting key's do not",
			status:  http.StatusCreated, location: "the new key"},
			func(c *call, in apikey.CreateRequest) (newKey, error) {
				if err := within(roles, c.principal, in.Roles); err != nil {
					return newKey{}, err
				}
				k, token, err := svc.Create(c.r.Context(), c.dealer, apikey.ID(c.principal.KeyID), in)
				if err == nil {
					c.setLocation("api-keys", string(k.ID))
				}
				return newKey{Key: k, Token: token}, err
			}),
		fetch(route{method: http.MethodGet, path: "/v1/api-keys/{id}", op: "getAPIKey", tag: tag,
			summary: "Get an API key of the key's dealer (never its token)", status: http.StatusOK},
			func(c *call) (apikey.Key, error) {
				return svc.Get(c.r.Context(), c.dealer, apikey.ID(c.r.PathValue("id")))
			}),
		fetch(route{method: http.MethodPost, path: "/v1/api-keys/{id}/revoke", op: "revokeAPIKey", tag: tag,
			summary: "Revoke an API key from now on (again: no change); only a key allowed all it allows may revoke it", status: http.StatusOK},
			func(c *call) (apikey.Key, error) {
				k, err := manageable(c)
				if err != nil {
					return apikey.Key{}, err
				}
				return svc.Revoke(c.r.Context(), c.dealer, k.ID)
			}),
		command(route{method: http.MethodPost, path: "/v1/api-keys/{id}/rotate", op: "rotateAPIKey", tag: tag,
			summary: "Make an active key's successor with the same roles, staff and expiry (201 with its token, shown this once); the old key keeps working for overlap_hours (24 when omitted), then stops",
			status:  http.StatusCreated, location: "the new key"},
			func(c *call, in rotateInput) (newKey, error) {
				var ch crm.Checker
				if in.OverlapHours < 0 || in.OverlapHours > 720 {
					ch.Add("overlap_hours", crm.RuleMin, "must be 1 to 720 hours, got %d", in.OverlapHours)
				}
				if err := ch.Err("key rotation"); err != nil {
					return newKey{}, err
				}
				k, err := manageable(c)
				if err != nil {
					return newKey{}, err
				}
				k, token, err := svc.Rotate(c.r.Context(), c.dealer, k.ID, apikey.ID(c.principal.KeyID), time.Duration(in.OverlapHours)*time.Hour)
				if err == nil {
					c.setLocation("api-keys", string(k.ID))
				}
				return newKey{Key: k, Token: token}, err
			}),
	}
}
