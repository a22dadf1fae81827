package memory

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// LoyaltyStore is an in-memory loyalty.Store. It is safe for concurrent use
// and copies values in and out. Each customer's account has a lock of its
// own and idempotency keys live in sharded maps, so postings to different
// accounts run in parallel.
type LoyaltyStore struct {
	// slotShards hold the accounts by dealer and customer, sharded by
	// customer so that lookups on different accounts do not contend.
	slotShards [64]slotShard
	shards     [64]idemShard
	seed       maphash.Seed
}

type slotKey struct {
	dealer   crm.DealerID
	customer crm.CustomerID
}

type slotShard struct {
	mu    sync.RWMutex
	slots map[slotKey]*loyaltySlot
	_     [32]byte // keep shards on separate cache lines
}

var _ loyalty.Store = (*LoyaltyStore)(nil)

// loyaltySlot is one customer's account and membership.
type loyaltySlot struct {
	customer crm.CustomerID // immutable
	mu       sync.Mutex
	// account is kept between commands (Begin, Rollback); data is its
	// stored form after the last command.
	account    *loyalty.Account
	frame      loyaltyFrame
	data       loyalty.AccountData
	entries    entryLog
	reversed   map[loyalty.EntryID]bool
	membership *loyalty.Membership
	events     []loyalty.MembershipEvent
}

type idemKey struct {
	dealer crm.DealerID
	key    string
}

type idemRecord struct {
	hash    string
	receipt loyalty.Receipt
}

type idemShard struct {
	mu sync.Mutex
	// keys holds the records by dealer, then key: two string-keyed maps
	// hash faster than one keyed by a struct of two strings.
	keys map[crm.DealerID]map[string]idemRecord
	_    [40]byte // keep shards on separate cache lines
}

// get returns the record of k.
func (sh *idemShard) get(k idemKey) (idemRecord, bool) {
	rec, ok := sh.keys[k.dealer][k.key]
	return rec, ok
}

// put stores the record of k.
func (sh *idemShard) put(k idemKey, rec idemRecord) {
	m := sh.keys[k.dealer]
	if m == nil {
		m = map[string]idemRecord{}
		sh.keys[k.dealer] = m
	}
	m[k.key] = rec
}

// NewLoyaltyStore returns an empty LoyaltyStore.
func NewLoyaltyStore() *LoyaltyStore {
	s := &LoyaltyStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].keys = map[crm.DealerID]map[string]idemRecord{}
		s.slotShards[i].slots = map[slotKey]*loyaltySlot{}
	}
	return s
}

