package crmtest

import (
	"cmp"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cloner is an entity with a deep-copying Clone method.
type cloner[T any] interface{ Clone() T }

// spec describes one kind of dealer-owned entity to the generic repository
// tests: how to reach its store, build valid records and read and change
// their fields.
type spec[T cloner[T], ID ~string, F any] struct {
	name string
	// need lists the parent records build refers to.
	need parents
	repo func(crm.Store) crm.Repository[T, ID, F]
	// build returns a valid record number n of r.dealer with every field set,
	// referring to the parents in r.
	build func(r refs, n int) T
	id    func(*T) *ID
	rec   func(*T) *crm.Record
	// vin is the vehicle's VIN, the only unique key besides the ID and the
	// external ID; nil for other kinds.
	vin func(*T) *string
	// mutate changes the record's content, modifying an element of a nested
	// slice in place when the kind has one, so that shared memory shows.
	mutate func(*T)
	// bump makes one counted change; bumps counts them.
	bump  func(*T)
	bumps func(T) int
	// respell rewrites the record's decimals with more decimal places and the
	// same values; nil for kinds without money.
	respell func(*T)
	// page sets the page request of a filter.
	page func(F, crm.PageRequest) F
	// filters returns records of r.dealer and filter cases over them.
	filters func(r refs) ([]T, []filterCase[F])
	// badFilters are filters every store refuses, each with the field its
	// *crm.ValidationError names; none for most kinds.
	badFilters []badFilter[F]
}

// badFilter is a filter a store refuses and the field the error names.
type badFilter[F any] struct {
	name, field string
	filter      F
}

// filterCase is a filter and the indexes of the records it matches.
type filterCase[F any] struct {
	name   string
	filter F
	want   []int
}

// env is one repository test: a fresh store and two seeded dealers, a and b.
type env[T cloner[T], ID ~string, F any] struct {
	spec[T, ID, F]
	s    crm.Store
	r    crm.Repository[T, ID, F]
	a, b refs
	n    int
}

func runRepositoryTests[T cloner[T], ID ~string, F any](t *testing.T, newStore func(*testing.T) crm.Store, sp spec[T, ID, F]) {
	tests := []struct {
		name string
		run  func(*env[T, ID, F], *testing.T)
	}{
		{"CreateGet", (*env[T, ID, F]).testCreateGet},
		{"NotFound", (*env[T, ID, F]).testNotFound},
		{"Conflict", (*env[T, ID, F]).testConflict},
		{"SameKeysOtherDealer", (*env[T, ID, F]).testSameKeysOtherDealer},
		{"DealerScope", (*env[T, ID, F]).testDealerScope},
		{"ListOrderAndPages", (*env[T, ID, F]).testListOrderAndPages},
		{"ListDefaultLimit", (*env[T, ID, F]).testListDefaultLimit},
		{"ListEmptyAndBadCursor", (*env[T, ID, F]).testListEmptyAndBadCursor},
		{"ListFilters", (*env[T, ID, F]).testListFilters},
		{"ListBadFilters", (*env[T, ID, F]).testListBadFilters},
		{"Update", (*env[T, ID, F]).testUpdate},
		{"UpdateConcurrent", (*env[T, ID, F]).testUpdateConcurrent},
		{"Delete", (*env[T, ID, F]).testDelete},
		{"Copies", (*env[T, ID, F]).testCopies},
		{"Upsert", (*env[T, ID, F]).testUpsert},
		{"UpsertAllOrNothing", (*env[T, ID, F]).testUpsertAllOrNothing},
		{"UpsertOtherDealer", (*env[T, ID, F]).testUpsertOtherDealer},
		{"ResolveExternalIDs", (*env[T, ID, F]).testResolveExternalIDs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			e := &env[T, ID, F]{spec: sp, s: s, r: sp.repo(s)}
			e.a = seed(t, s, sp.need)
			e.b = seed(t, s, sp.need)
			tc.run(e, t)
		})
	}
}

// make builds a new record of r.dealer with the next fixture number.
func (e *env[T, ID, F]) make(r refs) T {
	e.n++
	return e.build(r, e.n)
}

// create stores a new record of r.dealer and returns it.
func (e *env[T, ID, F]) create(t *testing.T, r refs) T {
	t.Helper()
	v := e.make(r)
	want := v.Clone()
	require.NoError(t, e.r.Create(t.Context(), &v), "Create of a new %s", e.name)
	return want
}

func (e *env[T, ID, F]) idOf(v T) ID      { return *e.id(&v) }
func (e *env[T, ID, F]) extOf(v T) string { return e.rec(&v).ExternalID }

