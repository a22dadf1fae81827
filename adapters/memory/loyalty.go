package memory

import (
	"context"
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
)

// LoyaltyStore is an in-memory loyalty.Store. It is safe for concurrent use
// and copies values in and out. Each customer's account has a lock of its
// own and idempotency keys live in sharded maps, so postings to different
// accounts run in parallel. Ledgers and idempotency records are kept in
// forms that hold no pointers (see ledger), so that a store holding
// millions of postings costs the garbage collector next to nothing.
type LoyaltyStore struct {
	// slotShards hold the accounts by dealer and customer, sharded by
	// customer so that lookups on different accounts do not contend.
	slotShards [64]slotShard
	keys       [64]idemShard
	seed       maphash.Seed
}

type slotKey struct {
	dealer   crm.DealerID
	customer crm.CustomerID
}

type slotShard struct {
	mu sync.RWMutex
	// index finds the slots by the hash of their dealer and customer; a
	// slot whose hash an earlier one has is found by clash.
	index map[uint64]uint32
	clash map[slotKey]uint32
	// list holds the shard's slots by number (slotRef >> 6).
	list []*loyaltySlot
}

// find returns the slot of dealer and customer, whose hash is h, or nil.
func (sh *slotShard) find(h uint64, dealer crm.DealerID, customer crm.CustomerID) *loyaltySlot {
	if i, ok := sh.index[h]; ok {
		if sl := sh.list[i]; sl.is(customer) && sl.dealer == dealer {
			return sl
		}
	}
	if len(sh.clash) > 0 {
		if i, ok := sh.clash[slotKey{dealer: dealer, customer: customer}]; ok {
			return sh.list[i]
		}
	}
	return nil
}

const slotIDLen = 39

// is reports whether sl is the slot of customer (of its dealer).
func (sl *loyaltySlot) is(customer crm.CustomerID) bool {
	if sl.idLen < 0 {
		return sl.customer == customer
	}
	return int(sl.idLen) == len(customer) && string(sl.id[:sl.idLen]) == string(customer)
}

// slotRef numbers a slot: its index in its shard's list times 64 plus
// the shard.
type slotRef uint32

var _ loyalty.Store = (*LoyaltyStore)(nil)

// loyaltySlot is one customer's account and membership, at rest: a
// command works on them in a pooled frame.
type loyaltySlot struct {
	ref      slotRef        // immutable
	dealer   crm.DealerID   // immutable
	customer crm.CustomerID // immutable
	// id holds the customer ID when it fits, so that finding the slot
	// reads one cache line, not the string's too.
	idLen   int8 // -1: does not fit
	id      [slotIDLen]byte
	mu      sync.Mutex
	account loyalty.Snapshot
	ledger  ledger
	// sources are the source keys posted (loyalty.Entry.SourceKey), with
	// the sequence number of the entry that posted each.
	sources    map[string]int64
	membership *loyalty.Membership
	events     []loyalty.MembershipEvent
}

// dealerKey is an idempotency key of a dealer.
type dealerKey struct {
	dealer crm.DealerID
	key    string
}

// idemKey is an idempotency key with its dealer and their 64-bit hash.
type idemKey struct {
	dealer crm.DealerID
	key    string
	h      uint64
}

// idemRec is what a key stored: the input hash and where the receipt is
// (entries seq to seq+n-1 of a slot's ledger, and the rest of the receipt,
// when there is more, in earnings when it is only an earning, else in
// extras). It holds no pointers.
type idemRec struct {
	dealer, key, hash textRef
	slot              slotRef
	n                 uint32
	seq               int64
	extra             uint32 // 1 + index in extras; 0 for none
	earning           uint32 // 1 + index in earnings; 0 for none
}

// storedEarning is a loyalty.Earning without pointers.
type storedEarning struct {
	amount, rate, tier, campaign storedDecimal
	points                       int64
	campaignName, rule           textRef
}

// storedDecimal is a decimal whose coefficient fits in an int64.
type storedDecimal struct {
	coef int64
	exp  int32
}

func packDecimal(d decimal.Decimal) (storedDecimal, bool) {
	if d.NumDigits() > 18 {
		return storedDecimal{}, false
	}
	return storedDecimal{coef: d.CoefficientInt64(), exp: d.Exponent()}, true
}

func (d storedDecimal) decimal() decimal.Decimal { return decimal.New(d.coef, d.exp) }

