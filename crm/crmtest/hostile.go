package crmtest

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunHostileInputTests checks that a crm.Store answers hostile input from a
// Go caller exactly as every other store does, with typed errors that name
// the field and whose messages a client can be shown:
//
//   - a cursor no listing returned (not base64, or decoding to a NUL or
//     invalid UTF-8, such as "AAAA") is a *crm.ValidationError of entity
//     "page" on field "after", rule crm.RuleFormat;
//   - a NUL or invalid UTF-8 in an ID, external ID, dealer ID, filter value
//     or record written is a *crm.ValidationError, rule crm.RuleText,
//     naming the field by its JSON path ("hobbies[1]", "items[1].name",
//     "external_ids[1]"), and nothing is written;
//   - a taken key is a *crm.ConflictError naming the field ("vin",
//     "items[2].id") in the order id, external_id, vin;
//   - no message names a SQLSTATE, a constraint, a key's index or the store
//     ("memory:", "postgres:").
//
// newStore is called once per subtest, like RunStoreTests'.
func RunHostileInputTests(t *testing.T, newStore func(t *testing.T) crm.Store) {
	t.Run("Dealers", func(t *testing.T) { testHostileDealers(t, newStore(t)) })
	t.Run("Customers", func(t *testing.T) { runHostile(t, newStore, customerSpec()) })
	t.Run("Leads", func(t *testing.T) { runHostile(t, newStore, leadSpec()) })
	t.Run("Vehicles", func(t *testing.T) { runHostile(t, newStore, vehicleSpec()) })
	t.Run("Sales", func(t *testing.T) { runHostile(t, newStore, saleSpec()) })
	t.Run("ServiceOrders", func(t *testing.T) { runHostile(t, newStore, serviceOrderSpec()) })
	t.Run("Policies", func(t *testing.T) { runHostile(t, newStore, policySpec()) })
	t.Run("Interactions", func(t *testing.T) { runHostile(t, newStore, interactionSpec()) })
	t.Run("Complaints", func(t *testing.T) { runHostile(t, newStore, complaintSpec()) })
	t.Run("Participations", func(t *testing.T) { runHostile(t, newStore, participationSpec()) })
	t.Run("CustomerText", func(t *testing.T) { testHostileCustomerText(t, newStore(t)) })
}

// Text no store can keep: a NUL, and a byte that is not UTF-8.
var badTexts = []string{"a\x00b", "a\xffb"}

// badCursors are cursors no listing returns: not base64, padded, and
// base64 of three NULs ("AAAA", issue 12), of "a\x00b" and of 0xff.
var badCursors = []string{
	"%%% not a cursor", "==", "AAAA=", "AAAA",
	base64.RawURLEncoding.EncodeToString([]byte("a\x00b")),
	base64.RawURLEncoding.EncodeToString([]byte{0xff}),
}

// forbidden are what a message shown to clients never contains.
var forbidden = []string{"sqlstate", "_key", "_pkey", "memory:", "postgres:", "constraint"}

// AssertCleanMessage asserts that neither err's text nor the message users
// see (dealercrm.ErrorMessage) names a SQLSTATE, a constraint or the store.
func AssertCleanMessage(t testing.TB, err error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return true
	}
	ok := true
	for _, text := range []string{err.Error(), dealercrm.ErrorMessage(err)} {
		lower := strings.ToLower(text)
		for _, f := range forbidden {
			if strings.Contains(lower, f) {
				ok = assert.Fail(t, "the message names "+f+": "+text, msgAndArgs...)
			}
		}
	}
	return ok
}

// assertInvalid asserts that err is a *crm.ValidationError of entity with
// exactly fields (field → rule), and a clean message.
func assertInvalid(t *testing.T, err error, entity string, fields map[string]string, msg string) {
	t.Helper()
	var ve *crm.ValidationError
	if !assert.ErrorAs(t, err, &ve, "%s: a *crm.ValidationError", msg) {
		return
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Rule
	}
	assert.Equal(t, entity, ve.Entity, "%s: the entity", msg)
	assert.Equal(t, fields, got, "%s: the fields and rules", msg)
	AssertCleanMessage(t, err, msg)
}

// assertConflict asserts that err is a *crm.ConflictError on entity and
// field, and a clean message.
func assertConflict(t *testing.T, err error, entity, field, msg string) {
	t.Helper()
	var ce *crm.ConflictError
	if !assert.ErrorAs(t, err, &ce, "%s: a *crm.ConflictError", msg) {
		return
	}
	assert.ErrorIs(t, err, crm.ErrConflict, msg)
	assert.Equal(t, crm.ConflictError{Entity: entity, Field: field}, *ce, msg)
	AssertCleanMessage(t, err, msg)
}

