package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
)

// FuzzCampaignSegmentSQL: random segment JSON never panics, and a segment
// that compiles selects in Postgres exactly the fixture profiles the memory
// evaluator selects (one schema, 120 fixed profiles). The seed corpus runs
// in every go test.
func FuzzCampaignSegmentSQL(f *testing.F) {
	for _, s := range append(campaigntest.Segments(),
		`{"and": [{"field": "age", "op": "lt", "value": "x"}]}`, `{"not": null}`, `{"or": [{}]}`,
		`{"field": "hobby", "op": "has_all", "value": ["golf", "it's", "\"quoted\"", "{a,b}", "back\\slash"]}`,
		`{"field": "region.city", "op": "in", "value": ["温州", "'; DROP TABLE x; --", "?"]}`,
		`{"and": [{"field": "consent", "op": "has", "value": "recall:visit"}, {"not": {"field": "last_visit", "op": "eq", "value": 0}}]}`) {
		f.Add(s)
	}
	ctx := context.Background()
	store := pgtest.NewStore(f).Campaigns()
	profiles := campaigntest.Profiles(campaigntest.DealerA, 120)
	if err := store.ReplaceProfiles(ctx, campaigntest.DealerA, profiles); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, js string) {
		var s campaign.Segment
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			return
		}
		cond, err := s.Compile(campaigntest.AsOf)
		if err != nil {
			return
		}
		want := campaigntest.Expected(profiles, cond)
		got := campaigntest.Selected(t, store, campaigntest.DealerA, cond)
		if !slices.Equal(want, got) {
			t.Fatalf("%s: memory selects %v, Postgres %v", js, want, got)
		}
	})
}