func (e *env[T, ID, F]) ids(vs []T) []string {
	out := make([]string, len(vs))
	for i := range vs {
		out[i] = string(*e.id(&vs[i]))
	}
	return out
}

// sorted returns vs in ascending ID order.
func (e *env[T, ID, F]) sorted(vs []T) []T {
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(x, y T) int { return cmp.Compare(*e.id(&x), *e.id(&y)) })
	return vs
}

// get returns the stored record; it fails the test when there is none.
func (e *env[T, ID, F]) get(t *testing.T, dealer crm.DealerID, id ID) T {
	t.Helper()
	v, err := e.r.Get(t.Context(), dealer, id)
	require.NoError(t, err, "Get %s %s of dealer %s", e.name, id, dealer)
	return v
}

// assertStored asserts that want is stored under its dealer and ID.
func (e *env[T, ID, F]) assertStored(t *testing.T, want T, msg string) {
	t.Helper()
	got := e.get(t, e.rec(&want).DealerID, e.idOf(want))
	Equal(t, want, got, msg)
}

// assertAbsent asserts that dealer has no record with ID id.
func (e *env[T, ID, F]) assertAbsent(t *testing.T, dealer crm.DealerID, id ID, msg string) {
	t.Helper()
	_, err := e.r.Get(t.Context(), dealer, id)
	assert.ErrorIs(t, err, crm.ErrNotFound, msg)
}

func (e *env[T, ID, F]) list(t *testing.T, dealer crm.DealerID, f F) []T {
	t.Helper()
	p, err := e.r.List(t.Context(), dealer, e.page(f, crm.PageRequest{Limit: crm.MaxLimit}))
	require.NoError(t, err, "List %s of dealer %s", e.name, dealer)
	require.Empty(t, p.Next, "test listings fit in one page")
	return p.Items
}

func (e *env[T, ID, F]) testCreateGet(t *testing.T) {
	ctx := t.Context()
	want := e.create(t, e.a)

	got, err := e.r.Get(ctx, e.a.dealer, e.idOf(want))
	require.NoError(t, err, "Get of the %s just created", e.name)
	Equal(t, want, got, "Get returns every field Create stored")
	assert.Empty(t, nonUTC(got), "Get returns times in UTC")

	got, err = e.r.GetByExternalID(ctx, e.a.dealer, e.extOf(want))
	require.NoError(t, err, "GetByExternalID of the %s just created", e.name)
	Equal(t, want, got, "GetByExternalID returns every field Create stored")

	zoned := e.make(e.a)
	inZone(&zoned, otherZone)
	require.NoError(t, e.r.Create(ctx, &zoned), "Create of a %s with times in %s", e.name, otherZone)
	got = e.get(t, e.a.dealer, e.idOf(zoned))
	Equal(t, zoned, got, "times given in another zone come back as the same instants")
	assert.Empty(t, nonUTC(got), "times given in another zone come back in UTC")

	items := e.list(t, e.a.dealer, *new(F))
	Equal(t, []T{want, zoned}, items, "List returns every field of both records, in ID order")
	assert.Empty(t, nonUTC(items), "List returns times in UTC")
}

func (e *env[T, ID, F]) testNotFound(t *testing.T) {
	ctx := t.Context()
	noExt := e.make(e.a)
	e.rec(&noExt).ExternalID = ""
	require.NoError(t, e.r.Create(ctx, &noExt), "Create of a %s without external ID", e.name)
	missing := ID(dealercrm.NewID())

	_, err := e.r.Get(ctx, e.a.dealer, missing)
	assert.ErrorIs(t, err, crm.ErrNotFound, "Get of a missing ID")
	_, err = e.r.GetByExternalID(ctx, e.a.dealer, "no-such-external-id")
	assert.ErrorIs(t, err, crm.ErrNotFound, "GetByExternalID of a missing external ID")
	_, err = e.r.GetByExternalID(ctx, e.a.dealer, "")
	assert.ErrorIs(t, err, crm.ErrNotFound, "GetByExternalID(\"\") finds nothing, even when a record has no external ID")
	called := false
	_, err = e.r.Update(ctx, e.a.dealer, missing, func(*T) error { called = true; return nil })
	assert.ErrorIs(t, err, crm.ErrNotFound, "Update of a missing ID")
	assert.False(t, called, "Update of a missing ID does not call fn")
	err = e.r.Delete(ctx, e.a.dealer, missing)
	assert.ErrorIs(t, err, crm.ErrNotFound, "Delete of a missing ID")
}

