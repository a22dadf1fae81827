package crmtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AuditRecord returns an ok record of dealer with a new ID, at t (in UTC,
// to the microsecond), with every field set.
func AuditRecord(dealer crm.DealerID, at time.Time) crm.AuditRecord {
	return crm.AuditRecord{
		ID: dealercrm.NewID(), DealerID: dealer, At: at.UTC().Truncate(time.Microsecond),
		KeyID: "k1", StaffID: "S01", Operation: "getCustomer", Records: []string{"c1", "c2"},
		RequestID: "req-1", Outcome: crm.AuditOK, Reason: "",
	}
}

// RunAuditStoreTests runs the conformance suite of crm.AuditStore against
// the stores open returns, each new and empty: round-trips, the checks of
// Append (CheckAuditRecord, a taken ID), dealer scoping, the order and
// paging of List, every filter against AuditFilter.Match, Purge,
// concurrent appends and copies out.
func RunAuditStoreTests(t *testing.T, open func(t *testing.T) crm.AuditStore) {
	t.Run("AppendList", func(t *testing.T) { testAuditAppendList(t, open(t)) })
	t.Run("Invalid", func(t *testing.T) { testAuditInvalid(t, open(t)) })
	t.Run("Conflict", func(t *testing.T) { testAuditConflict(t, open(t)) })
	t.Run("Dealers", func(t *testing.T) { testAuditDealers(t, open(t)) })
	t.Run("Paging", func(t *testing.T) { testAuditPaging(t, open(t)) })
	t.Run("Filters", func(t *testing.T) { testAuditFilters(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testAuditPurge(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testAuditConcurrent(t, open(t)) })
	t.Run("Copies", func(t *testing.T) { testAuditCopies(t, open(t)) })
}

// listAudit returns every record of dealer f selects, following the
// cursors in pages of f.Limit.
func listAudit(t *testing.T, s crm.AuditStore, dealer crm.DealerID, f crm.AuditFilter) []crm.AuditRecord {
	t.Helper()
	var out []crm.AuditRecord
	for range 1000 {
		p, err := s.List(t.Context(), dealer, f)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		f.After = p.Next
	}
	require.FailNow(t, "List never ends")
	return nil
}

func auditIDs(rs []crm.AuditRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// newestFirst returns the IDs of rs in the order of List: ID descending.
func newestFirst(rs []crm.AuditRecord) []string {
	ids := auditIDs(rs)
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids
}

func appendAll(t *testing.T, s crm.AuditStore, rs ...crm.AuditRecord) {
	t.Helper()
	for _, r := range rs {
		require.NoError(t, s.Append(t.Context(), r))
	}
}

func testAuditAppendList(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	full := AuditRecord(dealer, Base)
	full.Outcome, full.Reason = crm.AuditDenied, "permission_denied: leads.decide_lost"
	bare := crm.AuditRecord{ID: dealercrm.NewID(), DealerID: dealer, At: Base.Add(time.Hour), Operation: "postCustomer", Outcome: crm.AuditFailed}
	// A time with nanoseconds, in another zone, comes back in UTC, to the
	// microsecond.
	fine := AuditRecord(dealer, Base)
	fine.At = time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	appendAll(t, s, full, bare, fine)

	got := listAudit(t, s, dealer, crm.AuditFilter{})
	require.Len(t, got, 3)
	want := map[string]crm.AuditRecord{full.ID: full, bare.ID: bare, fine.ID: fine}
	want[fine.ID] = func(r crm.AuditRecord) crm.AuditRecord { r.At = r.At.UTC().Truncate(time.Microsecond); return r }(fine)
	assert.Equal(t, newestFirst(got), auditIDs(got), "newest (highest ID) first")
	for _, r := range got {
		Equal(t, want[r.ID], r, "record %s reads back as appended", r.ID)
		assert.Empty(t, nonUTC(r), "times in UTC")
		assert.Equal(t, r.At, r.At.Truncate(time.Microsecond), "to the microsecond")
	}
	p, err := s.List(t.Context(), newDealerID(), crm.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "a dealer without records")
	assert.NotNil(t, p.Items, "an empty page, not nil")
}

func testAuditInvalid(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	many := make([]string, crm.MaxAuditRecords+1)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	for _, c := range []struct {
		name   string
		change func(*crm.AuditRecord)
		field  string
	}{
		{"NoID", func(r *crm.AuditRecord) { r.ID = "" }, "id"},
		{"NoDealer", func(r *crm.AuditRecord) { r.DealerID = "" }, "dealer_id"},
		{"NoOperation", func(r *crm.AuditRecord) { r.Operation = "" }, "operation"},
		{"NoTime", func(r *crm.AuditRecord) { r.At = time.Time{} }, "at"},
		{"NoOutcome", func(r *crm.AuditRecord) { r.Outcome = "" }, "outcome"},
		{"BadOutcome", func(r *crm.AuditRecord) { r.Outcome = "maybe" }, "outcome"},
		{"TooManyRecords", func(r *crm.AuditRecord) { r.Records = many }, "records"},
		{"NULInReason", func(r *crm.AuditRecord) { r.Reason = "a\x00b" }, "reason"},
		{"NULInStaff", func(r *crm.AuditRecord) { r.StaffID = "a\x00b" }, "staff_id"},
		{"BadUTF8InKey", func(r *crm.AuditRecord) { r.KeyID = "a\xffb" }, "key_id"},
		{"NULInRecords", func(r *crm.AuditRecord) { r.Records = []string{"c1", "a\x00b"} }, "records"},
		{"NULInRequest", func(r *crm.AuditRecord) { r.RequestID = "a\x00b" }, "request_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := AuditRecord(dealer, Base)
			c.change(&r)
			err := s.Append(t.Context(), r)
			var ve *crm.ValidationError
			if assert.ErrorAs(t, err, &ve, "a *crm.ValidationError") {
				assert.Equal(t, "audit record", ve.Entity)
				assert.True(t, ve.Has(c.field, ""), "names %s: %v", c.field, err)
			}
			AssertCleanMessage(t, err)
		})
	}
	assert.Empty(t, listAudit(t, s, dealer, crm.AuditFilter{}), "nothing written")
}

func testAuditConflict(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	r := AuditRecord(dealer, Base)
	appendAll(t, s, r)
	again := AuditRecord(dealer, Base.Add(time.Hour))
	again.ID, again.Operation = r.ID, "deleteCustomer"
	assertConflict(t, s.Append(t.Context(), again), "audit record", "id", "an ID already there")
	got := listAudit(t, s, dealer, crm.AuditFilter{})
	require.Len(t, got, 1, "nothing else written")
	Equal(t, r, got[0], "the first record stays")
}

func testAuditDealers(t *testing.T, s crm.AuditStore) {
	d1, d2 := newDealerID(), newDealerID()
	var r1, r2 []crm.AuditRecord
	for i := range 4 {
		r1 = append(r1, AuditRecord(d1, at(i, 0)))
		r2 = append(r2, AuditRecord(d2, at(i, 0)))
	}
	appendAll(t, s, r1...)
	appendAll(t, s, r2...)
	assert.Equal(t, newestFirst(r1), auditIDs(listAudit(t, s, d1, crm.AuditFilter{})), "d1's records only")
	assert.Equal(t, newestFirst(r2), auditIDs(listAudit(t, s, d2, crm.AuditFilter{StaffID: "S01"})), "d2's records only, filtered too")

	n, err := s.Purge(t.Context(), d1, at(10, 0))
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Empty(t, listAudit(t, s, d1, crm.AuditFilter{}), "d1's purged")
	assert.Equal(t, newestFirst(r2), auditIDs(listAudit(t, s, d2, crm.AuditFilter{})), "d2's stay")
}

func testAuditPaging(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	var rs []crm.AuditRecord
	for i := range 11 {
		rs = append(rs, AuditRecord(dealer, at(i, 0)))
	}
	appendAll(t, s, rs...)
	want := newestFirst(rs)

	var got []string
	f := crm.AuditFilter{PageRequest: crm.PageRequest{Limit: 4}}
	for page := 0; ; page++ {
		p, err := s.List(t.Context(), dealer, f)
		require.NoError(t, err)
		if page < 2 {
			assert.Len(t, p.Items, 4, "a full page")
			assert.NotEmpty(t, p.Next, "more to come")
		}
		got = append(got, auditIDs(p.Items)...)
		if p.Next == "" {
			assert.Equal(t, 2, page, "three pages of 4, 4 and 3")
			break
		}
		f.After = p.Next
	}
	assert.Equal(t, want, got, "the pages in ID order, descending, without gaps or repeats")

	// The cursor resumes below the last ID, even one no longer there.
	n, err := s.Purge(t.Context(), dealer, at(11, 0))
	require.NoError(t, err)
	require.Equal(t, 11, n)
	appendAll(t, s, rs[0], rs[1], rs[2])
	p, err := s.List(t.Context(), dealer, crm.AuditFilter{PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	rest := listAudit(t, s, dealer, crm.AuditFilter{PageRequest: crm.PageRequest{After: p.Next}})
	assert.Equal(t, newestFirst(rs[:3])[1:], auditIDs(rest))

	for _, c := range badCursors {
		_, err := s.List(t.Context(), dealer, crm.AuditFilter{PageRequest: crm.PageRequest{After: c}})
		var ve *crm.ValidationError
		if assert.ErrorAs(t, err, &ve, "cursor %q", c) {
			assert.True(t, ve.Has("after", crm.RuleFormat), "names after: %v", err)
		}
	}
}

// auditSet returns n records of dealer whose fields vary independently,
// their times out of ID order, and the times they span.
func auditSet(dealer crm.DealerID, n int) []crm.AuditRecord {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = dealercrm.NewID()
	}
	slices.Sort(ids)
	staff := []crm.StaffID{"S01", "S02", ""}
	keys := []string{"k1", "k2", "", "k3"}
	ops := []string{"getCustomer", "postCustomer", "decideLostLead", "postPoints", "listAudit"}
	out := make([]crm.AuditRecord, n)
	for i := range out {
		r := crm.AuditRecord{
			ID: ids[i], DealerID: dealer, At: at((i*7)%n, 0),
			KeyID: keys[i%len(keys)], StaffID: staff[i%len(staff)], Operation: ops[i%len(ops)],
			RequestID: fmt.Sprintf("req-%d", i), Outcome: crm.AuditOutcomes()[(i/2)%3],
		}
		switch i % 4 {
		case 1:
			r.Records = []string{"c1"}
		case 2:
			r.Records = []string{"c2", "c1", fmt.Sprintf("l%d", i)}
		case 3:
			r.Records = []string{"c3"}
		}
		if r.Outcome != crm.AuditOK {
			r.Reason = "permission_denied: customers.read"
		}
		out[i] = r
	}
	return out
}

func testAuditFilters(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	rs := auditSet(dealer, 30)
	appendAll(t, s, rs...)
	appendAll(t, s, auditSet(newDealerID(), 6)...)

	mid, late := at(10, 0), at(20, 0)
	for _, c := range []struct {
		name string
		f    crm.AuditFilter
	}{
		{"None", crm.AuditFilter{}},
		{"Staff", crm.AuditFilter{StaffID: "S02"}},
		{"Key", crm.AuditFilter{KeyID: "k1"}},
		{"Record", crm.AuditFilter{Record: "c1"}},
		{"RecordOfOne", crm.AuditFilter{Record: "l6"}},
		{"RecordNone", crm.AuditFilter{Record: "c"}},
		{"Operation", crm.AuditFilter{Operation: "decideLostLead"}},
		{"Outcome", crm.AuditFilter{Outcome: crm.AuditDenied}},
		{"Request", crm.AuditFilter{RequestID: "req-7"}},
		{"RequestNone", crm.AuditFilter{RequestID: "req-"}},
		{"From", crm.AuditFilter{From: mid}},
		{"To", crm.AuditFilter{To: mid}},
		{"FromTo", crm.AuditFilter{From: mid, To: late}},
		{"FromToOneMicrosecond", crm.AuditFilter{From: mid, To: mid.Add(time.Microsecond)}},
		{"StaffOutcome", crm.AuditFilter{StaffID: "S01", Outcome: crm.AuditOK}},
		{"KeyRecordFrom", crm.AuditFilter{KeyID: "k2", Record: "c1", From: at(3, 0)}},
		{"Everything", crm.AuditFilter{StaffID: "S01", KeyID: "k1", Record: "c1", Operation: "postCustomer",
			Outcome: crm.AuditOK, From: at(0, 0), To: at(30, 0)}},
		{"OperationToPaged", crm.AuditFilter{Operation: "getCustomer", To: late, PageRequest: crm.PageRequest{Limit: 2}}},
		{"RecordPaged", crm.AuditFilter{Record: "c1", PageRequest: crm.PageRequest{Limit: 3}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []crm.AuditRecord
			for _, r := range rs {
				if c.f.Match(&r) {
					want = append(want, r)
				}
			}
			got := listAudit(t, s, dealer, c.f)
			for _, r := range got {
				assert.True(t, c.f.Match(&r), "AuditFilter.Match agrees on %s", r.ID)
			}
			assert.Equal(t, newestFirst(want), auditIDs(got), "the records Match selects, newest first")
		})
	}
	// Every filter alone selects some records but not all, so each case
	// above tests something.
	for _, f := range []crm.AuditFilter{{StaffID: "S02"}, {KeyID: "k1"}, {Record: "c1"}, {Operation: "decideLostLead"},
		{Outcome: crm.AuditDenied}, {From: mid}, {To: mid}} {
		n := len(listAudit(t, s, dealer, f))
		assert.True(t, n > 0 && n < len(rs), "filter %+v selects %d of %d", f, n, len(rs))
	}

	for _, c := range []struct {
		name  string
		f     crm.AuditFilter
		field string
	}{
		{"BadOutcome", crm.AuditFilter{Outcome: "maybe"}, "outcome"},
		{"ToBeforeFrom", crm.AuditFilter{From: late, To: mid}, "to"},
		{"ToAtFrom", crm.AuditFilter{From: mid, To: mid}, "to"},
		{"BadCursor", crm.AuditFilter{PageRequest: crm.PageRequest{After: "%%%"}}, "after"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.List(t.Context(), dealer, c.f)
			var ve *crm.ValidationError
			if assert.ErrorAs(t, err, &ve, "a *crm.ValidationError") {
				assert.True(t, ve.Has(c.field, ""), "names %s: %v", c.field, err)
			}
			assert.ErrorIs(t, err, dealercrm.ErrInvalid)
		})
	}
}

func testAuditPurge(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	rs := auditSet(dealer, 30)
	appendAll(t, s, rs...)
	cut := at(12, 0)

	n, err := s.Purge(t.Context(), dealer, cut)
	require.NoError(t, err)
	var kept []crm.AuditRecord
	for _, r := range rs {
		if !r.At.Before(cut) {
			kept = append(kept, r)
		}
	}
	assert.Equal(t, len(rs)-len(kept), n, "the count of records before the cut")
	assert.Equal(t, 12, n)
	assert.Equal(t, newestFirst(kept), auditIDs(listAudit(t, s, dealer, crm.AuditFilter{})), "exactly those at or after the cut stay")

	n, err = s.Purge(t.Context(), dealer, cut)
	require.NoError(t, err)
	assert.Zero(t, n, "purging again removes nothing")
	n, err = s.Purge(t.Context(), dealer, time.Time{})
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is before the zero time")
	n, err = s.Purge(t.Context(), newDealerID(), at(1000, 0))
	require.NoError(t, err)
	assert.Zero(t, n, "another dealer has none")
	assert.Len(t, listAudit(t, s, dealer, crm.AuditFilter{}), len(kept))
}

func testAuditConcurrent(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	const workers, each = 8, 25
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids []string
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := AuditRecord(dealer, at(i, time.Duration(w)*time.Second))
				r.StaffID = crm.StaffID(fmt.Sprintf("S%d", w))
				if !assert.NoError(t, s.Append(context.Background(), r)) {
					return
				}
				mu.Lock()
				ids = append(ids, r.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(ids)
	slices.Reverse(ids)
	got := auditIDs(listAudit(t, s, dealer, crm.AuditFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}))
	assert.Equal(t, ids, got, "every append landed, once")
	assert.Len(t, got, workers*each)
	assert.Len(t, listAudit(t, s, dealer, crm.AuditFilter{StaffID: "S3"}), each)
}

func testAuditCopies(t *testing.T, s crm.AuditStore) {
	dealer := newDealerID()
	r := AuditRecord(dealer, Base)
	in := r.Clone()
	require.NoError(t, s.Append(t.Context(), in))
	in.Records[0], in.Operation = "changed", "changed"

	p, err := s.List(t.Context(), dealer, crm.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	Equal(t, r, p.Items[0], "the store kept its own copy of what was appended")
	p.Items[0].Records[0], p.Items[0].Records = "mutated", append(p.Items[0].Records, "more")
	p.Items[0].StaffID = "mutated"

	again := listAudit(t, s, dealer, crm.AuditFilter{})
	require.Len(t, again, 1)
	Equal(t, r, again[0], "a returned record is a copy")
	assert.False(t, strings.Contains(strings.Join(again[0].Records, ","), "mutated"))
}
