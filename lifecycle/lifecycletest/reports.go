package lifecycletest

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunReportStoreTests checks a lifecycle.ReportStore: the latest snapshot
// per dealer, one report at a time, never replaced by an earlier day's.
func RunReportStoreTests(t *testing.T, newStore func(t *testing.T) lifecycle.ReportStore) {
	ctx := context.Background()
	day := dealercrm.MustParseDate("2026-03-01")
	at := time.Date(2026, 3, 1, 2, 0, 0, 123456000, time.UTC)
	t.Run("RoundTripOneReportAtATime", func(t *testing.T) {
		s := newStore(t)
		_, err := s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		assert.ErrorIs(t, err, lifecycle.ErrNoReports)
		assert.Equal(t, dealercrm.NotFound, dealercrm.ErrorCode(err))
		snap := sampleSnapshot("d1", day, at)
		require.NoError(t, s.SaveReports(ctx, snap))

		k, err := s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ReportSnapshot{DealerID: "d1", Day: day, ComputedAt: at, Start: snap.Start, End: snap.End, KPIs: snap.KPIs}, k, "the KPIs only")
		c, err := s.LatestReports(ctx, "d1", lifecycle.ReportComebacks)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ReportSnapshot{DealerID: "d1", Day: day, ComputedAt: at, Start: snap.Start, End: snap.End, Comebacks: snap.Comebacks}, c, "the comebacks only")
		a, err := s.LatestReports(ctx, "d1", lifecycle.ReportAbnormal)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ReportSnapshot{DealerID: "d1", Day: day, ComputedAt: at, Start: snap.Start, End: snap.End, Abnormal: snap.Abnormal}, a, "the abnormal report only")

		// A caller changing what it read changes nothing stored.
		k.KPIs[0].Churn.Numerator = 99
		a.Abnormal.Activity[lifecycle.ActivityLost] = 99
		again, err := s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, 1, again.KPIs[0].Churn.Numerator)
		againA, err := s.LatestReports(ctx, "d1", lifecycle.ReportAbnormal)
		require.NoError(t, err)
		assert.Equal(t, 1, againA.Abnormal.Activity[lifecycle.ActivityLost])

		_, err = s.LatestReports(ctx, "d2", lifecycle.ReportKPIs)
		assert.ErrorIs(t, err, lifecycle.ErrNoReports, "another dealer has none")
		_, err = s.LatestReports(ctx, "d1", "tasks")
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "an unknown report")

		require.NoError(t, s.SaveReports(ctx, sampleSnapshot("d2", day, at)))
		require.NoError(t, s.DropReports(ctx, "d1"))
		_, err = s.LatestReports(ctx, "d1", lifecycle.ReportAbnormal)
		assert.ErrorIs(t, err, lifecycle.ErrNoReports, "dropped")
		_, err = s.LatestReports(ctx, "d2", lifecycle.ReportAbnormal)
		assert.NoError(t, err, "another dealer's snapshot stays")
		require.NoError(t, s.DropReports(ctx, "d1"), "dropping none is no error")
	})
	t.Run("LatestDayWins", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.SaveReports(ctx, sampleSnapshot("d1", day, at)))
		older := sampleSnapshot("d1", day.AddDays(-1), at.Add(time.Hour))
		older.KPIs[0].Churn = lifecycle.Rate{Numerator: 2, Denominator: 2, Rate: 1}
		require.NoError(t, s.SaveReports(ctx, older))
		got, err := s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, day, got.Day, "a run of an earlier day replaces nothing")
		assert.Equal(t, 1, got.KPIs[0].Churn.Numerator)

		rerun := sampleSnapshot("d1", day, at.Add(2*time.Hour))
		rerun.KPIs[0].Churn = lifecycle.Rate{Numerator: 3, Denominator: 4, Rate: 0.75}
		require.NoError(t, s.SaveReports(ctx, rerun))
		got, err = s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, at.Add(2*time.Hour), got.ComputedAt, "a re-run of the same day replaces it")
		assert.Equal(t, 3, got.KPIs[0].Churn.Numerator)

		// A re-run computing the same reports (a store may then write
		// only the time) still moves ComputedAt; one computing others
		// after it replaces them.
		same := rerun
		same.ComputedAt = at.Add(3 * time.Hour)
		require.NoError(t, s.SaveReports(ctx, same))
		got, err = s.LatestReports(ctx, "d1", lifecycle.ReportAbnormal)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ReportSnapshot{DealerID: "d1", Day: day, ComputedAt: same.ComputedAt, Start: same.Start, End: same.End, Abnormal: same.Abnormal}, got)
		other := sampleSnapshot("d1", day, at.Add(4*time.Hour))
		other.Abnormal.Items[0].MonthsSince = 15
		require.NoError(t, s.SaveReports(ctx, other))
		got, err = s.LatestReports(ctx, "d1", lifecycle.ReportAbnormal)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.ReportSnapshot{DealerID: "d1", Day: day, ComputedAt: other.ComputedAt, Start: other.Start, End: other.End, Abnormal: other.Abnormal}, got)

		require.NoError(t, s.SaveReports(ctx, sampleSnapshot("d2", day.AddDays(-5), at)))
		got, err = s.LatestReports(ctx, "d2", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, day.AddDays(-5), got.Day, "each dealer its own")
		got, err = s.LatestReports(ctx, "d1", lifecycle.ReportKPIs)
		require.NoError(t, err)
		assert.Equal(t, day, got.Day)
	})
}