func (e *env[T, ID, F]) testConflict(t *testing.T) {
	ctx := t.Context()
	orig := e.create(t, e.a)

	dupID := e.make(e.a)
	*e.id(&dupID) = e.idOf(orig)
	assert.ErrorIs(t, e.r.Create(ctx, &dupID), crm.ErrConflict, "Create with a taken ID")

	dupExt := e.make(e.a)
	e.rec(&dupExt).ExternalID = e.extOf(orig)
	assert.ErrorIs(t, e.r.Create(ctx, &dupExt), crm.ErrConflict, "Create with a taken external ID")
	e.assertAbsent(t, e.a.dealer, e.idOf(dupExt), "a Create that conflicts writes nothing")

	if e.vin != nil {
		dupVIN := e.make(e.a)
		*e.vin(&dupVIN) = *e.vin(&orig)
		assert.ErrorIs(t, e.r.Create(ctx, &dupVIN), crm.ErrConflict, "Create with a taken VIN")
		e.assertAbsent(t, e.a.dealer, e.idOf(dupVIN), "a Create that conflicts writes nothing")
	}
	e.assertStored(t, orig, "a conflicting Create leaves the record that holds the key unchanged")

	x, y := e.make(e.a), e.make(e.a)
	e.rec(&x).ExternalID, e.rec(&y).ExternalID = "", ""
	require.NoError(t, e.r.Create(ctx, &x), "Create of a %s without external ID", e.name)
	require.NoError(t, e.r.Create(ctx, &y), "an empty external ID is not a unique key: a second one is fine")
	assert.Len(t, e.list(t, e.a.dealer, *new(F)), 3, "the dealer has the first record and the two without external ID")
}

func (e *env[T, ID, F]) testSameKeysOtherDealer(t *testing.T) {
	ctx := t.Context()
	a := e.create(t, e.a)
	b := e.make(e.b)
	*e.id(&b) = e.idOf(a)
	e.rec(&b).ExternalID = e.extOf(a)
	if e.vin != nil {
		*e.vin(&b) = *e.vin(&a)
	}
	require.NoError(t, e.r.Create(ctx, &b), "the ID, external ID and VIN of dealer A's %s are free for dealer B", e.name)

	e.assertStored(t, a, "dealer A's record is its own")
	e.assertStored(t, b, "dealer B's record is its own")
	got, err := e.r.GetByExternalID(ctx, e.b.dealer, e.extOf(a))
	require.NoError(t, err, "GetByExternalID of dealer B")
	Equal(t, b, got, "GetByExternalID returns the dealer's own record")

	_, err = e.r.Update(ctx, e.a.dealer, e.idOf(a), func(v *T) error { e.mutate(v); return nil })
	require.NoError(t, err, "Update of dealer A's record")
	e.assertStored(t, b, "an Update of dealer A's record leaves dealer B's with the same ID unchanged")

	require.NoError(t, e.r.Delete(ctx, e.a.dealer, e.idOf(a)), "Delete of dealer A's record")
	e.assertAbsent(t, e.a.dealer, e.idOf(a), "dealer A's record is deleted")
	e.assertStored(t, b, "a Delete of dealer A's record leaves dealer B's with the same ID")
}

func (e *env[T, ID, F]) testDealerScope(t *testing.T) {
	ctx := t.Context()
	a := e.create(t, e.a)
	id := e.idOf(a)

	_, err := e.r.Get(ctx, e.b.dealer, id)
	assert.ErrorIs(t, err, crm.ErrNotFound, "Get of another dealer's record")
	_, err = e.r.GetByExternalID(ctx, e.b.dealer, e.extOf(a))
	assert.ErrorIs(t, err, crm.ErrNotFound, "GetByExternalID of another dealer's record")
	called := false
	_, err = e.r.Update(ctx, e.b.dealer, id, func(v *T) error { called = true; e.mutate(v); return nil })
	assert.ErrorIs(t, err, crm.ErrNotFound, "Update of another dealer's record")
	assert.False(t, called, "Update of another dealer's record does not call fn")
	assert.ErrorIs(t, e.r.Delete(ctx, e.b.dealer, id), crm.ErrNotFound, "Delete of another dealer's record")
	assert.Empty(t, e.list(t, e.b.dealer, *new(F)), "List does not show another dealer's records")
	m, err := e.r.ResolveExternalIDs(ctx, e.b.dealer, []string{e.extOf(a)})
	require.NoError(t, err, "ResolveExternalIDs")
	assert.Empty(t, m, "ResolveExternalIDs does not resolve another dealer's external IDs")

	e.assertStored(t, a, "another dealer's attempts leave the record unchanged")
}

