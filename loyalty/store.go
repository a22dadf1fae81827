package loyalty

import (
	"context"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Receipt is the outcome of a command with side effects (join, renew,
// upgrade, earn, redeem, reverse, …): the ledger entries it posted and the
// membership after it, with the event. A replay — the same idempotency
// key, or a source already posted under any key — returns the first
// command's receipt with Replayed set.
type Receipt struct {
	Entries    []Entry          `json:"entries"`
	Membership *Membership      `json:"membership,omitempty"`
	Event      *MembershipEvent `json:"event,omitempty"`
	// Earning explains the points of an earning from a service order.
	Earning *Earning `json:"earning,omitempty"`
	// Quote is the priced quote of a benefits use.
	Quote    *Quote `json:"quote,omitempty"`
	Replayed bool   `json:"-"`
}

// State is what one atomic command sees and changes: the customer's points
// account and membership. The store locks both for the command; a State
// and its Account are only valid during Command.Apply (a store may reuse
// them), so Apply must not keep them.
type State struct {
	// Account is the points account (empty when the customer has none).
	Account *Account
	// Membership is the current membership, nil before joining; a command
	// sets or changes it, and appends the event to Events.
	Membership *Membership
	Events     []MembershipEvent
	// MembershipSeq is the number of membership events stored so far.
	MembershipSeq int64
}

// Command is an idempotent unit of work on one customer's State.
type Command struct {
	DealerID   crm.DealerID
	CustomerID crm.CustomerID
	// Key is the idempotency key ("" for none); Hash identifies the input
	// (the Service's commands hash their whole request: see requestHash
	// in idempotency.go).
	Key  string
	Hash string
	// Source is the SourceKey of the entry the command posts when it
	// records a business event that counts once per account (an earning
	// of an order, a bonus, a reversal), "" for none.
	Source string
	// Apply changes the state and returns the receipt to store with the key.
	// It runs under the store's lock of the account, so it must not block
	// or call the store; its receipt must not point into the State, which
	// the store may reuse.
	Apply func(s *State) (Receipt, error)
}

// EntryFilter selects ledger entries of one customer; Until (inclusive),
// when set, leaves out later ones.
type EntryFilter struct {
	Until dealercrm.Date `json:"until,omitzero"`
	crm.PageRequest
}

// MembershipFilter selects memberships; empty fields match all.
type MembershipFilter struct {
	Tier   Tier   `json:"tier,omitempty"`
	Status Status `json:"status,omitempty"`
	// CustomerIDs selects the memberships of some customers (the call
	// list reads the tiers of a page's customers with it); empty: all.
	CustomerIDs []crm.CustomerID `json:"customer_ids,omitempty"`
	crm.PageRequest
}

// DueLot is an open lot with an expiry, for the expiry job and notices.
type DueLot struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Lot        Lot            `json:"lot"`
}

// StorePoints are the points outstanding that were earned at one store.
type StorePoints struct {
	Store  crm.DealerID `json:"store"`
	Points int64        `json:"points"`
}

// Store keeps memberships and points ledgers. Every method is scoped to
// one dealer (the account dealer). Values are copied in and out.
type Store interface {
	// Do runs c atomically: it locks the customer's account and membership
	// (creating an empty account when there is none), and
	//
	//   - when c.Key is set and stored before, it returns the stored
	//     receipt with Replayed set (same Hash) or ErrIdempotencyConflict
	//     (other Hash) without calling Apply;
	//   - else, when c.Source is set and an entry of the account was posted
	//     from it (under any key, or none), it returns the receipt of that
	//     posting with Replayed set without calling Apply, and stores c.Key
	//     (when set) with c.Hash and that receipt;
	//   - else it calls Apply once and, when it returns nil, stores the
	//     account's new entries and changed lots, the membership and the
	//     events and the key with the receipt, all or nothing.
	//
	// Apply's error is returned as it is and stores nothing. An entry
	// whose SourceKey is set must be c.Source's: Do refuses (Invalid,
	// storing nothing) a command that posts from a source it did not name,
	// so that no source is ever posted twice. Concurrent Do on one customer
	// are serialised; a normal conflict (a key or a source used before)
	// makes no storage error.
	Do(ctx context.Context, c Command) (Receipt, error)
	// Account returns the customer's account as it stands (empty when none).
	Account(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (*Account, error)
	// Membership returns the customer's membership, or ErrNotFound.
	Membership(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (Membership, error)
	// ListMemberships returns memberships matching f in customer ID order,
	// a page at a time; a bad cursor is a *crm.ValidationError.
	ListMemberships(ctx context.Context, dealer crm.DealerID, f MembershipFilter) (crm.Page[Membership], error)
	// MembershipEvents returns a customer's membership events, oldest first
	// (empty for none).
	MembershipEvents(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]MembershipEvent, error)
	// Entry returns one ledger entry, or ErrNotFound.
	Entry(ctx context.Context, dealer crm.DealerID, id EntryID) (Entry, error)
	// Entries returns a customer's entries in sequence order, a page at a
	// time (the cursor is the last sequence number).
	Entries(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, f EntryFilter) (crm.Page[Entry], error)
	// DueLots returns the open lots expiring on or before by, by customer
	// then lot.
	DueLots(ctx context.Context, dealer crm.DealerID, by dealercrm.Date) ([]DueLot, error)
	// Outstanding returns the points outstanding per store where they were
	// earned, in store order.
	Outstanding(ctx context.Context, dealer crm.DealerID) ([]StorePoints, error)
	// EraseText clears, atomically, the free text of the customer's
	// ledger entries, membership events and the receipts stored with
	// idempotency keys (Entry.EraseText, MembershipEvent.EraseText,
	// Receipt.EraseText), for an erasure under PIPL: every amount, date,
	// lot, key and source stays, so balances are unchanged and a replay
	// or a source posted again still answers the first receipt (without
	// the text). It serialises with Do on the customer, is idempotent, and
	// does nothing for a customer without data.
	EraseText(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) error
}

// AfterSeq decodes the cursor into the sequence number listing resumes
// after (0 for the first page); a malformed cursor is a *crm.ValidationError.
func (f EntryFilter) AfterSeq() (int64, error) {
	s, err := f.AfterID()
	if err != nil || s == "" {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || n < 0 {
		return 0, invalid("after", crm.RuleFormat, "is not a cursor returned by a previous page")
	}
	return n, nil
}

// EntryPage builds a page of entries from up to size+1 entries in sequence
// order, so that stores agree on cursors.
func EntryPage(entries []Entry, size int) crm.Page[Entry] {
	return crm.NewPage(entries, size, func(e Entry) string { return strconv.FormatInt(e.Seq, 10) })
}
