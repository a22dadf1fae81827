package loyaltytest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// EventStores are what RunEventTests runs on: a loyalty store and the
// event feed its commands write to, and the writer the service writes its
// expiring notices with (loyalty.WithEvents), all of one backend.
type EventStores struct {
	Loyalty loyalty.Store
	Events  crm.EventStore
	Writer  crm.EventWriter
}

// eventService returns a service on st whose points expire 12 months
// after they are earned (notice 30 days) and whose memberships are
// announced 30 days before their period ends.
func eventService(t testing.TB, st EventStores) *loyalty.Service {
	t.Helper()
	p := loyalty.DefaultProgram()
	p.Points.Expiry, p.Points.Months, p.Points.NoticeDays = loyalty.RollingExpiry, 12, 30
	svc, err := loyalty.NewService(nil, st.Loyalty, loyalty.WithProgram(p), loyalty.WithClock(Clock), loyalty.WithEvents(st.Writer),
		loyalty.WithMembershipNotice(30))
	require.NoError(t, err)
	return svc
}

// payload decodes an event's payload into a T.
func payload[T any](t testing.TB, e crm.Event) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(e.Payload, &v), "payload of %s", e.Type)
	return v
}

func typesOf(evs []crm.Event) []crm.EventType {
	out := make([]crm.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// RunEventTests runs the event cases of the suite (SPEC §8): each
// command's events are written with its changes — exactly once, none for
// a replay or a failed command — and the daily jobs' expiring notices
// once per lot and period, however often the job runs.
func RunEventTests(t *testing.T, newStores func(t *testing.T) EventStores) {
	ctx := context.Background()
	at := Clock().UTC()

	t.Run("PointsEvents", func(t *testing.T) {
		st := newStores(t)
		svc := eventService(t, st)
		_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: DealerA, CustomerID: "c1", Method: loyalty.JoinSale, Date: Day})
		require.NoError(t, err)
		earn := loyalty.EarnRequest{DealerID: DealerA, Order: Order("o1", "c1", 300, Day), Date: Day}
		_, err = svc.Earn(ctx, earn)
		require.NoError(t, err)
		redeem := loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 100, Purpose: "gift", Ref: "umbrella",
			Date: Day.AddDays(1), IdempotencyKey: "r1"}
		_, err = svc.Redeem(ctx, redeem)
		require.NoError(t, err)

		// Replays write no event: the same key, the same order again.
		again, err := svc.Redeem(ctx, redeem)
		require.NoError(t, err)
		require.True(t, again.Replayed)
		again, err = svc.Earn(ctx, earn)
		require.NoError(t, err)
		require.True(t, again.Replayed)
		// Failed commands write none: too few points, and an Apply that
		// posts and then fails.
		_, err = svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: DealerA, CustomerID: "c1", Points: 10_000, Date: Day.AddDays(1), IdempotencyKey: "r2"})
		require.ErrorIs(t, err, loyalty.ErrInsufficientPoints)
		boom := errors.New("boom")
		_, err = st.Loyalty.Do(ctx, loyalty.Command{DealerID: DealerA, CustomerID: "c1", Key: "x", Hash: "h",
			Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
				if _, err := s.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Date: Day.AddDays(1), Points: 10, CreatedAt: at}); err != nil {
					return loyalty.Receipt{}, err
				}
				return loyalty.Receipt{}, boom
			}})
		require.ErrorIs(t, err, boom)

		_, err = svc.Reverse(ctx, loyalty.ReverseRequest{DealerID: DealerA, EntryID: "c1.2", Reason: "gift returned", Date: Day.AddDays(2)})
		require.NoError(t, err)

		evs := crmtest.ReadEvents(t, st.Events, DealerA, crm.EventFilter{})
		require.Equal(t, []crm.EventType{crm.EventMembershipJoined, crm.EventPointsEarned, crm.EventPointsRedeemed, crm.EventPointsReversed},
			typesOf(evs), "one event per change, none for the replays and the failed commands")
		for i, e := range evs {
			assert.Equal(t, int64(i+1), e.Seq)
			assert.Equal(t, DealerA, e.DealerID)
			assert.Equal(t, crm.EventSubject{Kind: crm.SubjectCustomer, ID: "c1"}, e.Subject)
			assert.Equal(t, 1, e.Version)
			assert.True(t, e.At.Equal(at), "at the service's clock: %v", e.At)
			assert.NotContains(t, string(e.Payload), "umbrella", "no free text")
			assert.NotContains(t, string(e.Payload), "returned", "no free text")
		}
		expires := dealercrm.NewDate(2026, 3, 1)
		assert.Equal(t, loyalty.PointsEvent{CustomerID: "c1", EntryID: "c1.1", Kind: loyalty.EntryEarn, Points: 300, Cumulative: 300, Balance: 300,
			Store: DealerA, Date: Day, Source: loyalty.Source{Type: "service_order", ID: "o1"}, AvailableOn: Day, ExpiresOn: expires},
			payload[loyalty.PointsEvent](t, evs[1]), "earn 300 points: balance 300, the lot expires in 12 months")
		assert.Equal(t, loyalty.PointsEvent{CustomerID: "c1", EntryID: "c1.2", Kind: loyalty.EntryRedeem, Points: -100, Balance: 200,
			Store: DealerA, Date: Day.AddDays(1), Source: loyalty.Source{Type: "gift"}, Lots: []loyalty.LotMove{{Lot: "c1.1", Points: -100, ExpiresOn: expires}}},
			payload[loyalty.PointsEvent](t, evs[2]), "redeem 100: balance 200, from lot c1.1")
		assert.Equal(t, loyalty.PointsEvent{CustomerID: "c1", EntryID: "c1.3", Kind: loyalty.EntryReverse, Points: 100, Balance: 300,
			Store: DealerA, Date: Day.AddDays(2), Source: loyalty.Source{Type: "gift"}, Reverses: "c1.2", AvailableOn: Day.AddDays(2), ExpiresOn: expires},
			payload[loyalty.PointsEvent](t, evs[3]), "the redemption reversed: 100 back in a lot expiring with c1.1")
		assert.Equal(t, loyalty.MembershipChange{CustomerID: "c1", Event: loyalty.EventJoin, Seq: 1, Tier: loyalty.Silver, Status: loyalty.StatusActive,
			Method: string(loyalty.JoinSale), Date: Day, ValidFrom: Day, ValidUntil: dealercrm.NewDate(2026, 2, 28)},
			payload[loyalty.MembershipChange](t, evs[0]))
		assert.Empty(t, crmtest.ReadEvents(t, st.Events, DealerB, crm.EventFilter{}), "events are the account dealer's")
	})

	t.Run("MembershipEvents", func(t *testing.T) {
		st := newStores(t)
		svc := eventService(t, st)
		_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: DealerA, CustomerID: "c2", Method: loyalty.JoinSale, Date: Day})
		require.NoError(t, err)
		_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o2", "c2", 3000, Day), Date: Day})
		require.NoError(t, err)
		up := loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "c2", Method: string(loyalty.UpgradeByPoints), Date: Day.AddDays(1), IdempotencyKey: "u1"}
		_, err = svc.Upgrade(ctx, up)
		require.NoError(t, err)
		_, err = svc.Upgrade(ctx, up)
		require.NoError(t, err, "a replay")
		_, err = svc.Renew(ctx, loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "c2", Method: string(loyalty.RenewByFee), FeePaid: decimal.NewFromInt(300),
			Date: Day.AddDays(2), IdempotencyKey: "rn1"})
		require.NoError(t, err)
		_, err = svc.Downgrade(ctx, loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "c2", Date: Day.AddDays(3), Reason: "complaint"})
		require.NoError(t, err)
		_, err = svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "c2", Date: Day.AddDays(4), Reason: "moved away"})
		require.NoError(t, err)
		_, err = svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: DealerA, CustomerID: "c2", Date: Day.AddDays(4)})
		require.ErrorIs(t, err, loyalty.ErrInvalidTransition, "a refused change writes nothing")

		evs := crmtest.ReadEvents(t, st.Events, DealerA, crm.EventFilter{})
		require.Equal(t, []crm.EventType{crm.EventMembershipJoined, crm.EventPointsEarned, crm.EventPointsRedeemed, crm.EventMembershipUpgraded,
			crm.EventMembershipRenewed, crm.EventMembershipDowngraded, crm.EventMembershipCancelled}, typesOf(evs))
		redeemed := payload[loyalty.PointsEvent](t, evs[2])
		assert.Equal(t, int64(-2000), redeemed.Points, "the upgrade deducts 2,000 points")
		assert.Equal(t, int64(1000), redeemed.Balance, "3,000 − 2,000")
		assert.Equal(t, loyalty.Source{Type: "upgrade"}, redeemed.Source)
		oneYear := dealercrm.NewDate(2026, 2, 28)
		assert.Equal(t, loyalty.MembershipChange{CustomerID: "c2", Event: loyalty.EventUpgrade, Seq: 2, Tier: loyalty.Gold, PreviousTier: loyalty.Silver,
			Status: loyalty.StatusActive, Method: string(loyalty.UpgradeByPoints), Date: Day.AddDays(1), ValidFrom: Day, ValidUntil: oneYear, Entry: "c2.2"},
			payload[loyalty.MembershipChange](t, evs[3]))
		assert.Equal(t, loyalty.MembershipChange{CustomerID: "c2", Event: loyalty.EventRenew, Seq: 3, Tier: loyalty.Gold, Status: loyalty.StatusActive,
			Method: string(loyalty.RenewByFee), Date: Day.AddDays(2), ValidFrom: dealercrm.NewDate(2026, 3, 1), ValidUntil: dealercrm.NewDate(2027, 2, 28)},
			payload[loyalty.MembershipChange](t, evs[4]), "the next period follows the current one")
		down := payload[loyalty.MembershipChange](t, evs[5])
		assert.Equal(t, loyalty.Silver, down.Tier)
		assert.Equal(t, loyalty.Gold, down.PreviousTier)
		cancelled := payload[loyalty.MembershipChange](t, evs[6])
		assert.Equal(t, loyalty.StatusCancelled, cancelled.Status)
		assert.Equal(t, loyalty.StatusActive, cancelled.PreviousStatus)
		for _, e := range evs {
			assert.NotContains(t, string(e.Payload), "complaint", "no free text")
			assert.NotContains(t, string(e.Payload), "moved", "no free text")
		}
	})

	t.Run("ExpiryJobs", func(t *testing.T) {
		st := newStores(t)
		svc := eventService(t, st)
		_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: DealerA, CustomerID: "c3", Method: loyalty.JoinSale, Date: Day})
		require.NoError(t, err)
		_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o3", "c3", 500, Day), Date: Day})
		require.NoError(t, err)
		_, err = svc.Earn(ctx, loyalty.EarnRequest{DealerID: DealerA, Order: Order("o4", "c3", 200, Day.AddDays(10)), Date: Day.AddDays(10)})
		require.NoError(t, err)
		// The lots of 500 and 200 expire on 1 and 11 March 2026; the
		// membership's period ends on 28 February 2026.
		notice := dealercrm.NewDate(2026, 2, 1)
		for _, day := range []dealercrm.Date{notice, notice, notice.AddDays(1)} {
			_, err = svc.ExpirePoints(ctx, DealerA, day)
			require.NoError(t, err)
			_, err = svc.ProcessExpiries(ctx, DealerA, day)
			require.NoError(t, err)
		}
		evs := crmtest.ReadEvents(t, st.Events, DealerA, crm.EventFilter{Types: []crm.EventType{crm.EventPointsExpiring, crm.EventMembershipExpiring}})
		require.Equal(t, []crm.EventType{crm.EventPointsExpiring, crm.EventMembershipExpiring}, typesOf(evs),
			"one notice each though the jobs ran three times, over two days")
		assert.Equal(t, loyalty.PointsExpiringEvent{CustomerID: "c3", Points: 500, ExpiresOn: dealercrm.NewDate(2026, 3, 1), DaysBefore: 28, Lots: []loyalty.EntryID{"c3.1"}},
			payload[loyalty.PointsExpiringEvent](t, evs[0]), "the lot of 500 expires within 30 days; the lot of 200 (38 days) not yet")
		assert.Equal(t, loyalty.MembershipChange{CustomerID: "c3", Tier: loyalty.Silver, Status: loyalty.StatusActive, ValidFrom: Day,
			ValidUntil: dealercrm.NewDate(2026, 2, 28), DaysBefore: 28}, payload[loyalty.MembershipChange](t, evs[1]))

		// On 10 February the lot of 200 is 29 days away: its own notice.
		run, err := svc.ExpirePoints(ctx, DealerA, notice.AddDays(9))
		require.NoError(t, err)
		assert.Equal(t, 2, run.Notices, "both lots are announced again, and written once")
		// On 1 March the lot of 500 expires and the membership lapses.
		for range 2 {
			_, err = svc.ExpirePoints(ctx, DealerA, dealercrm.NewDate(2026, 3, 1))
			require.NoError(t, err)
			_, err = svc.ProcessExpiries(ctx, DealerA, dealercrm.NewDate(2026, 3, 1))
			require.NoError(t, err)
		}
		evs = crmtest.ReadEvents(t, st.Events, DealerA, crm.EventFilter{})
		require.Equal(t, []crm.EventType{crm.EventMembershipJoined, crm.EventPointsEarned, crm.EventPointsEarned,
			crm.EventPointsExpiring, crm.EventMembershipExpiring, crm.EventPointsExpiring, crm.EventPointsExpired, crm.EventMembershipLapsed},
			typesOf(evs))
		assert.Equal(t, loyalty.PointsExpiringEvent{CustomerID: "c3", Points: 200, ExpiresOn: dealercrm.NewDate(2026, 3, 11), DaysBefore: 29, Lots: []loyalty.EntryID{"c3.2"}},
			payload[loyalty.PointsExpiringEvent](t, evs[5]))
		assert.Equal(t, loyalty.PointsEvent{CustomerID: "c3", EntryID: "c3.3", Kind: loyalty.EntryExpire, Points: -500, Balance: 200,
			Date: dealercrm.NewDate(2026, 3, 1), Source: loyalty.Source{Type: "expiry"},
			Lots: []loyalty.LotMove{{Lot: "c3.1", Points: -500, ExpiresOn: dealercrm.NewDate(2026, 3, 1)}}},
			payload[loyalty.PointsEvent](t, evs[6]), "500 expired, 200 left")
		assert.Equal(t, loyalty.MembershipChange{CustomerID: "c3", Event: loyalty.EventLapse, Seq: 2, Tier: loyalty.Silver, Status: loyalty.StatusLapsed,
			PreviousStatus: loyalty.StatusActive, Date: dealercrm.NewDate(2026, 3, 1), ValidFrom: Day, ValidUntil: dealercrm.NewDate(2026, 2, 28)},
			payload[loyalty.MembershipChange](t, evs[7]), "silver is the lowest tier: it lapses")
	})
}
