package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// AbnormalQuery filters the abnormal-customer report.
type AbnormalQuery struct {
	// Classes keeps the vehicles with one of these classes; empty: any.
	Classes []AbnormalClass `json:"classes,omitempty"`
	// Group is the explicit group-level view: the service orders of the
	// sister dealers of the dealer's group are read for the dealer's VINs,
	// so that a visit at a sister store flags near-churn. Without it only
	// the dealer's own records are read.
	Group bool `json:"group,omitempty"`
	// Source says where the report may come from: a request as of today
	// without Group may be served from the daily run's snapshot (see
	// Service.KPIs); the group view is always computed.
	Source ReportSource `json:"source,omitempty"`
	// PageRequest pages the report's items (the counts cover every
	// vehicle).
	crm.PageRequest
}

// AbnormalReport is the abnormal-customer report of a dealer on a day.
type AbnormalReport struct {
	AsOf  dealercrm.Date `json:"as_of"`
	Group bool           `json:"group"`
	// Vehicles is how many vehicles were assessed.
	Vehicles int `json:"vehicles"`
	// Activity and Classes count the assessed vehicles by activity status
	// and service class; Abnormal counts them by abnormal class.
	Activity map[Activity]int      `json:"activity"`
	Classes  map[ServiceClass]int  `json:"classes"`
	Abnormal map[AbnormalClass]int `json:"abnormal"`
	// Items are the abnormal vehicles matching the query, by vehicle ID,
	// one page at a time; Next is the cursor of the next page (empty on
	// the last).
	Items []Assessment `json:"items"`
	Next  string       `json:"next,omitempty"`
	// ComputedAt is when the daily run computed the report served from
	// its snapshot; absent when computed for the request.
	ComputedAt time.Time `json:"computed_at,omitzero"`
}

// Report assesses subjects as of asOf and keeps the abnormal ones of
// classes (any when empty). It is pure.
func (a AbnormalPolicy) Report(subs []Subject, asOf dealercrm.Date, classes []AbnormalClass) AbnormalReport {
	r := AbnormalReport{AsOf: asOf, Vehicles: len(subs), Activity: map[Activity]int{}, Classes: map[ServiceClass]int{}, Abnormal: map[AbnormalClass]int{}, Items: []Assessment{}}
	for i := range subs {
		as := a.Assess(&subs[i], asOf)
		if as.Activity != "" {
			r.Activity[as.Activity]++
		}
		if as.Class != "" {
			r.Classes[as.Class]++
		}
		keep := false
		for _, x := range as.Abnormal {
			r.Abnormal[x.Class]++
			keep = keep || len(classes) == 0 || slices.Contains(classes, x.Class)
		}
		if keep {
			r.Items = append(r.Items, as)
		}
	}
	slices.SortFunc(r.Items, func(x, y Assessment) int {
		switch {
		case x.VehicleID < y.VehicleID:
			return -1
		case x.VehicleID > y.VehicleID:
			return 1
		}
		return 0
	})
	return r
}

