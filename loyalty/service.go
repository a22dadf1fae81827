package loyalty

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Service runs the club: memberships, points and benefits, over a Store
// and (optionally) the crm records. It is safe for concurrent use.
type Service struct {
	records crm.Store
	store   Store
	program Program
	limits  crm.Limits
	now     func() time.Time
	loc     *time.Location
	// ruleNames are the names of the earning rules, made once.
	ruleNames []string
}

// Option configures a Service.
type Option func(*Service)

// WithProgram sets the program (DefaultProgram by default); NewService
// validates it.
func WithProgram(p Program) Option { return func(s *Service) { s.program = p } }

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLimits sets the bounds of plausible input (crm.DefaultLimits by
// default; unset fields take their defaults): a posting may not be dated
// after the dealer's today (plus l.FutureDays), points of one posting may
// not exceed l.MaxPoints, and a fee or an amount may not exceed
// l.MaxAmount. A value outside them is a *crm.ValidationError naming the
// field (rules crm.RuleFuture, crm.RuleMax).
func WithLimits(l crm.Limits) Option { return func(s *Service) { s.limits = l } }

// NewService returns a Service keeping its data in store. records gives
// the dealers (their time zone decides "today"), the customers a store may
// act on, the service orders and insurance policies that renewal and
// upgrade rules look at and the orders EarnOrder reads; it may be nil, and
// then every date is in dealercrm.DefaultTimeZone, any customer ID is
// taken as it is and the rules see no records. It returns a
// *crm.ValidationError when the program is invalid or posts more points
// at once (a bonus, a renewal or upgrade deduction) than the limits allow.
func NewService(records crm.Store, store Store, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "loyalty: NewService needs a store")
	}
	s := &Service{records: records, store: store, program: DefaultProgram(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := s.program.Validate(); err != nil {
		return nil, fmt.Errorf("loyalty: %w", err)
	}
	s.limits = s.limits.OrDefault()
	if err := s.checkProgramPoints(); err != nil {
		return nil, fmt.Errorf("loyalty: %w", err)
	}
	loc, err := time.LoadLocation(dealercrm.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	s.loc = loc
	for i, r := range s.program.Earning {
		s.ruleNames = append(s.ruleNames, earnRuleName(i, r))
	}
	return s, nil
}

// Program returns the service's program.
func (s *Service) Program() Program { return s.program }

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// checkProgramPoints refuses a program whose fixed postings exceed the
// points one posting may carry.
func (s *Service) checkProgramPoints() error {
	var c crm.Checker
	for i, b := range s.program.Bonuses {
		if fe, bad := s.limits.CheckPoints(fmt.Sprintf("bonuses[%d].points", i), b.Points); bad {
			c.Fields = append(c.Fields, fe)
		}
	}
	if fe, bad := s.limits.CheckPoints("renewal.points", s.program.Renewal.Points); bad {
		c.Fields = append(c.Fields, fe)
	}
	if fe, bad := s.limits.CheckPoints("upgrade.points", s.program.Upgrade.Points); bad {
		c.Fields = append(c.Fields, fe)
	}
	return c.Err("loyalty program")
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Today returns the dealer's today: the date in the dealer's time zone
// when the crm records know the dealer, else in the default zone
// (Asia/Shanghai).
func (s *Service) Today(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, error) {
	if s.records != nil && dealer != "" {
		d, err := s.records.Dealers().Get(ctx, dealer)
		if err == nil {
			return d.Today(s.now()), nil
		}
		if !errors.Is(err, dealercrm.ErrNotFound) {
			return dealercrm.Date{}, fmt.Errorf("loyalty: dealer %s: %w", dealer, err)
		}
	}
	return dealercrm.DateIn(s.now(), s.loc), nil
}

// readDate returns d, or the store's today when d is zero, for a read
// (a statement, notices): any valid date may be asked about.
func (s *Service) readDate(ctx context.Context, store crm.DealerID, field string, d dealercrm.Date) (dealercrm.Date, error) {
	if d.IsZero() {
		return s.Today(ctx, store)
	}
	if !d.Valid() {
		return d, invalid(field, crm.RuleFormat, "is not a valid date")
	}
	return d, nil
}

// postingDate returns the date of a posting or a membership change at
// store: d, or the store's today when d is zero. A date after the store's
// today (plus the limits' FutureDays) is refused: the ledger is kept in
// date order, so one far-future posting would block every later one.
func (s *Service) postingDate(ctx context.Context, store crm.DealerID, field string, d dealercrm.Date) (dealercrm.Date, error) {
	today, err := s.Today(ctx, store)
	if err != nil {
		return d, err
	}
	if d.IsZero() {
		return today, nil
	}
	if !d.Valid() {
		return d, invalid(field, crm.RuleFormat, "is not a valid date")
	}
	if fe, bad := s.limits.CheckPast(field, d, today); bad {
		return d, &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{fe}}
	}
	return d, nil
}

// checkLimit turns a FieldError of the limits into a validation error.
func checkLimit(fe crm.FieldError, bad bool) error {
	if !bad {
		return nil
	}
	return &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{fe}}
}

// defaultKey is the idempotency key of a posting from source to
// customer's account when the caller sends none: keys are the dealer's,
// sources the account's.
func defaultKey(customer crm.CustomerID, source string) string {
	return strconv.Itoa(len(customer)) + ":" + string(customer) + " " + source
}

// requireKey refuses a command that may spend points or benefits without
// an idempotency key: a retry of it would spend them twice.
func requireKey(key string) error {
	if key == "" {
		return invalid("idempotency_key", crm.RuleRequired, "is required: the command spends points or benefits, and a retry without the key would spend them twice")
	}
	return nil
}

func invalid(field, rule, msg string) error {
	return &crm.ValidationError{Entity: "loyalty request", Fields: []crm.FieldError{{Field: field, Rule: rule, Message: msg}}}
}

// JoinRequest asks for a customer to join (or rejoin) the club.
type JoinRequest struct {
	// DealerID is the store asking (the account is kept by its group's home).
	DealerID   crm.DealerID   `json:"-"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Method     JoinMethod     `json:"method"`
	// FeePaid is the membership fee paid (joining by fee).
	FeePaid decimal.Decimal `json:"fee_paid"`
	// SpendRank is the customer's rank by past spend as a share of the
	// dealer's customers (0.05 = within the top 5%); nil when unknown.
	SpendRank *decimal.Decimal `json:"spend_rank,omitempty"`
	// Date defaults to today.
	Date           dealercrm.Date `json:"date,omitzero"`
	Reason         string         `json:"reason,omitempty"`
	IdempotencyKey string         `json:"-"`
}

// Join makes the customer a member at the initial tier (by fee paid or
// past spend), for one validity period from the date. Joining while active
// is an invalid transition.
func (s *Service) Join(ctx context.Context, r JoinRequest) (Receipt, error) {
	if r.CustomerID == "" {
		return Receipt{}, invalid("customer_id", crm.RuleRequired, "is required")
	}
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return Receipt{}, err
	}
	if !r.Method.Valid() || !slices.Contains(s.program.JoinMethods, r.Method) {
		return Receipt{}, invalid("method", crm.RuleEnum, fmt.Sprintf("join method %q is not enabled", r.Method))
	}
	if err := s.checkFee(r.FeePaid); err != nil {
		return Receipt{}, err
	}
	if err := s.customerExists(ctx, r.DealerID, r.CustomerID); err != nil {
		return Receipt{}, err
	}
	tier, rule := s.program.InitialTier(r.Method, r.FeePaid, r.SpendRank)
	r.Date = date
	hash := requestHash("join", r)
	dealer := s.program.AccountDealer(r.DealerID)
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: hash,
		Apply: func(st *State) (Receipt, error) {
			ev := MembershipEvent{Event: EventJoin, Method: string(r.Method), Rule: rule, Reason: r.Reason, Date: date, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := Membership{DealerID: dealer, CustomerID: r.CustomerID, Tier: tier, Status: StatusActive, JoinMethod: r.Method,
				JoinedOn: date, ValidFrom: date, ValidUntil: s.periodEnd(date), TierSince: date, UpdatedAt: at}
			if st.Membership != nil {
				m.Version = st.Membership.Version
			}
			return s.record(st, m, ev, nil, r.IdempotencyKey), nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: join %s: %w", r.CustomerID, err)
	}
	return rec, nil
}

// checkFee refuses a negative fee or one above the limits' MaxAmount.
func (s *Service) checkFee(fee decimal.Decimal) error {
	if fee.IsNegative() {
		return invalid("fee_paid", crm.RuleNonNegative, "must not be negative")
	}
	return checkLimit(s.limits.CheckAmount("fee_paid", fee))
}

func (s *Service) periodEnd(from dealercrm.Date) dealercrm.Date {
	return from.AddMonths(s.program.ValidityMonths).AddDays(-1)
}

// record stores membership m with event ev in st and returns the receipt.
func (s *Service) record(st *State, m Membership, ev MembershipEvent, entry *Entry, key string) Receipt {
	m.Version++
	ev.DealerID, ev.CustomerID, ev.ToTier, ev.ValidUntil = m.DealerID, m.CustomerID, m.Tier, m.ValidUntil
	ev.Seq = st.MembershipSeq + int64(len(st.Events)) + 1
	ev.IdempotencyKey = key
	rec := Receipt{}
	if entry != nil {
		ev.Entry = entry.ID
		rec.Entries = []Entry{*entry}
	}
	st.Membership = &m
	st.Events = append(st.Events, ev)
	mc := m.Clone()
	rec.Membership, rec.Event = &mc, &ev
	return rec
}

// customerExists checks that store has the customer in its crm records (a
// store acts only on its own customers, also in a group programme whose
// accounts another store keeps): ErrNotFound otherwise. Without records
// any ID is taken as it is.
func (s *Service) customerExists(ctx context.Context, store crm.DealerID, id crm.CustomerID) error {
	if id == "" {
		return invalid("customer_id", crm.RuleRequired, "is required")
	}
	if s.records == nil {
		return nil
	}
	if _, err := s.records.Customers().Get(ctx, store, id); err != nil {
		return fmt.Errorf("loyalty: customer %s: %w", id, err)
	}
	return nil
}

// facts reads the customer's service orders and policies from the crm
// records (none without records).
func (s *Service) facts(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (*Facts, error) {
	f := &Facts{}
	if s.records == nil {
		return f, nil
	}
	var err error
	f.Orders, err = crm.All(ctx, func(after string) (crm.Page[crm.ServiceOrder], error) {
		return s.records.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{CustomerID: customer, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty: service orders of %s: %w", customer, err)
	}
	f.Policies, err = crm.All(ctx, func(after string) (crm.Page[crm.InsurancePolicy], error) {
		return s.records.Policies().List(ctx, dealer, crm.PolicyFilter{CustomerID: customer, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty: policies of %s: %w", customer, err)
	}
	return f, nil
}

// ChangeRequest asks for a renewal, an upgrade, a downgrade or a cancellation.
type ChangeRequest struct {
	DealerID   crm.DealerID   `json:"-"`
	CustomerID crm.CustomerID `json:"-"`
	// Method is the renewal or upgrade method to use; empty tries the
	// enabled ones, those that cost no points first.
	Method string `json:"method,omitempty"`
	// FeePaid is the renewal fee paid.
	FeePaid decimal.Decimal `json:"fee_paid"`
	Date    dealercrm.Date  `json:"date,omitzero"`
	Reason  string          `json:"reason,omitempty"`
	// IdempotencyKey is required by Renew and Upgrade, which may deduct
	// points: a retry without it would renew or upgrade (and deduct) twice.
	IdempotencyKey string `json:"-"`
}

// prepare checks what every change checks and returns the date: the key
// when the change may deduct points, the customer at the store, the date
// and the fee.
func (s *Service) prepare(ctx context.Context, r *ChangeRequest, keyed bool) (dealercrm.Date, error) {
	if keyed {
		if err := requireKey(r.IdempotencyKey); err != nil {
			return dealercrm.Date{}, err
		}
	}
	if err := s.customerExists(ctx, r.DealerID, r.CustomerID); err != nil {
		return dealercrm.Date{}, err
	}
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return date, err
	}
	return date, s.checkFee(r.FeePaid)
}

// hash returns the idempotency hash of change op with its date filled in.
func (r ChangeRequest) hash(op string, date dealercrm.Date) string {
	r.Date = date
	return requestHash(op, r)
}

// pick chooses the check to act on: the named method's, or the first met
// that costs no points, else the first met.
func pick(checks []Check, method string) (Check, error) {
	if method != "" {
		for _, c := range checks {
			if c.Method == method {
				if !c.Met {
					return c, fmt.Errorf("%w: %s", ErrNotEligible, c.Rule)
				}
				return c, nil
			}
		}
		return Check{}, invalid("method", crm.RuleEnum, fmt.Sprintf("method %q is not enabled", method))
	}
	for _, points := range []bool{false, true} {
		for _, c := range checks {
			if c.Met && (c.Method == "points") == points {
				return c, nil
			}
		}
	}
	var rules []string
	for _, c := range checks {
		rules = append(rules, c.Method+": "+c.Rule)
	}
	return Check{}, fmt.Errorf("%w: %v", ErrNotEligible, rules)
}

// Renew extends an active membership by one validity period, by the first
// renewal rule met (or the one named): a fee paid, a deduction of redeemable
// points (posted as a redemption), or insurance renewals in the year to the
// date. The new period starts the day after the current one ends (or on the
// date, when that is later); free-service quotas start again. It needs an
// idempotency key (a retry without one would renew twice).
func (s *Service) Renew(ctx context.Context, r ChangeRequest) (Receipt, error) {
	date, err := s.prepare(ctx, &r, true)
	if err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	f, err := s.facts(ctx, r.DealerID, r.CustomerID)
	if err != nil {
		return Receipt{}, err
	}
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: r.hash("renew", date),
		Apply: func(st *State) (Receipt, error) {
			ev := MembershipEvent{Event: EventRenew, Reason: r.Reason, Date: date, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := st.Membership.Clone()
			c, err := pick(s.program.RenewalChecks(&m, st.Account.Balances(date), r.FeePaid, f, date), r.Method)
			if err != nil {
				return Receipt{}, err
			}
			ev.Method, ev.Rule = c.Method, c.Rule
			var entry *Entry
			if c.Method == string(RenewByPoints) {
				e, err := st.Account.Redeem(Entry{Points: s.program.Renewal.Points, Date: date, Store: r.DealerID,
					Source: Source{Type: "renewal"}, Reason: "membership renewal", IdempotencyKey: r.IdempotencyKey, CreatedAt: at})
				if err != nil {
					return Receipt{}, err
				}
				entry = &e
			}
			m.ValidFrom = m.ValidUntil.AddDays(1)
			if date.After(m.ValidUntil) {
				m.ValidFrom = date
			}
			m.ValidUntil, m.Used, m.UpdatedAt = s.periodEnd(m.ValidFrom), nil, at
			return s.record(st, m, ev, entry, r.IdempotencyKey), nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: renew %s: %w", r.CustomerID, err)
	}
	return rec, nil
}

// Upgrade moves an active member up one tier by the first upgrade rule met
// (or the one named): cumulative points at the next threshold, a deduction
// of redeemable points, one normal repair at or above the minimum since the
// tier began, or insurance renewals at or above the minimum in consecutive
// years. The membership period is unchanged. It needs an idempotency key
// (a retry without one would upgrade twice).
func (s *Service) Upgrade(ctx context.Context, r ChangeRequest) (Receipt, error) {
	date, err := s.prepare(ctx, &r, true)
	if err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	f, err := s.facts(ctx, r.DealerID, r.CustomerID)
	if err != nil {
		return Receipt{}, err
	}
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: r.hash("upgrade", date),
		Apply: func(st *State) (Receipt, error) {
			ev := MembershipEvent{Event: EventUpgrade, Reason: r.Reason, Date: date, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := st.Membership.Clone()
			next, ok := s.program.Next(m.Tier)
			if !ok {
				return Receipt{}, ErrTopTier
			}
			c, err := pick(s.program.UpgradeChecks(&m, st.Account.Balances(date), f, date), r.Method)
			if err != nil {
				return Receipt{}, err
			}
			ev.Method, ev.Rule = c.Method, c.Rule
			var entry *Entry
			if c.Method == string(UpgradeByPoints) {
				e, err := st.Account.Redeem(Entry{Points: s.program.Upgrade.Points, Date: date, Store: r.DealerID,
					Source: Source{Type: "upgrade"}, Reason: "membership upgrade to " + string(next.Tier), IdempotencyKey: r.IdempotencyKey, CreatedAt: at})
				if err != nil {
					return Receipt{}, err
				}
				entry = &e
			}
			m.Tier, m.TierSince, m.UpdatedAt = next.Tier, date, at
			return s.record(st, m, ev, entry, r.IdempotencyKey), nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: upgrade %s: %w", r.CustomerID, err)
	}
	return rec, nil
}

// Downgrade moves an active member down one tier by a manager's decision
// (the lowest tier cannot go down: ErrInvalidTransition).
func (s *Service) Downgrade(ctx context.Context, r ChangeRequest) (Receipt, error) {
	return s.change(ctx, r, EventDowngrade, "manual downgrade")
}

// Cancel ends a membership (active or lapsed); the points stay on the
// account.
func (s *Service) Cancel(ctx context.Context, r ChangeRequest) (Receipt, error) {
	return s.change(ctx, r, EventCancel, "cancelled")
}

func (s *Service) change(ctx context.Context, r ChangeRequest, event Event, rule string) (Receipt, error) {
	date, err := s.prepare(ctx, &r, false)
	if err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: r.hash(string(event), date),
		Apply: func(st *State) (Receipt, error) {
			ev := MembershipEvent{Event: event, Rule: rule, Reason: r.Reason, Date: date, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := st.Membership.Clone()
			if err := s.applyEvent(&m, &ev, date); err != nil {
				return Receipt{}, err
			}
			m.UpdatedAt = at
			return s.record(st, m, ev, nil, r.IdempotencyKey), nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: %s %s: %w", event, r.CustomerID, err)
	}
	return rec, nil
}

// applyEvent applies a downgrade, lapse or cancellation to m.
func (s *Service) applyEvent(m *Membership, ev *MembershipEvent, date dealercrm.Date) error {
	switch ev.Event {
	case EventDowngrade:
		prev, ok := s.program.Prev(m.Tier)
		if !ok {
			return transitionError(m.Status, ev.Event)
		}
		m.Tier, m.TierSince = prev.Tier, date
	case EventLapse, EventCancel:
		m.Status = ev.ToStatus
	}
	return nil
}

// ExpiryRun reports a run of ProcessExpiries.
type ExpiryRun struct {
	AsOf       dealercrm.Date `json:"as_of"`
	Downgraded int            `json:"downgraded"`
	Lapsed     int            `json:"lapsed"`
}

// ProcessExpiries handles every active membership of the dealer whose
// period ended before asOf: with ExpireDowngrade it moves down one tier for
// a new period (the lowest tier lapses), with ExpireLapse it lapses. It is
// idempotent: a membership handled is no longer expired.
func (s *Service) ProcessExpiries(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (ExpiryRun, error) {
	asOf, err := s.postingDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return ExpiryRun{}, err
	}
	dealer = s.program.AccountDealer(dealer)
	run := ExpiryRun{AsOf: asOf}
	var due []Membership
	err = crm.Each(ctx, func(after string) (crm.Page[Membership], error) {
		return s.store.ListMemberships(ctx, dealer, MembershipFilter{Status: StatusActive, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(m *Membership) error {
		if m.ValidUntil.Before(asOf) {
			due = append(due, *m)
		}
		return nil
	})
	if err != nil {
		return run, fmt.Errorf("loyalty: expiries of %s: %w", dealer, err)
	}
	at := s.stamp()
	for _, m := range due {
		key := "membership-expiry:" + string(m.CustomerID) + ":" + m.ValidUntil.String()
		rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: m.CustomerID, Key: key, Hash: key,
			Apply: func(st *State) (Receipt, error) {
				cur := st.Membership
				if cur == nil || cur.Status != StatusActive || !cur.ValidUntil.Before(asOf) {
					return Receipt{}, nil
				}
				nm := cur.Clone()
				ev := MembershipEvent{Event: EventLapse, Date: asOf, At: at, Reason: "not renewed",
					Rule: fmt.Sprintf("period ended %s, on expiry: %s", cur.ValidUntil, s.program.OnExpiry)}
				if _, ok := s.program.Prev(cur.Tier); ok && s.program.OnExpiry == ExpireDowngrade {
					ev.Event = EventDowngrade
				}
				if err := transition(cur, &ev); err != nil {
					return Receipt{}, err
				}
				if err := s.applyEvent(&nm, &ev, asOf); err != nil {
					return Receipt{}, err
				}
				if ev.Event == EventDowngrade {
					nm.ValidFrom = cur.ValidUntil.AddDays(1)
					nm.ValidUntil, nm.Used = s.periodEnd(nm.ValidFrom), nil
				}
				nm.UpdatedAt = at
				return s.record(st, nm, ev, nil, key), nil
			}})
		if err != nil {
			return run, fmt.Errorf("loyalty: expire membership of %s: %w", m.CustomerID, err)
		}
		if rec.Event != nil && !rec.Replayed {
			if rec.Event.Event == EventDowngrade {
				run.Downgraded++
			} else {
				run.Lapsed++
			}
		}
	}
	return run, nil
}

// EarnRequest posts the points of a service order.
type EarnRequest struct {
	// DealerID is the store where the order was serviced.
	DealerID crm.DealerID     `json:"-"`
	Order    crm.ServiceOrder `json:"order"`
	// Date is the posting date (default today); the order's own date
	// decides campaign multipliers.
	Date dealercrm.Date `json:"date,omitzero"`
	// IdempotencyKey makes the request safe to retry; without one the
	// key is made of the customer and the order's source key
	// (Entry.SourceKey). Either way the order earns once: see Earn.
	IdempotencyKey string `json:"-"`
}

// Earn posts the points of a service order to its customer's account: see
// Program.Earn for the amount. The customer must be an active member.
// Points stay pending for the lock period and expire by the program's rule.
// An order that earns 0 (insurer-paid, warranty) is still posted, with 0
// points, so that it is on record.
//
// An order earns at most once per account, whatever idempotency keys
// callers send: posting it again, under a new key or none, on any date,
// returns the first posting's receipt with Replayed set (and takes the new
// key for that receipt). The key makes a request safe to retry; the order
// makes the business event count once.
func (s *Service) Earn(ctx context.Context, r EarnRequest) (Receipt, error) {
	o := &r.Order
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return Receipt{}, err
	}
	if o.ID == "" {
		return Receipt{}, invalid("order.id", crm.RuleRequired, "is required")
	}
	if o.CustomerID == "" {
		return Receipt{}, invalid("order.customer_id", crm.RuleRequired, "the order has no customer")
	}
	if !o.Kind.Valid() || !o.Payer.Valid() {
		return Receipt{}, invalid("order.kind", crm.RuleEnum, "the order needs a valid kind and payer")
	}
	if o.Labour.IsNegative() || o.Parts.IsNegative() {
		return Receipt{}, invalid("order.labour", crm.RuleNonNegative, "labour and parts must not be negative")
	}
	if err := checkLimit(s.limits.CheckAmount("order.labour", o.Labour)); err != nil {
		return Receipt{}, err
	}
	if err := checkLimit(s.limits.CheckAmount("order.parts", o.Parts)); err != nil {
		return Receipt{}, err
	}
	if today, err := s.Today(ctx, r.DealerID); err != nil {
		return Receipt{}, err
	} else if err := checkLimit(s.limits.CheckPast("order.date", o.Date, today)); err != nil {
		return Receipt{}, err
	}
	if err := s.customerExists(ctx, r.DealerID, o.CustomerID); err != nil {
		return Receipt{}, err
	}
	entry := Entry{Kind: EntryEarn, Store: r.DealerID, Date: date, AvailableOn: date.AddDays(s.program.Points.LockDays),
		ExpiresOn: s.program.ExpiresOn(date), Source: Source{Type: "service_order", ID: string(o.ID)}}
	source := entry.SourceKey()
	key := r.IdempotencyKey
	if key == "" {
		key = defaultKey(o.CustomerID, source)
	}
	entry.IdempotencyKey = key
	in := r
	in.Date = date
	if r.IdempotencyKey == "" {
		// A caller's key covers the posting date too; the default key is
		// the order's, and the same order posted another day is a replay.
		in.Date = dealercrm.Date{}
	}
	hash := requestHash("earn", in)
	entry.CreatedAt = s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: s.program.AccountDealer(r.DealerID), CustomerID: o.CustomerID, Key: key, Hash: hash,
		Source: source,
		Apply: func(st *State) (Receipt, error) {
			m := st.Membership
			if m == nil || m.Status != StatusActive {
				return Receipt{}, ErrNotMember
			}
			earning := s.program.earn(o, m.Tier, s.ruleNames)
			if earning.Points > s.limits.MaxPoints {
				return Receipt{}, invalid("points", crm.RuleMax, fmt.Sprintf("the order would earn %d points, more than the %d one posting may carry",
					earning.Points, s.limits.MaxPoints))
			}
			e := entry
			e.Points, e.Reason = earning.Points, earning.Rule
			if _, err := st.Account.Earn(e); err != nil {
				return Receipt{}, err
			}
			return Receipt{Entries: st.Account.NewEntries(), Earning: &earning}, nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: earn on order %s: %w", o.ID, err)
	}
	return rec, nil
}

// EarnOrder reads service order id of the store from the crm records and
// posts its points (see Earn).
func (s *Service) EarnOrder(ctx context.Context, store crm.DealerID, id crm.ServiceOrderID, date dealercrm.Date, key string) (Receipt, error) {
	if s.records == nil {
		return Receipt{}, dealercrm.Errorf(dealercrm.FailedPrecondition, "loyalty: no crm records to read order %s from", id)
	}
	o, err := s.records.ServiceOrders().Get(ctx, store, id)
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: service order %s: %w", id, err)
	}
	return s.Earn(ctx, EarnRequest{DealerID: store, Order: o, Date: date, IdempotencyKey: key})
}

// BonusRequest posts the flat bonus of an event.
type BonusRequest struct {
	DealerID   crm.DealerID   `json:"-"`
	CustomerID crm.CustomerID `json:"customer_id"`
	// Event is one of the program's bonus events.
	Event string `json:"event"`
	// Ref is the event's record (survey answer, referral): with the store
	// and the event, the source that earns the bonus once.
	Ref  string         `json:"ref"`
	Date dealercrm.Date `json:"date,omitzero"`
	// IdempotencyKey makes the request safe to retry; without one the
	// key is made of the customer and the bonus's source key.
	IdempotencyKey string `json:"-"`
}

// Bonus posts the program's flat bonus for an event to an active member.
// An event's record earns its bonus at most once per account, whatever
// keys callers send: posting it again returns the first receipt with
// Replayed set (see Earn).
func (s *Service) Bonus(ctx context.Context, r BonusRequest) (Receipt, error) {
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.customerExists(ctx, r.DealerID, r.CustomerID); err != nil {
		return Receipt{}, err
	}
	i := slices.IndexFunc(s.program.Bonuses, func(b Bonus) bool { return b.Event == r.Event })
	if i < 0 {
		return Receipt{}, invalid("event", crm.RuleEnum, fmt.Sprintf("no bonus for event %q", r.Event))
	}
	if r.Ref == "" {
		return Receipt{}, invalid("ref", crm.RuleRequired, "is required")
	}
	entry := Entry{Kind: EntryBonus, Store: r.DealerID, Date: date, Points: s.program.Bonuses[i].Points,
		AvailableOn: date, ExpiresOn: s.program.ExpiresOn(date), Source: Source{Type: "bonus", ID: r.Event + ":" + r.Ref},
		Reason: "bonus for " + r.Event, CreatedAt: s.stamp()}
	source := entry.SourceKey()
	key := r.IdempotencyKey
	in := r
	in.Date = date
	if key == "" {
		// The default key is the bonus's source: the same event's
		// record posted another day is a replay.
		key = defaultKey(r.CustomerID, source)
		in.Date = dealercrm.Date{}
	}
	hash := requestHash("bonus", in)
	entry.IdempotencyKey = key
	rec, err := s.store.Do(ctx, Command{DealerID: s.program.AccountDealer(r.DealerID), CustomerID: r.CustomerID, Key: key, Hash: hash,
		Source: source,
		Apply: func(st *State) (Receipt, error) {
			if st.Membership == nil || st.Membership.Status != StatusActive {
				return Receipt{}, ErrNotMember
			}
			e, err := st.Account.Earn(entry)
			if err != nil {
				return Receipt{}, err
			}
			return Receipt{Entries: []Entry{e}}, nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: bonus for %s: %w", r.CustomerID, err)
	}
	return rec, nil
}

// RedeemRequest spends redeemable points.
type RedeemRequest struct {
	// DealerID is the store where the points are spent (any store of a
	// group programme).
	DealerID   crm.DealerID   `json:"-"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Points     int64          `json:"points"`
	// Purpose is what they buy: "voucher", "gift" or a host's own.
	Purpose string `json:"purpose"`
	// Ref labels what was bought (a voucher number, a catalogue item); it
	// is recorded as the entry's source ID but is not a source that counts
	// once: the same gift may be redeemed twice. The key guards retries.
	Ref    string         `json:"ref,omitempty"`
	Date   dealercrm.Date `json:"date,omitzero"`
	Reason string         `json:"reason,omitempty"`
	// IdempotencyKey is required: a redemption retried without a key
	// would spend the points twice.
	IdempotencyKey string `json:"-"`
}

// Redeem spends points from the customer's available lots, soonest-expiring
// first. It fails with ErrInsufficientPoints (an *InsufficientPointsError),
// posting nothing, when fewer are available: the balance never goes below
// zero, also under concurrent redemptions. It needs an idempotency key
// (a *crm.ValidationError naming idempotency_key otherwise), so that no
// retry spends twice.
func (s *Service) Redeem(ctx context.Context, r RedeemRequest) (Receipt, error) {
	if r.CustomerID == "" {
		return Receipt{}, invalid("customer_id", crm.RuleRequired, "is required")
	}
	if r.Points <= 0 {
		return Receipt{}, invalid("points", RuleRange, "must be a positive number of points")
	}
	if err := checkLimit(s.limits.CheckPoints("points", r.Points)); err != nil {
		return Receipt{}, err
	}
	if err := requireKey(r.IdempotencyKey); err != nil {
		return Receipt{}, err
	}
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.customerExists(ctx, r.DealerID, r.CustomerID); err != nil {
		return Receipt{}, err
	}
	if r.Purpose == "" {
		r.Purpose = "voucher"
	}
	r.Date = date
	hash := requestHash("redeem", r)
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: s.program.AccountDealer(r.DealerID), CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: hash,
		Apply: func(st *State) (Receipt, error) {
			if _, err := st.Account.Redeem(Entry{Points: r.Points, Store: r.DealerID, Date: date, Source: Source{Type: r.Purpose, ID: r.Ref},
				Reason: r.Reason, IdempotencyKey: r.IdempotencyKey, CreatedAt: at}); err != nil {
				return Receipt{}, err
			}
			return Receipt{Entries: st.Account.NewEntries()}, nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: redeem %d points of %s: %w", r.Points, r.CustomerID, err)
	}
	return rec, nil
}

// ReverseRequest reverses a ledger entry (a refunded or voided order, a
// cancelled voucher).
type ReverseRequest struct {
	DealerID crm.DealerID   `json:"-"`
	EntryID  EntryID        `json:"-"`
	Reason   string         `json:"reason"`
	Date     dealercrm.Date `json:"date,omitzero"`
	// IdempotencyKey makes the request safe to retry; without one the
	// key is made of the customer and the reversal's source key.
	IdempotencyKey string `json:"-"`
}

// Reverse posts the reversal of an entry (see Account.Reverse). A store
// reverses only its own postings of its own customers (another store's
// entry is ErrNotFound). An entry is reversed at most once, whatever keys
// callers send: reversing it again returns the first reversal's receipt
// with Replayed set.
func (s *Service) Reverse(ctx context.Context, r ReverseRequest) (Receipt, error) {
	date, err := s.postingDate(ctx, r.DealerID, "date", r.Date)
	if err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	orig, err := s.store.Entry(ctx, dealer, r.EntryID)
	if err == nil && orig.Store != "" && orig.Store != r.DealerID {
		err = dealercrm.Errorf(dealercrm.NotFound, "ledger entry %s not found", r.EntryID)
	}
	if err == nil {
		err = s.customerExists(ctx, r.DealerID, orig.CustomerID)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: reverse %s: %w", r.EntryID, err)
	}
	source := (&Entry{Kind: EntryReverse, Reverses: orig.ID}).SourceKey()
	key := r.IdempotencyKey
	in := r
	in.Date = date
	if key == "" {
		// The default key is the entry's: reversing it again (for any
		// reason, on any date, from any store) is a replay.
		key = defaultKey(orig.CustomerID, source)
		in = ReverseRequest{EntryID: r.EntryID}
	}
	hash := requestHash("reverse", in)
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: orig.CustomerID, Key: key, Hash: hash, Source: source,
		Apply: func(st *State) (Receipt, error) {
			e, err := st.Account.Reverse(orig, Entry{Date: date, Source: orig.Source, Reason: r.Reason, IdempotencyKey: key, CreatedAt: at})
			if err != nil {
				return Receipt{}, err
			}
			return Receipt{Entries: []Entry{e}}, nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: reverse %s: %w", r.EntryID, err)
	}
	return rec, nil
}

// PointsExpiryRun reports a run of ExpirePoints.
type PointsExpiryRun struct {
	AsOf     dealercrm.Date `json:"as_of"`
	Accounts int            `json:"accounts"`
	Points   int64          `json:"points"`
}

// ExpirePoints posts an expiry entry for every account of the dealer with
// lots expiring on or before asOf. Running it again posts nothing more.
func (s *Service) ExpirePoints(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (PointsExpiryRun, error) {
	asOf, err := s.postingDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return PointsExpiryRun{}, err
	}
	dealer = s.program.AccountDealer(dealer)
	run := PointsExpiryRun{AsOf: asOf}
	due, err := s.store.DueLots(ctx, dealer, asOf)
	if err != nil {
		return run, fmt.Errorf("loyalty: due lots of %s: %w", dealer, err)
	}
	at := s.stamp()
	var customers []crm.CustomerID
	for _, d := range due {
		if len(customers) == 0 || customers[len(customers)-1] != d.CustomerID {
			customers = append(customers, d.CustomerID)
		}
	}
	for _, c := range customers {
		key := "expire:" + string(c) + ":" + asOf.String()
		rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: c, Key: key, Hash: key,
			Apply: func(st *State) (Receipt, error) {
				e, ok, err := st.Account.Expire(Entry{Date: asOf, Source: Source{Type: "expiry"}, Reason: "points expired",
					IdempotencyKey: key, CreatedAt: at})
				if err != nil || !ok {
					return Receipt{}, err
				}
				return Receipt{Entries: []Entry{e}}, nil
			}})
		if err != nil {
			return run, fmt.Errorf("loyalty: expire points of %s: %w", c, err)
		}
		if len(rec.Entries) > 0 && !rec.Replayed {
			run.Accounts++
			if run.Points, err = sumPoints(run.Points, -rec.Entries[0].Points); err != nil {
				return run, err
			}
		}
	}
	return run, nil
}

