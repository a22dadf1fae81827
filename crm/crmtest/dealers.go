package crmtest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runDealerTests(t *testing.T, newStore func(*testing.T) crm.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, crm.DealerStore)
	}{
		{"CreateGet", testDealerCreateGet},
		{"NotFound", testDealerNotFound},
		{"Conflict", testDealerConflict},
		{"Update", testDealerUpdate},
		{"UpdateConcurrent", testDealerUpdateConcurrent},
		{"List", testDealerList},
		{"ListEmptyAndBadCursor", testDealerListEmptyAndBadCursor},
		{"Copies", testDealerCopies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t).Dealers()) })
	}
}

func newDealerID() crm.DealerID { return crm.DealerID(dealercrm.NewID()) }

// mutateDealer changes a dealer, modifying its brands and lead policy in
// place, so that shared memory shows.
func mutateDealer(d *crm.Dealer) {
	d.Name += " (changed)"
	d.Brands[0] += " (changed)"
	d.LeadPolicy.CadenceDays[crm.LevelH]++
	d.LeadPolicy.Windows[0].MaxDays++
}

func createDealer(t *testing.T, s crm.DealerStore, d crm.Dealer) crm.Dealer {
	t.Helper()
	want := d.Clone()
	require.NoError(t, s.Create(t.Context(), &d), "Create of dealer %s", d.ID)
	return want
}

func assertDealer(t *testing.T, s crm.DealerStore, want crm.Dealer, msg string) {
	t.Helper()
	got, err := s.Get(t.Context(), want.ID)
	require.NoError(t, err, "Get of dealer %s", want.ID)
	Equal(t, want, got, msg)
}