// slot returns the customer's slot, creating it when create is set (nil
// otherwise when there is none).
func (s *LoyaltyStore) slot(dealer crm.DealerID, customer crm.CustomerID, create bool) *loyaltySlot {
	k := slotKey{dealer: dealer, customer: customer}
	sh := &s.slotShards[maphash.String(s.seed, string(customer))%uint64(len(s.slotShards))]
	sh.mu.RLock()
	sl := sh.slots[k]
	sh.mu.RUnlock()
	if sl != nil || !create {
		return sl
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sl = sh.slots[k]; sl == nil {
		sl = &loyaltySlot{customer: customer, data: loyalty.AccountData{DealerID: dealer, CustomerID: customer}}
		sh.slots[k] = sl
	}
	return sl
}

// slots returns the dealer's slots in customer ID order.
func (s *LoyaltyStore) slots(dealer crm.DealerID) []*loyaltySlot {
	var out []*loyaltySlot
	for i := range s.slotShards {
		sh := &s.slotShards[i]
		sh.mu.RLock()
		for k, sl := range sh.slots {
			if k.dealer == dealer {
				out = append(out, sl)
			}
		}
		sh.mu.RUnlock()
	}
	slices.SortFunc(out, func(a, b *loyaltySlot) int {
		switch {
		case a.customer < b.customer:
			return -1
		case a.customer > b.customer:
			return 1
		}
		return 0
	})
	return out
}

func (s *LoyaltyStore) shard(k idemKey) *idemShard {
	return &s.shards[maphash.String(s.seed, k.key)%uint64(len(s.shards))]
}

// lookup returns the stored outcome of key k, if any.
func (s *LoyaltyStore) lookup(k idemKey, hash string) (loyalty.Receipt, bool, error) {
	sh := s.shard(k)
	sh.mu.Lock()
	rec, ok := sh.get(k)
	sh.mu.Unlock()
	if !ok {
		return loyalty.Receipt{}, false, nil
	}
	if rec.hash != hash {
		return loyalty.Receipt{}, true, loyalty.ErrIdempotencyConflict
	}
	r := copyReceipt(rec.receipt)
	r.Replayed = true
	return r, true, nil
}

// loyaltyFrame holds what one command works on, in one allocation.
type loyaltyFrame struct {
	st loyalty.State
	m  loyalty.Membership
}

// Do implements loyalty.Store.
func (s *LoyaltyStore) Do(_ context.Context, c loyalty.Command) (loyalty.Receipt, error) {
	sl := s.slot(c.DealerID, c.CustomerID, true)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	k := idemKey{dealer: c.DealerID, key: c.Key}
	if c.Key != "" {
		if r, ok, err := s.lookup(k, c.Hash); ok {
			return r, err
		}
	}
	if sl.account == nil {
		sl.account = loyalty.RestoreAccount(sl.data)
	}
	sl.account.Begin()
	// The frame is the slot's, reused under its lock: State is only valid
	// during Apply.
	f := &sl.frame
	*f = loyaltyFrame{st: loyalty.State{Account: sl.account, MembershipSeq: int64(len(sl.events))}}
	st := &f.st
	if sl.membership != nil {
		f.m = sl.membership.Clone()
		st.Membership = &f.m
	}
	rec, err := c.Apply(st)
	if err != nil {
		sl.account.Rollback()
		return loyalty.Receipt{}, err
	}
	added := st.Account.NewEntries()
	for _, e := range added {
		if e.Reverses != "" && sl.reversed[e.Reverses] {
			sl.account.Rollback()
			return loyalty.Receipt{}, loyalty.ErrAlreadyReversed
		}
	}
	// Stored entries are never modified, so the key's record can refer to
	// them instead of copying.
	group := sl.entries.push(added)
	if c.Key != "" {
		stored := loyalty.Receipt{Entries: group}
		if rec.Membership != nil || rec.Event != nil || rec.Earning != nil || rec.Quote != nil {
			extra := copyReceipt(loyalty.Receipt{Membership: rec.Membership, Event: rec.Event, Earning: rec.Earning, Quote: rec.Quote})
			stored.Membership, stored.Event, stored.Earning, stored.Quote = extra.Membership, extra.Event, extra.Earning, extra.Quote
		}
		sh := s.shard(k)
		sh.mu.Lock()
		if prev, ok := sh.get(k); ok {
			// The key was taken by a command on another customer meanwhile.
			sh.mu.Unlock()
			sl.entries.drop(len(added))
			sl.account.Rollback()
			if prev.hash != c.Hash {
				return loyalty.Receipt{}, loyalty.ErrIdempotencyConflict
			}
			r := copyReceipt(prev.receipt)
			r.Replayed = true
			return r, nil
		}
		sh.put(k, idemRecord{hash: c.Hash, receipt: stored})
		sh.mu.Unlock()
	}
	sl.data = st.Account.Data()
	for _, e := range added {
		if e.Reverses != "" {
			if sl.reversed == nil {
				sl.reversed = map[loyalty.EntryID]bool{}
			}
			sl.reversed[e.Reverses] = true
		}
	}
	if st.Membership != nil && (sl.membership == nil || st.Membership.Version != sl.membership.Version || st.Membership != &f.m) {
		m := st.Membership.Clone()
		m.UpdatedAt = m.UpdatedAt.UTC()
		sl.membership = &m
	}
	for _, ev := range st.Events {
		ev.At = ev.At.UTC()
		sl.events = append(sl.events, ev)
	}
	if len(rec.Entries) > 0 {
		// The receipt may point into the account's buffer, which the next
		// command reuses.
		rec.Entries = slices.Clone(rec.Entries)
	}
	return rec, nil
}

// copyReceipt deep-copies a receipt.
func copyReceipt(r loyalty.Receipt) loyalty.Receipt {
	if r.Entries != nil {
		r.Entries = slices.Clone(r.Entries)
		for i := range r.Entries {
			r.Entries[i].Moves = slices.Clone(r.Entries[i].Moves)
		}
	}
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
	sl := s.slot(dealer, customer, false)
	if sl == nil {
		return loyalty.NewAccount(dealer, customer), nil
	}
	sl.mu.Lock()
	d := sl.data
	d.Lots = slices.Clone(d.Lots)
	sl.mu.Unlock()
	return loyalty.RestoreAccount(d), nil
}

// Membership implements loyalty.Store.
func (s *LoyaltyStore) Membership(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) (loyalty.Membership, error) {
	if sl := s.slot(dealer, customer, false); sl != nil {
		sl.mu.Lock()
		defer sl.mu.Unlock()
		if sl.membership != nil {
			return sl.membership.Clone(), nil
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
	for _, sl := range s.slots(dealer) {
		sl.mu.Lock()
		m := sl.membership
		if m != nil && string(m.CustomerID) > after && (f.Tier == "" || m.Tier == f.Tier) && (f.Status == "" || m.Status == f.Status) {
			out = append(out, m.Clone())
		}
		sl.mu.Unlock()
		if len(out) > size {
			break
		}
	}
	return crm.NewPage(out, size, func(m loyalty.Membership) string { return string(m.CustomerID) }), nil
}

// MembershipEvents implements loyalty.Store.
func (s *LoyaltyStore) MembershipEvents(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]loyalty.MembershipEvent, error) {
	out := []loyalty.MembershipEvent{}
	if sl := s.slot(dealer, customer, false); sl != nil {
		sl.mu.Lock()
		out = append(out, sl.events...)
		sl.mu.Unlock()
	}
	return out, nil
}

// Entry implements loyalty.Store.
func (s *LoyaltyStore) Entry(_ context.Context, dealer crm.DealerID, id loyalty.EntryID) (loyalty.Entry, error) {
	customer, seq, ok := id.Parse()
	if ok {
		if sl := s.slot(dealer, customer, false); sl != nil {
			sl.mu.Lock()
			defer sl.mu.Unlock()
			if seq <= int64(sl.entries.n) {
				e := *sl.entries.at(int(seq - 1))
				e.Moves = slices.Clone(e.Moves)
				return e, nil
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
	if sl := s.slot(dealer, customer, false); sl != nil {
		sl.mu.Lock()
		for i := after; i < int64(sl.entries.n) && len(out) <= size; i++ {
			e := *sl.entries.at(int(i))
			if !f.Until.IsZero() && e.Date.After(f.Until) {
				break
			}
			e.Moves = slices.Clone(e.Moves)
			out = append(out, e)
		}
		sl.mu.Unlock()
	}
	return loyalty.EntryPage(out, size), nil
}

// DueLots implements loyalty.Store.
func (s *LoyaltyStore) DueLots(_ context.Context, dealer crm.DealerID, by dealercrm.Date) ([]loyalty.DueLot, error) {
	out := []loyalty.DueLot{}
	for _, sl := range s.slots(dealer) {
		sl.mu.Lock()
		for _, l := range sl.data.Lots {
			if l.Remaining > 0 && !l.ExpiresOn.IsZero() && !l.ExpiresOn.After(by) {
				out = append(out, loyalty.DueLot{CustomerID: sl.data.CustomerID, Lot: l})
			}
		}
		sl.mu.Unlock()
	}
	return out, nil
}

// Outstanding implements loyalty.Store.
func (s *LoyaltyStore) Outstanding(_ context.Context, dealer crm.DealerID) ([]loyalty.StorePoints, error) {
	sums := map[crm.DealerID]int64{}
	for _, sl := range s.slots(dealer) {
		sl.mu.Lock()
		for _, l := range sl.data.Lots {
			if l.Remaining > 0 {
				sums[l.Store] += l.Remaining
			}
		}
		sl.mu.Unlock()
	}
	out := []loyalty.StorePoints{}
	for st, p := range sums {
		out = append(out, loyalty.StorePoints{Store: st, Points: p})
	}
	slices.SortFunc(out, func(a, b loyalty.StorePoints) int {
		switch {
		case a.Store < b.Store:
			return -1
		case a.Store > b.Store:
			return 1
		}
		return 0
	})
	return out, nil
}

// entryLog is an append-only list of entries in fixed-size chunks: appending
// never copies what is stored (an account may hold many entries), and a
// group pushed together stays in one chunk, so that a slice of it can be
// kept and read without the lock.
type entryLog struct {
	chunks [][]loyalty.Entry
	starts []int // index of each chunk's first entry
	n      int
}

const entryChunk = 32

func (l *entryLog) at(i int) *loyalty.Entry {
	k, found := slices.BinarySearch(l.starts, i)
	if !found {
		k--
	}
	return &l.chunks[k][i-l.starts[k]]
}

// push appends es (copying their moves) and returns the stored group, nil
// for none.
func (l *entryLog) push(es []loyalty.Entry) []loyalty.Entry {
	if len(es) == 0 {
		return nil
	}
	if len(es) > entryChunk {
		panic("memory: more entries in one command than a chunk holds")
	}
	last := len(l.chunks) - 1
	if last < 0 || len(l.chunks[last])+len(es) > entryChunk {
		l.chunks = append(l.chunks, make([]loyalty.Entry, 0, entryChunk))
		l.starts = append(l.starts, l.n)
		last++
	}
	c := l.chunks[last]
	from := len(c)
	for _, e := range es {
		if len(e.Moves) > 0 {
			e.Moves = slices.Clone(e.Moves)
		}
		c = append(c, e)
	}
	l.chunks[last] = c
	l.n += len(es)
	return c[from:len(c):len(c)]
}

// drop removes the last n entries, pushed together.
func (l *entryLog) drop(n int) {
	if n == 0 {
		return
	}
	last := len(l.chunks) - 1
	c := l.chunks[last]
	clear(c[len(c)-n:])
	l.chunks[last] = c[:len(c)-n]
	l.n -= n
	if len(l.chunks[last]) == 0 {
		l.chunks, l.starts = l.chunks[:last], l.starts[:last]
	}
}