// Notice tells a member that points will expire.
type Notice struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Points     int64          `json:"points"`
	// ExpiresOn is the first day the points are gone (the earliest, when
	// several lots expire in the window).
	ExpiresOn dealercrm.Date `json:"expires_on"`
}

// ExpiryNotices lists the members whose points expire within the program's
// notice days after asOf, with how many.
func (s *Service) ExpiryNotices(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) ([]Notice, error) {
	asOf, err := s.readDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return nil, err
	}
	due, err := s.store.DueLots(ctx, s.program.AccountDealer(dealer), asOf.AddDays(s.program.Points.NoticeDays))
	if err != nil {
		return nil, fmt.Errorf("loyalty: due lots of %s: %w", dealer, err)
	}
	out := []Notice{}
	for _, d := range due {
		if !d.Lot.ExpiresOn.After(asOf) {
			continue // overdue: the expiry job's, not a notice
		}
		if n := len(out); n > 0 && out[n-1].CustomerID == d.CustomerID {
			out[n-1].Points += d.Lot.Remaining
			if d.Lot.ExpiresOn.Before(out[n-1].ExpiresOn) {
				out[n-1].ExpiresOn = d.Lot.ExpiresOn
			}
			continue
		}
		out = append(out, Notice{CustomerID: d.CustomerID, Points: d.Lot.Remaining, ExpiresOn: d.Lot.ExpiresOn})
	}
	return out, nil
}

