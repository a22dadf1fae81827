package loyalty

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// EntryID identifies a ledger entry: the customer ID, "." and the entry's
// sequence number in the account (so it is unique per dealer and needs no
// generator).
type EntryID string

// NewEntryID returns the ID of entry seq of customer's account.
func NewEntryID(customer crm.CustomerID, seq int64) EntryID {
	var buf [64]byte
	b := append(buf[:0], customer...)
	b = append(b, '.')
	return EntryID(strconv.AppendInt(b, seq, 10))
}

// Parse splits an entry ID into customer and sequence number; ok is false
// for a malformed ID.
func (id EntryID) Parse() (crm.CustomerID, int64, bool) {
	i := strings.LastIndexByte(string(id), '.')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseInt(string(id[i+1:]), 10, 64)
	if err != nil || seq < 1 {
		return "", 0, false
	}
	return crm.CustomerID(id[:i]), seq, true
}

// EntryKind classifies ledger entries.
type EntryKind string

// The entry kinds.
const (
	EntryEarn    EntryKind = "earn"    // points earned on consumption
	EntryBonus   EntryKind = "bonus"   // flat points for an event
	EntryRedeem  EntryKind = "redeem"  // points spent (voucher, gift, renewal, upgrade)
	EntryReverse EntryKind = "reverse" // the reversal of an earlier entry
	EntryExpire  EntryKind = "expire"  // points that expired
)

// Source is what an entry comes from: a service order, a voucher, a renewal.
type Source struct {
	// Type is "service_order", "voucher", "gift", "renewal", "upgrade",
	// "bonus", "expiry" or a host's own.
	Type string `json:"type"`
	// ID is the source record's ID.
	ID string `json:"id,omitempty"`
}

// LotMove is the change an entry made to one lot.
type LotMove struct {
	// Lot is the entry that created the lot.
	Lot EntryID `json:"lot"`
	// Points is negative when points left the lot.
	Points int64 `json:"points"`
	// ExpiresOn is the lot's expiry (zero: none).
	ExpiresOn dealercrm.Date `json:"expires_on,omitzero"`
}

