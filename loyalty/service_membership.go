package loyalty

import (
	"time"

	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

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
	return s.change(ctx, r, EventRenew, true, func(c *changing) (*Entry, error) {
		m := c.m
		rule, err := pick(s.program.RenewalChecks(m, c.st.Account.Balances(c.date), r.FeePaid, c.facts, c.date), r.Method)
		if err != nil {
			return nil, err
		}
		c.ev.Method, c.ev.Rule = rule.Method, rule.Rule
		var entry *Entry
		if rule.Method == string(RenewByPoints) {
			if entry, err = c.spend(s.program.Renewal.Points, "renewal", "membership renewal"); err != nil {
				return nil, err
			}
		}
		m.ValidFrom = m.ValidUntil.AddDays(1)
		if c.date.After(m.ValidUntil) {
			m.ValidFrom = c.date
		}
		m.ValidUntil, m.Used = s.periodEnd(m.ValidFrom), nil
		return entry, nil
	})
}

// Upgrade moves an active member up one tier by the first upgrade rule met
// (or the one named): cumulative points at the next threshold, a deduction
// of redeemable points, one normal repair at or above the minimum since the
// tier began, or insurance renewals at or above the minimum in consecutive
// years. The membership period is unchanged. It needs an idempotency key
// (a retry without one would upgrade twice).
func (s *Service) Upgrade(ctx context.Context, r ChangeRequest) (Receipt, error) {
	return s.change(ctx, r, EventUpgrade, true, func(c *changing) (*Entry, error) {
		m := c.m
		next, ok := s.program.Next(m.Tier)
		if !ok {
			return nil, ErrTopTier
		}
		rule, err := pick(s.program.UpgradeChecks(m, c.st.Account.Balances(c.date), c.facts, c.date), r.Method)
		if err != nil {
			return nil, err
		}
		c.ev.Method, c.ev.Rule = rule.Method, rule.Rule
		var entry *Entry
		if rule.Method == string(UpgradeByPoints) {
			if entry, err = c.spend(s.program.Upgrade.Points, "upgrade", "membership upgrade to "+string(next.Tier)); err != nil {
				return nil, err
			}
		}
		m.Tier, m.TierSince = next.Tier, c.date
		return entry, nil
	})
}

// Downgrade moves an active member down one tier by a manager's decision
// (the lowest tier cannot go down: ErrInvalidTransition).
func (s *Service) Downgrade(ctx context.Context, r ChangeRequest) (Receipt, error) {
	return s.change(ctx, r, EventDowngrade, false, func(c *changing) (*Entry, error) {
		c.ev.Rule = "manual downgrade"
		return nil, s.applyEvent(c.m, c.ev, c.date)
	})
}

// Cancel ends a membership (active or lapsed); the points stay on the
// account.
func (s *Service) Cancel(ctx context.Context, r ChangeRequest) (Receipt, error) {
	return s.change(ctx, r, EventCancel, false, func(c *changing) (*Entry, error) {
		c.ev.Rule = "cancelled"
		return nil, s.applyEvent(c.m, c.ev, c.date)
	})
}

// changing is what one membership change works on inside its command.
type changing struct {
	st    *State
	m     *Membership      // a copy of the membership, changed in place
	ev    *MembershipEvent // the event, its method and rule to fill in
	facts *Facts           // the customer's records the rules read (keyed changes)
	date  dealercrm.Date
	at    time.Time
	r     *ChangeRequest
}

// spend redeems points for the change (renewal or upgrade by points).
func (c *changing) spend(points int64, source, reason string) (*Entry, error) {
	e, err := c.st.Account.Redeem(Entry{Points: points, Date: c.date, Store: c.r.DealerID, Source: Source{Type: source},
		Reason: reason, IdempotencyKey: c.r.IdempotencyKey, CreatedAt: c.at})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// change runs event on the customer's membership as one command: the
// request checked (keyed: it needs an idempotency key, and the rules read
// the customer's records), the transition checked, then apply changes the
// membership and may post an entry. Every membership change but a join
// and an expiry goes through here; its hash is ChangeRequest.hash.
func (s *Service) change(ctx context.Context, r ChangeRequest, event Event, keyed bool, apply func(*changing) (*Entry, error)) (Receipt, error) {
	date, err := s.prepare(ctx, &r, keyed)
	if err != nil {
		return Receipt{}, err
	}
	dealer := s.program.AccountDealer(r.DealerID)
	var f *Facts
	if keyed {
		if f, err = s.facts(ctx, r.DealerID, r.CustomerID); err != nil {
			return Receipt{}, err
		}
	}
	at := s.stamp()
	rec, err := s.store.Do(ctx, Command{DealerID: dealer, CustomerID: r.CustomerID, Key: r.IdempotencyKey, Hash: r.hash(string(event), date),
		Apply: func(st *State) (Receipt, error) {
			ev := MembershipEvent{Event: event, Reason: r.Reason, Date: date, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := st.Membership.Clone()
			entry, err := apply(&changing{st: st, m: &m, ev: &ev, facts: f, date: date, at: at, r: &r})
			if err != nil {
				return Receipt{}, err
			}
			m.UpdatedAt = at
			return s.record(st, m, ev, entry, r.IdempotencyKey), nil
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
	// Notices is the number of membership.expiring notices handed to the
	// event writer (written once each).
	Notices int `json:"notices"`
}

// ProcessExpiries handles every active membership of the dealer whose
// period ended before asOf: with ExpireDowngrade it moves down one tier for
// a new period (the lowest tier lapses), with ExpireLapse it lapses. It is
// idempotent: a membership handled is no longer expired. Each change is a
// membership.downgraded or membership.lapsed event. Then it writes a
// membership.expiring notice for each active membership whose period
// ends within the notice days (WithMembershipNotice) from asOf — valid
// until asOf at the earliest — keyed by customer and period end, so that
// a period is announced once however often the job runs (none without an
// event writer, see WithEvents).
func (s *Service) ProcessExpiries(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (ExpiryRun, error) {
	asOf, err := s.postingDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return ExpiryRun{}, err
	}
	dealer = s.program.AccountDealer(dealer)
	run := ExpiryRun{AsOf: asOf}
	var due, ending []Membership
	noticeBy := asOf.AddDays(s.membershipNotice - 1)
	err = crm.Each(ctx, func(after string) (crm.Page[Membership], error) {
		return s.store.ListMemberships(ctx, dealer, MembershipFilter{Status: StatusActive, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(m *Membership) error {
		switch {
		case m.ValidUntil.Before(asOf):
			due = append(due, *m)
		case s.membershipNotice > 0 && !m.ValidUntil.After(noticeBy):
			ending = append(ending, *m)
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
	if len(ending) > 0 && s.events != nil {
		evs := make([]crm.Event, len(ending))
		for i := range ending {
			evs[i] = membershipExpiringEvent(&ending[i], asOf, at)
		}
		if err := s.events.Add(ctx, evs...); err != nil {
			return run, fmt.Errorf("loyalty: membership expiring notices of %s: %w", dealer, err)
		}
		run.Notices = len(evs)
	}
	return run, nil
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

// ListMemberships lists the dealer's memberships.
func (s *Service) ListMemberships(ctx context.Context, dealer crm.DealerID, f MembershipFilter) (crm.Page[Membership], error) {
	p, err := s.store.ListMemberships(ctx, s.program.AccountDealer(dealer), f)
	if err != nil {
		return p, fmt.Errorf("loyalty: memberships: %w", err)
	}
	return p, nil
}