func (e *env[T, ID, F]) testListOrderAndPages(t *testing.T) {
	ctx := t.Context()
	var recs []T
	for range 6 {
		recs = append(recs, e.make(e.a))
	}
	// Created in reverse order, so that insertion order is not ID order.
	for i := len(recs) - 1; i >= 0; i-- {
		v := recs[i].Clone()
		require.NoError(t, e.r.Create(ctx, &v), "Create")
	}
	for range 2 {
		e.create(t, e.b)
	}
	want := e.sorted(recs)
	list := func(f F) (crm.Page[T], error) { return e.r.List(ctx, e.a.dealer, f) }

	for _, tc := range []struct{ limit, pages int }{{1, 6}, {2, 3}, {3, 2}, {4, 2}, {6, 1}, {7, 1}} {
		got, pages := walk(t, list, *new(F), e.page, tc.limit)
		assert.Equal(t, e.ids(want), e.ids(got), "walking pages of %d gives every record once, in ascending ID order", tc.limit)
		assert.Equal(t, tc.pages, pages, "6 records in pages of %d", tc.limit)
	}
	got, _ := walk(t, list, *new(F), e.page, 0)
	Equal(t, want, got, "Limit 0 lists every field of every record, in ID order")

	// A cursor stays valid when the record it points past is deleted.
	p, err := list(e.page(*new(F), crm.PageRequest{Limit: 2}))
	require.NoError(t, err, "first page")
	require.NotEmpty(t, p.Next, "a first page of 2 out of 6 has a next cursor")
	require.NoError(t, e.r.Delete(ctx, e.a.dealer, e.idOf(p.Items[1])), "Delete of the last record of the page")
	p, err = list(e.page(*new(F), crm.PageRequest{After: p.Next, Limit: 10}))
	require.NoError(t, err, "a cursor past a deleted record")
	assert.Equal(t, e.ids(want[2:]), e.ids(p.Items), "the listing resumes after the deleted record")
}

func (e *env[T, ID, F]) testListDefaultLimit(t *testing.T) {
	ctx := t.Context()
	items := make([]T, crm.DefaultLimit+1)
	for i := range items {
		items[i] = e.make(e.a)
	}
	_, err := e.r.Upsert(ctx, e.a.dealer, items)
	require.NoError(t, err, "Upsert of %d new records", len(items))

	for _, limit := range []int{0, -1} {
		p, err := e.r.List(ctx, e.a.dealer, e.page(*new(F), crm.PageRequest{Limit: limit}))
		require.NoError(t, err, "List with Limit %d", limit)
		assert.Len(t, p.Items, crm.DefaultLimit, "Limit %d means DefaultLimit", limit)
		require.NotEmpty(t, p.Next, "%d records fill more than one default page", len(items))
		p, err = e.r.List(ctx, e.a.dealer, e.page(*new(F), crm.PageRequest{After: p.Next, Limit: limit}))
		require.NoError(t, err, "second page with Limit %d", limit)
		assert.Equal(t, e.ids(items[crm.DefaultLimit:]), e.ids(p.Items), "the second default page holds the last record")
		assert.Empty(t, p.Next, "the last page has no next cursor")
	}
}

func (e *env[T, ID, F]) testListEmptyAndBadCursor(t *testing.T) {
	ctx := t.Context()
	p, err := e.r.List(ctx, e.a.dealer, *new(F))
	require.NoError(t, err, "List of a dealer without records")
	assert.NotNil(t, p.Items, "Items of an empty listing is an empty slice, not nil")
	assert.Empty(t, p.Items, "a dealer without records lists none")
	assert.Empty(t, p.Next, "an empty listing has no next cursor")

	e.create(t, e.a)
	for _, after := range []string{"%%% not a cursor", "=="} {
		_, err = e.r.List(ctx, e.a.dealer, e.page(*new(F), crm.PageRequest{After: after}))
		var ve *crm.ValidationError
		if assert.ErrorAs(t, err, &ve, "a malformed cursor %q is a *crm.ValidationError", after) {
			assert.True(t, ve.Has("after", ""), "the validation error names field \"after\", got %v", ve.Fields)
		}
	}
}

func (e *env[T, ID, F]) testListBadFilters(t *testing.T) {
	if len(e.badFilters) == 0 {
		t.Skip("the kind has no filter a store refuses beyond the cursor")
	}
	e.create(t, e.a)
	for _, tc := range e.badFilters {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.r.List(t.Context(), e.a.dealer, tc.filter)
			var ve *crm.ValidationError
			if assert.ErrorAs(t, err, &ve, "the filter is a *crm.ValidationError") {
				assert.True(t, ve.Has(tc.field, ""), "the validation error names field %q, got %v", tc.field, ve.Fields)
			}
			assert.Empty(t, p.Items, "a refused filter lists nothing")
		})
	}
}

