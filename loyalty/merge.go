package loyalty

import (
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// Merging customers (crm.Service.MergeCustomers): the adapters move the
// merged customer's points and membership to the survivor by these rules,
// so that every backend folds them alike.

// MergedLedger is the survivor's ledger after a merge.
type MergedLedger struct {
	// Moved are the merged customer's entries as the survivor's: entry n
	// of the merged ledger is entry len(survivor's)+n, with its ID, the
	// entry it reverses and the lots it moves renamed; dates, points,
	// lock periods and expiry dates are kept.
	Moved []Entry
	// Events are the merged customer's membership events, renumbered
	// after the survivor's in the same way (their ledger entries renamed).
	Events []MembershipEvent
	// Account is the survivor's account replayed from both ledgers: its
	// balances are the sums of both, its lots both accounts' open lots
	// (the merged one's renamed, each keeping its expiry).
	Account AccountData
	// Offset is what the merged entries' and lots' sequence numbers grew
	// by (the survivor's entry count).
	Offset int64
}

// MergeLedgers appends the ledger from (the merged customer's entries
// and membership events, in sequence order) to the survivor to's ledger,
// by the rule of MergedLedger. It returns an error when either ledger is
// inconsistent (see Replay).
func MergeLedgers(dealer crm.DealerID, to crm.CustomerID, toEntries, fromEntries []Entry, toEvents, fromEvents []MembershipEvent) (MergedLedger, error) {
	n := int64(len(toEntries))
	rename := func(id EntryID) EntryID {
		if c, seq, ok := id.Parse(); ok && len(fromEntries) > 0 && c == fromEntries[0].CustomerID {
			return NewEntryID(to, seq+n)
		}
		return id
	}
	out := MergedLedger{Offset: n}
	for _, e := range fromEntries {
		e.ID, e.CustomerID, e.Seq = rename(e.ID), to, e.Seq+n
		e.Reverses = rename(e.Reverses)
		moves := make([]LotMove, len(e.Moves))
		for i, m := range e.Moves {
			m.Lot = rename(m.Lot)
			moves[i] = m
		}
		if e.Moves != nil {
			e.Moves = moves
		}
		out.Moved = append(out.Moved, e)
	}
	for i, ev := range fromEvents {
		ev.CustomerID, ev.Seq, ev.Entry = to, int64(len(toEvents)+i+1), rename(ev.Entry)
		out.Events = append(out.Events, ev)
	}
	all := append(append(make([]Entry, 0, len(toEntries)+len(out.Moved)), toEntries...), out.Moved...)
	acct, err := Replay(dealer, to, all)
	if err != nil {
		return MergedLedger{}, err
	}
	out.Account = acct.Data()
	for _, e := range all {
		if e.Date.After(out.Account.LastDate) {
			out.Account.LastDate = e.Date
		}
	}
	return out, nil
}

// MergeMemberships returns the membership the survivor keeps after a
// merge, given its own (to, nil for none) and the merged customer's
// (from): the better of the two — an active membership before a lapsed
// one before a cancelled one, then the higher of the default tiers
// (silver, gold, diamond; a tier of the host's own counts below them),
// then the later end of validity — with the later ValidUntil and the
// earlier JoinedOn of both when both are active. The result belongs to
// customer, its Version one past the larger of the two; nil when
// neither exists.
func MergeMemberships(customer crm.CustomerID, to, from *Membership) *Membership {
	if to == nil && from == nil {
		return nil
	}
	var best Membership
	switch {
	case to == nil:
		best = from.Clone()
	case from == nil:
		best = to.Clone()
	default:
		best = to.Clone()
		if better(from, to) {
			best = from.Clone()
		}
		if to.Status == StatusActive && from.Status == StatusActive {
			for _, m := range []*Membership{to, from} {
				if m.ValidUntil.After(best.ValidUntil) {
					best.ValidUntil = m.ValidUntil
				}
			}
			if to.JoinedOn.Before(best.JoinedOn) {
				best.JoinedOn = to.JoinedOn
			}
			if from.JoinedOn.Before(best.JoinedOn) {
				best.JoinedOn = from.JoinedOn
			}
		}
		best.Version = max(to.Version, from.Version)
	}
	best.CustomerID = customer
	best.Version++
	return &best
}

// better reports whether membership a is better than b (see
// MergeMemberships).
func better(a, b *Membership) bool {
	if ra, rb := statusRank(a.Status), statusRank(b.Status); ra != rb {
		return ra > rb
	}
	if ra, rb := tierRank(a.Tier), tierRank(b.Tier); ra != rb {
		return ra > rb
	}
	return a.ValidUntil.After(b.ValidUntil)
}

func statusRank(s Status) int {
	return map[Status]int{StatusActive: 3, StatusLapsed: 2, StatusCancelled: 1}[s]
}

func tierRank(t Tier) int {
	return map[Tier]int{Silver: 1, Gold: 2, Diamond: 3}[Tier(strings.ToLower(string(t)))]
}
