package memory

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// LoyaltyStore is an in-memory loyalty.Store. It is safe for concurrent use
// and copies values in and out. Each customer's account has a lock of its
// own, so commands on different accounts run in parallel.
//
// Lock order: an account's lock, then keysMu (held briefly, to find or
// claim a key) or the event log's (a command's events, loyalty.EventsOf,
// are appended before the account is unlocked). No goroutine holds two accounts' locks; mu, which guards
// the accounts map, is held alone.
type LoyaltyStore struct {
	// events is the log the store's events go to, under the store's
	// lock (shared by NewStores).
	events   *EventLog
	mu       sync.RWMutex
	accounts map[accountKey]*loyaltyAccount
	keysMu   sync.RWMutex
	// keys holds the records of the dealers' idempotency keys.
	keys map[dealerKey]*idemRecord
}

var _ loyalty.Store = (*LoyaltyStore)(nil)

type accountKey struct {
	dealer   crm.DealerID
	customer crm.CustomerID
}

type dealerKey struct {
	dealer crm.DealerID
	key    string
}

// loyaltyAccount is one customer's points account, ledger and membership.
type loyaltyAccount struct {
	mu       sync.Mutex
	dealer   crm.DealerID   // immutable
	customer crm.CustomerID // immutable
	data     loyalty.AccountData
	entries  []loyalty.Entry // entry seq is entries[seq-1]
	// sources are the source keys posted (loyalty.Entry.SourceKey), with
	// the sequence number of the entry that posted each.
	sources    map[string]int64
	membership *loyalty.Membership
	events     []loyalty.MembershipEvent
}

// idemRecord is what an idempotency key stored: the input hash of the
// first command with the key and its receipt, whose entries are the n
// entries from seq on of the ledger of the command's account. A command
// claims the record (stored false) under its account's lock, and fills
// it in or deletes it before that lock is released; so but for account,
// a record is read and written under its account's lock.
type idemRecord struct {
	account *loyaltyAccount // immutable
	stored  bool
	hash    string
	seq, n  int64
	receipt *loyalty.Receipt // the rest, without Entries; nil for none
}

// NewLoyaltyStore returns an empty LoyaltyStore.
func NewLoyaltyStore() *LoyaltyStore {
	return &LoyaltyStore{accounts: map[accountKey]*loyaltyAccount{}, keys: map[dealerKey]*idemRecord{}, events: NewEventLog()}
}

