// Package satisfactiontest is the conformance suite of satisfaction.Store:
// every implementation (adapters/memory, adapters/postgres) runs
// RunStoreTests so that they behave the same, and RunServiceTests, the
// Service on the backend's stores with real crm records (references
// checked against them, dates against the dealer's today). Import it from
// tests only.
package satisfactiontest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/shopspring/decimal"
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
	t.Run("EraseComments", func(t *testing.T) { testEraseComments(t, newStore(t)) })
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

// testEraseComments: the comments of one customer of one dealer are
// cleared and their responses stamped; everything else stays.
func testEraseComments(t *testing.T, s satisfaction.Store) {
	ctx := context.Background()
	da, db := dealers()
	mk := func(dealer crm.DealerID, customer crm.CustomerID, ext, comment string) satisfaction.Response {
		r := Response(dealer, "q", "2025-03-02", 1, 2, 3)
		r.CustomerID, r.ExternalID, r.Comment, r.FollowUp = customer, ext, comment, "task-"+ext
		require.NoError(t, s.CreateResponse(ctx, &r))
		return r
	}
	first, second := mk(da, "c-1", "CALL-1", "回电 13912345678"), mk(da, "c-1", "CALL-2", "很满意")
	silent := mk(da, "c-1", "CALL-3", "")
	other := mk(da, "c-2", "CALL-4", "别人的意见")
	anonymous := mk(da, "", "CALL-5", "匿名")
	elsewhere := mk(db, "c-1", "CALL-1", "另一家店")
	erasedAt := time.Date(2025, 4, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

	n, err := s.EraseComments(ctx, da, "c-1", erasedAt)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the customer's two responses with a comment")
	for _, r := range []satisfaction.Response{first, second} {
		got, err := s.GetResponse(ctx, da, r.ID)
		require.NoError(t, err)
		want := r.Clone()
		want.Comment, want.CreatedAt, want.UpdatedAt = "", at.UTC(), erasedAt.UTC()
		assert.Equal(t, want, got, "only the comment goes, and the response is stamped")
	}
	byExt, err := s.GetResponseByExternalID(ctx, da, "CALL-1")
	require.NoError(t, err)
	assert.Equal(t, first.ID, byExt.ID, "the external ID still finds the response")
	got, err := s.GetResponse(ctx, da, silent.ID)
	require.NoError(t, err)
	assert.True(t, got.UpdatedAt.Equal(at), "a response without a comment is not touched")
	for _, r := range []satisfaction.Response{other, anonymous, elsewhere} {
		got, err := s.GetResponse(ctx, r.DealerID, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r.Comment, got.Comment, "another customer's, an anonymous and another dealer's response keep their comment")
		assert.True(t, got.UpdatedAt.Equal(at))
	}
	page, err := s.ListResponses(ctx, da, satisfaction.ResponseFilter{CustomerID: "c-1"})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3, "the responses stay, and stay the customer's")

	n, err = s.EraseComments(ctx, da, "c-1", erasedAt.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n, "erasing again changes nothing")
	got, err = s.GetResponse(ctx, da, first.ID)
	require.NoError(t, err)
	assert.True(t, got.UpdatedAt.Equal(erasedAt), "not even the stamp")
	n, err = s.EraseComments(ctx, da, "", erasedAt)
	require.NoError(t, err)
	assert.Zero(t, n, "an empty customer ID matches no response")
	got, err = s.GetResponse(ctx, da, anonymous.ID)
	require.NoError(t, err)
	assert.Equal(t, "匿名", got.Comment, "not even the anonymous ones")
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

// RunServiceTests runs the Service end to end on a backend: newStores
// returns an empty crm.Store (the records responses refer to) and an empty
// satisfaction.Store of that backend.
func RunServiceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, satisfaction.Store)) {
	t.Run("Report", func(t *testing.T) { testReport(t, newFixture(t, newStores)) })
	t.Run("References", func(t *testing.T) { testReferences(t, newFixture(t, newStores)) })
	t.Run("StaffOfTheRecord", func(t *testing.T) { testStaffOfTheRecord(t, newFixture(t, newStores)) })
	t.Run("NoRecords", func(t *testing.T) {
		_, store := newStores(t)
		testNoRecords(t, store)
	})
	t.Run("FutureDates", func(t *testing.T) { testFutureDates(t, newFixture(t, newStores)) })
	t.Run("ConcurrentReplays", func(t *testing.T) { testConcurrentReplays(t, newFixture(t, newStores)) })
	t.Run("PersonalData", func(t *testing.T) { testPersonalData(t, newFixture(t, newStores)) })
}