// Abnormal returns the abnormal-customer report of dealer as of asOf
// (today in the dealer's zone when zero).
// With q.Group it reads, explicitly, the sister dealers' vehicles by VIN
// and their service orders. Without q.Group, as of today and unless
// q.Source is SourceLive, it serves the report from the daily run's
// snapshot of today when there is one (ComputedAt then says when it was
// computed); with SourceSnapshot it computes nothing (ErrNoReports). Errors:
// crm.ErrNotFound for an unknown dealer, a *crm.ValidationError for an
// unknown class, store errors.
func (s *Service) Abnormal(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, q AbnormalQuery) (AbnormalReport, error) {
	for _, c := range q.Classes {
		if !c.Valid() {
			return AbnormalReport{}, &crm.ValidationError{Entity: "abnormal query", Fields: []crm.FieldError{{Field: "class", Rule: crm.RuleEnum, Message: fmt.Sprintf("unknown abnormal class %q", c)}}}
		}
	}
	if _, err := q.AfterID(); err != nil {
		return AbnormalReport{}, err
	}
	src := q.Source
	if q.Group {
		if src == SourceSnapshot {
			return AbnormalReport{}, fmt.Errorf("lifecycle: abnormal %s, group view: %w", dealer, ErrNoReports)
		}
		src = SourceLive
	}
	snap, ok, err := s.snapshot(ctx, dealer, ReportAbnormal, src)
	if err != nil {
		return AbnormalReport{}, err
	}
	if asOf, err = s.dayOr(ctx, dealer, asOf, &snap, ok); err != nil {
		return AbnormalReport{}, err
	}
	var r AbnormalReport
	if ok = ok && snap.Abnormal != nil && snap.Abnormal.AsOf == asOf; ok {
		r = *snap.Abnormal
		r.ComputedAt = snap.ComputedAt
		r.Items = slices.DeleteFunc(r.Items, func(a Assessment) bool {
			return len(q.Classes) > 0 && !slices.ContainsFunc(a.Abnormal, func(x Abnormality) bool { return slices.Contains(q.Classes, x.Class) })
		})
	} else if src == SourceSnapshot {
		return AbnormalReport{}, fmt.Errorf("lifecycle: abnormal %s as of %s: %w", dealer, asOf, ErrNoReports)
	} else {
		d, err := s.crm.GetDealer(ctx, dealer)
		if err != nil {
			return AbnormalReport{}, fmt.Errorf("lifecycle: abnormal: %w", err)
		}
		subs, err := s.Load(ctx, dealer)
		if err != nil {
			return AbnormalReport{}, err
		}
		if q.Group && d.GroupID != "" {
			if err := s.addSisterVisits(ctx, d, subs); err != nil {
				return AbnormalReport{}, fmt.Errorf("lifecycle: abnormal %s: group view: %w", dealer, err)
			}
		}
		r = s.policy.Abnormal.Report(subs, asOf, q.Classes)
		r.Group = q.Group && d.GroupID != ""
	}
	p, err := pageOf(r.Items, q.PageRequest, func(a *Assessment) string { return string(a.VehicleID) })
	if err != nil {
		return AbnormalReport{}, err
	}
	r.Items, r.Next = p.Items, p.Next
	return r, nil
}

// pageOf returns the page of items, sorted by key, that p asks for: the
// items whose key follows p's cursor, at most p.Size(), and the cursor of
// the next page. A malformed cursor is a *crm.ValidationError on after.
func pageOf[T any](items []T, p crm.PageRequest, key func(*T) string) (crm.Page[T], error) {
	after, err := p.AfterID()
	if err != nil {
		return crm.Page[T]{}, err
	}
	i := 0
	if after != "" {
		i = sort.Search(len(items), func(i int) bool { return key(&items[i]) > after })
	}
	size := p.Size()
	return crm.NewPage(items[i:min(len(items), i+size+1)], size, func(t T) string { return key(&t) }), nil
}

