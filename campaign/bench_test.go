package campaign_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
	"github.com/stretchr/testify/require"
)

// benchSegment is a realistic care-campaign segment: women 30–45 or golf
// players, with a car older than 3 years, seen in the last 180 days, no
// complaint, SMS consent.
const benchSegment = `{"and": [
	{"or": [{"and": [{"field": "gender", "op": "eq", "value": "female"}, {"field": "age", "op": "between", "value": [30, 45]}]},
	        {"field": "hobby", "op": "has", "value": "golf"}]},
	{"field": "vehicle.age", "op": "gt", "value": 3},
	{"field": "last_visit", "op": "lte", "value": 180},
	{"not": {"field": "abnormal", "op": "has", "value": "complained"}},
	{"field": "consent", "op": "has", "value": "marketing:sms"}]}`

// BenchmarkPreviewMemory1M previews benchSegment (count + a sample of 20)
// over 1,000,000 profiles in the memory store. Target: ≤ 300 ms.
func BenchmarkPreviewMemory1M(b *testing.B) {
	ctx := context.Background()
	store := memory.NewCampaignStore()
	require.NoError(b, store.ReplaceProfiles(ctx, "bench", campaigntest.Profiles("bench", 1_000_000)))
	svc, err := campaign.NewService(memory.New(), store)
	require.NoError(b, err)
	s := seg(b, benchSegment)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.Preview(ctx, "bench", s, campaigntest.AsOf, 20)
		if err != nil || p.Count == 0 {
			b.Fatal(err, p.Count)
		}
	}
}