// idemHit is a stored key found by a command.
type idemHit struct {
	slot   slotRef
	n      uint32
	seq    int64
	extra  loyalty.Receipt // shared with the store: copy before returning
	sameIn bool            // the stored input hash is the command's
}

type idemShard struct {
	mu sync.Mutex
	// index finds the records by the hash of their dealer and key; a
	// record whose hash an earlier key already has is found by clash.
	index    map[uint64]uint32
	clash    map[dealerKey]uint32
	recs     chunks[idemRec]
	text     text
	extras   chunks[loyalty.Receipt]
	earnings chunks[storedEarning]
	// dealer is the last dealer stored in text.
	dealer     string
	dealerText textRef
	_          [32]byte // 128 bytes: keep shards on separate cache lines
}

func (sh *idemShard) find(k idemKey) (idemRec, bool) {
	if i, ok := sh.index[k.h]; ok {
		if rec := sh.recs.at(int(i)); sh.text.is(rec.key, k.key) && sh.text.is(rec.dealer, string(k.dealer)) {
			return *rec, true
		}
	}
	if len(sh.clash) > 0 {
		if i, ok := sh.clash[dealerKey{dealer: k.dealer, key: k.key}]; ok {
			return *sh.recs.at(int(i)), true
		}
	}
	return idemRec{}, false
}

func (sh *idemShard) hit(rec idemRec, hash string) idemHit {
	h := idemHit{slot: rec.slot, n: rec.n, seq: rec.seq, sameIn: sh.text.is(rec.hash, hash)}
	if rec.extra > 0 {
		h.extra = *sh.extras.at(int(rec.extra - 1))
	}
	if rec.earning > 0 {
		se := sh.earnings.at(int(rec.earning - 1))
		h.extra.Earning = &loyalty.Earning{Amount: se.amount.decimal(), Rate: se.rate.decimal(),
			TierMultiplier: se.tier.decimal(), CampaignMultiplier: se.campaign.decimal(),
			Campaign: sh.text.str(se.campaignName), Points: se.points, Rule: sh.text.str(se.rule)}
	}
	return h
}

// packEarning returns e without pointers, ok false when a decimal is too
// long for it.
func packEarning(e *loyalty.Earning) (storedEarning, bool) {
	var se storedEarning
	ok := [4]bool{}
	se.amount, ok[0] = packDecimal(e.Amount)
	se.rate, ok[1] = packDecimal(e.Rate)
	se.tier, ok[2] = packDecimal(e.TierMultiplier)
	se.campaign, ok[3] = packDecimal(e.CampaignMultiplier)
	se.points = e.Points
	return se, ok == [4]bool{true, true, true, true}
}

// put stores the record of k with the receipt r (whose entries the
// record locates).
func (sh *idemShard) put(k idemKey, hash string, rec idemRec, r *loyalty.Receipt) error {
	var earning *loyalty.Earning
	if r.Membership == nil && r.Event == nil && r.Quote == nil {
		earning = r.Earning
	}
	size := len(k.dealer) + len(k.key) + len(hash)
	if earning != nil {
		size += len(earning.Campaign) + len(earning.Rule)
	}
	if !sh.text.room(5, size) {
		return dealercrm.Errorf(dealercrm.Internal, "memory: idempotency keys are full (4 GiB)")
	}
	if sh.dealer != string(k.dealer) || sh.dealerText.n != uint32(len(k.dealer)) {
		sh.dealer, sh.dealerText = string(k.dealer), sh.text.add(string(k.dealer))
	}
	rec.dealer, rec.key, rec.hash = sh.dealerText, sh.text.add(k.key), sh.text.add(hash)
	var se storedEarning
	if earning != nil {
		var ok bool
		if se, ok = packEarning(earning); !ok {
			earning = nil
		}
	}
	if earning != nil {
		se.campaignName, se.rule = sh.text.add(earning.Campaign), sh.text.add(earning.Rule)
		sh.earnings.push(se)
		rec.earning = uint32(sh.earnings.len())
	} else if r.Membership != nil || r.Event != nil || r.Earning != nil || r.Quote != nil {
		sh.extras.push(copyReceipt(loyalty.Receipt{Membership: r.Membership, Event: r.Event, Earning: r.Earning, Quote: r.Quote}))
		rec.extra = uint32(sh.extras.len())
	}
	i := uint32(sh.recs.len())
	sh.recs.push(rec)
	if _, taken := sh.index[k.h]; !taken {
		sh.index[k.h] = i
		return nil
	}
	if sh.clash == nil {
		sh.clash = map[dealerKey]uint32{}
	}
	sh.clash[dealerKey{dealer: k.dealer, key: strings.Clone(k.key)}] = i
	return nil
}

