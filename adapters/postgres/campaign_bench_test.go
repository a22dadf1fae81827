package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
	"github.com/stretchr/testify/require"
)

// BenchmarkCampaignPreview100k previews a care-campaign segment (count + a
// sample of 20) over 100,000 profiles in Postgres. Target: ≤ 1 s.
func BenchmarkCampaignPreview100k(b *testing.B) {
	ctx := context.Background()
	db, schema := pgtest.Schema(b)
	store, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(b, err)
	require.NoError(b, store.Migrate(ctx))
	require.NoError(b, store.Campaigns().ReplaceProfiles(ctx, "bench", campaigntest.Profiles("bench", 100_000)))
	_, err = db.ExecContext(ctx, "ANALYZE "+store.TableName(postgres.TableCampaignProfiles))
	require.NoError(b, err)
	svc, err := campaign.NewService(store, store.Campaigns())
	require.NoError(b, err)
	var s campaign.Segment
	require.NoError(b, json.Unmarshal([]byte(`{"and": [
		{"or": [{"and": [{"field": "gender", "op": "eq", "value": "female"}, {"field": "age", "op": "between", "value": [30, 45]}]},
		        {"field": "hobby", "op": "has", "value": "golf"}]},
		{"field": "vehicle.age", "op": "gt", "value": 3},
		{"field": "last_visit", "op": "lte", "value": 180},
		{"not": {"field": "abnormal", "op": "has", "value": "complained"}},
		{"field": "consent", "op": "has", "value": "marketing:sms"}]}`), &s))
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.Preview(ctx, "bench", s, campaigntest.AsOf, 20)
		if err != nil || p.Count == 0 {
			b.Fatal(err, p.Count)
		}
	}
}