func (e *env[T, ID, F]) testListFilters(t *testing.T) {
	ctx := t.Context()
	recs, cases := e.filters(e.a)
	others, _ := e.filters(e.b)
	for i := range others {
		require.NoError(t, e.r.Create(ctx, &others[i]), "Create of dealer B's record %d", i)
	}
	for i := len(recs) - 1; i >= 0; i-- {
		v := recs[i].Clone()
		require.NoError(t, e.r.Create(ctx, &v), "Create of record %d", i)
	}
	list := func(f F) (crm.Page[T], error) { return e.r.List(ctx, e.a.dealer, f) }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []T
			for _, i := range tc.want {
				want = append(want, recs[i])
			}
			want = e.sorted(want)

			p, err := list(e.page(tc.filter, crm.PageRequest{}))
			require.NoError(t, err, "List")
			require.NotNil(t, p.Items, "Items is never nil")
			assert.Equal(t, e.ids(want), e.ids(p.Items), "the filter matches records %v of dealer A, in ID order", tc.want)
			assert.Empty(t, p.Next, "one page")
			if len(want) == len(p.Items) {
				Equal(t, want, p.Items, "the matching records with every field")
			}

			got, pages := walk(t, list, tc.filter, e.page, 1)
			assert.Equal(t, e.ids(want), e.ids(got), "pages of one record give the same matches")
			assert.Equal(t, max(len(want), 1), pages, "one page per match")
		})
	}
}

func (e *env[T, ID, F]) testUpdate(t *testing.T) {
	ctx := t.Context()
	orig := e.create(t, e.a)
	other := e.create(t, e.a)
	id := e.idOf(orig)

	want := orig.Clone()
	e.mutate(&want)
	got, err := e.r.Update(ctx, e.a.dealer, id, func(v *T) error {
		Equal(t, orig, *v, "fn is given the stored record")
		e.mutate(v)
		return nil
	})
	require.NoError(t, err, "Update")
	Equal(t, want, got, "Update returns the changed record")
	assert.Empty(t, nonUTC(got), "Update returns times in UTC")
	e.assertStored(t, want, "Update stores the change")

	errFn := errors.New("fn refuses")
	_, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { e.mutate(v); return errFn })
	assert.ErrorIs(t, err, errFn, "Update returns fn's error as it is")
	e.assertStored(t, want, "an Update whose fn fails writes nothing")

	oldExt := e.extOf(want)
	want, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { e.rec(v).ExternalID = "moved-" + oldExt; return nil })
	require.NoError(t, err, "Update of the external ID to a free one")
	got, err = e.r.GetByExternalID(ctx, e.a.dealer, "moved-"+oldExt)
	require.NoError(t, err, "GetByExternalID of the new external ID")
	assert.Equal(t, id, e.idOf(got), "the new external ID finds the record")
	_, err = e.r.GetByExternalID(ctx, e.a.dealer, oldExt)
	assert.ErrorIs(t, err, crm.ErrNotFound, "the old external ID no longer finds the record")

	_, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { e.rec(v).ExternalID = e.extOf(other); return nil })
	assert.ErrorIs(t, err, crm.ErrConflict, "Update of the external ID to one that is taken")
	e.assertStored(t, want, "an Update that conflicts writes nothing")
	got, err = e.r.GetByExternalID(ctx, e.a.dealer, e.extOf(other))
	require.NoError(t, err, "GetByExternalID of the other record")
	assert.Equal(t, e.idOf(other), e.idOf(got), "the taken external ID still finds its record")

	// fn cannot move the record to another ID or dealer: the Update either
	// keeps both or fails.
	before := e.get(t, e.a.dealer, id)
	newID := ID(dealercrm.NewID())
	moved, err := e.r.Update(ctx, e.a.dealer, id, func(v *T) error {
		*e.id(v) = newID
		e.rec(v).DealerID = e.b.dealer
		return nil
	})
	if err == nil {
		assert.Equal(t, id, e.idOf(moved), "Update keeps the record's ID")
		assert.Equal(t, e.a.dealer, e.rec(&moved).DealerID, "Update keeps the record's dealer")
	}
	e.assertStored(t, before, "an Update cannot move the record")
	e.assertAbsent(t, e.a.dealer, newID, "an Update cannot give the record another ID")
	e.assertAbsent(t, e.b.dealer, id, "an Update cannot move the record to another dealer")
	e.assertAbsent(t, e.b.dealer, newID, "an Update cannot move the record to another dealer")
	want = before

	if e.vin != nil {
		_, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { *e.vin(v) = *e.vin(&other); return nil })
		assert.ErrorIs(t, err, crm.ErrConflict, "Update of the VIN to one that is taken")
		e.assertStored(t, want, "an Update that conflicts writes nothing")

		oldVIN := *e.vin(&want)
		_, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { *e.vin(v) = VIN(999999); return nil })
		require.NoError(t, err, "Update of the VIN to a free one")
		again := e.make(e.a)
		*e.vin(&again) = oldVIN
		assert.NoError(t, e.r.Create(ctx, &again), "the old VIN is free after the Update")
	}
}

