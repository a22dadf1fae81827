package campaign_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

const dealer crm.DealerID = "SH01"

var (
	clock = time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)
	rec   = crm.Record{DealerID: dealer, CreatedAt: clock, UpdatedAt: clock}
)

type env struct {
	crm   *memory.Store
	store *memory.CampaignStore
	svc   *campaign.Service
}

func newEnv(t testing.TB, opts ...campaign.Option) *env {
	t.Helper()
	e := &env{crm: memory.New(), store: memory.NewCampaignStore()}
	require.NoError(t, e.crm.Dealers().Create(context.Background(), &crm.Dealer{ID: dealer, Name: "温州丰田", CreatedAt: clock, UpdatedAt: clock}))
	svc, err := campaign.NewService(e.crm, e.store, append([]campaign.Option{campaign.WithClock(func() time.Time { return clock })}, opts...)...)
	require.NoError(t, err)
	e.svc = svc
	return e
}

func (e *env) customer(t testing.TB, id crm.CustomerID, mutate func(*crm.Customer)) {
	t.Helper()
	c := crm.Customer{ID: id, Record: rec, Kind: crm.Individual, Name: "客户" + string(id)}
	if mutate != nil {
		mutate(&c)
	}
	require.NoError(t, e.crm.Customers().Create(context.Background(), &c))
}

func consent(p crm.Purpose, ch crm.Channel) crm.Consent {
	return crm.Consent{Purpose: p, Channel: ch, Granted: true, At: clock, Source: "sales contract"}
}

func vin(i int) string { return crmtest.VIN(i) }

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(s string) dealercrm.Date { return dealercrm.MustParseDate(s) }