func testHostileDealers(t *testing.T, s crm.Store) {
	ctx := t.Context()
	d := Dealer(newDealerID())
	require.NoError(t, s.Dealers().Create(ctx, &d), "Create of a dealer")
	again := Dealer(d.ID)
	err := s.Dealers().Create(ctx, &again)
	assertConflict(t, err, "dealer", "id", "Create of a taken dealer ID")
	assert.Equal(t, "id is already registered to another dealer", dealercrm.ErrorMessage(err), "the message says what is taken")

	noID := Dealer("")
	assertInvalid(t, s.Dealers().Create(ctx, &noID), "dealer", map[string]string{"id": crm.RuleRequired}, "Create of a dealer without ID")
	for _, bad := range badTexts {
		_, err := s.Dealers().Get(ctx, crm.DealerID(bad))
		assertInvalid(t, err, "dealer", map[string]string{"id": crm.RuleText}, "Get of a dealer ID with bad text")
		_, err = s.Dealers().Update(ctx, crm.DealerID(bad), func(*crm.Dealer) error { return nil })
		assertInvalid(t, err, "dealer", map[string]string{"id": crm.RuleText}, "Update of a dealer ID with bad text")
		_, err = s.Dealers().List(ctx, crm.DealerFilter{GroupID: crm.GroupID(bad)})
		assertInvalid(t, err, "dealer filter", map[string]string{"group_id": crm.RuleText}, "List by a group ID with bad text")
		w := Dealer(newDealerID())
		w.Brands = []string{"VW", bad}
		assertInvalid(t, s.Dealers().Create(ctx, &w), "dealer", map[string]string{"brands[1]": crm.RuleText}, "Create of a dealer with a bad brand")
		_, err = s.Dealers().Update(ctx, d.ID, func(v *crm.Dealer) error { v.Name = bad; return nil })
		assertInvalid(t, err, "dealer", map[string]string{"name": crm.RuleText}, "Update to a name with bad text")
	}
	assertDealer(t, s.Dealers(), d, "failed writes leave the dealer unchanged")
	for _, after := range badCursors {
		_, err := s.Dealers().List(ctx, crm.DealerFilter{PageRequest: crm.PageRequest{After: after}})
		assertInvalid(t, err, "page", map[string]string{"after": crm.RuleFormat}, "List after cursor "+after)
	}
}