func (e *env[T, ID, F]) testUpdateConcurrent(t *testing.T) {
	ctx := t.Context()
	orig := e.create(t, e.a)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := e.r.Update(ctx, e.a.dealer, e.idOf(orig), func(v *T) error { e.bump(v); return nil })
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "concurrent Update")
	}
	got := e.get(t, e.a.dealer, e.idOf(orig))
	assert.Equal(t, e.bumps(orig)+n, e.bumps(got), "each of %d concurrent Updates is kept", n)
}

func (e *env[T, ID, F]) testDelete(t *testing.T) {
	ctx := t.Context()
	gone := e.create(t, e.a)
	kept := e.create(t, e.a)
	id := e.idOf(gone)

	require.NoError(t, e.r.Delete(ctx, e.a.dealer, id), "Delete")
	e.assertAbsent(t, e.a.dealer, id, "Get of a deleted record")
	_, err := e.r.GetByExternalID(ctx, e.a.dealer, e.extOf(gone))
	assert.ErrorIs(t, err, crm.ErrNotFound, "GetByExternalID of a deleted record")
	assert.ErrorIs(t, e.r.Delete(ctx, e.a.dealer, id), crm.ErrNotFound, "a second Delete")
	m, err := e.r.ResolveExternalIDs(ctx, e.a.dealer, []string{e.extOf(gone)})
	require.NoError(t, err, "ResolveExternalIDs")
	assert.Empty(t, m, "a deleted record's external ID does not resolve")
	assert.Equal(t, e.ids([]T{kept}), e.ids(e.list(t, e.a.dealer, *new(F))), "List shows only the record left")
	e.assertStored(t, kept, "Delete leaves other records unchanged")

	again := e.make(e.a)
	*e.id(&again) = id
	e.rec(&again).ExternalID = e.extOf(gone)
	if e.vin != nil {
		*e.vin(&again) = *e.vin(&gone)
	}
	require.NoError(t, e.r.Create(ctx, &again), "the keys of a deleted record are free again")
}

func (e *env[T, ID, F]) testCopies(t *testing.T) {
	ctx := t.Context()
	v := e.make(e.a)
	orig := v.Clone()
	id := e.idOf(v)
	require.NoError(t, e.r.Create(ctx, &v), "Create")
	e.mutate(&v)
	e.assertStored(t, orig, "changing the value given to Create does not change the store")

	got := e.get(t, e.a.dealer, id)
	e.mutate(&got)
	e.assertStored(t, orig, "changing a value Get returned does not change the store")

	got, err := e.r.GetByExternalID(ctx, e.a.dealer, e.extOf(orig))
	require.NoError(t, err, "GetByExternalID")
	e.mutate(&got)
	e.assertStored(t, orig, "changing a value GetByExternalID returned does not change the store")

	p, err := e.r.List(ctx, e.a.dealer, *new(F))
	require.NoError(t, err, "List")
	require.Len(t, p.Items, 1, "List")
	e.mutate(&p.Items[0])
	e.assertStored(t, orig, "changing a value List returned does not change the store")

	var kept *T
	got, err = e.r.Update(ctx, e.a.dealer, id, func(v *T) error { kept = v; return nil })
	require.NoError(t, err, "Update")
	e.mutate(kept)
	e.mutate(&got)
	e.assertStored(t, orig, "changing the value fn was given, or Update returned, after the Update does not change the store")

	items := []T{e.make(e.a)}
	up := items[0].Clone()
	_, err = e.r.Upsert(ctx, e.a.dealer, items)
	require.NoError(t, err, "Upsert")
	e.mutate(&items[0])
	e.assertStored(t, up, "changing the items given to Upsert does not change the store")
}

func (e *env[T, ID, F]) results(vs []T, outcomes ...crm.UpsertOutcome) []crm.UpsertResult {
	out := make([]crm.UpsertResult, len(vs))
	for i := range vs {
		out[i] = crm.UpsertResult{ExternalID: e.extOf(vs[i]), ID: string(e.idOf(vs[i])), Outcome: outcomes[i]}
	}
	return out
}