func dealerIDs(ds []crm.Dealer) []crm.DealerID {
	out := make([]crm.DealerID, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func dealerPage(f crm.DealerFilter, p crm.PageRequest) crm.DealerFilter {
	f.PageRequest = p
	return f
}

func testDealerCreateGet(t *testing.T, s crm.DealerStore) {
	full := createDealer(t, s, Dealer(newDealerID()))
	got, err := s.Get(t.Context(), full.ID)
	require.NoError(t, err, "Get of the dealer just created")
	Equal(t, full, got, "Get returns every field Create stored, the lead policy too")
	assert.Empty(t, nonUTC(got), "Get returns times in UTC")

	plain := createDealer(t, s, crm.Dealer{ID: newDealerID(), Name: "Independent dealer", CreatedAt: Base, UpdatedAt: Base})
	got, err = s.Get(t.Context(), plain.ID)
	require.NoError(t, err, "Get of a dealer with no policy or brands")
	assert.Nil(t, got.LeadPolicy, "a dealer without its own lead policy comes back without one")
	Equal(t, plain, got, "Get returns the dealer without policy or brands")

	zoned := Dealer(newDealerID())
	zoned.GroupID = "G-1"
	inZone(&zoned, otherZone)
	zoned = createDealer(t, s, zoned)
	got, err = s.Get(t.Context(), zoned.ID)
	require.NoError(t, err, "Get of a dealer created with times in %s", otherZone)
	Equal(t, zoned, got, "times given in another zone come back as the same instants")
	assert.Empty(t, nonUTC(got), "times given in another zone come back in UTC")

	p, err := s.List(t.Context(), crm.DealerFilter{})
	require.NoError(t, err, "List")
	Equal(t, []crm.Dealer{full, plain, zoned}, p.Items, "List returns every field of every dealer, in ID order")
	assert.Empty(t, nonUTC(p.Items), "List returns times in UTC")
}

func testDealerNotFound(t *testing.T, s crm.DealerStore) {
	missing := newDealerID()
	_, err := s.Get(t.Context(), missing)
	assert.ErrorIs(t, err, crm.ErrNotFound, "Get of a missing dealer")
	called := false
	_, err = s.Update(t.Context(), missing, func(*crm.Dealer) error { called = true; return nil })
	assert.ErrorIs(t, err, crm.ErrNotFound, "Update of a missing dealer")
	assert.False(t, called, "Update of a missing dealer does not call fn")
}

func testDealerConflict(t *testing.T, s crm.DealerStore) {
	orig := createDealer(t, s, Dealer(newDealerID()))
	dup := Dealer(orig.ID)
	dup.Name = "Another name"
	assert.ErrorIs(t, s.Create(t.Context(), &dup), crm.ErrConflict, "Create with a taken dealer ID")
	assertDealer(t, s, orig, "a conflicting Create leaves the dealer unchanged")
}

func testDealerUpdate(t *testing.T, s crm.DealerStore) {
	orig := createDealer(t, s, Dealer(newDealerID()))
	createDealer(t, s, Dealer(newDealerID()))
	want := orig.Clone()
	mutateDealer(&want)

	got, err := s.Update(t.Context(), orig.ID, func(d *crm.Dealer) error {
		Equal(t, orig, *d, "fn is given the stored dealer")
		mutateDealer(d)
		return nil
	})
	require.NoError(t, err, "Update")
	Equal(t, want, got, "Update returns the changed dealer")
	assert.Empty(t, nonUTC(got), "Update returns times in UTC")
	assertDealer(t, s, want, "Update stores the change")

	errFn := errors.New("fn refuses")
	_, err = s.Update(t.Context(), orig.ID, func(d *crm.Dealer) error { mutateDealer(d); return errFn })
	assert.ErrorIs(t, err, errFn, "Update returns fn's error as it is")
	assertDealer(t, s, want, "an Update whose fn fails writes nothing")
}

func testDealerUpdateConcurrent(t *testing.T, s crm.DealerStore) {
	orig := createDealer(t, s, Dealer(newDealerID()))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.Update(t.Context(), orig.ID, func(d *crm.Dealer) error {
				d.Brands = append(d.Brands, "bump")
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "concurrent Update")
	}
	got, err := s.Get(t.Context(), orig.ID)
	require.NoError(t, err, "Get")
	assert.Len(t, got.Brands, len(orig.Brands)+n, "each of %d concurrent Updates is kept", n)
}

func testDealerList(t *testing.T, s crm.DealerStore) {
	ctx := t.Context()
	groups := []crm.GroupID{"G-1", "G-2", "", "G-1", ""}
	var recs []crm.Dealer
	for _, g := range groups {
		d := Dealer(newDealerID())
		d.GroupID = g
		recs = append(recs, d)
	}
	for i := len(recs) - 1; i >= 0; i-- {
		createDealer(t, s, recs[i])
	}
	list := func(f crm.DealerFilter) (crm.Page[crm.Dealer], error) { return s.List(ctx, f) }

	for _, tc := range []struct {
		name   string
		filter crm.DealerFilter
		want   []int
	}{
		{"All", crm.DealerFilter{}, []int{0, 1, 2, 3, 4}},
		{"Group1", crm.DealerFilter{GroupID: "G-1"}, []int{0, 3}},
		{"Group2", crm.DealerFilter{GroupID: "G-2"}, []int{1}},
		{"NoMatch", crm.DealerFilter{GroupID: "G-9"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []crm.Dealer
			for _, i := range tc.want {
				want = append(want, recs[i])
			}
			got, _ := walk(t, list, tc.filter, dealerPage, 0)
			Equal(t, want, got, "the filter matches dealers %v, in ID order, with every field", tc.want)
			for _, limit := range []int{1, 2, 3} {
				got, pages := walk(t, list, tc.filter, dealerPage, limit)
				assert.Equal(t, dealerIDs(want), dealerIDs(got), "pages of %d give the same dealers", limit)
				assert.Equal(t, max(1, (len(want)+limit-1)/limit), pages, "%d dealers in pages of %d", len(want), limit)
			}
		})
	}
}

func testDealerListEmptyAndBadCursor(t *testing.T, s crm.DealerStore) {
	p, err := s.List(t.Context(), crm.DealerFilter{})
	require.NoError(t, err, "List of an empty store")
	assert.NotNil(t, p.Items, "Items of an empty listing is an empty slice, not nil")
	assert.Empty(t, p.Items, "an empty store lists no dealers")
	assert.Empty(t, p.Next, "an empty listing has no next cursor")

	createDealer(t, s, Dealer(newDealerID()))
	_, err = s.List(t.Context(), crm.DealerFilter{PageRequest: crm.PageRequest{After: "%%% not a cursor"}})
	var ve *crm.ValidationError
	if assert.ErrorAs(t, err, &ve, "a malformed cursor is a *crm.ValidationError") {
		assert.True(t, ve.Has("after", ""), "the validation error names field \"after\", got %v", ve.Fields)
	}
}

func testDealerCopies(t *testing.T, s crm.DealerStore) {
	ctx := t.Context()
	d := Dealer(newDealerID())
	orig := d.Clone()
	require.NoError(t, s.Create(ctx, &d), "Create")
	mutateDealer(&d)
	assertDealer(t, s, orig, "changing the value given to Create does not change the store")

	got, err := s.Get(ctx, orig.ID)
	require.NoError(t, err, "Get")
	mutateDealer(&got)
	assertDealer(t, s, orig, "changing a value Get returned does not change the store")

	p, err := s.List(ctx, crm.DealerFilter{})
	require.NoError(t, err, "List")
	i := slices.IndexFunc(p.Items, func(x crm.Dealer) bool { return x.ID == orig.ID })
	require.GreaterOrEqual(t, i, 0, "List shows the dealer")
	mutateDealer(&p.Items[i])
	assertDealer(t, s, orig, "changing a value List returned does not change the store")

	var kept *crm.Dealer
	got, err = s.Update(ctx, orig.ID, func(d *crm.Dealer) error { kept = d; return nil })
	require.NoError(t, err, "Update")
	mutateDealer(kept)
	mutateDealer(&got)
	assertDealer(t, s, orig, "changing the value fn was given, or Update returned, after the Update does not change the store")
}