// sampleSnapshot is a snapshot with a value in every kind of field.
func sampleSnapshot(dealer crm.DealerID, day dealercrm.Date, at time.Time) lifecycle.ReportSnapshot {
	from := dealercrm.NewDate(day.Year, day.Month, 1)
	return lifecycle.ReportSnapshot{DealerID: dealer, Day: day, ComputedAt: at,
		Start: day.Time(time.UTC).Add(-8 * time.Hour), End: day.AddDays(1).Time(time.UTC).Add(-8 * time.Hour),
		KPIs: []lifecycle.KPIs{{From: from, To: day, ChurnMonth: day.String()[:7], Churn: lifecycle.Rate{Numerator: 1, Denominator: 4, Rate: 0.25},
			ChurnByMonth: []lifecycle.MonthRate{{Month: day.String()[:7], Rate: lifecycle.Rate{Numerator: 1, Denominator: 4, Rate: 0.25}}},
			Retention:    lifecycle.Rate{Numerator: 2, Denominator: 3, Rate: 0.6667}, Comebacks: lifecycle.Rate{}}},
		Comebacks: []lifecycle.ComebackReport{{From: from, To: day, Rate: lifecycle.Rate{Numerator: 1, Denominator: 7, Rate: 0.1429},
			Items: []lifecycle.Comeback{{VehicleID: "v1", OrderID: "o2", Date: day, Of: "o1", OfDate: day.AddDays(-3), Class: lifecycle.RepairMinor, Days: 3, KM: -1, Reason: "返修"}}}},
		Abnormal: &lifecycle.AbnormalReport{AsOf: day, Vehicles: 2,
			Activity: map[lifecycle.Activity]int{lifecycle.ActivityLost: 1, lifecycle.ActivityActive: 1},
			Classes:  map[lifecycle.ServiceClass]int{lifecycle.ClassD: 1, lifecycle.ClassC: 1},
			Abnormal: map[lifecycle.AbnormalClass]int{lifecycle.LongAbsent: 1},
			Items: []lifecycle.Assessment{{VehicleID: "v2", VIN: "LSVAU2180N2000001", CustomerID: "c1", AsOf: day, MonthsSince: 14,
				Activity: lifecycle.ActivityLost, Class: lifecycle.ClassD, CadenceDays: 120.5,
				Abnormal: []lifecycle.Abnormality{{Class: lifecycle.LongAbsent, Reason: "no visit for 14 months"}}}}},
	}
}

