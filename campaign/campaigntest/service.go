package campaigntest

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewStores makes a fresh, empty crm.Store and campaign.Store of one
// backend, for RunServiceTests.
type NewStores func(t *testing.T) (crm.Store, campaign.Store)

// serviceEnv is a campaign.Service over fresh stores, for dealer DealerA
// (Asia/Shanghai), with a fixed clock.
type serviceEnv struct {
	crm   crm.Store
	store campaign.Store
	svc   *campaign.Service
}

func newServiceEnv(t *testing.T, newStores NewStores, now time.Time, opts ...campaign.Option) *serviceEnv {
	t.Helper()
	crmStore, store := newStores(t)
	require.NoError(t, crmStore.Dealers().Create(context.Background(), &crm.Dealer{ID: DealerA, Name: "温州丰田", CreatedAt: now, UpdatedAt: now}))
	svc, err := campaign.NewService(crmStore, store, append([]campaign.Option{campaign.WithClock(func() time.Time { return now })}, opts...)...)
	require.NoError(t, err)
	return &serviceEnv{crm: crmStore, store: store, svc: svc}
}

// running creates campaign id from the fixture (2025-03-01 to 03-31, 30
// attribution days, no holdout) and moves it to running.
func (e *serviceEnv) running(t *testing.T, id campaign.ID) campaign.Campaign {
	t.Helper()
	ctx := context.Background()
	c := Campaign(DealerA, id)
	c.Holdout = 0
	c, err := e.svc.Create(ctx, DealerA, c)
	require.NoError(t, err)
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		c, err = e.svc.Transition(ctx, DealerA, id, to)
		require.NoError(t, err)
	}
	return c
}

// customers creates customers with a vehicle each and their profiles,
// all consenting to marketing SMS.
func (e *serviceEnv) customers(t *testing.T, ids ...crm.CustomerID) {
	t.Helper()
	ctx := context.Background()
	rec := crm.Record{DealerID: DealerA, CreatedAt: at, UpdatedAt: at}
	profiles := make([]campaign.Profile, len(ids))
	for i, id := range ids {
		require.NoError(t, e.crm.Customers().Create(ctx, &crm.Customer{ID: id, Record: rec, Kind: crm.Individual, Name: "客户" + string(id)}))
		require.NoError(t, e.crm.Vehicles().Create(ctx, &crm.Vehicle{ID: crm.VehicleID("v-" + id), Record: rec, VIN: crmtest.VIN(i), Model: "卡罗拉", OwnerID: id}))
		profiles[i] = campaign.Profile{DealerID: DealerA, CustomerID: id, Consents: []string{"marketing:sms"}, UpdatedAt: at}
	}
	require.NoError(t, e.store.ReplaceProfiles(ctx, DealerA, profiles))
}

// requireField asserts that err is a *crm.ValidationError naming field
// with rule.
func requireField(t *testing.T, err error, field, rule, msg string) {
	t.Helper()
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve, msg)
	assert.True(t, ve.Has(field, rule), "%s: want %s %s, got %v", msg, field, rule, ve.Fields)
}

