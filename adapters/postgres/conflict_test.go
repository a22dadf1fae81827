package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookedStore returns a migrated store whose failed statements h records,
// after checking that h does see one of the store's: a birthday Postgres
// cannot hold (date out of range, 22008).
func hookedStore(t *testing.T) (*postgres.Store, *pgtest.StatementErrors) {
	t.Helper()
	s, h := pgtest.NewWatchedStore(t)
	c := crmtest.Customer("d", 1)
	c.Birthday = dealercrm.NewDate(9_999_999, 1, 1)
	require.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(s.Customers().Create(context.Background(), &c)))
	require.Len(t, h.Errors(), 1, "the hook records the store's failed statements: %v", h.Errors())
	h.Reset()
	return s, h
}

// TestTakenKeysRaiseNoStatementError: a duplicate external ID, VIN or ID
// is found by insert-or-detect, so Postgres never fails a statement — and
// so never logs one carrying a customer's name and mobile (issue 12) —
// and the caller gets a *crm.ConflictError naming the field. The hook
// records a unique violation when one happens (the last case).
func TestTakenKeysRaiseNoStatementError(t *testing.T) {
	ctx := context.Background()
	s, h := hookedStore(t)
	dealer := newDealer(t, s)
	c := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &c))
	c2 := crmtest.Customer(dealer, 2)
	require.NoError(t, s.Customers().Create(ctx, &c2))
	v := crmtest.Vehicle(dealer, c.ID, 1)
	require.NoError(t, s.Vehicles().Create(ctx, &v))
	v2 := crmtest.Vehicle(dealer, c.ID, 2)
	require.NoError(t, s.Vehicles().Create(ctx, &v2))

	cases := []struct {
		name, field string
		run         func(st crm.Store) error
	}{
		{"CustomerExternalID", "external_id", func(st crm.Store) error {
			dup := crmtest.Customer(dealer, 3)
			dup.ExternalID = c.ExternalID
			return st.Customers().Create(ctx, &dup)
		}},
		{"CustomerID", "id", func(st crm.Store) error {
			dup := crmtest.Customer(dealer, 3)
			dup.ID = c.ID
			return st.Customers().Create(ctx, &dup)
		}},
		{"VehicleVIN", "vin", func(st crm.Store) error {
			dup := crmtest.Vehicle(dealer, c.ID, 3)
			dup.VIN = v.VIN
			return st.Vehicles().Create(ctx, &dup)
		}},
		{"UpdateExternalID", "external_id", func(st crm.Store) error {
			_, err := st.Customers().Update(ctx, dealer, c2.ID, func(x *crm.Customer) error { x.ExternalID = c.ExternalID; return nil })
			return err
		}},
		{"UpdateVIN", "vin", func(st crm.Store) error {
			_, err := st.Vehicles().Update(ctx, dealer, v2.ID, func(x *crm.Vehicle) error { x.VIN = v.VIN; return nil })
			return err
		}},
		{"UpsertID", "items[1].id", func(st crm.Store) error {
			dup := crmtest.Customer(dealer, 4)
			dup.ID = c.ID
			_, err := st.Customers().Upsert(ctx, dealer, []crm.Customer{crmtest.Customer(dealer, 3), dup})
			return err
		}},
		{"UpsertVIN", "items[0].vin", func(st crm.Store) error {
			dup := crmtest.Vehicle(dealer, c.ID, 3)
			dup.VIN = v.VIN
			_, err := st.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{dup})
			return err
		}},
		{"UpsertVINMoved", "items[0].vin", func(st crm.Store) error {
			moved := v2.Clone()
			moved.VIN = v.VIN
			_, err := st.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{moved})
			return err
		}},
		{"Dealer", "id", func(st crm.Store) error {
			d := crmtest.Dealer(dealer)
			return st.Dealers().Create(ctx, &d)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(s)
			var ce *crm.ConflictError
			require.ErrorAs(t, err, &ce, "a taken key is a *crm.ConflictError: %v", err)
			assert.Equal(t, tc.field, ce.Field)
			crmtest.AssertCleanMessage(t, err)

			// Inside a transaction (writes under savepoints) alike, and
			// the transaction stays usable.
			err = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
				err := tc.run(tx)
				_, getErr := tx.Customers().Get(ctx, dealer, c.ID)
				require.NoError(t, getErr, "the transaction is usable after the conflict")
				return err
			})
			require.ErrorAs(t, err, &ce, "in a transaction: %v", err)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
	assert.Empty(t, h.Errors(), "no statement failed, so Postgres logged none")
}

