package loyalty

import (
	"time"

	"context"
	"fmt"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

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
	// The order's record stamps are the crm store's bookkeeping, not the
	// request: an order read again after an unrelated update (a DMS
	// re-sync) is the same request.
	in.Order.CreatedAt, in.Order.UpdatedAt = time.Time{}, time.Time{}
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
	// Notices is the number of points.expiring notices handed to the
	// event writer (a run again for the day hands the same ones, which
	// are written once).
	Notices int `json:"notices"`
}

// ExpirePoints posts an expiry entry for every account of the dealer with
// lots expiring on or before asOf (each a points.expired event). Running
// it again posts nothing more. Then it writes a points.expiring notice
// for the points expiring within the program's notice days after asOf
// (PointsRules.NoticeDays; none when 0 or without an event writer, see
// WithEvents): one per customer and expiry date, keyed, so that it is
// written once however often the job runs.
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
	if days := s.program.Points.NoticeDays; days > 0 && s.events != nil {
		soon, err := s.store.DueLots(ctx, dealer, asOf.AddDays(days))
		if err != nil {
			return run, fmt.Errorf("loyalty: due lots of %s: %w", dealer, err)
		}
		evs := pointsExpiringEvents(dealer, soon, asOf, at)
		if err := s.events.Add(ctx, evs...); err != nil {
			return run, fmt.Errorf("loyalty: points expiring notices of %s: %w", dealer, err)
		}
		run.Notices = len(evs)
	}
	return run, nil
}