// Entry is one line of the append-only points ledger. Redeemable balance
// changes by Points, cumulative by Cumulative.
type Entry struct {
	ID EntryID `json:"id"`
	// DealerID is the dealer keeping the account (a group's home store).
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Seq        int64          `json:"seq"`
	Kind       EntryKind      `json:"kind"`
	// Store is where the points were earned or redeemed.
	Store crm.DealerID   `json:"store"`
	Date  dealercrm.Date `json:"date"`
	// Points is the signed change of redeemable points, Cumulative of
	// cumulative points.
	Points     int64 `json:"points"`
	Cumulative int64 `json:"cumulative"`
	// AvailableOn is when earned points can be redeemed (after a lock
	// period); ExpiresOn when they expire (zero: never). Set on entries
	// that create a lot.
	AvailableOn dealercrm.Date `json:"available_on,omitzero"`
	ExpiresOn   dealercrm.Date `json:"expires_on,omitzero"`
	Source      Source         `json:"source"`
	// Reverses is the entry this one reverses.
	Reverses EntryID `json:"reverses,omitempty"`
	// Moves are the changes to existing lots (redemption, expiry, reversal).
	Moves []LotMove `json:"moves,omitempty"`
	// Shortfall is the points a reversal could not take back because they
	// had been spent.
	Shortfall      int64     `json:"shortfall,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// createsLot reports whether e opens a lot of its own.
func (e *Entry) createsLot() bool { return e.Points > 0 }

// SourceKey returns the business event e records, which counts once per
// account (SPEC §4: the idempotency key makes a request safe to retry, the
// source makes the event count once), or "" when e has none: an earning or
// a bonus is the store's source document (kind, store, source type and
// ID: one service order, one survey answer, one referral); a reversal is
// the entry it reverses. Redemptions (their Ref is a label: the same gift
// may be redeemed twice), expiries and postings without a source ID have
// none. The form is "kind n:part …" with each part's length in bytes, so
// that no two sources share a key.
func (e *Entry) SourceKey() string {
	switch {
	case e.Kind == EntryReverse && e.Reverses != "":
		return sourceKey(EntryReverse, string(e.Reverses))
	case (e.Kind == EntryEarn || e.Kind == EntryBonus) && e.Source.ID != "":
		return sourceKey(e.Kind, string(e.Store), e.Source.Type, e.Source.ID)
	}
	return ""
}

func sourceKey(kind EntryKind, parts ...string) string {
	b := []byte(kind)
	for _, p := range parts {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// Lot is a parcel of earned points with its own availability and expiry;
// redemptions use lots soonest-expiring first (FIFO).
type Lot struct {
	// ID is the entry that created the lot.
	ID EntryID `json:"id"`
	// Store is where the points were earned.
	Store       crm.DealerID   `json:"store"`
	Points      int64          `json:"points"`
	Remaining   int64          `json:"remaining"`
	EarnedOn    dealercrm.Date `json:"earned_on"`
	AvailableOn dealercrm.Date `json:"available_on"`
	ExpiresOn   dealercrm.Date `json:"expires_on,omitzero"`
}

// Balances are an account's points on a date. Points = Available + Pending
// + Overdue = the sum of the entries' Points; Cumulative = the sum of their
// Cumulative.
type Balances struct {
	// Cumulative points 累计积分: only reversals lower them.
	Cumulative int64 `json:"cumulative"`
	// Points are the redeemable points 可兑换积分 held, in every state.
	Points int64 `json:"points"`
	// Available can be spent now; Pending are in their lock period;
	// Overdue are past expiry, waiting for the expiry job.
	Available int64 `json:"available"`
	Pending   int64 `json:"pending"`
	Overdue   int64 `json:"overdue"`
}

// AccountData is the stored form of an Account, for adapters.
type AccountData struct {
	DealerID   crm.DealerID
	CustomerID crm.CustomerID
	// Seq is the number of entries; Cumulative and Points the sums of the
	// entries; LastDate the latest entry's date.
	Seq        int64
	Cumulative int64
	Points     int64
	LastDate   dealercrm.Date
	// Lots are the open lots (Remaining > 0), in creation order.
	Lots []Lot
}

// Account is a customer's points account: an aggregate whose invariants
// (balances equal the sum of entries, nothing below zero, lots sum to the
// balance) hold because its fields are unexported and change only through
// Earn, Redeem, Reverse and Expire. Adapters rebuild one with
// RestoreAccount and persist what NewEntries and ChangedLots report (or
// the whole of Data).
type Account struct {
	// d.Lots are the open lots in creation order, and those the postings
	// since the account was restored closed.
	d       AccountData
	added   []Entry
	changed []int // indexes in d.Lots of lots created or modified
}

// usable reports whether the lot's points can be spent on d.
func (l *Lot) usable(d dealercrm.Date) bool {
	return l.Remaining > 0 && !d.Before(l.AvailableOn) && (l.ExpiresOn.IsZero() || d.Before(l.ExpiresOn))
}

// NewAccount returns an empty account.
func NewAccount(dealer crm.DealerID, customer crm.CustomerID) *Account {
	return &Account{d: AccountData{DealerID: dealer, CustomerID: customer}}
}

// RestoreAccount rebuilds an account from its stored form, for adapters.
// The account takes d.Lots: it appends to them and changes them in place,
// so the caller must not use them afterwards (a store keeping d for the
// next command rebuilds it when a command fails).
func RestoreAccount(d AccountData) *Account {
	return &Account{d: d}
}

// Data returns the account's stored form after the postings made on it.
// Its Lots hold only open lots; they are the account's own when no lot
// closed (so that a posting costs no copy of an account's lots).
func (a *Account) Data() AccountData {
	d := a.d
	for _, i := range a.changed {
		if a.d.Lots[i].Remaining == 0 {
			d.Lots = a.Lots()
			break
		}
	}
	return d
}

// lotIndex returns the index of the lot with ID id, -1 for none.
func (a *Account) lotIndex(id EntryID) int {
	return slices.IndexFunc(a.d.Lots, func(l Lot) bool { return l.ID == id })
}

// NewEntries returns the entries posted since the account was restored.
func (a *Account) NewEntries() []Entry { return a.added }

// ChangedLots returns the lots created or changed since the account was
// restored, closed ones (Remaining 0) included.
func (a *Account) ChangedLots() []Lot {
	out := make([]Lot, 0, len(a.changed))
	for _, i := range a.changed {
		out = append(out, a.d.Lots[i])
	}
	return out
}

// CustomerID returns the account's customer.
func (a *Account) CustomerID() crm.CustomerID { return a.d.CustomerID }

// Lots returns a copy of the open lots in creation order.
func (a *Account) Lots() []Lot {
	out := make([]Lot, 0, len(a.d.Lots))
	for _, l := range a.d.Lots {
		if l.Remaining > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Balances returns the balances on d.
func (a *Account) Balances(d dealercrm.Date) Balances {
	b := Balances{Cumulative: a.d.Cumulative, Points: a.d.Points}
	for i := range a.d.Lots {
		l := &a.d.Lots[i]
		switch {
		case l.Remaining == 0:
		case d.Before(l.AvailableOn):
			b.Pending += l.Remaining
		case !l.ExpiresOn.IsZero() && !d.Before(l.ExpiresOn):
			b.Overdue += l.Remaining
		default:
			b.Available += l.Remaining
		}
	}
	return b
}

// addLot opens a lot created by the entry e.
func (a *Account) addLot(e *Entry) {
	a.d.Lots = append(a.d.Lots, Lot{ID: e.ID, Store: e.Store, Points: e.Points, Remaining: e.Points,
		EarnedOn: e.Date, AvailableOn: e.AvailableOn, ExpiresOn: e.ExpiresOn})
	a.changed = append(a.changed, len(a.d.Lots)-1)
}

func (a *Account) markChanged(i int) {
	if !slices.Contains(a.changed, i) {
		a.changed = append(a.changed, i)
	}
}

// next prepares entry e as the account's next one: it checks the dates and
// fills the identity fields.
func (a *Account) next(e *Entry) error {
	if !e.Date.Valid() {
		return dealercrm.Errorf(dealercrm.Invalid, "loyalty: date %v is not a valid date", e.Date)
	}
	if e.Date.Year > maxYear {
		return dealercrm.Errorf(dealercrm.Invalid, "loyalty: date %v is after the year %d", e.Date, maxYear)
	}
	for _, d := range [...]dealercrm.Date{e.AvailableOn, e.ExpiresOn} {
		if !d.IsZero() && (!d.Valid() || d.Year > maxYear) {
			return dealercrm.Errorf(dealercrm.Invalid, "loyalty: date %v is not a valid date", d)
		}
	}
	if e.Date.Before(a.d.LastDate) {
		return ErrBackdated
	}
	a.d.Seq++
	e.Seq = a.d.Seq
	e.ID = NewEntryID(a.d.CustomerID, e.Seq)
	e.DealerID, e.CustomerID = a.d.DealerID, a.d.CustomerID
	return nil
}

// maxYear bounds the dates of entries (and so of lots).
const maxYear = 9999

// overflows reports whether adding n (≥ 0) to balance would pass the
// largest int64: a balance that wrapped around would turn a rich account
// into a negative one.
func overflows(balance, n int64) bool { return n > 0 && balance > math.MaxInt64-n }

// sumPoints adds n ≥ 0 to a sum of points (a report's total), refusing to
// pass the largest int64.
func sumPoints(sum, n int64) (int64, error) {
	if overflows(sum, n) {
		return sum, dealercrm.Errorf(dealercrm.Internal, "loyalty: a sum of points passes the largest number of points")
	}
	return sum + n, nil
}

// errOverflow is the error of a posting that would take a balance past the
// largest number of points.
func errOverflow() error {
	return invalid("points", crm.RuleMax, "the posting would take the account's balance past the largest number of points")
}

// commit applies e's balance changes and records it.
func (a *Account) commit(e Entry) Entry {
	a.d.Points += e.Points
	a.d.Cumulative += e.Cumulative
	a.d.LastDate = e.Date
	a.added = append(a.added, e)
	return e
}

// Earn posts earned points (kind EntryEarn or EntryBonus): they count as
// cumulative at once and open a lot available on availableOn and expiring
// on expiresOn (zero: never). Zero points post an entry with no lot, so the
// consumption is on record. It returns the entry.
func (a *Account) Earn(e Entry) (Entry, error) {
	if e.Points < 0 || e.Points > maxPoints {
		return Entry{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: earned points %d out of range", e.Points)
	}
	if e.Kind != EntryEarn && e.Kind != EntryBonus {
		return Entry{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: Earn takes earn or bonus entries, not %q", e.Kind)
	}
	if overflows(a.d.Points, e.Points) || overflows(a.d.Cumulative, e.Points) {
		return Entry{}, errOverflow()
	}
	if e.AvailableOn.IsZero() || e.AvailableOn.Before(e.Date) {
		e.AvailableOn = e.Date
	}
	if err := a.next(&e); err != nil {
		return Entry{}, err
	}
	e.Cumulative = e.Points
	e.Moves = nil
	if e.createsLot() {
		a.addLot(&e)
	}
	return a.commit(e), nil
}

// spendOrder returns the indexes of the lots usable on d, soonest-expiring
// first (never-expiring last), then oldest first.
func (a *Account) spendOrder(d dealercrm.Date) []int {
	var idx []int
	for i := range a.d.Lots {
		if a.d.Lots[i].usable(d) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		ex, ey := a.d.Lots[x].ExpiresOn, a.d.Lots[y].ExpiresOn
		switch {
		case ex == ey:
			return 0
		case ex.IsZero():
			return 1
		case ey.IsZero():
			return -1
		}
		return ex.Compare(ey)
	})
	return idx
}

// take removes up to n points from the lots usable on d, in spend order,
// and returns the moves and the points taken.
func (a *Account) take(n int64, d dealercrm.Date, first int) ([]LotMove, int64) {
	order := a.spendOrder(d)
	if first >= 0 && a.d.Lots[first].Remaining > 0 {
		order = slices.DeleteFunc(order, func(i int) bool { return i == first })
		order = append([]int{first}, order...)
	}
	var moves []LotMove
	var taken int64
	for _, i := range order {
		if taken == n {
			break
		}
		moves = append(moves, a.takeFrom(i, n-taken))
		taken -= moves[len(moves)-1].Points
	}
	return moves, taken
}

// takeFrom removes up to n points from lot i and returns the move.
func (a *Account) takeFrom(i int, n int64) LotMove {
	l := &a.d.Lots[i]
	t := min(l.Remaining, n)
	l.Remaining -= t
	a.markChanged(i)
	return LotMove{Lot: l.ID, Points: -t, ExpiresOn: l.ExpiresOn}
}

// Redeem spends e.Points (a positive number; the entry records it as
// negative) from the lots usable on e.Date, soonest-expiring first. It
// returns ErrInsufficientPoints, changing nothing, when fewer are available.
func (a *Account) Redeem(e Entry) (Entry, error) {
	n := e.Points
	if n <= 0 || n > maxPoints {
		return Entry{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: points to redeem must be from 1 to %d", int64(maxPoints))
	}
	if !e.Date.Valid() {
		return Entry{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: date %v is not a valid date", e.Date)
	}
	if avail := a.Balances(e.Date).Available; avail < n {
		return Entry{}, insufficient(n, avail)
	}
	e.Kind = EntryRedeem
	if err := a.next(&e); err != nil {
		return Entry{}, err
	}
	e.Moves, _ = a.take(n, e.Date, -1)
	e.Points, e.Cumulative = -n, 0
	return a.commit(e), nil
}

// Reverse posts the reversal of orig (an earning, bonus or redemption of
// this account): an earning's points are taken back from its own lot first,
// then from other usable lots, as far as the balance allows (the rest is
// the Shortfall, so the balance never goes negative), and its cumulative
// points are taken back in full; a redemption's points come back as a new
// lot expiring with the earliest lot it used. Reversing a reversal or an
// expiry is ErrNotReversible.
func (a *Account) Reverse(orig Entry, e Entry) (Entry, error) {
	if orig.CustomerID != a.d.CustomerID || orig.DealerID != a.d.DealerID {
		return Entry{}, dealercrm.Errorf(dealercrm.Invalid, "loyalty: entry %s is not of this account", orig.ID)
	}
	e.Kind, e.Reverses, e.Store = EntryReverse, orig.ID, orig.Store
	switch orig.Kind {
	case EntryEarn, EntryBonus:
		if err := a.next(&e); err != nil {
			return Entry{}, err
		}
		first := a.lotIndex(orig.ID)
		var taken int64
		e.Moves, taken = a.take(orig.Points, e.Date, first)
		if first >= 0 && taken < orig.Points && a.d.Lots[first].Remaining > 0 {
			// The lot itself may be pending or overdue: take back from it.
			m := a.takeFrom(first, orig.Points-taken)
			e.Moves = append(e.Moves, m)
			taken -= m.Points
		}
		e.Points, e.Cumulative, e.Shortfall = -taken, -orig.Cumulative, orig.Points-taken
	case EntryRedeem:
		if overflows(a.d.Points, -orig.Points) {
			return Entry{}, errOverflow()
		}
		var exp dealercrm.Date
		for _, m := range orig.Moves {
			if !m.ExpiresOn.IsZero() && (exp.IsZero() || m.ExpiresOn.Before(exp)) {
				exp = m.ExpiresOn
			}
		}
		e.AvailableOn, e.ExpiresOn = e.Date, exp
		if err := a.next(&e); err != nil {
			return Entry{}, err
		}
		e.Points, e.Cumulative, e.Moves = -orig.Points, 0, nil
		a.addLot(&e)
	default:
		return Entry{}, ErrNotReversible
	}
	return a.commit(e), nil
}

// Expire posts one expiry entry for every lot whose expiry is on or before
// e.Date and that still holds points; it returns ok false, posting nothing,
// when there are none (so running it again changes nothing).
func (a *Account) Expire(e Entry) (Entry, bool, error) {
	if !e.Date.Valid() {
		return Entry{}, false, dealercrm.Errorf(dealercrm.Invalid, "loyalty: date %v is not a valid date", e.Date)
	}
	var due []int
	for i := range a.d.Lots {
		l := &a.d.Lots[i]
		if l.Remaining > 0 && !l.ExpiresOn.IsZero() && !l.ExpiresOn.After(e.Date) {
			due = append(due, i)
		}
	}
	if len(due) == 0 {
		return Entry{}, false, nil
	}
	e.Kind = EntryExpire
	if err := a.next(&e); err != nil {
		return Entry{}, false, err
	}
	var n int64
	for _, i := range due {
		m := a.takeFrom(i, a.d.Lots[i].Remaining)
		e.Moves = append(e.Moves, m)
		n -= m.Points
	}
	e.Points, e.Cumulative = -n, 0
	return a.commit(e), true, nil
}

// Replay rebuilds an account from its entries in sequence order, as the
// ledger stood after the last of them: the basis of as-of balances and
// lots. It returns an error when the entries are not a consistent ledger.
func Replay(dealer crm.DealerID, customer crm.CustomerID, entries []Entry) (*Account, error) {
	a := NewAccount(dealer, customer)
	for _, e := range entries {
		if e.Seq != a.d.Seq+1 {
			return nil, dealercrm.Errorf(dealercrm.Internal, "loyalty: ledger of %s: entry %d follows %d", customer, e.Seq, a.d.Seq)
		}
		a.d.Seq = e.Seq
		for _, m := range e.Moves {
			i := a.lotIndex(m.Lot)
			if i < 0 || a.d.Lots[i].Remaining+m.Points < 0 {
				return nil, dealercrm.Errorf(dealercrm.Internal, "loyalty: ledger of %s: entry %s moves lot %s badly", customer, e.ID, m.Lot)
			}
			a.d.Lots[i].Remaining += m.Points
		}
		if e.createsLot() {
			if e.AvailableOn.IsZero() {
				e.AvailableOn = e.Date
			}
			a.addLot(&e)
		}
		a.d.Points += e.Points
		a.d.Cumulative += e.Cumulative
		a.d.LastDate = e.Date
	}
	a.d.Lots = slices.DeleteFunc(a.d.Lots, func(l Lot) bool { return l.Remaining == 0 })
	a.changed = nil
	return a, nil
}
