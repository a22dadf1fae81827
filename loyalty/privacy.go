package loyalty

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm/crm"
)

// ErasedReason is the reason of the cancellation that erasing a customer
// makes (see Service.EraseCustomer). It holds nothing about the person, so
// erasure keeps it.
const ErasedReason = "erased"

// CustomerData is what the club holds about one customer, the "loyalty"
// section of a PIPL export (see Service.ExportCustomer).
type CustomerData struct {
	// Membership is the current membership, nil when the customer never
	// joined.
	Membership *Membership `json:"membership"`
	// Events are the membership's changes, oldest first.
	Events []MembershipEvent `json:"membership_events"`
	// Entries is the whole points ledger of the customer's account, in
	// sequence order.
	Entries []Entry `json:"entries"`
}

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: the club's section of
// an export is "loyalty".
func (s *Service) PersonalDataSection() string { return "loyalty" }

// ExportCustomer implements crm.PersonalData: it returns the CustomerData
// of the customer as the store sees it (in a group programme, the account
// kept by the group's home store), with empty lists when the customer has
// no membership or ledger. A customer the store does not have is
// ErrNotFound.
func (s *Service) ExportCustomer(ctx context.Context, store crm.DealerID, id crm.CustomerID) (any, error) {
	if err := s.customerExists(ctx, store, id); err != nil {
		return nil, err
	}
	dealer := s.program.AccountDealer(store)
	out := CustomerData{Events: []MembershipEvent{}, Entries: []Entry{}}
	m, err := s.store.Membership(ctx, dealer, id)
	switch {
	case err == nil:
		out.Membership = &m
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("loyalty: export %s: membership: %w", id, err)
	}
	if out.Events, err = s.store.MembershipEvents(ctx, dealer, id); err != nil {
		return nil, fmt.Errorf("loyalty: export %s: membership events: %w", id, err)
	}
	entries, err := crm.All(ctx, func(after string) (crm.Page[Entry], error) {
		return s.store.Entries(ctx, dealer, id, EntryFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty: export %s: entries: %w", id, err)
	}
	if entries != nil {
		out.Entries = entries
	}
	return out, nil
}

// EraseCustomer implements crm.PersonalData. The ledger is a financial
// record, append-only: every entry stays with its points, dates, store,
// kind and source, so balances, lots, statements and the liability are
// unchanged. What a caller wrote and could quote the person is cleared
// (Entry.EraseText, MembershipEvent.EraseText), in the ledger, the
// membership events and the receipts stored with idempotency keys.
//
// An active or lapsed membership is cancelled, with reason ErasedReason:
// the club no longer knows who the member is, and a cancelled member earns
// nothing more. The points stay on the account (they are the books'), and
// the anonymised customer may join again.
//
// It is idempotent: erasing again changes nothing more, and completes an
// erasure that failed part-way. A customer the store does not have is
// ErrNotFound.
func (s *Service) EraseCustomer(ctx context.Context, store crm.DealerID, id crm.CustomerID) error {
	if err := s.customerExists(ctx, store, id); err != nil {
		return err
	}
	dealer := s.program.AccountDealer(store)
	m, err := s.store.Membership(ctx, dealer, id)
	switch {
	case err == nil && CanTransition(m.Status, EventCancel):
		if err := s.cancelErased(ctx, store, dealer, id); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, ErrNotFound):
		return fmt.Errorf("loyalty: erase %s: membership: %w", id, err)
	}
	if err := s.store.EraseText(ctx, dealer, id); err != nil {
		return fmt.Errorf("loyalty: erase %s: %w", id, err)
	}
	return nil
}

// cancelErased cancels the membership of an erased customer, when it
// still may be cancelled once the account is locked.
func (s *Service) cancelErased(ctx context.Context, store, dealer crm.DealerID, id crm.CustomerID) error {
	today, err := s.Today(ctx, store)
	if err != nil {
		return err
	}
	at := s.stamp()
	_, err = s.store.Do(ctx, Command{DealerID: dealer, CustomerID: id,
		Apply: func(st *State) (Receipt, error) {
			if st.Membership == nil || !CanTransition(st.Membership.Status, EventCancel) {
				return Receipt{}, nil
			}
			ev := MembershipEvent{Event: EventCancel, Rule: "the customer's personal information was erased", Reason: ErasedReason,
				Date: today, At: at}
			if err := transition(st.Membership, &ev); err != nil {
				return Receipt{}, err
			}
			m := st.Membership.Clone()
			if err := s.applyEvent(&m, &ev, today); err != nil {
				return Receipt{}, err
			}
			m.UpdatedAt = at
			return s.record(st, m, ev, nil, ""), nil
		}})
	if err != nil {
		return fmt.Errorf("loyalty: erase %s: cancel membership: %w", id, err)
	}
	return nil
}

// EraseText clears the free text of e that a caller wrote and that could
// quote the person, and reports whether it changed e:
//
//   - Reason, unless the package wrote it itself from the program (an
//     earning's rule, a bonus's event, an expiry): the reasons of
//     redemptions and reversals are the caller's;
//   - Source.ID, unless it names the source document that counts once
//     (an earning's service order, a bonus's event record; see
//     SourceKey): a redemption's Ref is a caller's label, and a reversal
//     carries a copy of its entry's source.
//
// Points, dates, store, kind, Source.Type (the purpose of a redemption: a
// category such as "voucher"), lot moves and the idempotency key stay:
// they are the financial record. Keys guard retries and must be opaque
// (never personal data). SourceKey is the same before and after.
func (e *Entry) EraseText() bool {
	changed := false
	if e.Kind != EntryEarn && e.Kind != EntryBonus && e.Kind != EntryExpire && e.Reason != "" {
		e.Reason, changed = "", true
	}
	if e.Kind != EntryEarn && e.Kind != EntryBonus && e.Source.ID != "" {
		e.Source.ID, changed = "", true
	}
	return changed
}

// EraseText clears the reason of ev, which a caller wrote (joining,
// renewing, cancelling), unless it is ErasedReason, and reports whether it
// changed ev. The rule that fired, the method, tiers, states and dates
// stay.
func (ev *MembershipEvent) EraseText() bool {
	if ev.Reason == "" || ev.Reason == ErasedReason {
		return false
	}
	ev.Reason = ""
	return true
}

// EraseText clears the free text of the receipt's entries and event (see
// Entry.EraseText and MembershipEvent.EraseText), so that a replay of a
// stored receipt answers no more than the ledger, and reports whether it
// changed r. It changes r.Entries in place but replaces r.Event rather
// than change what it points to.
func (r *Receipt) EraseText() bool {
	changed := false
	for i := range r.Entries {
		if r.Entries[i].EraseText() {
			changed = true
		}
	}
	if r.Event != nil {
		ev := *r.Event
		if ev.EraseText() {
			r.Event, changed = &ev, true
		}
	}
	return changed
}
