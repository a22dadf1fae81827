package backendtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/grading/gradingtest"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/satisfaction/satisfactiontest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Refs counts, per table and column ("vehicles.owner_id"), the rows of
// dealer that refer to customer; a backend that cannot list its tables
// passes nil and the suite checks through the stores' own reads only.
type Refs func(t *testing.T, dealer crm.DealerID, customer crm.CustomerID) map[string]int

// Now is the suite's clock: 2025-03-10 10:00 UTC.
var Now = time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)

// Fixture is a dealer whose customer Merged has records in every package
// and whose customer Survivor has some of its own.
type Fixture struct {
	Dealer           crm.DealerID
	Survivor, Merged crm.Customer
	CRM              *crm.Service
	Loyalty          *loyalty.Service
	// VehicleID is the merged customer's vehicle; CampaignID the campaign
	// both are members of.
	VehicleID  crm.VehicleID
	CampaignID campaign.ID
}

// Seed writes the fixture into stores: the merged customer gets a
// vehicle, a sale, a service order, a policy, a lead and a referral, an
// interaction, a complaint, an event participation, consents, a gold
// membership with two bonuses and the reversal of one, a task, a survey
// response, a grade with its history, a campaign membership and profile,
// and a message send; the survivor a silver membership with a bonus, a
// grade, a profile and the same campaign's membership.
func Seed(t *testing.T, stores backend.Stores) Fixture {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return Now }
	f := Fixture{Dealer: crm.DealerID(dealercrm.NewID()), CampaignID: campaign.ID(dealercrm.NewID())}
	f.CRM = crm.NewService(stores.CRM, crm.WithClock(clock))
	var err error
	f.Loyalty, err = loyalty.NewService(stores.CRM, stores.Loyalty, loyalty.WithClock(clock))
	require.NoError(t, err)
	_, err = f.CRM.CreateDealer(ctx, crmtest.Dealer(f.Dealer))
	require.NoError(t, err)
	d := f.Dealer

	survivor := crmtest.Customer(d, 1)
	survivor.Mobile, survivor.Occupation = "", ""
	merged := crmtest.Customer(d, 2)
	// The merged customer withdrew marketing SMS after the survivor's
	// answer: the survivor takes the withdrawal; the survivor's WeChat
	// answer is the later one and stays.
	merged.Consents[0].Granted, merged.Consents[0].At = false, survivor.Consents[0].At.Add(time.Hour)
	merged.Consents[1].Granted, merged.Consents[1].At = true, survivor.Consents[1].At.Add(-time.Hour)
	for _, c := range []*crm.Customer{&survivor, &merged} {
		*c, err = f.CRM.CreateCustomer(ctx, d, *c)
		require.NoError(t, err)
	}
	f.Survivor, f.Merged = survivor, merged
	m := merged.ID

	v, err := f.CRM.CreateVehicle(ctx, d, crmtest.Vehicle(d, m, 1))
	require.NoError(t, err)
	f.VehicleID = v.ID
	_, err = f.CRM.CreateSale(ctx, d, crmtest.Sale(d, m, v.ID, 1))
	require.NoError(t, err)
	_, err = f.CRM.CreateServiceOrder(ctx, d, crmtest.ServiceOrder(d, m, v.ID, 1))
	require.NoError(t, err)
	_, err = f.CRM.CreateInsurancePolicy(ctx, d, crmtest.Policy(d, m, v.ID, 1))
	require.NoError(t, err)
	lead := crmtest.Lead(d, 1)
	lead.CustomerID, lead.LostRequests = m, nil
	_, err = f.CRM.CreateLead(ctx, d, lead)
	require.NoError(t, err)
	referral := crmtest.Lead(d, 2)
	referral.ReferrerID, referral.LostRequests = m, nil
	_, err = f.CRM.CreateLead(ctx, d, referral)
	require.NoError(t, err)
	_, err = f.CRM.CreateInteraction(ctx, d, crmtest.Interaction(d, m, 1))
	require.NoError(t, err)
	_, err = f.CRM.CreateComplaint(ctx, d, crmtest.Complaint(d, m, 1))
	require.NoError(t, err)
	_, err = f.CRM.CreateEventParticipation(ctx, d, crmtest.Participation(d, m, 1))
	require.NoError(t, err)

	// Loyalty: the survivor is a silver member with 50 points; the merged
	// customer a gold member (top 1% by spend) with 1000 + 50 points of
	// which the 50 were reversed.
	_, err = f.Loyalty.Join(ctx, loyalty.JoinRequest{DealerID: d, CustomerID: survivor.ID, Method: loyalty.JoinSale})
	require.NoError(t, err)
	top := decimal.RequireFromString("0.01")
	_, err = f.Loyalty.Join(ctx, loyalty.JoinRequest{DealerID: d, CustomerID: m, Method: loyalty.JoinSale, SpendRank: &top})
	require.NoError(t, err)
	_, err = f.Loyalty.Bonus(ctx, loyalty.BonusRequest{DealerID: d, CustomerID: survivor.ID, Event: "survey_answered", Ref: "s-1"})
	require.NoError(t, err)
	_, err = f.Loyalty.Bonus(ctx, loyalty.BonusRequest{DealerID: d, CustomerID: m, Event: "referral_converted", Ref: "r-1"})
	require.NoError(t, err)
	r, err := f.Loyalty.Bonus(ctx, loyalty.BonusRequest{DealerID: d, CustomerID: m, Event: "survey_answered", Ref: "s-2"})
	require.NoError(t, err)
	require.Len(t, r.Entries, 1)
	_, err = f.Loyalty.Reverse(ctx, loyalty.ReverseRequest{DealerID: d, EntryID: r.Entries[0].ID, Reason: "answered twice"})
	require.NoError(t, err)

	task := lifecycletest.NewTask(d, dealercrm.NewID(), "merge-test:"+string(m))
	task.CustomerID, task.VehicleID = m, v.ID
	_, err = stores.Tasks.Apply(ctx, d, []lifecycle.Task{task}, nil)
	require.NoError(t, err)

	h := satisfactiontest.Hierarchy(d)
	require.NoError(t, stores.Satisfaction.CreateHierarchy(ctx, &h))
	q := satisfactiontest.Questionnaire(d, h.ID)
	require.NoError(t, stores.Satisfaction.CreateQuestionnaire(ctx, &q))
	resp := satisfactiontest.Response(d, q.ID, "2025-03-01", 5, 4, 5)
	resp.CustomerID, resp.ServiceOrderID = m, ""
	require.NoError(t, stores.Satisfaction.CreateResponse(ctx, &resp))

	run := gradingtest.Run(d, "r1")
	states := []grading.State{gradingtest.State(d, survivor.ID, "B", 61, "r1"), gradingtest.State(d, m, "A", 88.5, "r1")}
	changes := []grading.Change{
		{DealerID: d, CustomerID: survivor.ID, RunID: "r1", New: "B", Score: 61, Reason: "first", Period: states[0].Period, At: Now},
		{DealerID: d, CustomerID: m, RunID: "r1", New: "A", Score: 88.5, Reason: "first", Period: states[1].Period, At: Now},
	}
	_, err = stores.Grading.SaveRun(ctx, run, slices.Values(states), slices.Values(changes))
	require.NoError(t, err)

	c := campaigntest.Campaign(d, f.CampaignID)
	require.NoError(t, stores.Campaigns.CreateCampaign(ctx, &c))
	profiles := campaigntest.Profiles(d, 2)
	profiles[0].CustomerID, profiles[1].CustomerID = survivor.ID, m
	slices.SortFunc(profiles, func(a, b campaign.Profile) int { return compare(a.CustomerID, b.CustomerID) })
	require.NoError(t, stores.Campaigns.ReplaceProfiles(ctx, d, profiles))
	members := []campaign.Member{
		{DealerID: d, CampaignID: f.CampaignID, CustomerID: survivor.ID, Segment: "normal", Channel: crm.ChannelSMS},
		{DealerID: d, CampaignID: f.CampaignID, CustomerID: m, Segment: "normal", Channel: crm.ChannelSMS},
	}
	slices.SortFunc(members, func(a, b campaign.Member) int { return compare(a.CustomerID, b.CustomerID) })
	require.NoError(t, stores.Campaigns.FreezeAudience(ctx, d, f.CampaignID, Now, members))

	_, _, err = stores.Messages.Create(ctx, messages.Send{
		ID: messages.SendID(dealercrm.NewID()),
		Message: messages.Message{DealerID: d, CustomerID: m, Channel: crm.ChannelSMS, Purpose: messages.PurposeMarketing,
			Template: "spring_offer", Params: map[string]string{"n": "1"}, Recipient: merged.Mobile, Key: "merge-test-1"},
		Status: messages.StatusQueued, Next: Now, CreatedAt: Now, UpdatedAt: Now,
	})
	require.NoError(t, err)
	return f
}