// RunServiceTests runs the service rules whose answers go through the
// stores on stores made by newStores: plausible dates and amounts (SPEC
// §0, crm.Limits), cost lines counted once whatever their idempotency
// keys, and the lead date of the channel report.
func RunServiceTests(t *testing.T, newStores NewStores) {
	ctx := context.Background()
	// Today is 2025-03-10 in Asia/Shanghai.
	now := time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)
	day := dealercrm.MustParseDate

	t.Run("PastEventDates", func(t *testing.T) {
		e := newServiceEnv(t, newStores, now)
		e.customers(t, "c1", "c2")
		c := e.running(t, "k1")
		_, err := e.svc.Freeze(ctx, DealerA, c.ID, day("2025-03-01"))
		require.NoError(t, err)

		_, err = e.svc.AddCost(ctx, DealerA, c.ID, campaign.CostLine{ID: "l1", Date: day("2025-03-11"), Description: "短信", Amount: decimal.NewFromInt(300), Channel: crm.ChannelSMS})
		requireField(t, err, "date", crm.RuleFuture, "a cost line dated tomorrow")
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, campaign.CostLine{ID: "l1", Date: day("9999-12-31"), Description: "短信", Amount: decimal.NewFromInt(300), Channel: crm.ChannelSMS})
		requireField(t, err, "date", crm.RuleFuture, "a cost line dated 9999-12-31")
		got, err := e.svc.AddCost(ctx, DealerA, c.ID, campaign.CostLine{ID: "l1", Date: day("2025-03-10"), Description: "短信", Amount: decimal.NewFromInt(300), Channel: crm.ChannelSMS})
		require.NoError(t, err, "a cost line dated today")
		assert.Len(t, got.Costs, 1, "only the good line is booked")

		resp := func(d string) error {
			_, err := e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", campaign.Response{Kind: campaign.Responded, Date: day(d)})
			return err
		}
		requireField(t, resp("2025-03-11"), "date", crm.RuleFuture, "a response dated tomorrow")
		requireField(t, resp("2025-02-28"), "date", campaign.RuleRange, "a response before the campaign's start")
		ms, err := e.svc.Members(ctx, DealerA, c.ID)
		require.NoError(t, err)
		assert.True(t, ms[0].Responded.IsZero(), "a refused response writes nothing")
		require.NoError(t, resp("2025-03-10"), "a response dated today")
		require.NoError(t, resp("2025-03-01"), "a response on the first day")
		ms, err = e.svc.Members(ctx, DealerA, c.ID)
		require.NoError(t, err)
		assert.Equal(t, day("2025-03-01"), ms[0].Responded, "the first response is kept")

		// Attribution counts what happened by today: c1's order of 03-05
		// converts, c2's order dated 03-20 (written past the crm checks)
		// does not.
		rec := crm.Record{DealerID: DealerA, CreatedAt: at, UpdatedAt: at}
		for _, o := range []crm.ServiceOrder{
			{ID: "o1", Record: rec, VehicleID: "v-c1", CustomerID: "c1", Date: day("2025-03-05"), Kind: crm.ServiceMaintenance, Labour: decimal.NewFromInt(800), Payer: crm.PayerCustomer},
			{ID: "o2", Record: rec, VehicleID: "v-c2", CustomerID: "c2", Date: day("2025-03-20"), Kind: crm.ServiceMaintenance, Labour: decimal.NewFromInt(900), Payer: crm.PayerCustomer},
		} {
			require.NoError(t, e.crm.ServiceOrders().Create(ctx, &o))
		}
		n, err := e.svc.Attribute(ctx, DealerA, c.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "only the order dated by today converts")
		ms, err = e.svc.Members(ctx, DealerA, c.ID)
		require.NoError(t, err)
		assert.Equal(t, day("2025-03-05"), ms[0].Converted)
		assert.True(t, ms[1].Converted.IsZero(), "an order dated after today converts nobody: %v", ms[1].Converted)
	})

	t.Run("CompleteEnded", func(t *testing.T) {
		// Today is 2025-03-10. Running campaigns ending 03-09 (ended),
		// 03-10 (its last day) and 03-31; an approved one that ended 03-05.
		e := newServiceEnv(t, newStores, now)
		plan := func(id campaign.ID, end string, to ...campaign.Status) {
			c := Campaign(DealerA, id)
			c.End = day(end)
			_, err := e.svc.Create(ctx, DealerA, c)
			require.NoError(t, err)
			for _, s := range to {
				_, err = e.svc.Transition(ctx, DealerA, id, s)
				require.NoError(t, err)
			}
		}
		plan("k-0309", "2025-03-09", campaign.Approved, campaign.Running)
		plan("k-0310", "2025-03-10", campaign.Approved, campaign.Running)
		plan("k-0331", "2025-03-31", campaign.Approved, campaign.Running)
		plan("k-appr", "2025-03-05", campaign.Approved)
		status := func() map[campaign.ID]campaign.Status {
			out := map[campaign.ID]campaign.Status{}
			p, err := e.svc.List(ctx, DealerA, campaign.Filter{})
			require.NoError(t, err)
			for _, c := range p.Items {
				out[c.ID] = c.Status
			}
			return out
		}

		n, err := e.svc.CompleteEnded(ctx, DealerA, dealercrm.Date{})
		require.NoError(t, err)
		assert.Equal(t, 1, n, "as of today 03-10 only the campaign that ended 03-09 completes")
		assert.Equal(t, map[campaign.ID]campaign.Status{"k-0309": campaign.Completed, "k-0310": campaign.Running,
			"k-0331": campaign.Running, "k-appr": campaign.Approved}, status())
		n, err = e.svc.CompleteEnded(ctx, DealerA, day("2025-03-10"))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "a second run of the day completes nothing")

		n, err = e.svc.CompleteEnded(ctx, DealerA, day("2025-04-01"))
		require.NoError(t, err)
		assert.Equal(t, 2, n, "as of 04-01 the campaigns ending 03-10 and 03-31 complete")
		assert.Equal(t, map[campaign.ID]campaign.Status{"k-0309": campaign.Completed, "k-0310": campaign.Completed,
			"k-0331": campaign.Completed, "k-appr": campaign.Approved}, status(), "an approved campaign that never ran stays approved")
		c, err := e.svc.Transition(ctx, DealerA, "k-0331", campaign.Evaluated)
		require.NoError(t, err, "a campaign completed by the job moves on like any other")
		assert.Equal(t, campaign.Evaluated, c.Status)
		n, err = e.svc.CompleteEnded(ctx, DealerA, day("2025-04-01"))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "an evaluated campaign is left alone")

		_, err = e.svc.CompleteEnded(ctx, "no-such-dealer", dealercrm.Date{})
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "today of an unknown dealer")
	})

	t.Run("FutureDays", func(t *testing.T) {
		// With a tolerance of 2 days, 2025-03-12 passes and 03-13 does not.
		e := newServiceEnv(t, newStores, now, campaign.WithLimits(crm.Limits{FutureDays: 2}))
		e.customers(t, "c1")
		c := e.running(t, "k1")
		_, err := e.svc.AddCost(ctx, DealerA, c.ID, campaign.CostLine{ID: "l1", Date: day("2025-03-13"), Description: "短信", Amount: decimal.NewFromInt(300)})
		requireField(t, err, "date", crm.RuleFuture, "three days ahead")
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, campaign.CostLine{ID: "l1", Date: day("2025-03-12"), Description: "短信", Amount: decimal.NewFromInt(300)})
		require.NoError(t, err, "two days ahead")
		_, err = e.svc.Freeze(ctx, DealerA, c.ID, day("2025-03-01"))
		require.NoError(t, err)
		_, err = e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", campaign.Response{Kind: campaign.Visited, Date: day("2025-03-13")})
		requireField(t, err, "date", crm.RuleFuture, "three days ahead")
		_, err = e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", campaign.Response{Kind: campaign.Visited, Date: day("2025-03-12")})
		require.NoError(t, err, "two days ahead")
	})

	t.Run("CostKeys", func(t *testing.T) {
		// The key makes a request safe to retry; the line ID makes the cost
		// count once, whatever key a second booking carries.
		e := newServiceEnv(t, newStores, now)
		c := e.running(t, "k1")
		line := campaign.CostLine{ID: "inv-2025-031", Date: day("2025-03-02"), Description: "短信群发", Amount: decimal.RequireFromString("300.50"), Channel: crm.ChannelSMS, Key: "req-1"}
		got, replayed, err := e.svc.BookCost(ctx, DealerA, c.ID, line)
		require.NoError(t, err)
		assert.False(t, replayed)
		assert.Equal(t, "req-1", got.Costs[0].Key, "the key is kept with the line")
		_, replayed, err = e.svc.BookCost(ctx, DealerA, c.ID, line)
		require.NoError(t, err)
		assert.True(t, replayed, "the same request again is a replay")

		again := line
		again.Key = "req-2"
		_, _, err = e.svc.BookCost(ctx, DealerA, c.ID, again)
		assert.ErrorIs(t, err, campaign.ErrCostConflict, "the same line under another key is refused")
		again.Key = ""
		_, _, err = e.svc.BookCost(ctx, DealerA, c.ID, again)
		assert.ErrorIs(t, err, campaign.ErrCostConflict, "and without a key")
		other := line
		other.ID, other.Amount = "inv-2025-032", decimal.NewFromInt(80)
		_, _, err = e.svc.BookCost(ctx, DealerA, c.ID, other)
		assert.ErrorIs(t, err, campaign.ErrIdempotencyConflict, "a key names one request")
		changed := line
		changed.Amount = decimal.NewFromInt(301)
		_, _, err = e.svc.BookCost(ctx, DealerA, c.ID, changed)
		assert.ErrorIs(t, err, campaign.ErrCostConflict, "the same key and line with another amount")

		// A line without an ID is named by its key.
		got, _, err = e.svc.BookCost(ctx, DealerA, c.ID, campaign.CostLine{Date: day("2025-03-03"), Description: "礼品", Amount: decimal.NewFromInt(1000), Key: "req-3"})
		require.NoError(t, err)
		_, replayed, err = e.svc.BookCost(ctx, DealerA, c.ID, campaign.CostLine{Date: day("2025-03-03"), Description: "礼品", Amount: decimal.NewFromInt(1000), Key: "req-3"})
		require.NoError(t, err)
		assert.True(t, replayed)
		stored, err := e.svc.Get(ctx, DealerA, c.ID)
		require.NoError(t, err)
		require.Len(t, stored.Costs, 2, "two lines: %+v", stored.Costs)
		assert.Equal(t, "req-3", stored.Costs[1].ID)
		assert.Equal(t, "1300.5", stored.Cost().String(), "300.50 + 1,000, each once")
		assert.Equal(t, JSON(t, got), JSON(t, stored), "the store keeps the keys")
	})

	t.Run("Amounts", func(t *testing.T) {
		e := newServiceEnv(t, newStores, now)
		over := decimal.RequireFromString("10000000.01")
		c := Campaign(DealerA, "big")
		c.Budget = over
		_, err := e.svc.Create(ctx, DealerA, c)
		requireField(t, err, "budget", crm.RuleMax, "a budget above 10,000,000")
		c.Budget = decimal.NewFromInt(10_000_000)
		draft, err := e.svc.Create(ctx, DealerA, c)
		require.NoError(t, err, "10,000,000 is the ceiling itself")
		_, err = e.svc.Update(ctx, DealerA, draft.ID, campaign.Update{Budget: &over})
		requireField(t, err, "budget", crm.RuleMax, "a draft's budget raised above 10,000,000")
		e.customers(t, "c1")
		c = e.running(t, "k1")
		_, err = e.svc.Update(ctx, DealerA, c.ID, campaign.Update{Budget: &over})
		assert.Error(t, err, "a running campaign's budget does not change anyway")

		line := campaign.CostLine{ID: "l1", Date: day("2025-03-02"), Description: "电视广告", Amount: over}
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, line)
		requireField(t, err, "amount", crm.RuleMax, "a cost line above 10,000,000")
		line.Amount = decimal.RequireFromString("1e-9999")
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, line)
		requireField(t, err, "amount", crm.RuleFormat, "an amount with 9,999 decimal places")
		line.Amount = decimal.RequireFromString("1e9999")
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, line)
		requireField(t, err, "amount", crm.RuleMax, "an amount of 10,000 digits")
		line.Amount = decimal.NewFromInt(10_000_000)
		_, err = e.svc.AddCost(ctx, DealerA, c.ID, line)
		require.NoError(t, err, "10,000,000 is the ceiling itself")

		_, err = e.svc.Freeze(ctx, DealerA, c.ID, day("2025-03-01"))
		require.NoError(t, err)
		_, err = e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", campaign.Response{Kind: campaign.Converted, Date: day("2025-03-05"), Revenue: over})
		requireField(t, err, "revenue", crm.RuleMax, "a conversion's revenue above 10,000,000")
		_, err = e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", campaign.Response{Kind: campaign.Converted, Date: day("2025-03-05"), Revenue: decimal.NewFromInt(250_000)})
		require.NoError(t, err)

		err = e.svc.SetAccessoryTargets(ctx, DealerA, []campaign.AccessoryTarget{{Month: day("2025-03-01"), Dimension: campaign.ByModel, Key: "卡罗拉", Amount: over}})
		requireField(t, err, "targets[0].amount", crm.RuleMax, "an accessory target above 10,000,000")

		// The report of the largest cost: no leads, so no cost per lead;
		// ROI = (250,000 − 10,000,000) / 10,000,000 = −0.975.
		rep, err := e.svc.Channels(ctx, DealerA, crm.DateRange{From: day("2025-03-01"), To: day("2025-03-31")})
		require.NoError(t, err)
		var general, sms *campaign.ChannelRow
		for i := range rep.Rows {
			switch rep.Rows[i].Key {
			case campaign.General:
				general = &rep.Rows[i]
			case string(crm.ChannelSMS):
				sms = &rep.Rows[i]
			}
		}
		require.NotNil(t, general, "%+v", rep.Rows)
		require.NotNil(t, sms, "%+v", rep.Rows)
		assert.Equal(t, "10000000", general.Cost.String())
		assert.Nil(t, general.CostPerLead, "no leads, no cost per lead")
		assert.Nil(t, general.CostPerSale, "no sales, no cost per sale")
		assert.Equal(t, "-1", general.ROI.String(), "(0 − 10,000,000) / 10,000,000")
		assert.Equal(t, "250000", sms.Revenue.String())
		assert.Nil(t, sms.ROI, "no cost on SMS, no ROI")
	})

	t.Run("PersonalData", func(t *testing.T) {
		// Issue 12 #6: the campaign Service is the "campaigns" part of the
		// crm export and erasure. Customer c1 of DealerA (hobbies, region,
		// family stage, consent to marketing SMS) is in the audience of k1,
		// responded on 03-02 and converted on 03-05 for 250,000. DealerB
		// has a customer c1 of its own.
		e := newServiceEnv(t, newStores, now)
		require.NoError(t, e.crm.Dealers().Create(ctx, &crm.Dealer{ID: DealerB, Name: "杭州丰田", CreatedAt: now, UpdatedAt: now}))
		person := func(dealer crm.DealerID, id crm.CustomerID, vin int, hobby, city string) {
			rec := crm.Record{DealerID: dealer, CreatedAt: at, UpdatedAt: at}
			require.NoError(t, e.crm.Customers().Create(ctx, &crm.Customer{ID: id, Record: rec, Kind: crm.Individual, Name: "王伟",
				Mobile: "13912345678", Birthday: day("1985-02-03"), FamilyStage: crm.YoungChildren, Hobbies: []string{hobby},
				Region: crm.Region{Province: "浙江", City: city}, Occupation: "engineer",
				Consents: []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "contract"}}}))
			require.NoError(t, e.crm.Vehicles().Create(ctx, &crm.Vehicle{ID: crm.VehicleID("v-" + id), Record: rec, VIN: crmtest.VIN(vin),
				Plate: "浙C12345", Model: "卡罗拉", OwnerID: id, PurchaseDate: day("2023-05-01")}))
		}
		person(DealerA, "c1", 0, "钓鱼", "温州")
		person(DealerA, "c2", 1, "旅游", "温州")
		person(DealerB, "c1", 2, "高尔夫", "杭州")
		for _, d := range []crm.DealerID{DealerA, DealerB} {
			_, err := e.svc.RefreshProfiles(ctx, d, dealercrm.Date{})
			require.NoError(t, err)
		}
		c := e.running(t, "k1")
		_, err := e.svc.Freeze(ctx, DealerA, c.ID, day("2025-03-01"))
		require.NoError(t, err)
		for _, r := range []campaign.Response{{Kind: campaign.Responded, Date: day("2025-03-02")}, {Kind: campaign.Converted, Date: day("2025-03-05"), Revenue: decimal.NewFromInt(250_000)}} {
			_, err = e.svc.RecordResponse(ctx, DealerA, c.ID, "c1", r)
			require.NoError(t, err)
		}
		funnel, err := e.svc.Funnel(ctx, DealerA, c.ID)
		require.NoError(t, err)

		records := crm.NewService(e.crm)
		pd, ok := any(e.svc).(crm.PersonalData)
		require.True(t, ok, "the campaign Service is a crm.PersonalData")
		assert.Equal(t, "campaigns", pd.PersonalDataSection())
		records.AddPersonalData(pd)
		export := func() campaign.CustomerData {
			t.Helper()
			x, err := records.ExportCustomer(ctx, DealerA, "c1")
			require.NoError(t, err)
			data, ok := x.Sections["campaigns"].(campaign.CustomerData)
			require.True(t, ok, "the section is a campaign.CustomerData: %T", x.Sections["campaigns"])
			return data
		}
		before := export()
		require.Len(t, before.Memberships, 1)
		m := before.Memberships[0]
		assert.Equal(t, campaign.ID("k1"), m.CampaignID)
		assert.Equal(t, "春季保养关怀", m.CampaignName)
		assert.Equal(t, campaign.Running, m.CampaignStatus)
		assert.True(t, m.Invited, "contacted: no holdout, consent to SMS")
		assert.False(t, m.Holdout)
		assert.Equal(t, crm.ChannelSMS, m.Channel)
		assert.Equal(t, day("2025-03-02"), m.Responded)
		assert.Equal(t, day("2025-03-05"), m.Converted)
		assert.Equal(t, "250000", m.Revenue.String())
		require.NotNil(t, before.Profile, "the segment profile is exported")
		assert.Equal(t, []string{"钓鱼"}, before.Profile.Hobbies)
		assert.Equal(t, "温州", before.Profile.City)
		assert.Equal(t, crm.YoungChildren, before.Profile.FamilyStage)
		assert.Equal(t, day("1985-02-03"), before.Profile.Birthday)
		assert.Equal(t, []string{"marketing:sms"}, before.Profile.Consents)

		require.NoError(t, records.EraseCustomer(ctx, DealerA, "c1"))
		require.NoError(t, records.EraseCustomer(ctx, DealerA, "c1"), "erasing twice is fine")
		after := export()
		assert.Nil(t, after.Profile, "the profile is gone")
		assert.Equal(t, JSON(t, before.Memberships), JSON(t, after.Memberships), "the membership and its responses stay")
		again, err := e.svc.Funnel(ctx, DealerA, c.ID)
		require.NoError(t, err)
		assert.Equal(t, JSON(t, funnel), JSON(t, again), "funnel counts and revenue are unchanged")

		p, err := e.store.GetProfile(ctx, DealerA, "c2")
		require.NoError(t, err, "another customer keeps their profile")
		assert.Equal(t, []string{"旅游"}, p.Hobbies)
		p, err = e.store.GetProfile(ctx, DealerB, "c1")
		require.NoError(t, err, "another dealer's customer of the same ID keeps theirs")
		assert.Equal(t, []string{"高尔夫"}, p.Hobbies)

		// The next refresh rebuilds the profile from the erased crm record.
		_, err = e.svc.RefreshProfiles(ctx, DealerA, dealercrm.Date{})
		require.NoError(t, err)
		p, err = e.store.GetProfile(ctx, DealerA, "c1")
		require.NoError(t, err)
		assert.Empty(t, p.Hobbies, "no hobbies")
		assert.Empty(t, p.City)
		assert.Empty(t, p.FamilyStage)
		assert.True(t, p.Birthday.IsZero(), "no birthday")
		assert.Empty(t, p.Occupation)
		assert.Empty(t, p.Consents, "no consent: no campaign contacts them")
		assert.Equal(t, "卡罗拉", p.VehicleModel, "the kept vehicle record still counts")
		assert.Error(t, pd.EraseCustomer(ctx, DealerA, ""), "an empty customer ID erases nothing")
	})

	t.Run("LeadDate", func(t *testing.T) {
		// Today is 2026-01-15: a lead imported today whose first contact
		// was on 2025-11-03 counts in November 2025, not in January 2026.
		today := time.Date(2026, 1, 15, 2, 0, 0, 0, time.UTC)
		e := newServiceEnv(t, newStores, today)
		imported := crm.Record{DealerID: DealerA, CreatedAt: today, UpdatedAt: today}
		first := time.Date(2025, 11, 3, 2, 30, 0, 0, time.UTC)
		require.NoError(t, e.crm.Leads().Create(ctx, &crm.Lead{ID: "l1", Record: imported, Name: "网客", Level: crm.LevelC, Status: crm.LeadOpen,
			Source: crm.SourceWeb, Purchase: crm.FirstPurchase,
			FollowUps: []crm.FollowUp{{At: first.Add(48 * time.Hour), Channel: crm.ChannelPhone}, {At: first, Channel: crm.ChannelPhone}}}))
		// A lead created on 2025-12-31 at 23:30 in Shanghai (15:30 UTC) counts in December.
		late := time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC)
		require.NoError(t, e.crm.Leads().Create(ctx, &crm.Lead{ID: "l2", Record: crm.Record{DealerID: DealerA, CreatedAt: late, UpdatedAt: late},
			Name: "来电", Level: crm.LevelN, Status: crm.LeadOpen, Source: crm.SourceCallIn, Purchase: crm.FirstPurchase}))

		leads := func(from, to string) map[string]int {
			rep, err := e.svc.Channels(ctx, DealerA, crm.DateRange{From: day(from), To: day(to)})
			require.NoError(t, err)
			out := map[string]int{}
			for _, r := range rep.Rows {
				if r.Dimension == campaign.BySource {
					out[r.Key] = r.Leads
				}
			}
			return out
		}
		assert.Equal(t, map[string]int{"web": 1}, leads("2025-11-01", "2025-11-30"), "the imported lead counts on its first contact")
		assert.Equal(t, map[string]int{}, leads("2026-01-01", "2026-01-31"), "and not on the day it was imported")
		assert.Equal(t, map[string]int{"call_in": 1}, leads("2025-12-01", "2025-12-31"), "dealer-local creation date")
	})
}