// Now is the Service clock of RunServiceTests: 20 March 2025, 16:00 in
// Shanghai, 01:00 in Los Angeles.
var Now = time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)

// FollowUps records the follow-up requests it is asked to open; the
// reference of one is "fu-" + the response ID.
type FollowUps struct {
	mu       sync.Mutex
	Requests []satisfaction.FollowUpRequest
}

// OpenFollowUp implements satisfaction.FollowUps.
func (f *FollowUps) OpenFollowUp(_ context.Context, req satisfaction.FollowUpRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.Requests {
		if r.ResponseID == req.ResponseID {
			return "fu-" + string(req.ResponseID), nil
		}
	}
	f.Requests = append(f.Requests, req)
	return "fu-" + string(req.ResponseID), nil
}

// Opened returns the requests made so far.
func (f *FollowUps) Opened() []satisfaction.FollowUpRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]satisfaction.FollowUpRequest(nil), f.Requests...)
}

// shop is one dealer's records: a customer with a car, a service order of
// the car done by advisor SA-7, its sale by consultant SC-3, and a second
// customer.
type shop struct {
	dealer          crm.DealerID
	customer, other crm.CustomerID
	order           crm.ServiceOrderID
	sale            crm.SaleID
	questionnaire   satisfaction.QuestionnaireID
}

// fixture is a Service on a backend's stores with two dealers, A in
// Shanghai and B in Los Angeles, each with a shop and a questionnaire.
type fixture struct {
	crm       *crm.Service
	store     satisfaction.Store
	svc       *satisfaction.Service
	followUps *FollowUps
	a, b      shop
}

func newFixture(t *testing.T, newStores func(t *testing.T) (crm.Store, satisfaction.Store)) *fixture {
	t.Helper()
	records, store := newStores(t)
	f := &fixture{crm: crm.NewService(records), store: store, followUps: &FollowUps{}}
	var err error
	f.svc, err = satisfaction.NewService(store, satisfaction.WithRecords(f.crm), satisfaction.WithFollowUps(f.followUps),
		satisfaction.WithClock(func() time.Time { return Now }))
	require.NoError(t, err)
	f.a = f.shop(t, "", 1)
	f.b = f.shop(t, "America/Los_Angeles", 2)
	return f
}

// service returns another Service on the fixture's stores.
func (f *fixture) service(t *testing.T, opts ...satisfaction.ServiceOption) *satisfaction.Service {
	t.Helper()
	opts = append([]satisfaction.ServiceOption{satisfaction.WithRecords(f.crm), satisfaction.WithFollowUps(f.followUps),
		satisfaction.WithClock(func() time.Time { return Now })}, opts...)
	svc, err := satisfaction.NewService(f.store, opts...)
	require.NoError(t, err)
	return svc
}

// vins are valid VINs (ISO 3779 check digit), one per shop.
var vins = []string{"LSVAM4187C2184847", "LFV2A21KXD4123457"}

func (f *fixture) shop(t *testing.T, zone string, n int) shop {
	t.Helper()
	ctx := context.Background()
	d, err := f.crm.CreateDealer(ctx, crm.Dealer{ID: crm.DealerID(dealercrm.NewID()), Name: fmt.Sprintf("4S %d", n), TimeZone: zone})
	require.NoError(t, err)
	c, err := f.crm.CreateCustomer(ctx, d.ID, crm.Customer{Name: "王伟", Kind: crm.Individual})
	require.NoError(t, err)
	other, err := f.crm.CreateCustomer(ctx, d.ID, crm.Customer{Name: "李娜", Kind: crm.Individual})
	require.NoError(t, err)
	v, err := f.crm.CreateVehicle(ctx, d.ID, crm.Vehicle{VIN: vins[n-1], Model: "Lavida", OwnerID: c.ID,
		DeliveryDate: dealercrm.MustParseDate("2024-01-10"), Price: decimal.NewFromInt(100000)})
	require.NoError(t, err)
	o, err := f.crm.CreateServiceOrder(ctx, d.ID, crm.ServiceOrder{VehicleID: v.ID, CustomerID: c.ID, Date: dealercrm.MustParseDate("2025-03-10"),
		ClosedDate: dealercrm.MustParseDate("2025-03-11"), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer,
		Labour: decimal.NewFromInt(300), Parts: decimal.NewFromInt(500), AdvisorID: "SA-7"})
	require.NoError(t, err)
	s, err := f.crm.CreateSale(ctx, d.ID, crm.Sale{VehicleID: v.ID, CustomerID: c.ID, Date: dealercrm.MustParseDate("2024-01-05"),
		Price: decimal.NewFromInt(100000), ConsultantID: "SC-3"})
	require.NoError(t, err)
	h, err := f.svc.CreateHierarchy(ctx, d.ID, Hierarchy(d.ID))
	require.NoError(t, err)
	q, err := f.svc.CreateQuestionnaire(ctx, d.ID, Questionnaire(d.ID, h.ID))
	require.NoError(t, err)
	return shop{dealer: d.ID, customer: c.ID, other: other.ID, order: o.ID, sale: s.ID, questionnaire: q.ID}
}

