package campaign_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
	"github.com/dealercrm/dealercrm/crm"
)

// fuzzSeeds are the seed corpus: the contract segments and broken ones.
func fuzzSeeds() []string {
	return append(campaigntest.Segments(),
		`{"and": [{"field": "age", "op": "lt", "value": "x"}]}`,
		`{"not": null}`, `{"or": [{}]}`, `[]`, `null`, `{"field": "age", "op": "between", "value": [1]}`,
		`{"field": "vehicle.odometer", "op": "gte", "value": 1e300}`, `{"field": "hobby", "op": "has_all", "value": ["\u0000"]}`,
		`{"and": [{"field": "consent", "op": "has", "value": "recall:visit"}, {"not": {"field": "last_visit", "op": "eq", "value": 0}}]}`)
}

// FuzzSegment: random segment JSON never panics; it is rejected with a
// validation error or compiles to a condition that evaluates on every
// fixture profile. (adapters/postgres fuzzes the SQL translation against
// this evaluator.)
func FuzzSegment(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	profiles := campaigntest.Profiles("fuzz", 60)
	f.Fuzz(func(t *testing.T, js string) {
		var s campaign.Segment
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			return
		}
		cond, err := s.Compile(campaigntest.AsOf)
		if err != nil {
			var ve *crm.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("%s: want a *crm.ValidationError naming fields, got %v", js, err)
			}
			return
		}
		a := campaigntest.Expected(profiles, cond)
		b := campaigntest.Expected(profiles, cond)
		if len(a) != len(b) {
			t.Fatalf("%s: evaluation is not deterministic", js)
		}
	})
}
