package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
)

// The Store merges customers across the stores NewStores made with it.
var _ crm.CustomerMerger = (*Store)(nil)

// others are the stores of the other packages NewStores made with a
// Store, which MoveCustomer reaches; nil for a Store of New.
type others struct {
	tasks     *TaskStore
	loyalty   *LoyaltyStore
	grading   *GradingStore
	answers   *SatisfactionStore
	campaigns *CampaignStore
	messages  *MessageStore
}

// MoveCustomer implements crm.CustomerMerger with the rules of the
// Postgres adapter: crm records are re-pointed under the Store's undo log;
// then, when the Store comes from NewStores, each other store folds its
// part under its own lock and hands back the inverse of its change, which
// joins the undo log. A merge that fails part-way, or whose transaction
// fails afterwards, is thus undone in every store: all or nothing as far
// as the state goes, though a reader of another store may see the change
// before the crm transaction ends (the stores share no lock). A Store of
// New moves the crm records only.
func (s *Store) MoveCustomer(ctx context.Context, dealer crm.DealerID, to, from crm.CustomerID) (map[string]int64, error) {
	moved := map[string]int64{}
	err := s.write(ctx, func(u *undoLog) error {
		count := func(kind string, n int64) {
			if n > 0 {
				moved[kind] += n
			}
		}
		db := s.db
		count("vehicles", repoint(u, db.vehicles, dealer, func(v *crm.Vehicle) bool { return swap(&v.OwnerID, to, from) }))
		count("leads", repoint(u, db.leads, dealer, func(l *crm.Lead) bool { return swap(&l.CustomerID, to, from) }))
		count("referrals", repoint(u, db.leads, dealer, func(l *crm.Lead) bool { return swap(&l.ReferrerID, to, from) }))
		count("sales", repoint(u, db.sales, dealer, func(v *crm.Sale) bool { return swap(&v.CustomerID, to, from) }))
		count("service_orders", repoint(u, db.serviceOrders, dealer, func(v *crm.ServiceOrder) bool { return swap(&v.CustomerID, to, from) }))
		count("insurance_policies", repoint(u, db.policies, dealer, func(v *crm.InsurancePolicy) bool { return swap(&v.CustomerID, to, from) }))
		count("interactions", repoint(u, db.interactions, dealer, func(v *crm.Interaction) bool { return swap(&v.CustomerID, to, from) }))
		count("complaints", repoint(u, db.complaints, dealer, func(v *crm.Complaint) bool { return swap(&v.CustomerID, to, from) }))
		count("event_participations", repoint(u, db.participations, dealer, func(v *crm.EventParticipation) bool { return swap(&v.CustomerID, to, from) }))
		o := db.others
		if o == nil {
			return nil
		}
		for _, part := range []func() (func(), map[string]int64, error){
			func() (func(), map[string]int64, error) { return o.tasks.moveCustomer(dealer, to, from) },
			func() (func(), map[string]int64, error) {
				return o.loyalty.moveCustomer(groupDealers(db, dealer), to, from)
			},
			func() (func(), map[string]int64, error) { return o.grading.moveCustomer(dealer, to, from) },
			func() (func(), map[string]int64, error) { return o.answers.moveCustomer(dealer, to, from) },
			func() (func(), map[string]int64, error) { return o.campaigns.moveCustomer(dealer, to, from) },
			func() (func(), map[string]int64, error) { return o.messages.moveCustomer(dealer, to, from) },
		} {
			undo, n, err := part()
			if err != nil {
				return err
			}
			u.add(undo)
			crm.MergeCounts(moved, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// swap sets *id to to when it is from, and reports whether it did.
func swap[ID ~string](id *ID, to, from ID) bool {
	if *id != from {
		return false
	}
	*id = to
	return true
}

// repoint stores a changed copy of each of the dealer's rows of t that
// change (a shallow copy: change replaces IDs only) and returns how many
// changed.
func repoint[T any, ID ~string](u *undoLog, t *table[T, ID], dealer crm.DealerID, change func(*T) bool) int64 {
	p := t.parts[dealer]
	if p == nil {
		return 0
	}
	var n int64
	for _, id := range slices.Clone(p.ids) {
		v := *p.rows[id]
		if change(&v) {
			t.put(u, &v)
			n++
		}
	}
	return n
}

func (s *TaskStore) moveCustomer(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(dealer, false)
	if t == nil {
		return func() {}, nil, nil
	}
	byID, erasures := maps.Clone(t.byID), maps.Clone(t.erasures)
	n := map[string]int64{}
	for id, task := range t.byID {
		if task.CustomerID == from {
			task.CustomerID = to
			t.byID[id] = task
			n["lifecycle_tasks"]++
		}
	}
	if e, ok := t.erasures[from]; ok {
		delete(t.erasures, from)
		if _, has := t.erasures[to]; !has {
			e.CustomerID = to
			t.erasures[to] = e
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		t.byID, t.erasures = byID, erasures
	}, n, nil
}

// groupDealers returns dealer and the other dealers of its group, where
// a group programme keeps the customer's points (under its home store).
func groupDealers(db *database, dealer crm.DealerID) []crm.DealerID {
	out := []crm.DealerID{dealer}
	// Dealers are kept in the partition of no dealer.
	me, ok := db.dealers.get("", dealer)
	if !ok || me.GroupID == "" {
		return out
	}
	for id, d := range db.dealers.parts[""].rows {
		if id != dealer && d.GroupID == me.GroupID {
			out = append(out, id)
		}
	}
	slices.Sort(out[1:])
	return out
}

// moveCustomer folds the merged customer's account into the survivor's
// at each of dealers that keeps one, and returns the inverse of all.
func (s *LoyaltyStore) moveCustomer(dealers []crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	var undos []func()
	undo := func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	n := map[string]int64{}
	for _, d := range dealers {
		u, m, err := s.moveAccount(d, to, from)
		if err != nil {
			undo()
			return nil, nil, err
		}
		undos = append(undos, u)
		crm.MergeCounts(n, m)
	}
	return undo, n, nil
}

func (s *LoyaltyStore) moveAccount(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	src := s.account(dealer, from, false)
	if src == nil {
		return func() {}, nil, nil
	}
	dst := s.account(dealer, to, true)
	src.mu.Lock()
	defer src.mu.Unlock()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	m, err := loyalty.MergeLedgers(dealer, to, dst.entries, src.entries, dst.events, src.events)
	if err != nil {
		return nil, nil, err
	}
	sources := maps.Clone(dst.sources)
	for _, e := range m.Moved {
		if key := e.SourceKey(); key != "" {
			if _, taken := sources[key]; taken {
				return nil, nil, &crm.ConflictError{Entity: "loyalty entry", Field: "source"}
			}
			if sources == nil {
				sources = map[string]int64{}
			}
			sources[key] = e.Seq
		}
	}
	entries, events, data, membership := dst.entries, dst.events, dst.data, dst.membership
	oldSources := dst.sources
	member := loyalty.MergeMemberships(to, dst.membership, src.membership)
	dst.entries = append(slices.Clone(dst.entries), m.Moved...)
	dst.events = append(slices.Clone(dst.events), m.Events...)
	dst.data, dst.sources, dst.membership = m.Account, sources, member
	s.mu.Lock()
	delete(s.accounts, accountKey{dealer: dealer, customer: from})
	s.mu.Unlock()
	s.keysMu.Lock()
	var repointed []*idemRecord
	for k, rec := range s.keys {
		if k.dealer == dealer && rec.account == src {
			repointed = append(repointed, rec)
		}
	}
	for _, rec := range repointed {
		rec.account = dst
		rec.seq += m.Offset
	}
	s.keysMu.Unlock()
	n := map[string]int64{"loyalty_entries": int64(len(m.Moved)), "loyalty_membership_events": int64(len(m.Events))}
	if src.membership != nil {
		n["loyalty_memberships"] = 1
	}
	return func() {
		dst.mu.Lock()
		dst.entries, dst.events, dst.data, dst.sources, dst.membership = entries, events, data, oldSources, membership
		dst.mu.Unlock()
		s.mu.Lock()
		s.accounts[accountKey{dealer: dealer, customer: from}] = src
		s.mu.Unlock()
		s.keysMu.Lock()
		for _, rec := range repointed {
			rec.account = src
			rec.seq -= m.Offset
		}
		s.keysMu.Unlock()
	}, n, nil
}

func (g *GradingStore) moveCustomer(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	states, history := maps.Clone(g.states[dealer]), maps.Clone(g.history[dealer])
	n := map[string]int64{}
	if st, ok := g.states[dealer][from]; ok {
		delete(g.states[dealer], from)
		if _, has := g.states[dealer][to]; !has {
			st.CustomerID = to
			g.states[dealer][to] = st
			n["grading_states"]++
		}
	}
	if changes, ok := g.history[dealer][from]; ok {
		delete(g.history[dealer], from)
		kept := slices.Clone(g.history[dealer][to])
		for _, c := range changes {
			if slices.ContainsFunc(kept, func(k grading.Change) bool { return k.RunID == c.RunID }) {
				continue
			}
			c.CustomerID = to
			kept = append(kept, c)
			n["grading_changes"]++
		}
		slices.SortStableFunc(kept, func(a, b grading.Change) int { return cmp.Compare(a.RunID, b.RunID) })
		g.history[dealer][to] = kept
	}
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if states != nil {
			g.states[dealer] = states
		}
		if history != nil {
			g.history[dealer] = history
		}
	}, n, nil
}

func (s *SatisfactionStore) moveCustomer(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[skey]crm.CustomerID{}
	for k, r := range s.responses {
		if k.dealer == dealer && r.CustomerID == from {
			old[k] = r.CustomerID
			r.CustomerID = to
			s.responses[k] = r
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for k, c := range old {
			r := s.responses[k]
			r.CustomerID = c
			s.responses[k] = r
		}
	}, map[string]int64{"satisfaction_responses": int64(len(old))}, nil
}

func (s *CampaignStore) moveCustomer(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	profiles, members := s.profiles[dealer], maps.Clone(s.members[dealer])
	n := map[string]int64{}
	if i := slices.IndexFunc(profiles, func(p campaign.Profile) bool { return p.CustomerID == from }); i >= 0 {
		out := slices.Delete(slices.Clone(profiles), i, i+1)
		if !slices.ContainsFunc(out, func(p campaign.Profile) bool { return p.CustomerID == to }) {
			p := profiles[i].Clone()
			p.CustomerID = to
			out = append(out, p)
			slices.SortFunc(out, func(a, b campaign.Profile) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
			n["campaign_profiles"]++
		}
		s.profiles[dealer] = out
	}
	for id, list := range s.members[dealer] {
		i := slices.IndexFunc(list, func(m campaign.Member) bool { return m.CustomerID == from })
		if i < 0 {
			continue
		}
		out := slices.Delete(slices.Clone(list), i, i+1)
		if !slices.ContainsFunc(out, func(m campaign.Member) bool { return m.CustomerID == to }) {
			m := list[i]
			m.CustomerID = to
			out = append(out, m)
			slices.SortStableFunc(out, func(a, b campaign.Member) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
			n["campaign_members"]++
		}
		s.members[dealer][id] = out
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.profiles[dealer] = profiles
		if members != nil {
			s.members[dealer] = members
		}
	}, n, nil
}

func (s *MessageStore) moveCustomer(dealer crm.DealerID, to, from crm.CustomerID) (func(), map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var changed []messages.SendID
	for id, m := range s.sends {
		if m.DealerID == dealer && m.CustomerID == from {
			m.CustomerID = to
			s.sends[id] = m
			changed = append(changed, id)
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, id := range changed {
			m := s.sends[id]
			m.CustomerID = from
			s.sends[id] = m
		}
	}, map[string]int64{"message_sends": int64(len(changed))}, nil
}