func (e *env[T, ID, F]) testUpsert(t *testing.T) {
	ctx := t.Context()
	want := []T{e.make(e.a), e.make(e.a), e.make(e.a)}
	items := make([]T, len(want))
	for i := range want {
		items[i] = want[i].Clone()
	}
	res, err := e.r.Upsert(ctx, e.a.dealer, items)
	require.NoError(t, err, "Upsert of new records")
	assert.Equal(t, e.results(want, crm.Created, crm.Created, crm.Created), res, "new external IDs are created with the IDs the items carry")
	for i := range want {
		e.assertStored(t, want[i], "Upsert stores every field of a new record")
	}

	// The same content again, with new IDs and times, decimals with more
	// places and times in another zone: nothing changes.
	later := time.Hour * 24 * 30
	for i := range items {
		items[i] = want[i].Clone()
		*e.id(&items[i]) = ID(dealercrm.NewID())
		r := e.rec(&items[i])
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.Add(later), r.UpdatedAt.Add(later)
		if e.respell != nil {
			e.respell(&items[i])
		}
		inZone(&items[i], otherZone)
	}
	res, err = e.r.Upsert(ctx, e.a.dealer, items)
	require.NoError(t, err, "Upsert of the same content")
	assert.Equal(t, e.results(want, crm.Unchanged, crm.Unchanged, crm.Unchanged), res,
		"records whose content is unchanged are reported unchanged with their stored IDs")
	for i := range want {
		e.assertStored(t, want[i], "an unchanged record keeps its ID, CreatedAt and UpdatedAt")
	}

	// One changed record.
	for i := range items {
		items[i] = want[i].Clone()
		*e.id(&items[i]) = ID(dealercrm.NewID())
		e.rec(&items[i]).CreatedAt = e.rec(&items[i]).CreatedAt.Add(later)
	}
	e.mutate(&items[1])
	e.rec(&items[1]).UpdatedAt = e.rec(&items[1]).UpdatedAt.Add(later).Add(7 * time.Microsecond)
	updated := items[1].Clone()
	*e.id(&updated) = e.idOf(want[1])
	e.rec(&updated).CreatedAt = e.rec(&want[1]).CreatedAt
	res, err = e.r.Upsert(ctx, e.a.dealer, items)
	require.NoError(t, err, "Upsert with one changed record")
	assert.Equal(t, e.results(want, crm.Unchanged, crm.Updated, crm.Unchanged), res,
		"only the changed record is reported updated, results in item order")
	e.assertStored(t, updated, "an updated record takes the new content and UpdatedAt and keeps its ID and CreatedAt")
	e.assertStored(t, want[0], "unchanged records stay as they were")
	e.assertStored(t, want[2], "unchanged records stay as they were")

	// New and existing records in one batch.
	fresh := e.make(e.a)
	res, err = e.r.Upsert(ctx, e.a.dealer, []T{fresh.Clone(), want[0].Clone()})
	require.NoError(t, err, "Upsert of a new and an existing record")
	assert.Equal(t, e.results([]T{fresh, want[0]}, crm.Created, crm.Unchanged), res, "results are in item order")
	e.assertStored(t, fresh, "the new record is created")
	assert.Len(t, e.list(t, e.a.dealer, *new(F)), 4, "four records in all")

	res, err = e.r.Upsert(ctx, e.a.dealer, nil)
	require.NoError(t, err, "Upsert of no items")
	assert.Empty(t, res, "no items, no results")
}

func (e *env[T, ID, F]) testUpsertAllOrNothing(t *testing.T) {
	ctx := t.Context()
	existing := e.create(t, e.a)
	other := e.create(t, e.a)
	changed := existing.Clone()
	e.mutate(&changed)

	type batch struct {
		name  string
		items func() []T
		check func(*testing.T, error)
	}
	invalid := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err, "a batch with an empty or duplicate external ID fails")
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "a malformed batch is invalid input: %v", err)
	}
	conflict := func(t *testing.T, err error) {
		t.Helper()
		assert.ErrorIs(t, err, crm.ErrConflict, "a batch that takes a unique key")
	}
	batches := []batch{
		{"EmptyExternalID", func() []T {
			v, w := e.make(e.a), e.make(e.a)
			e.rec(&w).ExternalID = ""
			return []T{changed.Clone(), v, w}
		}, invalid},
		{"DuplicateExternalID", func() []T {
			v, w := e.make(e.a), e.make(e.a)
			e.rec(&w).ExternalID = e.extOf(v)
			return []T{changed.Clone(), v, w}
		}, invalid},
		{"DuplicateExistingExternalID", func() []T {
			return []T{changed.Clone(), e.make(e.a), existing.Clone()}
		}, invalid},
		{"TakenID", func() []T {
			v, w := e.make(e.a), e.make(e.a)
			*e.id(&w) = e.idOf(other)
			return []T{changed.Clone(), v, w}
		}, conflict},
		{"IDTakenInBatch", func() []T {
			v, w := e.make(e.a), e.make(e.a)
			*e.id(&w) = e.idOf(v)
			return []T{changed.Clone(), v, w}
		}, conflict},
	}
	if e.vin != nil {
		batches = append(batches,
			batch{"TakenVIN", func() []T {
				v, w := e.make(e.a), e.make(e.a)
				*e.vin(&w) = *e.vin(&other)
				return []T{changed.Clone(), v, w}
			}, conflict},
			batch{"VINTakenByUpdate", func() []T {
				v := e.make(e.a)
				c := changed.Clone()
				*e.vin(&c) = *e.vin(&other)
				return []T{v, c}
			}, conflict},
		)
	}
	for _, b := range batches {
		t.Run(b.name, func(t *testing.T) {
			items := b.items()
			exts := make([]string, len(items))
			for i := range items {
				exts[i] = e.extOf(items[i])
			}
			_, err := e.r.Upsert(ctx, e.a.dealer, items)
			b.check(t, err)
			m, err := e.r.ResolveExternalIDs(ctx, e.a.dealer, exts)
			require.NoError(t, err, "ResolveExternalIDs")
			assert.Equal(t, map[string]ID{e.extOf(existing): e.idOf(existing)}, m, "a failed Upsert creates nothing")
			e.assertStored(t, existing, "a failed Upsert updates nothing")
			e.assertStored(t, other, "a failed Upsert leaves other records unchanged")
			assert.Len(t, e.list(t, e.a.dealer, *new(F)), 2, "a failed Upsert leaves the two records it found")
		})
	}
}