// TestConflictOverHTTP: through the real handler on Postgres, a taken VIN
// or external ID answers 409 naming the field, as on memory
// (httpapi.TestConflictProblems), and raises no statement error.
func TestConflictOverHTTP(t *testing.T) {
	s, h := hookedStore(t)
	svc := crm.NewService(s)
	const key = "test-key"
	d, err := svc.CreateDealer(context.Background(), crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店"})
	require.NoError(t, err)
	handler := httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{key: d.ID}))
	post := func(path, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Accept-Language", "en") // the domain's English words
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		var out map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
		return w.Code, out
	}
	code, c := post("/v1/customers", `{"name": "王伟", "mobile": "13912345678", "external_id": "DMS-C1"}`)
	require.Equal(t, http.StatusCreated, code, c)
	vin := crmtest.VIN(1)
	code, v := post("/v1/vehicles", `{"vin": "`+vin+`", "model": "A4L", "owner_id": "`+c["id"].(string)+`"}`)
	require.Equal(t, http.StatusCreated, code, v)

	cases := []struct{ name, path, body, field, detail string }{
		{"ExternalID", "/v1/customers", `{"name": "李娜", "mobile": "13812345678", "external_id": "DMS-C1"}`,
			"external_id", "external_id is already registered to another customer of this dealer"},
		{"VIN", "/v1/vehicles", `{"vin": "` + vin + `", "model": "A6L"}`,
			"vin", "vin is already registered to another vehicle of this dealer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, p := post(tc.path, tc.body)
			require.Equal(t, http.StatusConflict, code, p)
			assert.Equal(t, string(dealercrm.Conflict), p["code"])
			assert.Equal(t, tc.detail, p["detail"])
			assert.Equal(t, []any{map[string]any{"field": tc.field, "rule": "unique", "message": strings.TrimPrefix(tc.detail, tc.field+" ")}}, p["errors"])
		})
	}
	assert.Empty(t, h.Errors(), "no statement failed, so Postgres logged none")
}

// TestUpsertTakenIDInALargeBatch: an Upsert of at least 100 new records
// first asks whether any stored record's ID lies between the least and
// the greatest of theirs, and looks the IDs up one by one only then. A
// batch of new IDs made by dealercrm.NewID spans none and is not looked
// up; a taken ID is still found — also where byte order (the IDs'
// COLLATE "C", as Go compares them) and a locale's order disagree on the
// span — and so is a batch whose span holds a stored record it does not
// name, which is written.
func TestUpsertTakenIDInALargeBatch(t *testing.T) {
	ctx := context.Background()
	s, h := hookedStore(t)
	dealer := newDealer(t, s)
	held := crmtest.Customer(dealer, 1)
	held.ID = "B-held"
	require.NoError(t, s.Customers().Create(ctx, &held))
	batch := func(first int, ids ...string) []crm.Customer {
		out := make([]crm.Customer, len(ids))
		for i, id := range ids {
			out[i] = crmtest.Customer(dealer, first+i)
			if id != "" {
				out[i].ID = crm.CustomerID(id)
			}
		}
		return out
	}
	named := func(prefix string, n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
		}
		return ids
	}
	idLookups := func() int { return len(h.Statements(`t."id" = k.v`)) }

	// "B-held" sorts before "a-…" in bytes, after them in en_US.
	items := batch(100, append(named("a", 120), string(held.ID))...)
	_, err := s.Customers().Upsert(ctx, dealer, items)
	var ce *crm.ConflictError
	require.ErrorAs(t, err, &ce, "a taken ID in a batch of 121: %v", err)
	assert.Equal(t, "items[120].id", ce.Field)
	_, err = s.Customers().Get(ctx, dealer, "a-000")
	assert.ErrorIs(t, err, crm.ErrNotFound, "the refused batch wrote nothing")

	h.Reset()
	around := append(named("A", 60), named("C", 60)...)
	res, err := s.Customers().Upsert(ctx, dealer, batch(300, around...))
	require.NoError(t, err, "a batch whose span holds a record it does not name")
	require.Len(t, res, 120)
	assert.Equal(t, crm.Created, res[119].Outcome)
	assert.Equal(t, 1, idLookups(), "the span holds a record: the IDs are looked up")

	h.Reset()
	res, err = s.Customers().Upsert(ctx, dealer, batch(500, make([]string, 120)...))
	require.NoError(t, err)
	assert.Equal(t, crm.Created, res[0].Outcome)
	assert.Zero(t, idLookups(), "new IDs of dealercrm.NewID span no stored record: not looked up one by one")

	h.Reset()
	res, err = s.Customers().Upsert(ctx, dealer, batch(700, make([]string, 99)...))
	require.NoError(t, err)
	assert.Len(t, res, 99)
	assert.Equal(t, 1, idLookups(), "fewer than 100 new IDs are looked up as before")
	assert.Empty(t, h.Errors(), "no statement failed")
}
