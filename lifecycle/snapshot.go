package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ReportSnapshot is what the daily run of a dealer computed for the
// reports a manager opens every morning, from the subjects it loaded:
// the KPIs and the comebacks of the standard periods of its day
// (ReportPeriods) and the abnormal-customer report as of its day (the
// dealer's own records, every abnormal vehicle). KPIs, Comebacks and
// Abnormal serve a request from it when it holds what was asked (see
// Service.KPIs).
type ReportSnapshot struct {
	DealerID crm.DealerID `json:"dealer_id"`
	// Day is the day of the run; ComputedAt when it computed the reports.
	Day        dealercrm.Date `json:"day"`
	ComputedAt time.Time      `json:"computed_at"`
	// KPIs and Comebacks hold one report per period of ReportPeriods(Day),
	// in that order; the comebacks with every item.
	KPIs      []KPIs           `json:"kpis,omitempty"`
	Comebacks []ComebackReport `json:"comebacks,omitempty"`
	// Abnormal is the abnormal-customer report as of Day with every
	// abnormal vehicle, own records only; nil when not read.
	Abnormal *AbnormalReport `json:"abnormal,omitempty"`
}

// ReportKind names one report of a ReportSnapshot.
type ReportKind string

// The reports of a snapshot.
const (
	ReportKPIs      ReportKind = "kpis"
	ReportComebacks ReportKind = "comebacks"
	ReportAbnormal  ReportKind = "abnormal"
)

// Valid reports whether k is a known report.
func (k ReportKind) Valid() bool {
	return k == ReportKPIs || k == ReportComebacks || k == ReportAbnormal
}

// ErrNoReports is returned when a dealer has no report snapshot.
var ErrNoReports = &dealercrm.Error{Code: dealercrm.NotFound, Message: "lifecycle: no report snapshot"}

// ReportStore keeps the latest report snapshot of each dealer. It is an
// optional capability of a TaskStore: NewService detects it with a type
// assertion (adapters/memory and adapters/postgres have it), and without
// it the reports are always computed for each request.
type ReportStore interface {
	// SaveReports stores snap as its dealer's latest snapshot, replacing
	// the stored one unless that one is of a later day (a run of a past
	// day, triggered by hand, then stores nothing). Errors: store errors.
	SaveReports(ctx context.Context, snap ReportSnapshot) error
	// LatestReports returns the dealer's latest snapshot with the report
	// of kind only (the other reports empty). ErrNoReports
	// (dealercrm.NotFound) when the dealer has none, dealercrm.ErrInvalid
	// for an unknown kind.
	LatestReports(ctx context.Context, dealer crm.DealerID, kind ReportKind) (ReportSnapshot, error)
}

// ReportPeriods are the periods over which the daily run of day
// computes the KPIs and the comebacks: the month to date, the previous
// month, the year to date and the twelve months to date (from the first
// day of the month eleven months back). Over HTTP they read
// from=YYYY-MM (this month), from=YYYY-MM&to=YYYY-MM (last month),
// from=YYYY-01 and from=YYYY-MM (eleven months back), to omitted for today.
func ReportPeriods(day dealercrm.Date) []crm.DateRange {
	month := monthStart(day)
	return []crm.DateRange{
		{From: month, To: day},
		{From: month.AddMonths(-1), To: month.AddDays(-1)},
		{From: dealercrm.NewDate(day.Year, time.January, 1), To: day},
		{From: month.AddMonths(-11), To: day},
	}
}

// Reports computes the snapshot of subs as of day, as the daily run
// does. It is pure apart from the clock (ComputedAt).
func (s *Service) Reports(dealer crm.DealerID, day dealercrm.Date, subs []Subject) ReportSnapshot {
	snap := ReportSnapshot{DealerID: dealer, Day: day, ComputedAt: s.now().UTC().Truncate(time.Microsecond)}
	for _, p := range ReportPeriods(day) {
		snap.KPIs = append(snap.KPIs, s.planner.KPIs(subs, p.From, p.To))
		snap.Comebacks = append(snap.Comebacks, s.comebacks(subs, p.From, p.To))
	}
	ab := s.policy.Abnormal.Report(subs, day, nil)
	snap.Abnormal = &ab
	return snap
}

// saveReports computes and stores the snapshot of subs as of day when
// the task store keeps snapshots.
func (s *Service) saveReports(ctx context.Context, dealer crm.DealerID, day dealercrm.Date, subs []Subject) error {
	if s.reports == nil {
		return nil
	}
	if err := s.reports.SaveReports(ctx, s.Reports(dealer, day, subs)); err != nil {
		return fmt.Errorf("lifecycle: run %s on %s: saving the reports: %w", dealer, day, err)
	}
	return nil
}

// snapshot returns the dealer's latest snapshot with the report of kind
// when it is of today in the dealer's zone; ok is false when there is
// none (no store, no snapshot, an older one).
func (s *Service) snapshot(ctx context.Context, dealer crm.DealerID, kind ReportKind) (snap ReportSnapshot, ok bool, err error) {
	if s.reports == nil {
		return ReportSnapshot{}, false, nil
	}
	snap, err = s.reports.LatestReports(ctx, dealer, kind)
	if errors.Is(err, ErrNoReports) {
		return ReportSnapshot{}, false, nil
	}
	if err != nil {
		return ReportSnapshot{}, false, fmt.Errorf("lifecycle: read the reports of %s: %w", dealer, err)
	}
	today, err := s.Today(ctx, dealer)
	if err != nil {
		return ReportSnapshot{}, false, err
	}
	return snap, snap.Day == today, nil
}

// snapshotKPIs returns the KPIs of [from, to] from today's snapshot.
func (s *Service) snapshotKPIs(ctx context.Context, dealer crm.DealerID, from, to dealercrm.Date) (KPIs, bool, error) {
	snap, ok, err := s.snapshot(ctx, dealer, ReportKPIs)
	if !ok || err != nil {
		return KPIs{}, false, err
	}
	i := slices.IndexFunc(snap.KPIs, func(k KPIs) bool { return k.From == from && k.To == to })
	if i < 0 {
		return KPIs{}, false, nil
	}
	k := snap.KPIs[i]
	k.ComputedAt = snap.ComputedAt
	return k, true, nil
}

// snapshotComebacks returns the comebacks of [from, to], every item,
// from today's snapshot.
func (s *Service) snapshotComebacks(ctx context.Context, dealer crm.DealerID, from, to dealercrm.Date) (ComebackReport, bool, error) {
	snap, ok, err := s.snapshot(ctx, dealer, ReportComebacks)
	if !ok || err != nil {
		return ComebackReport{}, false, err
	}
	i := slices.IndexFunc(snap.Comebacks, func(c ComebackReport) bool { return c.From == from && c.To == to })
	if i < 0 {
		return ComebackReport{}, false, nil
	}
	c := snap.Comebacks[i]
	c.ComputedAt = snap.ComputedAt
	return c, true, nil
}

// snapshotAbnormal returns the abnormal report as of asOf, every
// abnormal vehicle, from today's snapshot.
func (s *Service) snapshotAbnormal(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (AbnormalReport, bool, error) {
	snap, ok, err := s.snapshot(ctx, dealer, ReportAbnormal)
	if !ok || err != nil || snap.Abnormal == nil || snap.Abnormal.AsOf != asOf {
		return AbnormalReport{}, false, err
	}
	r := *snap.Abnormal
	r.ComputedAt = snap.ComputedAt
	return r, true, nil
}