func (e *env[T, ID, F]) testUpsertOtherDealer(t *testing.T) {
	ctx := t.Context()
	a := e.create(t, e.a)
	b := e.make(e.b)
	*e.id(&b) = e.idOf(a)
	e.rec(&b).ExternalID = e.extOf(a)
	if e.vin != nil {
		*e.vin(&b) = *e.vin(&a)
	}
	res, err := e.r.Upsert(ctx, e.b.dealer, []T{b.Clone()})
	require.NoError(t, err, "Upsert by dealer B of dealer A's external ID")
	assert.Equal(t, e.results([]T{b}, crm.Created), res, "dealer B gets its own record")
	e.assertStored(t, b, "dealer B's record")
	e.assertStored(t, a, "dealer A's record is unchanged")

	// An item carrying another dealer's ID is still written for the dealer
	// Upsert was called with, or refused.
	stray := e.make(e.b)
	e.rec(&stray).DealerID = e.a.dealer
	if _, err := e.r.Upsert(ctx, e.b.dealer, []T{stray.Clone()}); err == nil {
		e.rec(&stray).DealerID = e.b.dealer
		e.assertStored(t, stray, "an item carrying dealer A is written for dealer B, who upserted it")
	}
	e.assertAbsent(t, e.a.dealer, e.idOf(stray), "dealer B's Upsert writes nothing for dealer A")

	changed := b.Clone()
	e.mutate(&changed)
	res, err = e.r.Upsert(ctx, e.b.dealer, []T{changed.Clone()})
	require.NoError(t, err, "Upsert by dealer B of a change")
	assert.Equal(t, e.results([]T{b}, crm.Updated), res, "dealer B's record is updated")
	e.assertStored(t, changed, "dealer B's record has the change")
	e.assertStored(t, a, "dealer A's record is unchanged")
}

func (e *env[T, ID, F]) testResolveExternalIDs(t *testing.T) {
	ctx := t.Context()
	a1, a2 := e.create(t, e.a), e.create(t, e.a)
	b1 := e.make(e.b)
	e.rec(&b1).ExternalID = e.extOf(a1)
	require.NoError(t, e.r.Create(ctx, &b1), "Create of dealer B's record with dealer A's external ID")

	m, err := e.r.ResolveExternalIDs(ctx, e.a.dealer, []string{e.extOf(a1), "unknown", e.extOf(a2), ""})
	require.NoError(t, err, "ResolveExternalIDs")
	assert.Equal(t, map[string]ID{e.extOf(a1): e.idOf(a1), e.extOf(a2): e.idOf(a2)}, m, "known external IDs of the dealer only")
	m, err = e.r.ResolveExternalIDs(ctx, e.b.dealer, []string{e.extOf(a1), e.extOf(a2)})
	require.NoError(t, err, "ResolveExternalIDs")
	assert.Equal(t, map[string]ID{e.extOf(a1): e.idOf(b1)}, m, "each dealer resolves to its own records")
	m, err = e.r.ResolveExternalIDs(ctx, e.a.dealer, nil)
	require.NoError(t, err, "ResolveExternalIDs of nothing")
	assert.Empty(t, m, "nothing to resolve")
}