// low is a dissatisfied answer (score 0, under the questionnaire's
// follow-up threshold of 50) to the shop's questionnaire on date.
func (s shop) low(date string) satisfaction.Response {
	return satisfaction.Response{QuestionnaireID: s.questionnaire, Date: dealercrm.MustParseDate(date),
		Answers: []satisfaction.Answer{{ItemID: "q1", Value: 1}, {ItemID: "q2", Value: 1}, {ItemID: "q3", Value: 1}}}
}

// requireRule checks that err is a *crm.ValidationError in which field
// broke rule.
func requireRule(t *testing.T, err error, field, rule string) {
	t.Helper()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve, "a validation error naming %s", field)
	assert.True(t, ve.Has(field, rule), "%s breaks rule %s: %v", field, rule, ve)
}

func (f *fixture) count(t *testing.T, dealer crm.DealerID) int {
	t.Helper()
	p, err := f.store.ListResponses(context.Background(), dealer, satisfaction.ResponseFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	return len(p.Items)
}

// testReport: a report computed by paging (or scanning) the store matches
// the one built in memory.
func testReport(t *testing.T, f *fixture) {
	ctx := context.Background()
	da := f.a.dealer
	q, err := f.svc.GetQuestionnaire(ctx, da, f.a.questionnaire)
	require.NoError(t, err)
	h, err := f.svc.GetHierarchy(ctx, da, q.HierarchyID)
	require.NoError(t, err)
	w, err := h.Weigh()
	require.NoError(t, err)
	agg, err := satisfaction.NewAggregator(q, w, satisfaction.Month, dealercrm.Date{}, dealercrm.Date{})
	require.NoError(t, err)
	for i := range 25 {
		r := Response(da, q.ID, []string{"2025-01-15", "2025-02-15"}[i%2], 1+i%5, 1+(i*3)%5, 1+(i*7)%5)
		r.ID, r.CustomerID, r.ServiceOrderID, r.StaffID = "", f.a.customer, f.a.order, ""
		got, err := f.svc.RecordResponse(ctx, da, r)
		require.NoError(t, err)
		agg.Add(&got)
	}
	rep, err := f.svc.Report(ctx, da, q.ID, satisfaction.ReportRequest{})
	require.NoError(t, err)
	assert.Equal(t, agg.Report(), rep, "the stored responses give the same report")
	assert.Equal(t, 25, rep.Responses)
	require.Len(t, rep.ByStaff, 1)
	assert.Equal(t, "SA-7", rep.ByStaff[0].Key, "every response counts for the order's advisor")
}

// testReferences (issue 12 #5): a response may name only the dealer's own
// customer, service order and sale; anything else is refused, with
// nothing stored and no follow-up opened.
func testReferences(t *testing.T, f *fixture) {
	ctx := context.Background()
	b := f.b
	for name, tc := range map[string]struct {
		set   func(r *satisfaction.Response)
		field string
	}{
		"another dealer's customer":      {func(r *satisfaction.Response) { r.CustomerID = f.a.customer }, "customer_id"},
		"no such customer":               {func(r *satisfaction.Response) { r.CustomerID = "ghost" }, "customer_id"},
		"another dealer's service order": {func(r *satisfaction.Response) { r.ServiceOrderID = f.a.order }, "service_order_id"},
		"another dealer's sale":          {func(r *satisfaction.Response) { r.SaleID = f.a.sale }, "sale_id"},
		"no such sale":                   {func(r *satisfaction.Response) { r.SaleID = "S-ghost" }, "sale_id"},
	} {
		t.Run(name, func(t *testing.T) {
			r := b.low("2025-03-18")
			tc.set(&r)
			_, err := f.svc.RecordResponse(ctx, b.dealer, r)
			assert.ErrorIs(t, err, dealercrm.ErrInvalid)
			requireRule(t, err, tc.field, crm.RuleReference)
		})
	}
	assert.Empty(t, f.followUps.Opened(), "no follow-up for a refused response")
	assert.Zero(t, f.count(t, b.dealer), "and nothing stored")

	r, err := f.svc.RecordResponse(ctx, b.dealer, func() satisfaction.Response { r := b.low("2025-03-18"); r.CustomerID = b.customer; return r }())
	require.NoError(t, err, "B's own customer is fine")
	assert.Equal(t, "fu-"+string(r.ID), r.FollowUp)
}

// testStaffOfTheRecord: a response tied to a service order is about that
// order's customer and advisor, one tied to a sale about its customer and
// consultant; the follow-up request carries that staff member, whom the
// follow-up call is kept from. Contradictions are refused.
func testStaffOfTheRecord(t *testing.T, f *fixture) {
	ctx := context.Background()
	a := f.a
	r := a.low("2025-03-12")
	r.ServiceOrderID = a.order
	got, err := f.svc.RecordResponse(ctx, a.dealer, r)
	require.NoError(t, err)
	assert.Equal(t, crm.StaffID("SA-7"), got.StaffID, "the order's advisor")
	assert.Equal(t, a.customer, got.CustomerID, "the order's customer")
	stored, err := f.svc.GetResponse(ctx, a.dealer, got.ID)
	require.NoError(t, err)
	assert.Equal(t, got.StaffID, stored.StaffID, "as stored")
	opened := f.followUps.Opened()
	require.Len(t, opened, 1)
	assert.Equal(t, crm.StaffID("SA-7"), opened[0].StaffID, "the follow-up is kept from the advisor")
	assert.Equal(t, a.customer, opened[0].CustomerID)
	assert.Equal(t, a.order, opened[0].ServiceOrderID)

	r = a.low("2025-03-12")
	r.SaleID, r.CustomerID, r.StaffID = a.sale, a.customer, "SC-3"
	got, err = f.svc.RecordResponse(ctx, a.dealer, r)
	require.NoError(t, err, "naming the consultant and customer themselves is fine")
	assert.Equal(t, crm.StaffID("SC-3"), got.StaffID)

	for name, tc := range map[string]struct {
		set         func(r *satisfaction.Response)
		field, rule string
	}{
		"another advisor":                {func(r *satisfaction.Response) { r.ServiceOrderID, r.StaffID = a.order, "SA-9" }, "staff_id", satisfaction.RuleMismatch},
		"another consultant":             {func(r *satisfaction.Response) { r.SaleID, r.StaffID = a.sale, "SA-7" }, "staff_id", satisfaction.RuleMismatch},
		"another customer's order":       {func(r *satisfaction.Response) { r.ServiceOrderID, r.CustomerID = a.order, a.other }, "service_order_id", satisfaction.RuleMismatch},
		"another customer's sale":        {func(r *satisfaction.Response) { r.SaleID, r.CustomerID = a.sale, a.other }, "sale_id", satisfaction.RuleMismatch},
		"a sale and a service order":     {func(r *satisfaction.Response) { r.SaleID, r.ServiceOrderID = a.sale, a.order }, "sale_id", satisfaction.RuleMismatch},
		"no such customer with an order": {func(r *satisfaction.Response) { r.ServiceOrderID, r.CustomerID = a.order, "ghost" }, "customer_id", crm.RuleReference},
	} {
		t.Run(name, func(t *testing.T) {
			r := a.low("2025-03-12")
			tc.set(&r)
			_, err := f.svc.RecordResponse(ctx, a.dealer, r)
			requireRule(t, err, tc.field, tc.rule)
		})
	}
	assert.Len(t, f.followUps.Opened(), 2, "the two recorded ones opened follow-ups, the refused ones none")
	assert.Equal(t, 2, f.count(t, a.dealer), "and are not stored")
}

// testNoRecords: without WithRecords the Service cannot check references,
// so it refuses responses that carry any, and accepts the others.
func testNoRecords(t *testing.T, store satisfaction.Store) {
	ctx := context.Background()
	dealer := crm.DealerID(dealercrm.NewID())
	svc, err := satisfaction.NewService(store, satisfaction.WithClock(func() time.Time { return Now }))
	require.NoError(t, err)
	h, err := svc.CreateHierarchy(ctx, dealer, Hierarchy(dealer))
	require.NoError(t, err)
	q, err := svc.CreateQuestionnaire(ctx, dealer, Questionnaire(dealer, h.ID))
	require.NoError(t, err)
	r := Response(dealer, q.ID, "2025-03-20", 4, 4, 4)
	_, err = svc.RecordResponse(ctx, dealer, r)
	for _, field := range []string{"customer_id", "service_order_id"} {
		requireRule(t, err, field, crm.RuleReference)
	}
	r.CustomerID, r.ServiceOrderID = "", ""
	got, err := svc.RecordResponse(ctx, dealer, r)
	require.NoError(t, err, "an anonymous response needs no records")
	assert.Equal(t, crm.StaffID("adv-1"), got.StaffID)
}

// testFutureDates (issue 12 #7): a response dated after the dealer's
// today (in the dealer's own zone, plus crm.Limits.FutureDays) is refused.
func testFutureDates(t *testing.T, f *fixture) {
	ctx := context.Background()
	// Now is 20 March 16:00 in Shanghai (A) and 19 March 01:00 in Los
	// Angeles (B).
	for _, tc := range []struct {
		shop   shop
		date   string
		future bool
	}{
		{f.a, "2025-03-20", false}, {f.a, "2025-03-21", true}, {f.a, "9999-12-31", true},
		{f.b, "2025-03-20", false}, {f.b, "2025-03-21", true},
	} {
		_, err := f.svc.RecordResponse(ctx, tc.shop.dealer, tc.shop.low(tc.date))
		if tc.future {
			requireRule(t, err, "date", crm.RuleFuture)
		} else {
			assert.NoError(t, err, "%s is the dealer's today", tc.date)
		}
	}
	lenient := f.service(t, satisfaction.WithLimits(crm.Limits{FutureDays: 2}))
	_, err := lenient.RecordResponse(ctx, f.a.dealer, f.a.low("2025-03-22"))
	assert.NoError(t, err, "two days of tolerance")
	_, err = lenient.RecordResponse(ctx, f.a.dealer, f.a.low("2025-03-23"))
	requireRule(t, err, "date", crm.RuleFuture)
	assert.Equal(t, 2, f.count(t, f.a.dealer))
}

// testConcurrentReplays: the same call recorded concurrently is stored
// once and opens one follow-up; every caller gets that response.
func testConcurrentReplays(t *testing.T, f *fixture) {
	ctx := context.Background()
	r := f.a.low("2025-03-12")
	r.ExternalID, r.ServiceOrderID = "CALL-7", f.a.order
	ids := make([]satisfaction.ResponseID, 6)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			got, err := f.svc.RecordResponse(ctx, f.a.dealer, r)
			if assert.NoError(t, err) {
				ids[i] = got.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every caller gets the first response")
	}
	assert.Equal(t, 1, f.count(t, f.a.dealer))
	assert.Len(t, f.followUps.Opened(), 1)
}

// testPersonalData (issue 12 #6): the Service is the "survey_responses"
// part of the crm export and erasure. The export holds every response of
// the customer; erasure clears their comments (which may quote them: a
// phone number, an address) and keeps the answers and scores, so the CSI
// report is the same after it. Other customers' and other dealers'
// responses are untouched, and erasing twice is fine.
func testPersonalData(t *testing.T, f *fixture) {
	ctx := context.Background()
	pd, ok := any(f.svc).(crm.PersonalData)
	require.True(t, ok, "the satisfaction Service is a crm.PersonalData")
	assert.Equal(t, "survey_responses", pd.PersonalDataSection())
	f.crm.AddPersonalData(pd)
	a, b := f.a, f.b

	record := func(s shop, customer crm.CustomerID, ext, comment string, values ...int) satisfaction.Response {
		t.Helper()
		r := s.low("2025-03-12")
		r.CustomerID, r.ExternalID, r.Comment = customer, ext, comment
		for i, v := range values {
			r.Answers[i].Value = v
		}
		if customer == s.customer {
			r.ServiceOrderID = s.order
		}
		got, err := f.svc.RecordResponse(ctx, s.dealer, r)
		require.NoError(t, err)
		return got
	}
	// The customer's two calls: a dissatisfied one (score 0, follow-up
	// opened) quoting their phone number, and a satisfied one (all 5s,
	// score 100) without an external ID.
	low := record(a, a.customer, "CALL-1", "前台态度差，回电 13912345678", 1, 1, 1)
	high := record(a, a.customer, "", "很好", 5, 5, 5)
	other := record(a, a.other, "CALL-2", "李娜的意见", 3, 3, 3)
	elsewhere := record(b, b.customer, "CALL-1", "另一家店的客户", 2, 2, 2)
	assert.Equal(t, "fu-"+string(low.ID), low.FollowUp)
	assert.Equal(t, 0.0, low.Score)
	assert.Equal(t, 100.0, high.Score)
	reportBefore, err := f.svc.Report(ctx, a.dealer, a.questionnaire, satisfaction.ReportRequest{})
	require.NoError(t, err)
	require.Equal(t, 3, reportBefore.Responses)

	x, err := f.crm.ExportCustomer(ctx, a.dealer, a.customer)
	require.NoError(t, err)
	got, ok := x.Sections["survey_responses"].([]satisfaction.Response)
	require.True(t, ok, "the section is the customer's responses: %T", x.Sections["survey_responses"])
	require.Len(t, got, 2, "both of the customer's responses, not the other customer's")
	byID := map[satisfaction.ResponseID]satisfaction.Response{}
	for _, r := range got {
		byID[r.ID] = r
	}
	assert.Equal(t, low, byID[low.ID], "answers, comment, date, questionnaire, staff and follow-up as stored")
	assert.Equal(t, high, byID[high.ID])
	assert.Equal(t, "前台态度差，回电 13912345678", byID[low.ID].Comment)
	assert.Equal(t, crm.StaffID("SA-7"), byID[low.ID].StaffID)
	empty, err := pd.ExportCustomer(ctx, b.dealer, a.other)
	require.NoError(t, err)
	assert.Equal(t, []satisfaction.Response{}, empty, "another dealer's customer: an empty list, not null")

	require.NoError(t, f.crm.EraseCustomer(ctx, a.dealer, a.customer))
	require.NoError(t, f.crm.EraseCustomer(ctx, a.dealer, a.customer), "erasing twice is fine")

	x, err = f.crm.ExportCustomer(ctx, a.dealer, a.customer)
	require.NoError(t, err)
	got = x.Sections["survey_responses"].([]satisfaction.Response)
	require.Len(t, got, 2, "the responses are kept")
	for _, r := range got {
		assert.Empty(t, r.Comment, "the comment of %s is erased", r.ID)
		want := map[satisfaction.ResponseID]satisfaction.Response{low.ID: low, high.ID: high}[r.ID]
		assert.Equal(t, want.Answers, r.Answers, "answers are kept")
		assert.Equal(t, want.Score, r.Score, "scores are kept")
		assert.Equal(t, want.ExternalID, r.ExternalID, "the call centre's ID is not personal data")
		assert.Equal(t, want.FollowUp, r.FollowUp)
		assert.Equal(t, Now, r.UpdatedAt, "stamped by the erasure")
	}
	reportAfter, err := f.svc.Report(ctx, a.dealer, a.questionnaire, satisfaction.ReportRequest{})
	require.NoError(t, err)
	assert.Equal(t, reportBefore, reportAfter, "the CSI statistics still count the erased customer's scores")
	replay, err := f.svc.RecordResponse(ctx, a.dealer, func() satisfaction.Response {
		r := a.low("2025-03-12")
		r.ExternalID, r.Comment = "CALL-1", "前台态度差，回电 13912345678"
		return r
	}())
	require.NoError(t, err)
	assert.Equal(t, low.ID, replay.ID, "a replayed call still finds its response")
	assert.Empty(t, replay.Comment, "and does not bring the comment back")

	kept, err := f.svc.GetResponse(ctx, a.dealer, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "李娜的意见", kept.Comment, "another customer's comment stays")
	require.NoError(t, pd.EraseCustomer(ctx, a.dealer, b.customer), "B's customer is nobody at A")
	kept, err = f.svc.GetResponse(ctx, b.dealer, elsewhere.ID)
	require.NoError(t, err)
	assert.Equal(t, "另一家店的客户", kept.Comment, "another dealer's customer is untouched")
	assert.Error(t, pd.EraseCustomer(ctx, a.dealer, ""), "an empty customer ID erases nothing")
	kept, err = f.svc.GetResponse(ctx, a.dealer, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "李娜的意见", kept.Comment)
}