func compare(a, b crm.CustomerID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RunMergeTests runs the merge suite: open returns a new, empty backend
// (every store of one database), refs its row counter (nil for none).
func RunMergeTests(t *testing.T, open func(t *testing.T) backend.Stores, refs Refs) {
	ctx := context.Background()

	t.Run("every reference moves to the survivor", func(t *testing.T) {
		stores := open(t)
		f := Seed(t, stores)
		d, s, m := f.Dealer, f.Survivor.ID, f.Merged.ID
		if refs != nil {
			before := refs(t, d, m)
			for _, table := range []string{"vehicles.owner_id", "sales.customer_id", "service_orders.customer_id", "insurance_policies.customer_id",
				"leads.customer_id", "leads.referrer_id", "interactions.customer_id", "complaints.customer_id", "event_participations.customer_id",
				"loyalty_entries.customer_id", "loyalty_lots.customer_id", "loyalty_accounts.customer_id", "loyalty_memberships.customer_id",
				"loyalty_membership_events.customer_id", "lifecycle_tasks.customer_id", "satisfaction_responses.customer_id",
				"grading_states.customer_id", "grading_changes.customer_id", "campaign_members.customer_id", "campaign_profiles.customer_id",
				"message_sends.customer_id"} {
				assert.Positive(t, before[table], "the fixture gives the merged customer a row in %s", table)
			}
		}
		res, err := f.CRM.MergeCustomers(ctx, d, s, m)
		require.NoError(t, err)
		assert.False(t, res.Repeated)
		assert.Equal(t, s, res.Merged.MergedInto, "the merged customer says where it went")
		assert.Equal(t, f.Merged.Name, res.Merged.Name, "its name stays, to be recognised")
		assert.Empty(t, res.Merged.Mobile, "its other personal data goes")
		assert.Empty(t, res.Merged.Consents)
		assert.Equal(t, f.Merged.Mobile, res.Survivor.Mobile, "the survivor had no mobile: it takes the merged one's")
		assert.Equal(t, f.Survivor.Name, res.Survivor.Name, "the survivor keeps its own name")
		assert.Equal(t, int64(1), res.Moved["vehicles"])
		assert.Equal(t, int64(3), res.Moved["loyalty_entries"], "two bonuses and a reversal")

		if refs != nil {
			for table, n := range refs(t, d, m) {
				assert.Zero(t, n, "no row of %s refers to the merged customer", table)
			}
		}
		// Through the stores' own reads, on every backend.
		records, err := f.CRM.ExportCustomer(ctx, d, m)
		require.NoError(t, err)
		assert.Empty(t, records.Vehicles)
		assert.Empty(t, records.Sales)
		assert.Empty(t, records.ServiceOrders)
		assert.Empty(t, records.Policies)
		assert.Empty(t, records.Leads)
		assert.Empty(t, records.Interactions)
		assert.Empty(t, records.Complaints)
		assert.Empty(t, records.Participations)
		kept, err := f.CRM.ExportCustomer(ctx, d, s)
		require.NoError(t, err)
		assert.Len(t, kept.Vehicles, 1)
		assert.Len(t, kept.Sales, 1)
		assert.Len(t, kept.ServiceOrders, 1)
		assert.Len(t, kept.Policies, 1)
		assert.Len(t, kept.Leads, 2, "its own lead and the one it referred")
		assert.Len(t, kept.Interactions, 1)
		assert.Len(t, kept.Complaints, 1)
		assert.Len(t, kept.Participations, 1)

		consents := map[crm.Purpose]crm.Consent{}
		for _, c := range res.Survivor.Consents {
			consents[c.Purpose] = c
		}
		assert.False(t, consents[crm.PurposeMarketing].Granted, "the merged customer's later withdrawal wins")
		assert.False(t, consents[crm.PurposeServiceReminder].Granted, "the survivor's later answer stays")
		assert.Equal(t, f.Survivor.Consents[1].At, consents[crm.PurposeServiceReminder].At)

		// Loyalty: 50 + (1000 + 50 - 50) = 1050 points on one ledger of
		// 1 + 3 entries; the reversal names the renumbered entry.
		entries, err := crm.All(ctx, func(after string) (crm.Page[loyalty.Entry], error) {
			return stores.Loyalty.Entries(ctx, d, s, loyalty.EntryFilter{PageRequest: crm.PageRequest{After: after}})
		})
		require.NoError(t, err)
		require.Len(t, entries, 4)
		for i, e := range entries {
			assert.Equal(t, int64(i+1), e.Seq)
			assert.Equal(t, loyalty.NewEntryID(s, int64(i+1)), e.ID)
		}
		assert.Equal(t, loyalty.NewEntryID(s, 3), entries[3].Reverses, "the reversal of the merged customer's entry 2 names entry 1+2")
		acct, err := stores.Loyalty.Account(ctx, d, s)
		require.NoError(t, err)
		assert.Equal(t, int64(1050), acct.Balances(dealercrm.DateOf(Now)).Points)
		none, err := stores.Loyalty.Entries(ctx, d, m, loyalty.EntryFilter{})
		require.NoError(t, err)
		assert.Empty(t, none.Items)
		ms, err := stores.Loyalty.Membership(ctx, d, s)
		require.NoError(t, err)
		assert.Equal(t, loyalty.Gold, ms.Tier, "the better membership (gold over silver) is kept")
		_, err = stores.Loyalty.Membership(ctx, d, m)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		evs, err := stores.Loyalty.MembershipEvents(ctx, d, s)
		require.NoError(t, err)
		assert.Len(t, evs, 2, "both joins, renumbered")

		tasks, err := stores.Tasks.List(ctx, d, lifecycle.TaskFilter{CustomerID: s})
		require.NoError(t, err)
		assert.Len(t, tasks.Items, 1)
		answers, err := stores.Satisfaction.ListResponses(ctx, d, satisfaction.ResponseFilter{CustomerID: s})
		require.NoError(t, err)
		assert.Len(t, answers.Items, 1)
		st, err := stores.Grading.GetState(ctx, d, s)
		require.NoError(t, err)
		assert.Equal(t, grading.Grade("B"), st.Grade, "the survivor's own grade stays until the next run")
		_, err = stores.Grading.GetState(ctx, d, m)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		mem, err := stores.Campaigns.CustomerMembers(ctx, d, m)
		require.NoError(t, err)
		assert.Empty(t, mem)
		mem, err = stores.Campaigns.CustomerMembers(ctx, d, s)
		require.NoError(t, err)
		assert.Len(t, mem, 1, "one membership per campaign")
		_, err = stores.Campaigns.GetProfile(ctx, d, m)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		sends, err := stores.Messages.List(ctx, d, messages.Filter{CustomerID: s})
		require.NoError(t, err)
		assert.Len(t, sends.Items, 1)

		evts := crmtest.ReadEvents(t, stores.Events, d, crm.EventFilter{Types: []crm.EventType{crm.EventCustomerMerged}})
		require.Len(t, evts, 1)
		assert.Equal(t, string(s), evts[0].Subject.ID)
	})

	t.Run("a group programme's points move at the group's home store", func(t *testing.T) {
		stores := open(t)
		clock := func() time.Time { return Now }
		svc := crm.NewService(stores.CRM, crm.WithClock(clock))
		home, store := crm.DealerID(dealercrm.NewID()), crm.DealerID(dealercrm.NewID())
		group := crm.GroupID(dealercrm.NewID())
		for _, id := range []crm.DealerID{home, store} {
			d := crmtest.Dealer(id)
			d.GroupID = group
			_, err := svc.CreateDealer(ctx, d)
			require.NoError(t, err)
		}
		program := loyalty.DefaultProgram()
		program.Groups = []loyalty.Group{{Home: home, Stores: []crm.DealerID{home, store}}}
		club, err := loyalty.NewService(stores.CRM, stores.Loyalty, loyalty.WithClock(clock), loyalty.WithProgram(program))
		require.NoError(t, err)
		var ids []crm.CustomerID
		for n := range 2 {
			c, err := svc.CreateCustomer(ctx, store, crmtest.Customer(store, n))
			require.NoError(t, err)
			ids = append(ids, c.ID)
			_, err = club.Join(ctx, loyalty.JoinRequest{DealerID: store, CustomerID: c.ID, Method: loyalty.JoinSale})
			require.NoError(t, err)
			_, err = club.Bonus(ctx, loyalty.BonusRequest{DealerID: store, CustomerID: c.ID, Event: "referral_converted", Ref: "r-" + string(c.ID)})
			require.NoError(t, err)
		}
		s, m := ids[0], ids[1]
		if refs != nil {
			require.Positive(t, refs(t, home, m)["loyalty_entries.customer_id"], "the group's points are kept at its home store")
		}
		_, err = svc.MergeCustomers(ctx, store, s, m)
		require.NoError(t, err)
		entries, err := stores.Loyalty.Entries(ctx, home, s, loyalty.EntryFilter{})
		require.NoError(t, err)
		assert.Len(t, entries.Items, 2, "both bonuses on the survivor's account at home")
		acct, err := stores.Loyalty.Account(ctx, home, s)
		require.NoError(t, err)
		assert.Equal(t, int64(2000), acct.Balances(dealercrm.DateOf(Now)).Points)
		_, err = stores.Loyalty.Membership(ctx, home, m)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		if refs != nil {
			for table, n := range refs(t, home, m) {
				assert.Zero(t, n, "no row of %s at the home store refers to the merged customer", table)
			}
		}
	})

	t.Run("merging again changes nothing", func(t *testing.T) {
		stores := open(t)
		f := Seed(t, stores)
		_, err := f.CRM.MergeCustomers(ctx, f.Dealer, f.Survivor.ID, f.Merged.ID)
		require.NoError(t, err)
		again, err := f.CRM.MergeCustomers(ctx, f.Dealer, f.Survivor.ID, f.Merged.ID)
		require.NoError(t, err)
		assert.True(t, again.Repeated)
		assert.Empty(t, again.Moved)
	})

	t.Run("refusals", func(t *testing.T) {
		stores := open(t)
		f := Seed(t, stores)
		d, s, m := f.Dealer, f.Survivor.ID, f.Merged.ID
		_, err := f.CRM.MergeCustomers(ctx, d, s, s)
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve, "a customer cannot be merged into itself")
		assert.True(t, ve.Has("merged_id", crm.RuleReference))
		_, err = f.CRM.MergeCustomers(ctx, "other-dealer", s, m)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "another dealer's customers are not found")
		_, err = f.CRM.MergeCustomers(ctx, d, s, "nobody")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)
		third, err := f.CRM.CreateCustomer(ctx, d, crmtest.Customer(d, 3))
		require.NoError(t, err)
		require.NoError(t, f.CRM.EraseCustomer(ctx, d, third.ID))
		_, err = f.CRM.MergeCustomers(ctx, d, s, third.ID)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "an erased customer is not merged")
		_, err = f.CRM.MergeCustomers(ctx, d, s, m)
		require.NoError(t, err)
		_, err = f.CRM.MergeCustomers(ctx, d, third.ID, m)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "a merged customer is not merged again elsewhere")
		_, err = f.CRM.MergeCustomers(ctx, d, m, s)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "nothing is merged into a merged customer")
		_, err = f.CRM.UpdateCustomer(ctx, d, m, func(c *crm.Customer) error { c.MergedInto = ""; return nil })
		assert.ErrorAs(t, err, &ve, "an update cannot undo a merge")
	})

	t.Run("a failed transaction leaves every store as it was", func(t *testing.T) {
		stores := open(t)
		f := Seed(t, stores)
		d, s, m := f.Dealer, f.Survivor.ID, f.Merged.ID
		var before map[string]int
		if refs != nil {
			before = refs(t, d, m)
		}
		boom := dealercrm.Errorf(dealercrm.Unavailable, "boom")
		err := stores.CRM.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
			_, err := tx.(crm.CustomerMerger).MoveCustomer(ctx, d, s, m)
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		if refs != nil {
			assert.Equal(t, before, refs(t, d, m), "every row still refers to the merged customer")
		}
		entries, err := stores.Loyalty.Entries(ctx, d, m, loyalty.EntryFilter{})
		require.NoError(t, err)
		assert.Len(t, entries.Items, 3, "the ledger is back")
		acct, err := stores.Loyalty.Account(ctx, d, s)
		require.NoError(t, err)
		assert.Equal(t, int64(50), acct.Balances(dealercrm.DateOf(Now)).Points)
		tasks, err := stores.Tasks.List(ctx, d, lifecycle.TaskFilter{CustomerID: m})
		require.NoError(t, err)
		assert.Len(t, tasks.Items, 1)
		_, err = stores.Grading.GetState(ctx, d, m)
		assert.NoError(t, err)
		mem, err := stores.Campaigns.CustomerMembers(ctx, d, m)
		require.NoError(t, err)
		assert.Len(t, mem, 1)
		sends, err := stores.Messages.List(ctx, d, messages.Filter{CustomerID: m})
		require.NoError(t, err)
		assert.Len(t, sends.Items, 1)
		v, err := f.CRM.GetVehicle(ctx, d, f.VehicleID)
		require.NoError(t, err)
		assert.Equal(t, m, v.OwnerID)
	})
}