func runHostile[T cloner[T], ID ~string, F any](t *testing.T, newStore func(*testing.T) crm.Store, sp spec[T, ID, F]) {
	s := newStore(t)
	e := &env[T, ID, F]{spec: sp, s: s, r: sp.repo(s)}
	e.a = seed(t, s, sp.need)
	ctx := t.Context()
	orig := e.create(t, e.a)
	other := e.create(t, e.a)
	dealer, id := e.a.dealer, e.idOf(orig)

	t.Run("Cursor", func(t *testing.T) {
		for _, after := range badCursors {
			_, err := e.r.List(ctx, dealer, e.page(*new(F), crm.PageRequest{After: after}))
			assertInvalid(t, err, "page", map[string]string{"after": crm.RuleFormat}, "List after cursor "+after)
		}
		// A cursor past every ID is a well-formed one: an empty page.
		p, err := e.r.List(ctx, dealer, e.page(*new(F), crm.PageRequest{After: base64.RawURLEncoding.EncodeToString([]byte("\U0010ffff"))}))
		require.NoError(t, err, "List after a well-formed cursor past every ID")
		assert.Empty(t, p.Items, "nothing lies past the last ID")
	})

	t.Run("IDs", func(t *testing.T) {
		for _, bad := range badTexts {
			text := map[string]string{"id": crm.RuleText}
			_, err := e.r.Get(ctx, dealer, ID(bad))
			assertInvalid(t, err, e.name, text, "Get of a bad ID")
			_, err = e.r.Get(ctx, crm.DealerID(bad), id)
			assertInvalid(t, err, e.name, map[string]string{"dealer_id": crm.RuleText}, "Get with a bad dealer ID")
			_, err = e.r.GetByExternalID(ctx, dealer, bad)
			assertInvalid(t, err, e.name, map[string]string{"external_id": crm.RuleText}, "GetByExternalID of a bad external ID")
			called := false
			_, err = e.r.Update(ctx, dealer, ID(bad), func(*T) error { called = true; return nil })
			assertInvalid(t, err, e.name, text, "Update of a bad ID")
			assert.False(t, called, "Update of a bad ID does not call fn")
			assertInvalid(t, e.r.Delete(ctx, dealer, ID(bad)), e.name, text, "Delete of a bad ID")
			_, err = e.r.ResolveExternalIDs(ctx, dealer, []string{e.extOf(orig), bad})
			assertInvalid(t, err, e.name, map[string]string{"external_ids[1]": crm.RuleText}, "ResolveExternalIDs with a bad external ID")
			_, err = e.r.List(ctx, crm.DealerID(bad), *new(F))
			assertInvalid(t, err, e.name, map[string]string{"dealer_id": crm.RuleText}, "List of a bad dealer ID")
		}
		e.assertStored(t, orig, "hostile reads and writes leave the record unchanged")
	})

	t.Run("Filter", func(t *testing.T) {
		for _, bad := range badTexts {
			f, field := setFirstString(*new(F), bad)
			require.NotEmpty(t, field, "the %s filter has a text field", e.name)
			_, err := e.r.List(ctx, dealer, f)
			assertInvalid(t, err, e.name+" filter", map[string]string{field: crm.RuleText}, "List by a filter with bad text")
		}
	})

	t.Run("Writes", func(t *testing.T) {
		for _, bad := range badTexts {
			text := map[string]string{"external_id": crm.RuleText}
			v := e.make(e.a)
			e.rec(&v).ExternalID = bad
			assertInvalid(t, e.r.Create(ctx, &v), e.name, text, "Create with a bad external ID")
			e.assertAbsent(t, dealer, e.idOf(v), "a refused Create writes nothing")

			w := e.make(e.a)
			*e.id(&w) = ID(bad)
			assertInvalid(t, e.r.Create(ctx, &w), e.name, map[string]string{"id": crm.RuleText}, "Create with a bad ID")

			_, err := e.r.Update(ctx, dealer, id, func(v *T) error { e.mutate(v); e.rec(v).ExternalID = bad; return nil })
			assertInvalid(t, err, e.name, text, "Update to a bad external ID")

			items := []T{e.make(e.a), e.make(e.a)}
			e.rec(&items[1]).ExternalID = bad
			_, err = e.r.Upsert(ctx, dealer, items)
			assertInvalid(t, err, e.name, map[string]string{"items[1].external_id": crm.RuleText}, "Upsert with a bad external ID")
			e.assertAbsent(t, dealer, e.idOf(items[0]), "a refused Upsert writes nothing")
		}
		e.assertStored(t, orig, "refused writes leave the record unchanged")
	})

	t.Run("Conflicts", func(t *testing.T) {
		dupID := e.make(e.a)
		*e.id(&dupID) = id
		e.rec(&dupID).ExternalID = e.extOf(other)
		assertConflict(t, e.r.Create(ctx, &dupID), e.name, "id", "Create with a taken ID (and external ID)")

		dupExt := e.make(e.a)
		e.rec(&dupExt).ExternalID = e.extOf(orig)
		if e.vin != nil {
			*e.vin(&dupExt) = *e.vin(&other)
		}
		err := e.r.Create(ctx, &dupExt)
		assertConflict(t, err, e.name, "external_id", "Create with a taken external ID (and VIN)")
		assert.Equal(t, "external_id is already registered to another "+e.name+" of this dealer", dealercrm.ErrorMessage(err),
			"the message says in words which field is taken")

		_, err = e.r.Update(ctx, dealer, id, func(v *T) error { e.rec(v).ExternalID = e.extOf(other); return nil })
		assertConflict(t, err, e.name, "external_id", "Update to a taken external ID")

		taken := e.make(e.a)
		*e.id(&taken) = e.idOf(other)
		_, err = e.r.Upsert(ctx, dealer, []T{e.make(e.a), e.make(e.a), taken})
		assertConflict(t, err, e.name, "items[2].id", "Upsert of a new item with a taken ID")

		twice := e.make(e.a)
		again := e.make(e.a)
		*e.id(&again) = e.idOf(twice)
		_, err = e.r.Upsert(ctx, dealer, []T{twice, again})
		assertConflict(t, err, e.name, "items[1].id", "Upsert of two new items with one ID")

		if e.vin != nil {
			dupVIN := e.make(e.a)
			*e.vin(&dupVIN) = *e.vin(&orig)
			err := e.r.Create(ctx, &dupVIN)
			assertConflict(t, err, e.name, "vin", "Create with a taken VIN")
			assert.Equal(t, "vin is already registered to another vehicle of this dealer", dealercrm.ErrorMessage(err))

			_, err = e.r.Update(ctx, dealer, id, func(v *T) error { *e.vin(v) = *e.vin(&other); return nil })
			assertConflict(t, err, e.name, "vin", "Update to a taken VIN")

			moved := orig.Clone()
			*e.vin(&moved) = *e.vin(&other)
			_, err = e.r.Upsert(ctx, dealer, []T{e.make(e.a), moved})
			assertConflict(t, err, e.name, "items[1].vin", "Upsert of an update to a taken VIN")

			x, y := e.make(e.a), e.make(e.a)
			*e.vin(&y) = *e.vin(&x)
			_, err = e.r.Upsert(ctx, dealer, []T{x, y})
			assertConflict(t, err, e.name, "items[1].vin", "Upsert of two new items with one VIN")

			// Items apply in order: a VIN freed by an earlier item is free.
			freed := orig.Clone()
			*e.vin(&freed) = VIN(7777)
			takes := e.make(e.a)
			*e.vin(&takes) = *e.vin(&orig)
			res, err := e.r.Upsert(ctx, dealer, []T{freed, takes})
			require.NoError(t, err, "Upsert of a VIN an earlier item gives up")
			assert.Equal(t, []crm.UpsertOutcome{crm.Updated, crm.Created}, []crm.UpsertOutcome{res[0].Outcome, res[1].Outcome})
			orig = freed
		}
		e.assertStored(t, orig, "conflicting writes leave the record holding the key unchanged")
		e.assertStored(t, other, "and the other one")
	})
}