// eraseText clears the free text of the receipts stored for the
// commands on the slot numbered slot (loyalty.Receipt.EraseText). Their
// entries are not stored here: a replay reads them from the ledger.
func (sh *idemShard) eraseText(slot slotRef) {
	for i := range sh.recs.len() {
		if rec := sh.recs.at(i); rec.slot == slot && rec.extra > 0 {
			sh.extras.at(int(rec.extra - 1)).EraseText()
		}
	}
}

// NewLoyaltyStore returns an empty LoyaltyStore.
func NewLoyaltyStore() *LoyaltyStore {
	s := &LoyaltyStore{seed: maphash.MakeSeed()}
	for i := range s.keys {
		s.keys[i].index = map[uint64]uint32{}
		s.slotShards[i].index = map[uint64]uint32{}
	}
	return s
}

// slot returns the customer's slot, creating it when create is set (nil
// otherwise when there is none).
func (s *LoyaltyStore) slot(dealer crm.DealerID, customer crm.CustomerID, create bool) *loyaltySlot {
	return s.slotHashed(s.hash(s.dealerHash(dealer), string(customer)), dealer, customer, create)
}

// slotHashed is slot with the hash of dealer and customer.
func (s *LoyaltyStore) slotHashed(h uint64, dealer crm.DealerID, customer crm.CustomerID, create bool) *loyaltySlot {
	shard := h >> 58
	sh := &s.slotShards[shard]
	sh.mu.RLock()
	sl := sh.find(h, dealer, customer)
	sh.mu.RUnlock()
	if sl != nil || !create {
		return sl
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sl = sh.find(h, dealer, customer); sl == nil {
		i := uint32(len(sh.list))
		sl = &loyaltySlot{ref: slotRef(uint64(i)<<6 | shard), dealer: dealer, customer: customer, idLen: -1,
			account: loyalty.NewSnapshot(dealer, customer)}
		if len(customer) <= slotIDLen {
			sl.idLen = int8(copy(sl.id[:], customer))
		}
		sh.list = append(sh.list, sl)
		if _, taken := sh.index[h]; !taken {
			sh.index[h] = i
		} else {
			if sh.clash == nil {
				sh.clash = map[slotKey]uint32{}
			}
			sh.clash[slotKey{dealer: dealer, customer: customer}] = i
		}
	}
	return sl
}

// slotOf returns the slot numbered r.
func (s *LoyaltyStore) slotOf(r slotRef) *loyaltySlot {
	sh := &s.slotShards[r&63]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.list[r>>6]
}

// slots returns the dealer's slots in customer ID order.
func (s *LoyaltyStore) slots(dealer crm.DealerID) []*loyaltySlot {
	var out []*loyaltySlot
	for i := range s.slotShards {
		sh := &s.slotShards[i]
		sh.mu.RLock()
		for _, sl := range sh.list {
			if sl.dealer == dealer {
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

// dealerHash hashes a dealer, for hash.
func (s *LoyaltyStore) dealerHash(dealer crm.DealerID) uint64 {
	return bits.RotateLeft64(maphash.String(s.seed, string(dealer)), 29) * 0x9e3779b97f4a7c15
}

// hash hashes a customer or key of the dealer whose dealerHash is hd: its
// top 6 bits choose a shard.
func (s *LoyaltyStore) hash(hd uint64, k string) uint64 { return maphash.String(s.seed, k) ^ hd }

func (s *LoyaltyStore) keyShard(k idemKey) *idemShard { return &s.keys[k.h>>58] }

// receipt rebuilds the receipt of a stored key from sl, which must be
// the hit's slot, locked.
func receipt(sl *loyaltySlot, h idemHit) loyalty.Receipt {
	r := copyReceipt(h.extra)
	if h.n > 0 {
		r.Entries = make([]loyalty.Entry, h.n)
		for i := range r.Entries {
			r.Entries[i] = sl.ledger.entry(sl.dealer, sl.customer, h.seq+int64(i))
		}
	}
	r.Replayed = true
	return r
}

// loyaltyFrame holds what one command works on. Frames are pooled: a
// command allocates none, and stays in the cache of the processor running
// it, while accounts at rest hold only their stored form.
type loyaltyFrame struct {
	acct loyalty.Account
	st   loyalty.State
	m    loyalty.Membership
}

var frames = sync.Pool{New: func() any { return new(loyaltyFrame) }}

// Do implements loyalty.Store.
func (s *LoyaltyStore) Do(_ context.Context, c loyalty.Command) (loyalty.Receipt, error) {
	hd := s.dealerHash(c.DealerID)
	sl := s.slotHashed(s.hash(hd, string(c.CustomerID)), c.DealerID, c.CustomerID, true)
	var k idemKey
	if c.Key != "" {
		k = idemKey{dealer: c.DealerID, key: c.Key, h: s.hash(hd, c.Key)}
	}
	sl.mu.Lock()
	rec, other, err := s.do(sl, c, k)
	if other != nil {
		// The key is another customer's, with the same input: replay it
		// from that customer's ledger.
		o := s.slotOf(other.slot)
		o.mu.Lock()
		defer o.mu.Unlock()
		return receipt(o, *other), nil
	}
	return rec, err
}

// do is Do with sl locked; it unlocks it. When the command has a key,
// the key's shard stays locked from the lookup to storing the key, so that
// the key's first command on any customer is the one that stores it
// (commands on the other keys of the shard wait for Apply, which does not
// block). When the key was stored by a command on another customer with
// the same input, do returns that record, to be replayed once sl is
// unlocked. A source posted before answers its first receipt, and the
// command's key is stored with it.
func (s *LoyaltyStore) do(sl *loyaltySlot, c loyalty.Command, k idemKey) (loyalty.Receipt, *idemHit, error) {
	defer sl.mu.Unlock() // deferred, as the locks below: Apply may panic
	// Read before the command's key shard is locked: a shard lock is
	// never held while another is taken.
	var posted *loyalty.Receipt
	if seq, ok := sl.sources[c.Source]; ok && c.Source != "" {
		r := s.sourceReceipt(sl, seq)
		posted = &r
	}
	var sh *idemShard
	if c.Key != "" {
		sh = s.keyShard(k)
		sh.mu.Lock()
		if rec, ok := sh.find(k); ok {
			h := sh.hit(rec, c.Hash)
			sh.mu.Unlock()
			return s.replay(sl, h)
		}
	}
	if posted != nil {
		if sh != nil {
			rec := idemRec{slot: sl.ref, n: uint32(len(posted.Entries))}
			if len(posted.Entries) > 0 {
				rec.seq = posted.Entries[0].Seq
			}
			err := sh.put(k, c.Hash, rec, posted)
			sh.mu.Unlock()
			if err != nil {
				return loyalty.Receipt{}, nil, err
			}
		}
		return *posted, nil, nil
	}
	rec, err := s.apply(sl, c, sh, k)
	if err != nil {
		return loyalty.Receipt{}, nil, err
	}
	return rec, nil, nil
}

// apply runs c on sl, locked, and stores its outcome, with the key in sh
// when there is one; it unlocks sh as soon as the key is stored or the
// command has failed.
func (s *LoyaltyStore) apply(sl *loyaltySlot, c loyalty.Command, sh *idemShard, k idemKey) (loyalty.Receipt, error) {
	defer func() {
		if sh != nil {
			sh.mu.Unlock()
		}
	}()
	// State is only valid during Apply: the frame goes back to the pool.
	f := frames.Get().(*loyaltyFrame)
	defer frames.Put(f)
	f.acct.ResetSnapshot(sl.account)
	f.st = loyalty.State{Account: &f.acct, MembershipSeq: int64(len(sl.events))}
	st := &f.st
	if sl.membership != nil {
		f.m = sl.membership.Clone()
		st.Membership = &f.m
	}
	rec, err := c.Apply(st)
	if err != nil {
		return loyalty.Receipt{}, err
	}
	added := st.Account.NewEntries()
	if err := s.check(sl, c.Source, added); err != nil {
		return loyalty.Receipt{}, err
	}
	if sh != nil {
		err := sh.put(k, c.Hash, idemRec{slot: sl.ref, n: uint32(len(added)), seq: int64(sl.ledger.len() + 1)}, &rec)
		sh.mu.Unlock()
		sh = nil
		if err != nil {
			return loyalty.Receipt{}, err
		}
	}
	sl.ledger.append(added)
	sl.account = st.Account.Snapshot()
	for i := range added {
		if src := added[i].SourceKey(); src != "" {
			if sl.sources == nil {
				sl.sources = map[string]int64{}
			}
			sl.sources[src] = added[i].Seq
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
		// The receipt may point into the frame's account, which the next
		// command reuses.
		rec.Entries = slices.Clone(rec.Entries)
	}
	return rec, nil
}

// check refuses the entries of a command that cannot be stored: one from
// a source the command did not name (or posted before), an entry out of
// sequence, one the ledger cannot hold.
func (s *LoyaltyStore) check(sl *loyaltySlot, source string, added []loyalty.Entry) error {
	for i := range added {
		e := &added[i]
		if src := e.SourceKey(); src != "" {
			if _, posted := sl.sources[src]; posted || src != source {
				return loyalty.ErrUndeclaredSource
			}
		}
		if e.Seq != int64(sl.ledger.len()+i+1) || e.CustomerID != sl.customer || e.DealerID != sl.dealer {
			return dealercrm.Errorf(dealercrm.Internal, "memory: entry %s does not follow the ledger of %s", e.ID, sl.customer)
		}
	}
	return sl.ledger.appendable(added)
}

// sourceReceipt rebuilds the receipt of the posting of entry seq of sl,
// locked, from the key it was posted with (a posting without a key
// answers the entry alone).
func (s *LoyaltyStore) sourceReceipt(sl *loyaltySlot, seq int64) loyalty.Receipt {
	e := sl.ledger.entry(sl.dealer, sl.customer, seq)
	if e.IdempotencyKey != "" {
		k := idemKey{dealer: sl.dealer, key: e.IdempotencyKey, h: s.hash(s.dealerHash(sl.dealer), e.IdempotencyKey)}
		sh := s.keyShard(k)
		sh.mu.Lock()
		rec, ok := sh.find(k)
		var h idemHit
		if ok {
			h = sh.hit(rec, "")
		}
		sh.mu.Unlock()
		if ok && h.slot == sl.ref {
			return receipt(sl, h)
		}
	}
	return loyalty.Receipt{Entries: []loyalty.Entry{e}, Replayed: true}
}

// replay answers a command whose key is stored as h: a conflict when the
// input differs, else the stored receipt (or h, when it is another
// slot's, to be read once sl is unlocked).
func (s *LoyaltyStore) replay(sl *loyaltySlot, h idemHit) (loyalty.Receipt, *idemHit, error) {
	switch {
	case !h.sameIn:
		return loyalty.Receipt{}, nil, loyalty.ErrIdempotencyConflict
	case h.slot != sl.ref:
		return loyalty.Receipt{}, &h, nil
	}
	return receipt(sl, h), nil, nil
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
	defer sl.mu.Unlock()
	return sl.account.Account(), nil
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
			if seq <= int64(sl.ledger.len()) {
				return sl.ledger.entry(sl.dealer, sl.customer, seq), nil
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
		for seq := after + 1; seq <= int64(sl.ledger.len()) && len(out) <= size; seq++ {
			if !f.Until.IsZero() && sl.ledger.date(seq).After(f.Until) {
				break
			}
			out = append(out, sl.ledger.entry(sl.dealer, sl.customer, seq))
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
		for _, l := range sl.account.Lots() {
			if l.Remaining > 0 && !l.ExpiresOn.IsZero() && !l.ExpiresOn.After(by) {
				out = append(out, loyalty.DueLot{CustomerID: sl.customer, Lot: l})
			}
		}
		sl.mu.Unlock()
	}
	return out, nil
}

// EraseText implements loyalty.Store. Under the account's lock it
// rebuilds the ledger without the erased text, clears the events' and
// then, shard by shard, the stored receipts' (a scan of every key: an
// erasure is rare, and keys are not indexed by customer).
func (s *LoyaltyStore) EraseText(_ context.Context, dealer crm.DealerID, customer crm.CustomerID) error {
	sl := s.slot(dealer, customer, false)
	if sl == nil {
		return nil
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.ledger.eraseText(sl.dealer, sl.customer)
	for i := range sl.events {
		sl.events[i].EraseText()
	}
	for i := range s.keys {
		sh := &s.keys[i]
		sh.mu.Lock()
		sh.eraseText(sl.ref)
		sh.mu.Unlock()
	}
	return nil
}

// Outstanding implements loyalty.Store.
func (s *LoyaltyStore) Outstanding(_ context.Context, dealer crm.DealerID) ([]loyalty.StorePoints, error) {
	sums := map[crm.DealerID]int64{}
	for _, sl := range s.slots(dealer) {
		sl.mu.Lock()
		for _, l := range sl.account.Lots() {
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
