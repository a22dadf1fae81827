package lifecycle

import (
	"context"
	"errors"
	"fmt"
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
	// Start and End are the instants Day begins and ends (exclusive) in
	// the dealer's zone: the snapshot is served only in between, while
	// its day is today, without reading the dealer's zone per request.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// KPIs and Comebacks hold one report per period of ReportPeriods(Day),
	// in that order; the comebacks with every item.
	KPIs      []KPIs           `json:"kpis,omitempty"`
	Comebacks []ComebackReport `json:"comebacks,omitempty"`
	// Abnormal is the abnormal-customer report as of Day with every
	// abnormal vehicle, own records only; nil when not read.
	Abnormal *AbnormalReport `json:"abnormal,omitempty"`
	// Stamp is the stamp of the inputs of the run that computed the
	// snapshot, empty when unknown, and Subjects what it loaded: a run of
	// the same day with the same stamp is skipped (WithSharedDatabase).
	// LatestReports need not return them.
	Stamp    string `json:"-"`
	Subjects int    `json:"-"`
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

// ReportSource says where KPIs, Comebacks and Abnormal may take a report
// from.
type ReportSource string

// The sources of a report.
const (
	// SourceAny (the default): the daily run's snapshot of today when it
	// holds the report, else computed from the records now.
	SourceAny ReportSource = ""
	// SourceLive: computed from the records now.
	SourceLive ReportSource = "live"
	// SourceSnapshot: the snapshot only; ErrNoReports when it does not
	// hold the report. A caller that caps slow work (the HTTP adapter's
	// heavy requests) asks for it first and caps only the live call.
	SourceSnapshot ReportSource = "snapshot"
)

// ErrNoReports is returned when a dealer has no report snapshot, or none
// of today holding the report asked for (ReportSource).
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
	// DropReports deletes the dealer's snapshot, if any: a customer was
	// erased, and the abnormal report names customers and vehicles
	// (Service.EraseCustomer). The reports are computed live until the
	// next run stores a snapshot again. Errors: store errors.
	DropReports(ctx context.Context, dealer crm.DealerID) error
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

// Reports computes the snapshot of dealer's subs as of day, as the daily
// run does. It is pure apart from the clock (ComputedAt).
func (s *Service) Reports(dealer *crm.Dealer, day dealercrm.Date, subs []Subject) ReportSnapshot {
	loc := dealer.Location()
	snap := ReportSnapshot{DealerID: dealer.ID, Day: day, ComputedAt: s.now().UTC().Truncate(time.Microsecond),
		Start: day.Time(loc).UTC(), End: day.AddDays(1).Time(loc).UTC()}
	for _, p := range ReportPeriods(day) {
		snap.KPIs = append(snap.KPIs, s.planner.KPIs(subs, p.From, p.To))
		snap.Comebacks = append(snap.Comebacks, s.comebacks(subs, p.From, p.To))
	}
	ab := s.policy.Abnormal.Report(subs, day, nil)
	snap.Abnormal = &ab
	return snap
}

// saveReports computes and stores the snapshot of subs as of day when
// the task store keeps snapshots, with the stamp of the run's inputs
// ("" for none).
func (s *Service) saveReports(ctx context.Context, dealer crm.DealerID, day dealercrm.Date, subs []Subject, erased map[crm.CustomerID]int64, stamp string) error {
	if s.reports == nil {
		return nil
	}
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return fmt.Errorf("lifecycle: run %s on %s: saving the reports: %w", dealer, day, err)
	}
	snap := s.Reports(&d, day, subs)
	snap.Stamp, snap.Subjects = stamp, len(subs)
	if err := s.reports.SaveReports(ctx, snap); err != nil {
		return fmt.Errorf("lifecycle: run %s on %s: saving the reports: %w", dealer, day, err)
	}
	// A customer erased since the run read its records may be in what it
	// just saved: drop it (EraseCustomer records the erasure, then drops,
	// so one of the two drops comes after the save).
	es, err := s.tasks.Erasures(ctx, dealer)
	if err != nil {
		return fmt.Errorf("lifecycle: run %s on %s: saving the reports: %w", dealer, day, err)
	}
	for _, e := range es {
		if e.Count != erased[e.CustomerID] {
			if err := s.reports.DropReports(ctx, dealer); err != nil {
				return fmt.Errorf("lifecycle: run %s on %s: dropping the reports after an erasure: %w", dealer, day, err)
			}
			return nil
		}
	}
	return nil
}

// snapshot returns the dealer's latest snapshot with the report of kind
// when it is of today: the clock is within its day in the dealer's zone
// (Start, End). ok is false when there is none (no store, no snapshot, not
// of today) or src is SourceLive.
func (s *Service) snapshot(ctx context.Context, dealer crm.DealerID, kind ReportKind, src ReportSource) (snap ReportSnapshot, ok bool, err error) {
	if s.reports == nil || src == SourceLive {
		return ReportSnapshot{}, false, nil
	}
	snap, err = s.reports.LatestReports(ctx, dealer, kind)
	if errors.Is(err, ErrNoReports) {
		return ReportSnapshot{}, false, nil
	}
	if err != nil {
		return ReportSnapshot{}, false, fmt.Errorf("lifecycle: read the reports of %s: %w", dealer, err)
	}
	now := s.now()
	return snap, !now.Before(snap.Start) && now.Before(snap.End), nil
}

// dayOr returns d, or when it is zero the day of a snapshot of today
// (ok), else today in the dealer's zone.
func (s *Service) dayOr(ctx context.Context, dealer crm.DealerID, d dealercrm.Date, snap *ReportSnapshot, ok bool) (dealercrm.Date, error) {
	switch {
	case !d.IsZero():
		return d, nil
	case ok:
		return snap.Day, nil
	}
	return s.Today(ctx, dealer)
}