// Statement is a customer's points and membership as of a date.
type Statement struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	AsOf       dealercrm.Date `json:"as_of"`
	Balances   Balances       `json:"balances"`
	Lots       []Lot          `json:"lots"`
	// Tier, Status and ValidUntil are the membership's on the date (empty
	// before joining).
	Tier       Tier           `json:"tier,omitempty"`
	Status     Status         `json:"status,omitempty"`
	ValidUntil dealercrm.Date `json:"valid_until,omitzero"`
}

// Statement returns the customer's balances, lots and tier as of a date
// (today when zero): for a past date the ledger is replayed up to it, so
// the answer is what the ledger said then, for disputes and audits. A
// customer the store does not have is ErrNotFound.
func (s *Service) Statement(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, asOf dealercrm.Date) (Statement, error) {
	asOf, err := s.readDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return Statement{}, err
	}
	if err := s.customerExists(ctx, dealer, customer); err != nil {
		return Statement{}, err
	}
	dealer = s.program.AccountDealer(dealer)
	st := Statement{CustomerID: customer, AsOf: asOf}
	acct, err := s.store.Account(ctx, dealer, customer)
	if err != nil {
		return st, fmt.Errorf("loyalty: account of %s: %w", customer, err)
	}
	if acct.d.LastDate.After(asOf) {
		entries, err := crm.All(ctx, func(after string) (crm.Page[Entry], error) {
			return s.store.Entries(ctx, dealer, customer, EntryFilter{Until: asOf, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return st, fmt.Errorf("loyalty: entries of %s: %w", customer, err)
		}
		if acct, err = Replay(dealer, customer, entries); err != nil {
			return st, err
		}
	}
	st.Balances, st.Lots = acct.Balances(asOf), acct.Lots()
	events, err := s.store.MembershipEvents(ctx, dealer, customer)
	if err != nil {
		return st, fmt.Errorf("loyalty: membership events of %s: %w", customer, err)
	}
	for _, ev := range events {
		if ev.Date.After(asOf) {
			break
		}
		st.Tier, st.Status, st.ValidUntil = ev.ToTier, ev.ToStatus, ev.ValidUntil
	}
	return st, nil
}

// MemberView is a member with its benefits and points.
type MemberView struct {
	Membership Membership `json:"membership"`
	// Benefits is the tier's package; Remaining the free services left in
	// the period, by code.
	Benefits  Benefits       `json:"benefits"`
	Remaining map[string]int `json:"remaining"`
	Balances  Balances       `json:"balances"`
	// NextTier and PointsToNext tell how far the next tier is by
	// cumulative points (empty in the top tier).
	NextTier     Tier              `json:"next_tier,omitempty"`
	PointsToNext int64             `json:"points_to_next,omitempty"`
	History      []MembershipEvent `json:"history"`
}

// Member returns the customer's membership with benefits, points and
// history, or ErrNotFound (also for a customer the store does not have).
func (s *Service) Member(ctx context.Context, store crm.DealerID, customer crm.CustomerID) (MemberView, error) {
	if err := s.customerExists(ctx, store, customer); err != nil {
		return MemberView{}, err
	}
	today, err := s.Today(ctx, store)
	if err != nil {
		return MemberView{}, err
	}
	dealer := s.program.AccountDealer(store)
	m, err := s.store.Membership(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: membership of %s: %w", customer, err)
	}
	acct, err := s.store.Account(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: account of %s: %w", customer, err)
	}
	hist, err := s.store.MembershipEvents(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: membership events of %s: %w", customer, err)
	}
	v := MemberView{Membership: m, Balances: acct.Balances(today), History: hist, Remaining: map[string]int{}}
	if spec, ok := s.program.TierSpec(m.Tier); ok {
		v.Benefits = spec.Benefits
		for _, f := range spec.Benefits.FreeServices {
			v.Remaining[f.Code] = max(0, f.PerYear-m.Used[f.Code])
		}
	}
	if next, ok := s.program.Next(m.Tier); ok {
		v.NextTier, v.PointsToNext = next.Tier, max(0, next.Threshold-v.Balances.Cumulative)
	}
	return v, nil
}

// QuoteRequest prices a workshop job for a member.
type QuoteRequest struct {
	DealerID   crm.DealerID    `json:"-"`
	CustomerID crm.CustomerID  `json:"customer_id"`
	Labour     decimal.Decimal `json:"labour"`
	Parts      decimal.Decimal `json:"parts"`
	// FreeServices are the free services used (one each).
	FreeServices []string `json:"free_services,omitempty"`
	// Consume records the free-service uses against the quota; without it
	// the quote is only a price.
	Consume bool `json:"consume,omitempty"`
	// IdempotencyKey is required with Consume: a retry without it would
	// use the free services twice.
	IdempotencyKey string `json:"-"`
}

// Quote applies the member's tier benefits to a job: labour and parts
// discounts and free services from the yearly quota (consumed when
// Consume is set, which needs an idempotency key).
func (s *Service) Quote(ctx context.Context, r QuoteRequest) (Receipt, error) {
	if r.Consume {
		if err := requireKey(r.IdempotencyKey); err != nil {
			return Receipt{}, err
		}
	}
	for _, a := range []struct {
		field string
		v     decimal.Decimal
	}{{"labour", r.Labour}, {"parts", r.Parts}} {
		if err := checkLimit(s.limits.CheckAmount(a.field, a.v)); err != nil {
			return Receipt{}, err
		}
	}
	if err := s.customerExists(ctx, r.DealerID, r.CustomerID); err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	if !r.Consume {
		m, err := s.store.Membership(ctx, dealer, r.CustomerID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return Receipt{}, fmt.Errorf("loyalty: quote for %s: %w", r.CustomerID, ErrNotMember)
			}
			return Receipt{}, fmt.Errorf("loyalty: quote for %s: %w", r.CustomerID, err)
		}
		q, err := s.program.ApplyBenefits(&m, r.Labour, r.Parts, r.FreeServices)
		if err != nil {
			return Receipt{}, fmt.Errorf("loyalty: quote for %s: %w", r.CustomerID, err)
		}
		return Receipt{Quote: &q, Membership: &m}, nil
	}
	hash := requestHash("quote", r)
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: hash,
		Apply: func(st *State) (Receipt, error) {
			if st.Membership == nil {
				return Receipt{}, ErrNotMember
			}
			m := st.Membership.Clone()
			q, err := s.program.ApplyBenefits(&m, r.Labour, r.Parts, r.FreeServices)
			if err != nil {
				return Receipt{}, err
			}
			m.Version++
			m.UpdatedAt = at
			st.Membership = &m
			mc := m.Clone()
			return Receipt{Quote: &q, Membership: &mc}, nil
		}})
	if err != nil {
		return Receipt{}, fmt.Errorf("loyalty: quote for %s: %w", r.CustomerID, err)
	}
	return rec, nil
}