// setFirstString sets the first text field of filter f (by JSON name,
// not the cursor) to s and returns the filter and the field's name.
func setFirstString[F any](f F, s string) (F, string) {
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous || name == "" || name == "-" {
			continue
		}
		switch sf.Type.Kind() {
		case reflect.String:
			v.Field(i).SetString(s)
			return f, name
		case reflect.Slice:
			if sf.Type.Elem().Kind() == reflect.String {
				sl := reflect.MakeSlice(sf.Type, 2, 2)
				sl.Index(1).SetString(s)
				v.Field(i).Set(sl)
				return f, name + "[1]"
			}
		}
	}
	return f, ""
}

// testHostileCustomerText: bad text anywhere in a customer — a top-level
// field, an element of a list, a field of a nested document — is refused
// naming its JSON path, on Create, Update and Upsert alike.
func testHostileCustomerText(t *testing.T, s crm.Store) {
	ctx := t.Context()
	dealer := newDealer(t, s)
	c := Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &c), "Create of a customer")
	want := c.Clone()
	for _, bad := range badTexts {
		cases := []struct {
			field  string
			change func(*crm.Customer)
		}{
			{"name", func(c *crm.Customer) { c.Name = bad }},
			{"hobbies[1]", func(c *crm.Customer) { c.Hobbies = []string{"golf", bad} }},
			{"region.city", func(c *crm.Customer) { c.Region.City = bad }},
			{"consents[0].source", func(c *crm.Customer) { c.Consents[0].Source = bad }},
		}
		for _, tc := range cases {
			v := Customer(dealer, 2)
			tc.change(&v)
			assertInvalid(t, s.Customers().Create(ctx, &v), "customer", map[string]string{tc.field: crm.RuleText}, "Create with bad "+tc.field)
			_, err := s.Customers().Update(ctx, dealer, c.ID, func(v *crm.Customer) error { tc.change(v); return nil })
			assertInvalid(t, err, "customer", map[string]string{tc.field: crm.RuleText}, "Update to bad "+tc.field)
			_, err = s.Customers().Upsert(ctx, dealer, []crm.Customer{Customer(dealer, 3), v})
			assertInvalid(t, err, "customer", map[string]string{"items[1]." + tc.field: crm.RuleText}, "Upsert with bad "+tc.field)
		}
	}
	got, err := s.Customers().Get(ctx, dealer, c.ID)
	require.NoError(t, err, "Get")
	Equal(t, want, got, "refused writes leave the customer unchanged")
	p, err := s.Customers().List(ctx, dealer, crm.CustomerFilter{})
	require.NoError(t, err, "List")
	assert.Len(t, p.Items, 1, "refused writes create nothing")
}
