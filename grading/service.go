package grading

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"github.com/shopspring/decimal"
)

// FactsAggregator is an optional capability of a crm.Store: it computes
// every customer's Facts itself (in SQL, say) instead of the Service
// reading the records page by page. The Service detects it with a type
// assertion and falls back to ScanFacts.
type FactsAggregator interface {
	// AggregateFacts calls fn with the Facts of every customer of dealer
	// for a run as of asOf with the trailing window (see Values), in
	// ascending customer ID order, without survey scores. An error from fn
	// stops it and is returned.
	AggregateFacts(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, window crm.DateRange, fn func(*Facts) error) error
}

// SurveySource gives customers' latest satisfaction survey scores (0–100),
// for the survey metric. It is optional; the satisfaction package's
// results can be adapted to it without grading importing that package.
type SurveySource interface {
	// SurveyScores returns the latest score per customer of dealer; a
	// customer without a survey is absent.
	SurveyScores(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]float64, error)
}

// Service grades customers: it runs gradings over the crm data, keeps states
// and history in its Store and answers reports. It is safe for concurrent
// use. Concurrent runs of one dealer and date are safe: one takes effect
// and the others return it. Runs of one dealer for different dates should
// not overlap (each grades against the states the other is replacing).
type Service struct {
	crm        crm.Store
	store      Store
	model      Model
	strategies []Strategy
	surveys    SurveySource
	limits     crm.Limits
	now        func() time.Time
	newID      func() string
	log        *slog.Logger
}

// Option configures a Service.
type Option func(*Service)

// WithModel sets the model (DefaultModel by default); NewService validates it.
func WithModel(m Model) Option { return func(s *Service) { s.model = m } }

// WithStrategies sets the service strategy of each grade (DefaultStrategies by default).
func WithStrategies(st []Strategy) Option {
	return func(s *Service) { s.strategies = slices.Clone(st) }
}

// WithSurveys sets the source of survey scores (none by default: every
// customer gets Params.SurveyDefault).
func WithSurveys(src SurveySource) Option { return func(s *Service) { s.surveys = src } }

// WithLimits sets the bounds of plausible input (crm.DefaultLimits by
// default): a run or report may not be as of a date after the dealer's
// today plus l.FutureDays (SPEC §0).
func WithLimits(l crm.Limits) Option { return func(s *Service) { s.limits = l.OrDefault() } }

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDGenerator sets how run IDs are made (dealercrm.NewID by default).
func WithIDGenerator(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// NewService returns a Service over the crm records of records, keeping its
// results in store. It returns a *crm.ValidationError when the model is invalid.
func NewService(records crm.Store, store Store, opts ...Option) (*Service, error) {
	s := &Service{crm: records, store: store, model: DefaultModel(), strategies: DefaultStrategies(), limits: crm.DefaultLimits(),
		now: time.Now, newID: dealercrm.NewID}
	for _, o := range opts {
		o(s)
	}
	if err := s.model.Validate(); err != nil {
		return nil, fmt.Errorf("grading: %w", err)
	}
	s.model.Params = s.model.Params.withDefaults()
	if records == nil || store == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "grading: NewService needs a crm store and a grading store")
	}
	return s, nil
}

// Model returns the service's model.
func (s *Service) Model() Model { return s.model }

// RunRequest asks for a grading run.
type RunRequest struct {
	// DealerID is the dealer asking.
	DealerID crm.DealerID `json:"-"`
	// Group grades the dealer's customers against the population of every
	// dealer of its group 集团 (normalisation and share thresholds over
	// the group). The run reads the group but writes only the asking
	// dealer's states, changes and run record, unless WriteGroup is set.
	Group bool `json:"group,omitempty"`
	// WriteGroup makes a Group run write the records of every dealer of
	// the group, each as its own run record with the same ID. It is the
	// seam for a group permission: only a host that has checked the caller
	// may grade the group's other stores (say, a group head office job).
	// It is never read from JSON, so no HTTP request can set it.
	WriteGroup bool `json:"-"`
	// AsOf is the run's date; zero means today in the dealer's zone. It
	// may not lie after the dealer's today (plus the limits' FutureDays).
	AsOf dealercrm.Date `json:"as_of,omitzero"`
	// RunID is an optional idempotency key: when the dealer has a run with
	// this ID, Run returns it and grades nothing (ErrConflict when AsOf is
	// set and the run is as of another date).
	RunID RunID `json:"run_id,omitempty"`
}