// Entries lists a customer's ledger entries in sequence order (a customer
// the store does not have is ErrNotFound).
func (s *Service) Entries(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, f EntryFilter) (crm.Page[Entry], error) {
	if err := s.customerExists(ctx, dealer, customer); err != nil {
		return crm.Page[Entry]{}, err
	}
	p, err := s.store.Entries(ctx, s.program.AccountDealer(dealer), customer, f)
	if err != nil {
		return p, fmt.Errorf("loyalty: entries of %s: %w", customer, err)
	}
	return p, nil
}

// ListMemberships lists the dealer's memberships.
func (s *Service) ListMemberships(ctx context.Context, dealer crm.DealerID, f MembershipFilter) (crm.Page[Membership], error) {
	p, err := s.store.ListMemberships(ctx, s.program.AccountDealer(dealer), f)
	if err != nil {
		return p, fmt.Errorf("loyalty: memberships: %w", err)
	}
	return p, nil
}

// StoreLiability is the points outstanding that were earned at one store
// and their value at the redemption rate.
type StoreLiability struct {
	Store  crm.DealerID    `json:"store"`
	Points int64           `json:"points"`
	Value  decimal.Decimal `json:"value"`
}

// Liability is the club's outstanding points liability by store.
type Liability struct {
	PointsPerCNY int64            `json:"points_per_cny"`
	Stores       []StoreLiability `json:"stores"`
	Points       int64            `json:"points"`
	Value        decimal.Decimal  `json:"value"`
}

// Liability reports the points outstanding (earned and not yet spent or
// expired) per store where they were earned, valued at the program's
// points per CNY, for the dealer's accounts (a group's, for a store of a
// group programme).
func (s *Service) Liability(ctx context.Context, dealer crm.DealerID) (Liability, error) {
	rows, err := s.store.Outstanding(ctx, s.program.AccountDealer(dealer))
	if err != nil {
		return Liability{}, fmt.Errorf("loyalty: liability: %w", err)
	}
	per := decimal.NewFromInt(s.program.Points.PointsPerCNY)
	l := Liability{PointsPerCNY: s.program.Points.PointsPerCNY, Stores: []StoreLiability{}, Value: decimal.Zero}
	for _, r := range rows {
		v := decimal.NewFromInt(r.Points).DivRound(per, 2)
		l.Stores = append(l.Stores, StoreLiability{Store: r.Store, Points: r.Points, Value: v})
		if l.Points, err = sumPoints(l.Points, r.Points); err != nil {
			return Liability{}, fmt.Errorf("loyalty: liability: %w", err)
		}
		l.Value = l.Value.Add(v)
	}
	return l, nil
}