// account returns the customer's account, creating it when create is set
// (nil otherwise when there is none).
func (s *LoyaltyStore) account(dealer crm.DealerID, customer crm.CustomerID, create bool) *loyaltyAccount {
	k := accountKey{dealer: dealer, customer: customer}
	s.mu.RLock()
	a := s.accounts[k]
	s.mu.RUnlock()
	if a != nil || !create {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a = s.accounts[k]; a == nil {
		a = &loyaltyAccount{dealer: dealer, customer: customer, data: loyalty.AccountData{DealerID: dealer, CustomerID: customer}}
		s.accounts[k] = a
	}
	return a
}

// dealerAccounts returns the dealer's accounts in customer ID order.
func (s *LoyaltyStore) dealerAccounts(dealer crm.DealerID) []*loyaltyAccount {
	s.mu.RLock()
	var out []*loyaltyAccount
	for k, a := range s.accounts {
		if k.dealer == dealer {
			out = append(out, a)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *loyaltyAccount) int { return cmp.Compare(a.customer, b.customer) })
	return out
}

// Do implements loyalty.Store. When the command's key was taken by a
// command on another customer, the receipt is read from that customer's
// account once this one is unlocked; when that command failed (so the key
// is free again), Do starts over.
func (s *LoyaltyStore) Do(_ context.Context, c loyalty.Command) (loyalty.Receipt, error) {
	for {
		r, other, err := s.do(s.account(c.DealerID, c.CustomerID, true), c)
		if other == nil {
			return r, err
		}
		other.account.mu.Lock()
		r, ok, err := other.replay(c.Hash)
		other.account.mu.Unlock()
		if ok {
			return r, err
		}
	}
}

// do runs c on a, locked. It returns the record of c's key instead when
// a command on another account took it.
func (s *LoyaltyStore) do(a *loyaltyAccount, c loyalty.Command) (loyalty.Receipt, *idemRecord, error) {
	a.mu.Lock()
	defer a.mu.Unlock() // deferred, as the key's release: Apply may panic
	var rec *idemRecord
	if c.Key != "" {
		k := dealerKey{dealer: c.DealerID, key: c.Key}
		s.keysMu.Lock()
		rec = s.keys[k]
		claimed := rec == nil
		if claimed {
			rec = &idemRecord{account: a}
			s.keys[k] = rec
		}
		s.keysMu.Unlock()
		switch {
		case !claimed && rec.account != a:
			return loyalty.Receipt{}, rec, nil
		case !claimed:
			r, _, err := rec.replay(c.Hash)
			return r, nil, err
		}
		defer func() {
			if !rec.stored {
				s.keysMu.Lock()
				delete(s.keys, k)
				s.keysMu.Unlock()
			}
		}()
	}
	if seq, ok := a.sources[c.Source]; c.Source != "" && ok {
		posted := s.sourceRecord(a, seq)
		if rec != nil {
			rec.fill(c.Hash, posted.seq, posted.n, posted.receipt)
		}
		return a.receipt(&posted), nil, nil
	}
	r, err := a.apply(c, rec, s.events)
	return r, nil, err
}

// apply runs c on a, locked, and stores its outcome, in rec too when the
// command has a key, and appends its events (loyalty.EventsOf) to log
// before the lock is released.
func (a *loyaltyAccount) apply(c loyalty.Command, rec *idemRecord, log *EventLog) (r loyalty.Receipt, err error) {
	// The command's account works on a.data's lots in place, so that a
	// posting copies none: when the command fails (or panics), the
	// account is rebuilt from the ledger, which holds what was stored.
	st := &loyalty.State{Account: loyalty.RestoreAccount(a.data), MembershipSeq: int64(len(a.events))}
	stored := false
	defer func() {
		if !stored {
			a.rebuild()
		}
	}()
	var m loyalty.Membership
	if a.membership != nil {
		m = a.membership.Clone()
		st.Membership = &m
	}
	if r, err = c.Apply(st); err != nil {
		return loyalty.Receipt{}, err
	}
	added := st.Account.NewEntries()
	if err := a.check(c.Source, added); err != nil {
		return loyalty.Receipt{}, err
	}
	evs := loyalty.EventsOf(c.DealerID, c.CustomerID, st, time.Now())
	if err := crm.CheckEvents(evs); err != nil {
		return loyalty.Receipt{}, err
	}
	stored = true
	for _, e := range added {
		a.entries = append(a.entries, copyEntry(e))
		if src := e.SourceKey(); src != "" {
			if a.sources == nil {
				a.sources = map[string]int64{}
			}
			a.sources[src] = e.Seq
		}
	}
	a.data = st.Account.Data()
	// A membership the command left as it was is not copied again.
	if st.Membership != nil && (st.Membership != &m || a.membership == nil || m.Version != a.membership.Version) {
		changed := st.Membership.Clone()
		changed.UpdatedAt = changed.UpdatedAt.UTC()
		a.membership = &changed
	}
	for _, ev := range st.Events {
		ev.At = ev.At.UTC()
		a.events = append(a.events, ev)
	}
	if rec != nil {
		var rest *loyalty.Receipt
		if r.Membership != nil || r.Event != nil || r.Earning != nil || r.Quote != nil {
			cp := copyReceipt(loyalty.Receipt{Membership: r.Membership, Event: r.Event, Earning: r.Earning, Quote: r.Quote})
			rest = &cp
		}
		rec.fill(c.Hash, int64(len(a.entries)-len(added)+1), int64(len(added)), rest)
	}
	log.append(evs)
	return r, nil
}

// rebuild restores a.data from the ledger, after a failed command.
func (a *loyaltyAccount) rebuild() {
	acct, err := loyalty.Replay(a.dealer, a.customer, a.entries)
	if err != nil {
		// The ledger is the store's own, checked entry by entry: it
		// always replays.
		panic(err)
	}
	a.data = acct.Data()
}

// check refuses the entries of a command that cannot be stored: one from
// a source the command did not name (or posted before), or one out of
// sequence.
func (a *loyaltyAccount) check(source string, added []loyalty.Entry) error {
	for i := range added {
		e := &added[i]
		if src := e.SourceKey(); src != "" {
			if _, posted := a.sources[src]; posted || src != source {
				return loyalty.ErrUndeclaredSource
			}
		}
		if e.Seq != int64(len(a.entries)+i+1) || e.CustomerID != a.customer || e.DealerID != a.dealer {
			return dealercrm.Errorf(dealercrm.Internal, "memory: entry %s does not follow the ledger of %s", e.ID, a.customer)
		}
	}
	return nil
}

// sourceRecord returns the record of the posting of entry seq of a,
// locked: the one stored with the key it was posted with, or the entry
// alone.
func (s *LoyaltyStore) sourceRecord(a *loyaltyAccount, seq int64) idemRecord {
	if key := a.entries[seq-1].IdempotencyKey; key != "" {
		s.keysMu.RLock()
		rec := s.keys[dealerKey{dealer: a.dealer, key: key}]
		s.keysMu.RUnlock()
		if rec != nil && rec.account == a && rec.stored {
			return *rec
		}
	}
	return idemRecord{account: a, stored: true, seq: seq, n: 1}
}

// fill stores in rec, claimed, the command's input hash and receipt.
func (rec *idemRecord) fill(hash string, seq, n int64, receipt *loyalty.Receipt) {
	rec.stored, rec.hash, rec.seq, rec.n, rec.receipt = true, hash, seq, n, receipt
}

// replay answers a command with input hash from rec, whose account is
// locked: a conflict when the hash differs, else the stored receipt. ok
// is false when the command that claimed rec failed.
func (rec *idemRecord) replay(hash string) (r loyalty.Receipt, ok bool, err error) {
	switch {
	case !rec.stored:
		return loyalty.Receipt{}, false, nil
	case rec.hash != hash:
		return loyalty.Receipt{}, true, loyalty.ErrIdempotencyConflict
	}
	return rec.account.receipt(rec), true, nil
}

// receipt rebuilds the receipt rec stored from a, locked, as a replay.
func (a *loyaltyAccount) receipt(rec *idemRecord) loyalty.Receipt {
	var r loyalty.Receipt
	if rec.receipt != nil {
		r = copyReceipt(*rec.receipt)
	}
	for seq := rec.seq; seq < rec.seq+rec.n; seq++ {
		r.Entries = append(r.Entries, copyEntry(a.entries[seq-1]))
	}
	r.Replayed = true
	return r
}

// copyEntry copies an entry as the store keeps it: its time in UTC, no
// moves as nil.
func copyEntry(e loyalty.Entry) loyalty.Entry {
	e.CreatedAt = e.CreatedAt.UTC()
	if len(e.Moves) == 0 {
		e.Moves = nil
	} else {
		e.Moves = slices.Clone(e.Moves)
	}
	return e
}

// copyReceipt deep-copies a receipt without entries.
func copyReceipt(r loyalty.Receipt) loyalty.Receipt {
	if r.Membership != nil {
		m := r.Membership.Clone()
		r.Membership = &m
	}
	if r.Event != nil {
		ev := *r.Event
		r.Event = &ev
	}
	if r.Earning != nil {
		e := *r.Earning
		r.Earning = &e
	}
	if r.Quote != nil {
		q := *r.Quote
		q.FreeServices = slices.Clone(q.FreeServices)
		r.Quote = &q
	}
	return r
}

// Account implements loyalty.Store.
func (s *LoyaltyStore) Account(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) (*loyalty.Account, error) {
	a := s.account(dealer, customer, false)
	if a == nil {
		return loyalty.NewAccount(dealer, customer), nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.data
	d.Lots = slices.Clone(d.Lots)
	return loyalty.RestoreAccount(d), nil
}

// Membership implements loyalty.Store.
func (s *LoyaltyStore) Membership(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) (loyalty.Membership, error) {
	if a := s.account(dealer, customer, false); a != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.membership != nil {
			return a.membership.Clone(), nil
		}
	}
	return loyalty.Membership{}, dealercrm.Errorf(dealercrm.NotFound, "memory: customer %s is not a member", customer)
}

// ListMemberships implements loyalty.Store.
func (s *LoyaltyStore) ListMemberships(_ context.Context, dealer crm.DealerID, f loyalty.MembershipFilter) (crm.Page[loyalty.Membership], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[loyalty.Membership]{}, err
	}
	size := f.Size()
	var out []loyalty.Membership
	for _, a := range s.dealerAccounts(dealer) {
		a.mu.Lock()
		m := a.membership
		if m != nil && string(m.CustomerID) > after && (f.Tier == "" || m.Tier == f.Tier) && (f.Status == "" || m.Status == f.Status) &&
			(len(f.CustomerIDs) == 0 || slices.Contains(f.CustomerIDs, m.CustomerID)) {
			out = append(out, m.Clone())
		}
		a.mu.Unlock()
		if len(out) > size {
			break
		}
	}
	return crm.NewPage(out, size, func(m loyalty.Membership) string { return string(m.CustomerID) }), nil
}