// RunReportServiceTests checks that the reports lifecycle.Service serves
// from the daily run's snapshot equal what it computes from the records
// for the same records and day, on a backend whose task store is a
// lifecycle.ReportStore; and when it serves them live instead.
func RunReportServiceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore)) {
	ctx := context.Background()
	cs, ts := newStores(t)
	require.Implements(t, (*lifecycle.ReportStore)(nil), ts)
	crmSvc := seedFleet(t, cs, 3, 2, "2024-01-10")
	seedVisits(t, crmSvc)
	svc := newService(t, crmSvc, ts)
	day := dealercrm.MustParseDate("2026-03-01") // today at clock() in Shanghai
	periods := lifecycle.ReportPeriods(day)
	require.Equal(t, []crm.DateRange{
		{From: day, To: day},
		{From: dealercrm.MustParseDate("2026-02-01"), To: dealercrm.MustParseDate("2026-02-28")},
		{From: dealercrm.MustParseDate("2026-01-01"), To: day},
		{From: dealercrm.MustParseDate("2025-04-01"), To: day},
	}, periods)

	k, err := svc.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: periods[1].From, To: periods[1].To})
	require.NoError(t, err)
	assert.True(t, k.ComputedAt.IsZero(), "no run yet: computed live")
	// Worked numbers of February 2026: jobs o21, o22 (v2), o41 (v4), one
	// comeback (o22, 8 days after o21); the commercial policy of v1 ends
	// on 02-09 and is renewed, v2's ends on 02-20 and is not.
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 3, Rate: 0.3333}, k.Comebacks)
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 2, Rate: 0.5}, k.Renewal)

	_, err = svc.Run(ctx, "d1", day)
	require.NoError(t, err)

	servedKPIs := func(t *testing.T, svc *lifecycle.Service, p crm.DateRange) (served, live lifecycle.KPIs) {
		t.Helper()
		served, err := svc.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: p.From, To: p.To})
		require.NoError(t, err)
		live, err = svc.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: p.From, To: p.To, Source: lifecycle.SourceLive})
		require.NoError(t, err)
		assert.True(t, live.ComputedAt.IsZero(), "live")
		return served, live
	}
	t.Run("KPIsEqualLive", func(t *testing.T) {
		for _, p := range periods {
			served, live := servedKPIs(t, svc, p)
			assert.Equal(t, clock().UTC(), served.ComputedAt, "%v from the run's snapshot", p)
			served.ComputedAt = time.Time{}
			assert.Equal(t, live, served, "%v", p)
		}
		served, _ := servedKPIs(t, svc, periods[1])
		assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 3, Rate: 0.3333}, served.Comebacks, "February's worked numbers")
		assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 2, Rate: 0.5}, served.Renewal)
		omitted, err := svc.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: periods[0].From})
		require.NoError(t, err)
		assert.Equal(t, day, omitted.To, "to omitted: today")
		assert.Equal(t, clock().UTC(), omitted.ComputedAt, "this month to date from the snapshot")
		other, _ := servedKPIs(t, svc, crm.DateRange{From: dealercrm.MustParseDate("2026-01-05"), To: dealercrm.MustParseDate("2026-01-20")})
		assert.True(t, other.ComputedAt.IsZero(), "a period the run did not compute: live")
		_, err = svc.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: dealercrm.MustParseDate("2026-01-05"), To: dealercrm.MustParseDate("2026-01-20"), Source: lifecycle.SourceSnapshot})
		assert.ErrorIs(t, err, lifecycle.ErrNoReports, "the snapshot only: none")
		_, err = svc.Comebacks(ctx, "d1", lifecycle.PeriodQuery{From: dealercrm.MustParseDate("2026-01-05"), Source: lifecycle.SourceSnapshot})
		assert.ErrorIs(t, err, lifecycle.ErrNoReports)
		_, err = svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{Group: true, Source: lifecycle.SourceSnapshot})
		assert.ErrorIs(t, err, lifecycle.ErrNoReports, "the group view is never in the snapshot")
	})
	t.Run("ComebacksEqualLive", func(t *testing.T) {
		for _, p := range periods {
			pages := func(live bool) (lifecycle.ComebackReport, []lifecycle.Comeback) {
				var all []lifecycle.Comeback
				q := lifecycle.PeriodQuery{From: p.From, To: p.To, PageRequest: crm.PageRequest{Limit: 1}}
				if live {
					q.Source = lifecycle.SourceLive
				}
				for {
					r, err := svc.Comebacks(ctx, "d1", q)
					require.NoError(t, err)
					all = append(all, r.Items...)
					if r.Next == "" {
						return r, all
					}
					q.After = r.Next
				}
			}
			served, sItems := pages(false)
			live, lItems := pages(true)
			assert.Equal(t, clock().UTC(), served.ComputedAt, "%v from the snapshot", p)
			assert.Equal(t, live.Rate, served.Rate, "%v", p)
			assert.Equal(t, lItems, sItems, "%v: the same comebacks, page by page", p)
		}
		r, err := svc.Comebacks(ctx, "d1", lifecycle.PeriodQuery{From: periods[3].From, To: periods[3].To})
		require.NoError(t, err)
		require.Len(t, r.Items, 2, "o12 in June 2025, o22 in February 2026")
		assert.Equal(t, []crm.ServiceOrderID{"o12", "o22"}, []crm.ServiceOrderID{r.Items[0].OrderID, r.Items[1].OrderID})
	})
	t.Run("AbnormalEqualsLive", func(t *testing.T) {
		for _, classes := range [][]lifecycle.AbnormalClass{nil, {lifecycle.LongAbsent}, {lifecycle.RepairOnly, lifecycle.NearChurn}} {
			var served, live []lifecycle.Assessment
			var sr, lr lifecycle.AbnormalReport
			for _, l := range []bool{false, true} {
				q := lifecycle.AbnormalQuery{Classes: classes, PageRequest: crm.PageRequest{Limit: 2}}
				if l {
					q.Source = lifecycle.SourceLive
				}
				for {
					r, err := svc.Abnormal(ctx, "d1", day, q)
					require.NoError(t, err)
					if l {
						live, lr = append(live, r.Items...), r
					} else {
						served, sr = append(served, r.Items...), r
					}
					if r.Next == "" {
						break
					}
					q.After = r.Next
				}
			}
			assert.Equal(t, clock().UTC(), sr.ComputedAt, "%v from the snapshot", classes)
			assert.True(t, lr.ComputedAt.IsZero())
			sr.ComputedAt, sr.Items, lr.Items = time.Time{}, nil, nil
			assert.Equal(t, lr, sr, "%v: the same counts", classes)
			assert.Equal(t, live, served, "%v: the same vehicles", classes)
			assert.NotEmpty(t, served, "%v", classes)
		}
		r, err := svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{Classes: []lifecycle.AbnormalClass{lifecycle.RepairOnly}})
		require.NoError(t, err)
		require.Len(t, r.Items, 1)
		assert.Equal(t, crm.VehicleID("v4"), r.Items[0].VehicleID, "repairs only since delivery")
		r, err = svc.Abnormal(ctx, "d1", day.AddDays(-1), lifecycle.AbnormalQuery{})
		require.NoError(t, err)
		assert.True(t, r.ComputedAt.IsZero(), "another day: live")
		r, err = svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{Group: true})
		require.NoError(t, err)
		assert.True(t, r.ComputedAt.IsZero(), "the group view: live")
	})
	t.Run("SnapshotOfTheRunUntilTheNextRun", func(t *testing.T) {
		// A repair recorded after the run: today's snapshot keeps the
		// records the run read until the next run.
		_, err := crmSvc.CreateServiceOrder(ctx, "d1", crm.ServiceOrder{ID: "o23", Record: crm.Record{DealerID: "d1"}, VehicleID: "v2", Date: day, ClosedDate: day,
			OdometerKM: 36500, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(800)})
		require.NoError(t, err)
		served, live := servedKPIs(t, svc, periods[0])
		assert.Equal(t, lifecycle.Rate{}, served.Comebacks, "the snapshot: no job on 03-01 yet")
		assert.Equal(t, 1, live.Comebacks.Denominator, "live: o23")

		// A run of an earlier day, by hand, replaces nothing.
		_, err = svc.Run(ctx, "d1", day.AddDays(-2))
		require.NoError(t, err)
		served, _ = servedKPIs(t, svc, periods[0])
		assert.Equal(t, clock().UTC(), served.ComputedAt, "still today's snapshot")

		_, err = svc.Run(ctx, "d1", day)
		require.NoError(t, err)
		served, live = servedKPIs(t, svc, periods[0])
		assert.False(t, served.ComputedAt.IsZero())
		served.ComputedAt = time.Time{}
		assert.Equal(t, live, served, "the re-run's snapshot has o23")

		tomorrow, err := lifecycle.NewService(crmSvc, ts, lifecycle.WithClock(func() time.Time { return clock().Add(24 * time.Hour) }))
		require.NoError(t, err)
		k, err := tomorrow.KPIs(ctx, "d1", lifecycle.PeriodQuery{From: periods[1].From, To: periods[1].To})
		require.NoError(t, err)
		assert.True(t, k.ComputedAt.IsZero(), "yesterday's snapshot is not served")
	})
	t.Run("ErasureDropsTheSnapshot", func(t *testing.T) {
		// The abnormal report names customers and vehicles: erasing a
		// customer drops the stored reports until the next run.
		a, err := svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{})
		require.NoError(t, err)
		require.False(t, a.ComputedAt.IsZero(), "served from the snapshot before")
		v3, err := crmSvc.GetVehicle(ctx, "d1", "v3")
		require.NoError(t, err)
		require.NoError(t, svc.EraseCustomer(ctx, "d1", v3.OwnerID))
		a, err = svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{})
		require.NoError(t, err)
		assert.True(t, a.ComputedAt.IsZero(), "computed live after the erasure")
		_, err = svc.Run(ctx, "d1", day)
		require.NoError(t, err)
		a, err = svc.Abnormal(ctx, "d1", day, lifecycle.AbnormalQuery{})
		require.NoError(t, err)
		assert.False(t, a.ComputedAt.IsZero(), "the next run stores them again")
	})
}