// addSisterVisits adds to subs the service orders recorded by the other
// dealers of d's group for the same VINs, as visits of those dealers.
func (s *Service) addSisterVisits(ctx context.Context, d crm.Dealer, subs []Subject) error {
	st := s.crm.Store()
	byVIN := make(map[string]int, len(subs))
	for i := range subs {
		if subs[i].VIN != "" {
			byVIN[subs[i].VIN] = i
		}
	}
	sisters, err := crm.All(ctx, func(a string) (crm.Page[crm.Dealer], error) {
		return st.Dealers().List(ctx, crm.DealerFilter{GroupID: d.GroupID, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	for _, sd := range sisters {
		if sd.ID == d.ID {
			continue
		}
		vs, err := crm.All(ctx, func(a string) (crm.Page[crm.Vehicle], error) {
			return st.Vehicles().List(ctx, sd.ID, crm.VehicleFilter{PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return err
		}
		ours := map[crm.VehicleID]int{}
		for _, v := range vs {
			if i, ok := byVIN[crm.NormalizeVIN(v.VIN)]; ok {
				ours[v.ID] = i
			}
		}
		if len(ours) == 0 {
			continue
		}
		os, err := crm.All(ctx, func(a string) (crm.Page[crm.ServiceOrder], error) {
			return st.ServiceOrders().List(ctx, sd.ID, crm.ServiceOrderFilter{PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return err
		}
		for _, o := range os {
			if i, ok := ours[o.VehicleID]; ok {
				subs[i].Visits = append(subs[i].Visits, Visit{OrderID: o.ID, DealerID: sd.ID, Date: o.Date, Closed: o.ClosedDate, KM: o.OdometerKM, Kind: o.Kind, Payer: o.Payer, Complaint: o.Complaint})
			}
		}
	}
	for i := range subs {
		slices.SortStableFunc(subs[i].Visits, func(a, b Visit) int { return a.Date.Compare(b.Date) })
	}
	return nil
}

// PeriodQuery asks for a report over the period [From, To]; To zero is
// today in the dealer's zone.
type PeriodQuery struct {
	From dealercrm.Date `json:"from"`
	To   dealercrm.Date `json:"to"`
	// Source says where the report may come from (see Service.KPIs).
	Source ReportSource `json:"source,omitempty"`
	// PageRequest pages the items of a report that has them (comebacks).
	crm.PageRequest
}

// KPIs returns the KPIs of dealer over [q.From, q.To] (see the package
// docs for the formulas). Unless q.Source is SourceLive, a period of ReportPeriods of
// today is served from the daily run's snapshot of today when the task
// store keeps snapshots (ReportStore) and the run of today stored one:
// the KPIs of the records as the run read them, with ComputedAt saying
// when; otherwise they are computed from the records now, which reads
// every vehicle of the dealer with its visits, unless q.Source is
// SourceSnapshot (then ErrNoReports). Errors: a *crm.ValidationError
// when from is after to, ErrNoReports, store errors.
func (s *Service) KPIs(ctx context.Context, dealer crm.DealerID, q PeriodQuery) (KPIs, error) {
	snap, ok, err := s.snapshot(ctx, dealer, ReportKPIs, q.Source)
	if err != nil {
		return KPIs{}, err
	}
	if q.To, err = s.periodEnd(ctx, dealer, "kpi query", q, &snap, ok); err != nil {
		return KPIs{}, err
	}
	if i := slices.IndexFunc(snap.KPIs, func(k KPIs) bool { return k.From == q.From && k.To == q.To }); ok && i >= 0 {
		k := snap.KPIs[i]
		k.ComputedAt = snap.ComputedAt
		return k, nil
	}
	if q.Source == SourceSnapshot {
		return KPIs{}, fmt.Errorf("lifecycle: kpis of %s over %s…%s: %w", dealer, q.From, q.To, ErrNoReports)
	}
	subs, err := s.Load(ctx, dealer)
	if err != nil {
		return KPIs{}, err
	}
	return s.planner.KPIs(subs, q.From, q.To), nil
}

// periodEnd checks q's period and returns its end: q.To, or when it is
// zero the day of a snapshot of today (ok), else today.
func (s *Service) periodEnd(ctx context.Context, dealer crm.DealerID, entity string, q PeriodQuery, snap *ReportSnapshot, ok bool) (dealercrm.Date, error) {
	if q.From.IsZero() {
		return dealercrm.Date{}, checkPeriod(entity, q.From, q.To)
	}
	to, err := s.dayOr(ctx, dealer, q.To, snap, ok)
	if err != nil {
		return dealercrm.Date{}, err
	}
	return to, checkPeriod(entity, q.From, to)
}

// ComebackReport lists a dealer's comebacks 返修 over a period with the
// comeback rate (KPIs.Comebacks) of the whole period.
type ComebackReport struct {
	From dealercrm.Date `json:"from"`
	To   dealercrm.Date `json:"to"`
	Rate Rate           `json:"rate"`
	// Items are the comebacks by date (then order ID), one page at a
	// time; Next is the cursor of the next page (empty on the last).
	Items []Comeback `json:"items"`
	Next  string     `json:"next,omitempty"`
	// ComputedAt is when the daily run computed the report served from
	// its snapshot; absent when computed for the request.
	ComputedAt time.Time `json:"computed_at,omitzero"`
}

// Comebacks reports the dealer's comebacks dated in [q.From, q.To], by
// date, with the policy's ComebackPolicy (see the package docs), the page
// of them that q asks for; served from the daily run's snapshot as KPIs
// are. Errors: a *crm.ValidationError for from after to or a malformed
// cursor, store errors.
func (s *Service) Comebacks(ctx context.Context, dealer crm.DealerID, q PeriodQuery) (ComebackReport, error) {
	if _, err := q.AfterID(); err != nil {
		return ComebackReport{}, err
	}
	snap, ok, err := s.snapshot(ctx, dealer, ReportComebacks, q.Source)
	if err != nil {
		return ComebackReport{}, err
	}
	if q.To, err = s.periodEnd(ctx, dealer, "comeback query", q, &snap, ok); err != nil {
		return ComebackReport{}, err
	}
	var out ComebackReport
	if i := slices.IndexFunc(snap.Comebacks, func(c ComebackReport) bool { return c.From == q.From && c.To == q.To }); ok && i >= 0 {
		out = snap.Comebacks[i]
		out.ComputedAt = snap.ComputedAt
	} else if q.Source == SourceSnapshot {
		return ComebackReport{}, fmt.Errorf("lifecycle: comebacks of %s over %s…%s: %w", dealer, q.From, q.To, ErrNoReports)
	} else {
		subs, err := s.Load(ctx, dealer)
		if err != nil {
			return ComebackReport{}, err
		}
		out = s.comebacks(subs, q.From, q.To)
	}
	// The key orders like the sort: a date string (fixed width) first.
	p, err := pageOf(out.Items, q.PageRequest, func(c *Comeback) string { return c.Date.String() + "|" + string(c.OrderID) })
	if err != nil {
		return ComebackReport{}, err
	}
	out.Items, out.Next = p.Items, p.Next
	return out, nil
}

// comebacks reports every comeback of subs dated in [from, to], by date
// then order ID, with the rate.
func (s *Service) comebacks(subs []Subject, from, to dealercrm.Date) ComebackReport {
	out := ComebackReport{From: from, To: to, Items: []Comeback{}}
	jobs := 0
	for i := range subs {
		out.Items = append(out.Items, s.policy.Comebacks.Comebacks(&subs[i], from, to)...)
		jobs += s.policy.Comebacks.Jobs(&subs[i], from, to)
	}
	out.Rate = rate(len(out.Items), jobs)
	slices.SortStableFunc(out.Items, func(a, b Comeback) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(string(a.OrderID), string(b.OrderID))
	})
	return out
}

// checkPeriod rejects a period without both ends or with from after to.
func checkPeriod(entity string, from, to dealercrm.Date) error {
	if from.IsZero() || to.IsZero() || from.After(to) {
		return &crm.ValidationError{Entity: entity, Fields: []crm.FieldError{{Field: "from", Rule: RuleRange, Message: fmt.Sprintf("want from <= to, got %s and %s", from, to)}}}
	}
	return nil
}

// VehicleStatus is where a vehicle and its owner stand on a day: the
// stage (SPEC §2.1) and the assessment of SPEC §2.3 (activity, service
// class, abnormal classes). Campaign segments and host dashboards read it.
type VehicleStatus struct {
	Stage StageResult `json:"stage"`
	Assessment
}

// Statuses calls fn with the status of each of the dealer's vehicles as
// of asOf, in vehicle ID order, using only what was known that day; an
// error from fn stops it. Sister stores are not read (see Abnormal).
func (s *Service) Statuses(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(*VehicleStatus) error) error {
	if !asOf.Valid() {
		return &crm.ValidationError{Entity: "status query", Fields: []crm.FieldError{{Field: "date", Rule: crm.RuleRequired, Message: "a valid date is required"}}}
	}
	subs, err := s.Load(ctx, dealer)
	if err != nil {
		return err
	}
	for i := range subs {
		st := VehicleStatus{Assessment: s.policy.Abnormal.Assess(&subs[i], asOf)}
		st.Stage, _ = s.planner.Stage(&subs[i], asOf)
		if err := fn(&st); err != nil {
			return err
		}
	}
	return nil
}