// MembershipEvents implements loyalty.Store.
func (s *LoyaltyStore) MembershipEvents(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]loyalty.MembershipEvent, error) {
	out := []loyalty.MembershipEvent{}
	if a := s.account(dealer, customer, false); a != nil {
		a.mu.Lock()
		out = append(out, a.events...)
		a.mu.Unlock()
	}
	return out, nil
}

// Entry implements loyalty.Store.
func (s *LoyaltyStore) Entry(_ context.Context, dealer crm.DealerID, id loyalty.EntryID) (loyalty.Entry, error) {
	if customer, seq, ok := id.Parse(); ok {
		if a := s.account(dealer, customer, false); a != nil {
			a.mu.Lock()
			defer a.mu.Unlock()
			if seq <= int64(len(a.entries)) {
				return copyEntry(a.entries[seq-1]), nil
			}
		}
	}
	return loyalty.Entry{}, dealercrm.Errorf(dealercrm.NotFound, "memory: ledger entry %s not found", id)
}

// Entries implements loyalty.Store.
func (s *LoyaltyStore) Entries(_ context.Context, dealer crm.DealerID, customer crm.CustomerID, f loyalty.EntryFilter) (crm.Page[loyalty.Entry], error) {
	after, err := f.AfterSeq()
	if err != nil {
		return crm.Page[loyalty.Entry]{}, err
	}
	size := f.Size()
	var out []loyalty.Entry
	if a := s.account(dealer, customer, false); a != nil {
		a.mu.Lock()
		for seq := after + 1; seq <= int64(len(a.entries)) && len(out) <= size; seq++ {
			e := a.entries[seq-1]
			if !f.Until.IsZero() && e.Date.After(f.Until) {
				break
			}
			out = append(out, copyEntry(e))
		}
		a.mu.Unlock()
	}
	return loyalty.EntryPage(out, size), nil
}

