package memory

import (
	"math"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// ledger is one points account's entries in a compact form that holds no
// pointers, so that the garbage collector never scans them, however many
// an account or a store holds: dates and times are numbers, strings are
// ranges of a text (the few that repeat — kind, store, source type, rule
// — are kept once in a small dictionary) and lot moves are a list of
// their own. Entries are materialised on the way out.
type ledger struct {
	entries chunks[storedEntry]
	moves   chunks[storedMove]
	text    text
	// dict holds up to dictSize repeated strings, referred to by index.
	dict []string
}

const dictSize = 32

type storedEntry struct {
	date, availableOn, expiresOn  int64 // packed dates
	points, cumulative, shortfall int64
	createdSec                    int64
	createdNsec                   int32 // -1: CreatedAt is zero
	movesN                        uint32
	movesOff                      int // index in moves
	kind, store, sourceType       textRef
	sourceID, reason, key         textRef
	reverses                      textRef
}

type storedMove struct {
	lot       textRef
	points    int64
	expiresOn int64
}

func (l *ledger) len() int { return l.entries.len() }

// packDate packs a date into one number, ok false for a date outside the
// calendar (month 0–12, day 0–31; zero is the zero date).
func packDate(d dealercrm.Date) (int64, bool) {
	if d.Month < 0 || d.Month > 12 || d.Day < 0 || d.Day > 31 || d.Year < -1<<40 || d.Year > 1<<40 {
		return 0, false
	}
	return int64(d.Year)<<9 | int64(d.Month)<<5 | int64(d.Day), true
}

func unpackDate(v int64) dealercrm.Date {
	return dealercrm.Date{Year: int(v >> 9), Month: time.Month(v >> 5 & 15), Day: int(v & 31)}
}

// appendable checks that es can be stored: their dates are calendar dates
// and their strings fit in the text buffer.
func (l *ledger) appendable(es []loyalty.Entry) error {
	strs, size := 0, 0
	for i := range es {
		e := &es[i]
		for _, d := range [...]dealercrm.Date{e.Date, e.AvailableOn, e.ExpiresOn} {
			if _, ok := packDate(d); !ok {
				return dealercrm.Errorf(dealercrm.Invalid, "memory: entry date %v is not a calendar date", d)
			}
		}
		size += len(e.Source.ID) + len(e.Reason) + len(e.IdempotencyKey) + len(e.Reverses) +
			len(e.Kind) + len(e.Store) + len(e.Source.Type)
		for _, m := range e.Moves {
			if _, ok := packDate(m.ExpiresOn); !ok {
				return dealercrm.Errorf(dealercrm.Invalid, "memory: lot expiry %v is not a calendar date", m.ExpiresOn)
			}
			size += len(m.Lot)
		}
		strs += 7 + len(e.Moves)
		if !l.text.room(strs, size) || len(e.Moves) > math.MaxUint32 {
			return dealercrm.Errorf(dealercrm.Internal, "memory: the ledger of account %s is full (4 GiB of text)", e.CustomerID)
		}
	}
	return nil
}

// append stores es, which appendable accepted.
func (l *ledger) append(es []loyalty.Entry) {
	for i := range es {
		e := &es[i]
		se := storedEntry{
			points: e.Points, cumulative: e.Cumulative, shortfall: e.Shortfall,
			kind: l.name(string(e.Kind)), store: l.name(string(e.Store)), sourceType: l.name(e.Source.Type),
			sourceID: l.text.add(e.Source.ID), reason: l.name(e.Reason), key: l.text.add(e.IdempotencyKey),
			reverses: l.text.add(string(e.Reverses)),
			movesOff: l.moves.len(), movesN: uint32(len(e.Moves)),
		}
		se.date, _ = packDate(e.Date)
		se.availableOn, _ = packDate(e.AvailableOn)
		se.expiresOn, _ = packDate(e.ExpiresOn)
		if e.CreatedAt.IsZero() {
			se.createdNsec = -1
		} else {
			se.createdSec, se.createdNsec = e.CreatedAt.Unix(), int32(e.CreatedAt.Nanosecond())
		}
		for _, m := range e.Moves {
			exp, _ := packDate(m.ExpiresOn)
			l.moves.push(storedMove{lot: l.text.add(string(m.Lot)), points: m.Points, expiresOn: exp})
		}
		l.entries.push(se)
	}
}

// name stores a string that is likely to repeat: once in the dictionary
// while it has room, in the text buffer after.
func (l *ledger) name(s string) textRef {
	if s == "" {
		return textRef{}
	}
	for i, d := range l.dict {
		if d == s {
			return textRef{off: uint32(i), n: dictRef}
		}
	}
	if len(l.dict) < dictSize {
		// Kept as it is: strings are immutable, and most of these are
		// constants or shared with other records.
		l.dict = append(l.dict, s)
		return textRef{off: uint32(len(l.dict) - 1), n: dictRef}
	}
	return l.text.add(s)
}

func (l *ledger) str(r textRef) string {
	if r.n == dictRef {
		return l.dict[r.off]
	}
	return l.text.str(r)
}

// entry materialises entry seq (1-based) of the account of dealer and
// customer.
func (l *ledger) entry(dealer crm.DealerID, customer crm.CustomerID, seq int64) loyalty.Entry {
	se := l.entries.at(int(seq - 1))
	e := loyalty.Entry{
		ID: loyalty.NewEntryID(customer, seq), DealerID: dealer, CustomerID: customer, Seq: seq,
		Kind: loyalty.EntryKind(l.str(se.kind)), Store: crm.DealerID(l.str(se.store)),
		Date: unpackDate(se.date), Points: se.points, Cumulative: se.cumulative,
		AvailableOn: unpackDate(se.availableOn), ExpiresOn: unpackDate(se.expiresOn),
		Source:   loyalty.Source{Type: l.str(se.sourceType), ID: l.str(se.sourceID)},
		Reverses: loyalty.EntryID(l.str(se.reverses)), Shortfall: se.shortfall,
		Reason: l.str(se.reason), IdempotencyKey: l.str(se.key),
	}
	if se.createdNsec >= 0 {
		e.CreatedAt = time.Unix(se.createdSec, int64(se.createdNsec)).UTC()
	}
	if se.movesN > 0 {
		e.Moves = make([]loyalty.LotMove, se.movesN)
		for i := range e.Moves {
			m := l.moves.at(se.movesOff + i)
			e.Moves[i] = loyalty.LotMove{Lot: loyalty.EntryID(l.str(m.lot)), Points: m.points, ExpiresOn: unpackDate(m.expiresOn)}
		}
	}
	return e
}

// eraseText rebuilds the ledger of the account of dealer and customer
// with the free text of its entries erased (loyalty.Entry.EraseText). The
// text buffer only grows, so the erased strings go with the old buffer
// instead of staying in it unreferenced.
func (l *ledger) eraseText(dealer crm.DealerID, customer crm.CustomerID) {
	es := make([]loyalty.Entry, l.len())
	changed := false
	for i := range es {
		es[i] = l.entry(dealer, customer, int64(i+1))
		if es[i].EraseText() {
			changed = true
		}
	}
	if changed {
		*l = ledger{}
		l.append(es)
	}
}

// date returns the date of entry seq (1-based) without materialising it.
func (l *ledger) date(seq int64) dealercrm.Date { return unpackDate(l.entries.at(int(seq - 1)).date) }