// seedVisits writes the service orders and policies of the report tests
// on seedFleet's d1 (vehicles v1…v6 delivered from 2024-01-10):
//   - v1: maintenance 2025-06-01, a repair 19 days later (a comeback of
//     level-2 maintenance, o12); a commercial policy ending 2026-02-09,
//     renewed;
//   - v2: maintenance 2026-02-02, a repair 8 days later (comeback o22); a
//     commercial policy ending 2026-02-20, not renewed;
//   - v3: last visit 2024-12-01 (long absent);
//   - v4: repairs only (2025-08-01, 2026-02-15);
//   - v5, v6: no visit.
func seedVisits(t *testing.T, svc *crm.Service) {
	t.Helper()
	ctx := context.Background()
	order := func(id crm.ServiceOrderID, v crm.VehicleID, d string, km int64, kind crm.ServiceKind) {
		_, err := svc.CreateServiceOrder(ctx, "d1", crm.ServiceOrder{ID: id, Record: crm.Record{DealerID: "d1"}, VehicleID: v, Date: dealercrm.MustParseDate(d),
			ClosedDate: dealercrm.MustParseDate(d), OdometerKM: km, Kind: kind, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(800)})
		require.NoError(t, err, "order %s", id)
	}
	order("o11", "v1", "2025-06-01", 20000, crm.ServiceMaintenance)
	order("o12", "v1", "2025-06-20", 21000, crm.ServiceRepair)
	order("o21", "v2", "2026-02-02", 35000, crm.ServiceMaintenance)
	order("o22", "v2", "2026-02-10", 36000, crm.ServiceRepair)
	order("o31", "v3", "2024-12-01", 9000, crm.ServiceMaintenance)
	order("o41", "v4", "2026-02-15", 30000, crm.ServiceRepair)
	order("o42", "v4", "2025-08-01", 20000, crm.ServiceRepair)
	policy := func(id crm.PolicyID, v crm.VehicleID, start, end string) {
		_, err := svc.CreateInsurancePolicy(ctx, "d1", crm.InsurancePolicy{ID: id, Record: crm.Record{DealerID: "d1"}, VehicleID: v, Kind: crm.Commercial,
			Insurer: "PICC", Start: dealercrm.MustParseDate(start), End: dealercrm.MustParseDate(end), Premium: decimal.NewFromInt(5000)})
		require.NoError(t, err, "policy %s", id)
	}
	policy("p11", "v1", "2025-02-10", "2026-02-09")
	policy("p12", "v1", "2026-02-10", "2027-02-09")
	policy("p21", "v2", "2025-02-21", "2026-02-20")
}