// run is Run: the run record, and how many customers it graded (0 when
// the run of the date stood already).
func (s *Service) run(ctx context.Context, req RunRequest, progress *telemetry.Progress) (Run, int, error) {
	dealer, err := s.crm.Dealers().Get(ctx, req.DealerID)
	if err != nil {
		return Run{}, 0, fmt.Errorf("grading: run for dealer %s: %w", req.DealerID, err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	asOf, err := s.checkAsOf(&dealer, req.AsOf, now, "grading run")
	if err != nil {
		return Run{}, 0, err
	}
	if req.RunID != "" {
		r, err := s.store.GetRun(ctx, dealer.ID, req.RunID)
		switch {
		case err == nil && !req.AsOf.IsZero() && r.AsOf != asOf:
			return Run{}, 0, idTaken(r, asOf)
		case err == nil:
			return r, 0, nil
		case !errors.Is(err, ErrNotFound):
			return Run{}, 0, fmt.Errorf("grading: run %s: %w", req.RunID, err)
		}
	}

	// The population is the dealer, or its group; the records written are
	// the dealer's only, unless the host grants the group (WriteGroup).
	population := []crm.DealerID{dealer.ID}
	if req.Group && dealer.GroupID != "" {
		if population, err = s.groupDealers(ctx, dealer.GroupID); err != nil {
			return Run{}, 0, err
		}
	}
	candidates := []crm.DealerID{dealer.ID}
	if req.WriteGroup {
		for _, d := range population {
			if d != dealer.ID {
				candidates = append(candidates, d)
			}
		}
	}
	// A dealer that has its run of the date keeps it.
	var mine *Run
	var writes []crm.DealerID
	for _, d := range candidates {
		r, err := s.store.GetRunAsOf(ctx, d, asOf)
		switch {
		case err == nil && d == dealer.ID:
			mine = &r
		case err == nil:
		case errors.Is(err, ErrNotFound):
			writes = append(writes, d)
		default:
			return Run{}, 0, fmt.Errorf("grading: run of %s as of %s: %w", d, asOf, err)
		}
	}
	if len(writes) == 0 {
		return *mine, 0, nil
	}
	batch, err := NewBatch(s.model, 0)
	if err != nil {
		return Run{}, 0, err
	}
	how := ""
	for _, d := range population {
		how, err = s.EachFacts(ctx, d, asOf, func(f *Facts) error {
			v := s.model.Params.Compute(f, asOf)
			batch.Add(d, f.CustomerID, &v)
			progress.Add(1)
			return nil
		})
		if err != nil {
			return Run{}, 0, err
		}
	}
	scored := batch.Score()

	// Prior states of the dealers written only: the others' decisions are
	// never stored.
	priors := map[crm.DealerID]map[crm.CustomerID]*State{}
	for _, d := range writes {
		m := map[crm.CustomerID]*State{}
		if err := s.store.EachState(ctx, d, func(st State) error { m[st.CustomerID] = &st; return nil }); err != nil {
			return Run{}, 0, fmt.Errorf("grading: read states of %s: %w", d, err)
		}
		priors[d] = m
	}
	id := req.RunID
	if id == "" {
		id = RunID(s.newID())
	}
	crm.NoteAudit(ctx, string(id))
	out := scored.DecideAll(asOf, func(d crm.DealerID, c crm.CustomerID) *State { return priors[d][c] })
	// The asking dealer first: when its run ID is taken, nothing else is written.
	for _, d := range writes {
		run := Run{ID: id, DealerID: d, Dealers: population, AsOf: asOf, Model: s.model.Name, ModelVersion: s.model.Version,
			Customers: out.Customers[d], Written: out.Written[d], Changed: out.Changed[d], StartedAt: now, Aggregation: how}
		for _, g := range s.model.Grades() {
			run.Counts = append(run.Counts, GradeCount{Grade: g, Count: out.Counts[d][g]})
		}
		// Each dealer's records in a transaction of their own: every
		// write stays routable to one dealer.
		stored, err := s.store.SaveRun(ctx, run, out.States(d, id, now), out.Changes(d, id, now))
		if err != nil {
			return Run{}, 0, fmt.Errorf("grading: save run %s of %s: %w", id, d, err)
		}
		if d == dealer.ID {
			if stored.AsOf != asOf {
				return Run{}, 0, idTaken(stored, asOf)
			}
			mine = &stored
		}
	}
	return *mine, batch.Len(), nil
}

// idTaken is the error of a run ID that names a run of another date.
func idTaken(r Run, asOf dealercrm.Date) error {
	return dealercrm.Errorf(dealercrm.Conflict, "grading: run ID %s is taken by the run as of %s, not %s", r.ID, r.AsOf, asOf)
}

// checkAsOf returns asOf, or the dealer's today at now when it is zero. A
// date after the dealer's today (plus the limits' FutureDays) is a
// *crm.ValidationError of entity naming as_of (SPEC §0 plausible input).
func (s *Service) checkAsOf(d *crm.Dealer, asOf dealercrm.Date, now time.Time, entity string) (dealercrm.Date, error) {
	today := d.Today(now)
	if asOf.IsZero() {
		return today, nil
	}
	if fe, bad := s.limits.CheckPast("as_of", asOf, today); bad {
		return asOf, &crm.ValidationError{Entity: entity, Fields: []crm.FieldError{fe}}
	}
	return asOf, nil
}

// groupDealers lists the dealers of a group.
func (s *Service) groupDealers(ctx context.Context, g crm.GroupID) ([]crm.DealerID, error) {
	var out []crm.DealerID
	err := crm.Each(ctx, func(after string) (crm.Page[crm.Dealer], error) {
		return s.crm.Dealers().List(ctx, crm.DealerFilter{GroupID: g, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(d *crm.Dealer) error {
		out = append(out, d.ID)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grading: dealers of group %s: %w", g, err)
	}
	return out, nil
}

// EachFacts calls fn with the Facts of every customer of dealer as of asOf,
// in customer ID order: through the crm store's FactsAggregator when it has
// one ("pushdown"), else with ScanFacts ("scan"), which it reports. Survey
// scores come from the service's SurveySource.
func (s *Service) EachFacts(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(*Facts) error) (string, error) {
	var surveys map[crm.CustomerID]float64
	if s.surveys != nil {
		var err error
		if surveys, err = s.surveys.SurveyScores(ctx, dealer); err != nil {
			return "", fmt.Errorf("grading: survey scores of %s: %w", dealer, err)
		}
	}
	emit := func(f *Facts) error {
		if sc, ok := surveys[f.CustomerID]; ok {
			f.Survey, f.HasSurvey = sc, true
		}
		return fn(f)
	}
	window := s.model.Params.Window(asOf)
	if agg, ok := s.crm.(FactsAggregator); ok {
		if err := agg.AggregateFacts(ctx, dealer, asOf, window, emit); err != nil {
			return "", fmt.Errorf("grading: aggregate facts of %s: %w", dealer, err)
		}
		return "pushdown", nil
	}
	if err := ScanFacts(ctx, s.crm, dealer, asOf, window, emit); err != nil {
		return "", fmt.Errorf("grading: scan facts of %s: %w", dealer, err)
	}
	return "scan", nil
}

// CustomerGrade is a customer's grade with its explanation, history and
// service strategy.
type CustomerGrade struct {
	State    State     `json:"state"`
	History  []Change  `json:"history"`
	Strategy *Strategy `json:"strategy,omitempty"`
}

// Customer returns a customer's grade, history and strategy, or ErrNotFound
// when the customer was never graded.
func (s *Service) Customer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (CustomerGrade, error) {
	st, err := s.store.GetState(ctx, dealer, id)
	if err != nil {
		return CustomerGrade{}, fmt.Errorf("grading: customer %s: %w", id, err)
	}
	h, err := s.store.History(ctx, dealer, id)
	if err != nil {
		return CustomerGrade{}, fmt.Errorf("grading: history of %s: %w", id, err)
	}
	out := CustomerGrade{State: st, History: h}
	if i := slices.IndexFunc(s.strategies, func(x Strategy) bool { return x.Grade == st.Grade }); i >= 0 {
		x := s.strategies[i]
		out.Strategy = &x
	}
	return out, nil
}

// ListStates lists the dealer's graded customers, optionally of one grade.
func (s *Service) ListStates(ctx context.Context, dealer crm.DealerID, f StateFilter) (crm.Page[State], error) {
	p, err := s.store.ListStates(ctx, dealer, f)
	if err != nil {
		return p, fmt.Errorf("grading: list states: %w", err)
	}
	return p, nil
}

// StrategyFor implements StrategySource.
func (s *Service) StrategyFor(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (Strategy, error) {
	st, err := s.store.GetState(ctx, dealer, customer)
	if err != nil {
		return Strategy{}, fmt.Errorf("grading: strategy of %s: %w", customer, err)
	}
	for _, x := range s.strategies {
		if x.Grade == st.Grade {
			return x, nil
		}
	}
	return Strategy{}, dealercrm.Errorf(dealercrm.NotFound, "grading: no strategy for grade %s", st.Grade)
}

var _ StrategySource = (*Service)(nil)

// Grades returns the current grade of each graded customer of a dealer
// (the lifecycle plan's GradeSource: rule conditions on grades).
func (s *Service) Grades(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]string, error) {
	out := map[crm.CustomerID]string{}
	err := s.eachState(ctx, dealer, func(st *State) { out[st.CustomerID] = string(st.Grade) })
	return out, err
}

// GradesOf returns the grade of each of the customers that is graded, in
// one store query per 1,000, or one GradeReader call when the store has
// it (lifecycle.GradeLookup: the call list's page).
func (s *Service) GradesOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]string, error) {
	out := make(map[crm.CustomerID]string, len(customers))
	if len(customers) == 0 {
		return out, nil
	}
	if r, ok := s.store.(GradeReader); ok {
		gs, err := r.GradesOf(ctx, dealer, customers)
		if err != nil {
			return nil, fmt.Errorf("grading: grades of %s: %w", dealer, err)
		}
		for c, g := range gs {
			out[c] = string(g)
		}
		return out, nil
	}
	err := crm.Each(ctx, func(after string) (crm.Page[State], error) {
		return s.store.ListStates(ctx, dealer, StateFilter{CustomerIDs: customers, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(st *State) error { out[st.CustomerID] = string(st.Grade); return nil })
	if err != nil {
		return nil, fmt.Errorf("grading: grades of %s: %w", dealer, err)
	}
	return out, nil
}

// ConfigStamp implements lifecycle.ConfigStamper: a digest of the
// strategies (WithStrategies), whose contact cadences Cadences answers
// with, so that a daily run after they changed is not taken for a re-run
// of the same inputs.
func (s *Service) ConfigStamp() string {
	b, _ := json.Marshal(s.strategies) // plain data: it does not fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Cadences returns the contact cadence in months of each graded customer
// whose grade's strategy has one (the lifecycle plan's CadenceSource:
// the grade_care rule).
func (s *Service) Cadences(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]int, error) {
	months := map[Grade]int{}
	for _, x := range s.strategies {
		if x.ContactMonths > 0 {
			months[x.Grade] = x.ContactMonths
		}
	}
	out := map[crm.CustomerID]int{}
	err := s.eachState(ctx, dealer, func(st *State) {
		if m := months[st.Grade]; m > 0 {
			out[st.CustomerID] = m
		}
	})
	return out, err
}

// eachState calls fn with every state of the dealer's customers.
func (s *Service) eachState(ctx context.Context, dealer crm.DealerID, fn func(*State)) error {
	err := crm.Each(ctx, func(after string) (crm.Page[State], error) {
		return s.store.ListStates(ctx, dealer, StateFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(st *State) error { fn(st); return nil })
	if err != nil {
		return fmt.Errorf("grading: states of %s: %w", dealer, err)
	}
	return nil
}

// asOfFor returns the date of a report (see checkAsOf).
func (s *Service) asOfFor(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, entity string) (dealercrm.Date, error) {
	d, err := s.crm.Dealers().Get(ctx, dealer)
	if err != nil {
		return asOf, fmt.Errorf("grading: dealer %s: %w", dealer, err)
	}
	return s.checkAsOf(&d, asOf, s.now(), entity)
}

// RFM returns the RFM report of the dealer's customers as of asOf (zero:
// today): recency is days since the last service order, frequency the
// orders and monetary the service revenue (every payer) in the model's
// window. withScores adds each customer's scores. A date after the dealer's
// today is a *crm.ValidationError naming as_of.
func (s *Service) RFM(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, withScores bool) (RFMReport, error) {
	asOf, err := s.asOfFor(ctx, dealer, asOf, "RFM report")
	if err != nil {
		return RFMReport{}, err
	}
	var in []RFMInput
	rep := RFMReport{}
	if _, err := s.EachFacts(ctx, dealer, asOf, func(f *Facts) error {
		if f.LastVisit.IsZero() {
			rep.NoHistory++
			return nil
		}
		in = append(in, RFMInput{CustomerID: f.CustomerID, Recency: asOf.DaysSince(f.LastVisit), Frequency: f.Visits,
			Monetary: toFloat(f.ServiceRevenue())})
		return nil
	}); err != nil {
		return RFMReport{}, err
	}
	scores := ComputeRFM(in)
	rep.Customers = len(scores)
	rep.Segments = countSegments(scores)
	if withScores {
		rep.Scores = scores
	}
	return rep, nil
}

// Basis is the revenue a Pareto report ranks customers by.
type Basis string

// The Pareto bases.
const (
	// BasisTotal is sales revenue (price and value-chain items, all time)
	// plus service revenue in the window.
	BasisTotal Basis = "total"
	// BasisService is service revenue in the window.
	BasisService Basis = "service"
	// BasisSales is sales revenue, all time.
	BasisSales Basis = "sales"
)

// Valid reports whether b is a known Basis.
func (b Basis) Valid() bool { return b == BasisTotal || b == BasisService || b == BasisSales }

// ParetoRequest asks for a Pareto report; zero fields take the defaults.
type ParetoRequest struct {
	AsOf dealercrm.Date `json:"as_of,omitzero"`
	// Basis defaults to BasisTotal.
	Basis Basis `json:"basis,omitempty"`
	// TopShare defaults to 0.2, Target to 0.8, Limit (core customers
	// listed) to 100.
	TopShare float64 `json:"top_share,omitempty"`
	Target   float64 `json:"target,omitempty"`
	Limit    int     `json:"limit,omitempty"`
}

// Pareto returns the Pareto report of the dealer's customers (see
// ComputePareto). An as-of date after the dealer's today is a
// *crm.ValidationError naming as_of.
func (s *Service) Pareto(ctx context.Context, dealer crm.DealerID, req ParetoRequest) (ParetoReport, error) {
	if req.Basis == "" {
		req.Basis = BasisTotal
	}
	if req.TopShare == 0 {
		req.TopShare = 0.2
	}
	if req.Target == 0 {
		req.Target = 0.8
	}
	if req.Limit == 0 {
		req.Limit = 100
	}
	var c crm.Checker
	if !req.Basis.Valid() {
		c.Add("basis", "enum", "%q is not total, service or sales", req.Basis)
	}
	if req.TopShare < 0 || req.TopShare > 1 {
		c.Add("top_share", "range", "%v is outside (0, 1]", req.TopShare)
	}
	if req.Target < 0 || req.Target > 1 {
		c.Add("target", "range", "%v is outside (0, 1]", req.Target)
	}
	if err := c.Err("grading model"); err != nil {
		return ParetoReport{}, err
	}
	asOf, err := s.asOfFor(ctx, dealer, req.AsOf, "Pareto report")
	if err != nil {
		return ParetoReport{}, err
	}
	var revs []Revenue
	if _, err := s.EachFacts(ctx, dealer, asOf, func(f *Facts) error {
		var amt decimal.Decimal
		if req.Basis != BasisService {
			amt = amt.Add(f.SalesRevenue)
		}
		if req.Basis != BasisSales {
			amt = amt.Add(f.ServiceRevenue())
		}
		revs = append(revs, Revenue{CustomerID: f.CustomerID, Amount: amt})
		return nil
	}); err != nil {
		return ParetoReport{}, err
	}
	return ComputePareto(revs, req.TopShare, req.Target, req.Limit), nil
}

// GetRun returns the dealer's record of a run, or ErrNotFound.
func (s *Service) GetRun(ctx context.Context, dealer crm.DealerID, id RunID) (Run, error) {
	r, err := s.store.GetRun(ctx, dealer, id)
	if err != nil {
		return r, fmt.Errorf("grading: run %s: %w", id, err)
	}
	return r, nil
}
