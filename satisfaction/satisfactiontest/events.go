package satisfactiontest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunEventTests runs the survey.dissatisfied contract on a backend:
// newStores returns an empty crm store and satisfaction store of one
// backend, and the backend's event store, which the satisfaction store
// writes to.
//
// Worked example (the fixture's questionnaire: Likert 5, follow-up
// threshold 50): answers 2, 2, 2 score 25, under 50: one
// survey.dissatisfied with score 25, threshold 50 and the low items q1,
// q2, q3 (each at or below the scale's middle, 3); recording it again
// under its external ID writes none. Answers 3, 3, 3 score 50, not under
// 50: none; 5, 5, 5 score 100: none.
func RunEventTests(t *testing.T, newStores func(t *testing.T) (crm.Store, satisfaction.Store, crm.EventStore)) {
	ctx := context.Background()
	var es crm.EventStore
	f := newFixture(t, func(t *testing.T) (crm.Store, satisfaction.Store) {
		cs, ss, e := newStores(t)
		es = e
		return cs, ss
	})
	shop := f.a
	answers := func(v int) []satisfaction.Answer {
		return []satisfaction.Answer{{ItemID: "q1", Value: v}, {ItemID: "q2", Value: v}, {ItemID: "q3", Value: v}}
	}
	record := func(ext string, v int) satisfaction.Response {
		t.Helper()
		r, err := f.svc.RecordResponse(ctx, shop.dealer, satisfaction.Response{ExternalID: ext, QuestionnaireID: shop.questionnaire,
			ServiceOrderID: shop.order, Date: dealercrm.MustParseDate("2025-03-15"), Comment: "师傅态度差, 电话 13800138000", Answers: answers(v)})
		require.NoError(t, err)
		return r
	}
	read := func() []crm.Event {
		return crmtest.ReadEvents(t, es, shop.dealer, crm.EventFilter{Types: []crm.EventType{crm.EventSurveyDissatisfied}})
	}

	low := record("cc-1", 2)
	require.InDelta(t, 25, low.Score, 1e-9, "answers 2 of 1–5 score 25")
	evs := read()
	require.Len(t, evs, 1, "a dissatisfied response makes one survey.dissatisfied")
	e := evs[0]
	assert.Equal(t, crm.EventSubject{Kind: crm.SubjectResponse, ID: string(low.ID)}, e.Subject, "about the response")
	assert.Equal(t, Now, e.At, "when it was recorded")
	assert.Equal(t, 1, e.Version)
	var p satisfaction.DissatisfiedEvent
	require.NoError(t, json.Unmarshal(e.Payload, &p))
	assert.Equal(t, satisfaction.DissatisfiedEvent{ResponseID: low.ID, QuestionnaireID: shop.questionnaire, CustomerID: shop.customer,
		ServiceOrderID: shop.order, StaffID: "SA-7", Department: satisfaction.DepartmentService, Date: dealercrm.MustParseDate("2025-03-15"),
		Score: 25, Threshold: 50, Low: []string{"q1", "q2", "q3"}}, p)
	assert.NotContains(t, string(e.Payload), "13800138000", "no comment, no phone")

	again := record("cc-1", 2)
	assert.Equal(t, low.ID, again.ID, "a replay returns the first response")
	assert.Len(t, read(), 1, "a replay writes no second event")

	mid := record("cc-2", 3)
	assert.InDelta(t, 50, mid.Score, 1e-9)
	high := record("cc-3", 5)
	assert.InDelta(t, 100, high.Score, 1e-9)
	assert.Len(t, read(), 1, "scores of 50 (not under the threshold) and 100 make none")
	assert.Empty(t, crmtest.ReadEvents(t, es, f.b.dealer, crm.EventFilter{}), "the other dealer has none")
}