// DueLots implements loyalty.Store.
func (s *LoyaltyStore) DueLots(_ context.Context, dealer crm.DealerID, by dealercrm.Date) ([]loyalty.DueLot, error) {
	out := []loyalty.DueLot{}
	for _, a := range s.dealerAccounts(dealer) {
		a.mu.Lock()
		for _, l := range a.data.Lots {
			if l.Remaining > 0 && !l.ExpiresOn.IsZero() && !l.ExpiresOn.After(by) {
				out = append(out, loyalty.DueLot{CustomerID: a.customer, Lot: l})
			}
		}
		a.mu.Unlock()
	}
	return out, nil
}

// Outstanding implements loyalty.Store.
func (s *LoyaltyStore) Outstanding(_ context.Context, dealer crm.DealerID) ([]loyalty.StorePoints, error) {
	sums := map[crm.DealerID]int64{}
	for _, a := range s.dealerAccounts(dealer) {
		a.mu.Lock()
		for _, l := range a.data.Lots {
			sums[l.Store] += l.Remaining
		}
		a.mu.Unlock()
	}
	out := []loyalty.StorePoints{}
	for st, p := range sums {
		if p > 0 {
			out = append(out, loyalty.StorePoints{Store: st, Points: p})
		}
	}
	slices.SortFunc(out, func(a, b loyalty.StorePoints) int { return cmp.Compare(a.Store, b.Store) })
	return out, nil
}

// EraseText implements loyalty.Store: under the account's lock it clears
// the free text of its entries, events and the receipts stored with keys
// on it (whose entries are the ledger's; a scan of every key: an erasure
// is rare, and keys are not indexed by customer).
func (s *LoyaltyStore) EraseText(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) error {
	a := s.account(dealer, customer, false)
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.entries {
		a.entries[i].EraseText()
	}
	for i := range a.events {
		a.events[i].EraseText()
	}
	s.keysMu.RLock()
	defer s.keysMu.RUnlock()
	for _, rec := range s.keys {
		if rec.account == a && rec.receipt != nil {
			rec.receipt.EraseText()
		}
	}
	return nil
}
