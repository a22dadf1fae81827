// Package satisfactiontest is the conformance suite of satisfaction.Store:
// every implementation (adapters/memory, adapters/postgres) runs
// RunStoreTests so that they behave the same. Import it from tests only.
package satisfactiontest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunStoreTests runs the suite against the stores newStore returns; it
// calls newStore at the start of every subtest and expects an empty store.
// IDs come from dealercrm.NewID.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) satisfaction.Store) {
	t.Run("Hierarchies", func(t *testing.T) { testHierarchies(t, newStore(t)) })
	t.Run("Questionnaires", func(t *testing.T) { testQuestionnaires(t, newStore(t)) })
	t.Run("Responses", func(t *testing.T) { testResponses(t, newStore(t)) })
	t.Run("ResponseFilters", func(t *testing.T) { testResponseFilters(t, newStore(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("Service", func(t *testing.T) { testService(t, newStore(t)) })
}

// at is a fixed time in another zone than UTC: it must come back in UTC.
var at = time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

func dealers() (crm.DealerID, crm.DealerID) {
	return crm.DealerID(dealercrm.NewID()), crm.DealerID(dealercrm.NewID())
}

// Hierarchy returns a small valid hierarchy of dealer with a comparison
// matrix, a skipped comparison and group judgments.
func Hierarchy(dealer crm.DealerID) satisfaction.Hierarchy {
	return satisfaction.Hierarchy{
		ID: satisfaction.HierarchyID(dealercrm.NewID()), DealerID: dealer, Name: "测试 hierarchy",
		Config: satisfaction.Config{RandomIndex: satisfaction.RIAlonsoLamata},
		Root: satisfaction.Node{ID: "goal", Name: "满意度", Comparisons: satisfaction.MatrixFromUpper(3, 3, 5, 0),
			Children: []satisfaction.Node{
				{ID: "a", Name: "接待", Experts: []satisfaction.Matrix{{{1, 2}, {0.5, 1}}, {{1, 4}, {0.25, 1}}},
					Children: []satisfaction.Node{{ID: "a1"}, {ID: "a2"}}},
				{ID: "b", Weights: []float64{1}, Children: []satisfaction.Node{{ID: "b1"}}},
				{ID: "c"},
			}},
		CreatedAt: at, UpdatedAt: at,
	}
}

// Questionnaire returns a questionnaire of dealer on hierarchy h.
func Questionnaire(dealer crm.DealerID, h satisfaction.HierarchyID) satisfaction.Questionnaire {
	return satisfaction.Questionnaire{
		ID: satisfaction.QuestionnaireID(dealercrm.NewID()), DealerID: dealer, Name: "回访", Department: satisfaction.DepartmentService,
		Scale: satisfaction.Likert5, HierarchyID: h, FollowUpThreshold: 50,
		Items:     []satisfaction.Item{{ID: "q1", Text: "接待?", IndicatorID: "a1"}, {ID: "q2", Text: "质量?", IndicatorID: "b1"}, {ID: "q3", IndicatorID: "c"}},
		CreatedAt: at, UpdatedAt: at,
	}
}

// Response returns a response of dealer to questionnaire q.
func Response(dealer crm.DealerID, q satisfaction.QuestionnaireID, date string, values ...int) satisfaction.Response {
	r := satisfaction.Response{ID: satisfaction.ResponseID(dealercrm.NewID()), DealerID: dealer, QuestionnaireID: q,
		CustomerID: "c-1", ServiceOrderID: "so-1", StaffID: "adv-1", Department: satisfaction.DepartmentService,
		Date: dealercrm.MustParseDate(date), Comment: "还行", Score: 75, CreatedAt: at, UpdatedAt: at}
	for i, v := range values {
		r.Answers = append(r.Answers, satisfaction.Answer{ItemID: []string{"q1", "q2", "q3"}[i%3], Value: v})
	}
	return r
}

// requireCleanMessage checks that the message of a store's conflict names
// the key taken (want) and nothing of the storage: no SQLSTATE, constraint,
// table or store name.
func requireCleanMessage(t *testing.T, err error, want string) {
	t.Helper()
	require.Error(t, err)
	msg := dealercrm.ErrorMessage(err)
	assert.Contains(t, msg, want, "the message names the key")
	for _, leak := range []string{"SQLSTATE", "23505", "constraint", "pkey", "_key", "satisfaction_", "postgres", "memory"} {
		assert.NotContains(t, msg, leak, "the message says nothing of the storage: %q", msg)
		assert.NotContains(t, err.Error(), leak, "nor does the error: %q", err.Error())
	}
}

func utc(h *satisfaction.Hierarchy) { h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC() }

func testHierarchies(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, db := dealers()
	h := Hierarchy(da)
	require.NoError(t, s.CreateHierarchy(ctx, &h))
	dup := h
	err := s.CreateHierarchy(ctx, &dup)
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "same ID, same dealer")
	requireCleanMessage(t, err, "id "+string(h.ID))
	other := h
	other.DealerID = db
	require.NoError(t, s.CreateHierarchy(ctx, &other), "the same ID may exist for another dealer")

	got, err := s.GetHierarchy(ctx, da, h.ID)
	require.NoError(t, err)
	want := h.Clone()
	utc(&want)
	assert.Equal(t, want, got, "a hierarchy round-trips, matrices, experts and config included")
	_, err = s.GetHierarchy(ctx, db, "missing")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	got.Root.Children[0].Name = "changed by caller"
	again, _ := s.GetHierarchy(ctx, da, h.ID)
	assert.Equal(t, "接待", again.Root.Children[0].Name, "returned values do not share memory with the store")

	upd, err := s.UpdateHierarchy(ctx, da, h.ID, func(x *satisfaction.Hierarchy) error {
		x.Name = "renamed"
		x.Root.Comparisons[0][1] = 2
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "renamed", upd.Name)
	got, _ = s.GetHierarchy(ctx, da, h.ID)
	assert.Equal(t, 2.0, got.Root.Comparisons[0][1])
	boom := errors.New("boom")
	_, err = s.UpdateHierarchy(ctx, da, h.ID, func(x *satisfaction.Hierarchy) error { x.Name = "no"; return boom })
	assert.ErrorIs(t, err, boom, "fn's error comes back as it is")
	got, _ = s.GetHierarchy(ctx, da, h.ID)
	assert.Equal(t, "renamed", got.Name, "and nothing is written")
	_, err = s.UpdateHierarchy(ctx, db, "missing", func(*satisfaction.Hierarchy) error { return nil })
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	for range 2 {
		x := Hierarchy(da)
		require.NoError(t, s.CreateHierarchy(ctx, &x))
	}
	page, err := s.ListHierarchies(ctx, da, crm.PageRequest{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	require.NotEmpty(t, page.Next)
	page2, err := s.ListHierarchies(ctx, da, crm.PageRequest{Limit: 2, After: page.Next})
	require.NoError(t, err)
	require.Len(t, page2.Items, 1)
	assert.Empty(t, page2.Next)
	assert.Less(t, string(page.Items[1].ID), string(page2.Items[0].ID), "ID order")
	onlyB, err := s.ListHierarchies(ctx, db, crm.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, onlyB.Items, 1, "listing is scoped by dealer")
	_, err = s.ListHierarchies(ctx, da, crm.PageRequest{After: "%%%"})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a malformed cursor")
}

func testQuestionnaires(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, db := dealers()
	q := Questionnaire(da, "h1")
	require.NoError(t, s.CreateQuestionnaire(ctx, &q))
	assert.ErrorIs(t, s.CreateQuestionnaire(ctx, &q), dealercrm.ErrConflict)
	got, err := s.GetQuestionnaire(ctx, da, q.ID)
	require.NoError(t, err)
	want := q.Clone()
	want.CreatedAt, want.UpdatedAt = at.UTC(), at.UTC()
	assert.Equal(t, want, got)
	_, err = s.GetQuestionnaire(ctx, db, q.ID)
	assert.ErrorIs(t, err, dealercrm.ErrNotFound, "another dealer's questionnaire is not found")
	got.Items[0].Text = "mutated"
	again, _ := s.GetQuestionnaire(ctx, da, q.ID)
	assert.Equal(t, "接待?", again.Items[0].Text)
	upd, err := s.UpdateQuestionnaire(ctx, da, q.ID, func(x *satisfaction.Questionnaire) error {
		x.Items = append(x.Items, satisfaction.Item{ID: "q4", IndicatorID: "a2"})
		return nil
	})
	require.NoError(t, err)
	assert.Len(t, upd.Items, 4)
	page, err := s.ListQuestionnaires(ctx, da, crm.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
	page, err = s.ListQuestionnaires(ctx, db, crm.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	assert.NotNil(t, page.Items, "an empty page has an empty, non-nil slice")
}

func testResponses(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, db := dealers()
	r := Response(da, "q", "2025-03-02", 5, 4, 3)
	r.ExternalID = "CALL-1"
	require.NoError(t, s.CreateResponse(ctx, &r))
	dup := Response(da, "q", "2025-03-02", 5)
	dup.ExternalID = "CALL-1"
	err := s.CreateResponse(ctx, &dup)
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "external ID taken")
	requireCleanMessage(t, err, "external id CALL-1")
	sameID := r
	sameID.ExternalID = ""
	err = s.CreateResponse(ctx, &sameID)
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "ID taken")
	requireCleanMessage(t, err, "id "+string(r.ID))
	otherDealer := Response(db, "q", "2025-03-02", 1)
	otherDealer.ExternalID = "CALL-1"
	require.NoError(t, s.CreateResponse(ctx, &otherDealer), "external IDs are per dealer")
	noExt1, noExt2 := Response(da, "q", "2025-03-03", 1), Response(da, "q", "2025-03-03", 2)
	require.NoError(t, s.CreateResponse(ctx, &noExt1))
	require.NoError(t, s.CreateResponse(ctx, &noExt2), "any number of responses without an external ID")

	got, err := s.GetResponse(ctx, da, r.ID)
	require.NoError(t, err)
	want := r.Clone()
	want.CreatedAt, want.UpdatedAt = at.UTC(), at.UTC()
	assert.Equal(t, want, got)
	byExt, err := s.GetResponseByExternalID(ctx, da, "CALL-1")
	require.NoError(t, err)
	assert.Equal(t, r.ID, byExt.ID)
	_, err = s.GetResponseByExternalID(ctx, da, "")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)
	_, err = s.GetResponse(ctx, db, r.ID)
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	upd, err := s.UpdateResponse(ctx, da, r.ID, func(x *satisfaction.Response) error { x.FollowUp = "cp-1"; return nil })
	require.NoError(t, err)
	assert.Equal(t, "cp-1", upd.FollowUp)
	got, _ = s.GetResponse(ctx, da, r.ID)
	assert.Equal(t, "cp-1", got.FollowUp)
	_, err = s.UpdateResponse(ctx, da, noExt1.ID, func(x *satisfaction.Response) error { x.ExternalID = "CALL-1"; return nil })
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "an update may not take a used external ID")
	requireCleanMessage(t, err, "external id CALL-1")
	got, _ = s.GetResponse(ctx, da, noExt1.ID)
	assert.Empty(t, got.ExternalID, "and nothing is written")
}

func testResponseFilters(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, _ := dealers()
	var ids []satisfaction.ResponseID
	for i, d := range []string{"2025-01-05", "2025-02-10", "2025-02-20", "2025-03-01"} {
		r := Response(da, "qa", d, 4)
		if i == 2 {
			r.QuestionnaireID, r.StaffID, r.CustomerID = "qb", "adv-2", "c-2"
		}
		require.NoError(t, s.CreateResponse(ctx, &r))
		ids = append(ids, r.ID)
	}
	count := func(f satisfaction.ResponseFilter) int {
		p, err := s.ListResponses(ctx, da, f)
		require.NoError(t, err)
		return len(p.Items)
	}
	assert.Equal(t, 4, count(satisfaction.ResponseFilter{}))
	assert.Equal(t, 3, count(satisfaction.ResponseFilter{QuestionnaireID: "qa"}))
	assert.Equal(t, 1, count(satisfaction.ResponseFilter{StaffID: "adv-2"}))
	assert.Equal(t, 1, count(satisfaction.ResponseFilter{CustomerID: "c-2"}))
	assert.Equal(t, 2, count(satisfaction.ResponseFilter{Dates: crm.DateRange{From: dealercrm.MustParseDate("2025-02-10"), To: dealercrm.MustParseDate("2025-02-20")}}), "dates inclusive")
	var seen []satisfaction.ResponseID
	f := satisfaction.ResponseFilter{PageRequest: crm.PageRequest{Limit: 3}}
	for {
		p, err := s.ListResponses(ctx, da, f)
		require.NoError(t, err)
		for _, r := range p.Items {
			seen = append(seen, r.ID)
		}
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	assert.Equal(t, ids, seen, "paging visits every response once, in ID order")
}

func testConcurrent(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, _ := dealers()
	q := Questionnaire(da, "h")
	q.Items = nil
	require.NoError(t, s.CreateQuestionnaire(ctx, &q))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := s.UpdateQuestionnaire(ctx, da, q.ID, func(x *satisfaction.Questionnaire) error {
				x.Items = append(x.Items, satisfaction.Item{ID: string(rune('a' + i)), IndicatorID: "a1"})
				return nil
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	got, err := s.GetQuestionnaire(ctx, da, q.ID)
	require.NoError(t, err)
	assert.Len(t, got.Items, 8, "concurrent updates of one record are serialised: none is lost")
}

// testService runs the Service end to end on the store: a report computed
// by paging (or scanning) must match the one built in memory.
func testService(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, _ := dealers()
	svc, err := satisfaction.NewService(s)
	require.NoError(t, err)
	h, err := svc.CreateHierarchy(ctx, da, Hierarchy(da))
	require.NoError(t, err)
	q, err := svc.CreateQuestionnaire(ctx, da, Questionnaire(da, h.ID))
	require.NoError(t, err)
	w, err := h.Weigh()
	require.NoError(t, err)
	agg, err := satisfaction.NewAggregator(q, w, satisfaction.Month, dealercrm.Date{}, dealercrm.Date{})
	require.NoError(t, err)
	for i := range 25 {
		r := Response(da, q.ID, []string{"2025-01-15", "2025-02-15"}[i%2], 1+i%5, 1+(i*3)%5, 1+(i*7)%5)
		r.ID = ""
		got, err := svc.RecordResponse(ctx, da, r)
		require.NoError(t, err)
		agg.Add(&got)
	}
	rep, err := svc.Report(ctx, da, q.ID, satisfaction.ReportRequest{})
	require.NoError(t, err)
	assert.Equal(t, agg.Report(), rep, "the stored responses give the same report")
	assert.Equal(t, 25, rep.Responses)
}
