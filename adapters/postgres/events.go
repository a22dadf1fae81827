package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// The event outbox (migrations 0025, 0031). A Store bound to a
// transaction buffers the events of the changes made through it (emit);
// runTx writes them just before COMMIT (flushEvents), each dealer's in
// one plain INSERT, without a sequence number and without a lock: a
// writer never waits for another dealer's or its own dealer's writers.
// Events are numbered when they are read (number): before a reader looks
// at a dealer's events, it gives the dealer's committed unnumbered events
// the next numbers under the lock of the dealer's event_seqs row, in
// insertion (gid) order. Only committed rows are visible to the numbering
// and a batch of numbers commits at once, so a reader that has seen n
// never later meets a committed number ≤ n.

// eventBuf holds the events of a transaction until COMMIT.
type eventBuf struct {
	mu  sync.Mutex
	evs []crm.Event
}

// buffer keeps evs, checked by the caller, to be written with the
// transaction of s, which must be bound to one; a Store made
// WithoutEvents drops them.
func (s *Store) buffer(evs []crm.Event) {
	if s.cfg.noEvents || len(evs) == 0 {
		return
	}
	s.events.mu.Lock()
	s.events.evs = append(s.events.evs, evs...)
	s.events.mu.Unlock()
}

// writeEvents runs fn as a write (like atomic) and writes the events it
// returns with its change, in the same transaction: a transaction of its
// own when s is not bound to one. Events that crm.CheckEvents refuses
// fail the write, which then changes nothing.
func (s *Store) writeEvents(ctx context.Context, fn func(ctx context.Context, db bun.IDB) ([]crm.Event, error)) error {
	var evs []crm.Event
	write := func(ctx context.Context, db bun.IDB) error {
		var err error
		if evs, err = fn(ctx, db); err != nil {
			return err
		}
		return crm.CheckEvents(evs)
	}
	if !s.inTx {
		return s.retry(ctx, func() error {
			return s.runTx(ctx, func(ctx context.Context, tx *Store) error {
				if err := write(ctx, tx.db); err != nil {
					return err
				}
				tx.wrote.Store(true)
				tx.buffer(evs)
				return nil
			})
		})
	}
	if err := s.guarded(ctx, write); err != nil {
		return err
	}
	s.buffer(evs)
	return nil
}

// Events implements crm.Store: on a Store bound to a transaction, Add
// buffers the events for its COMMIT; else it writes them in a
// transaction of their own.
func (s *Store) Events() crm.EventWriter { return eventWriter{s} }

type eventWriter struct{ s *Store }

func (w eventWriter) Add(ctx context.Context, evs ...crm.Event) error {
	switch {
	case len(evs) == 0:
		return nil
	case w.s.cfg.noEvents:
		// Nothing to write: no transaction for it.
		return crm.CheckEvents(evs)
	}
	return w.s.writeEvents(ctx, func(context.Context, bun.IDB) ([]crm.Event, error) { return evs, nil })
}

// flushEvents writes the buffered events with db, the transaction about
// to commit, and empties the buffer.
func (s *Store) flushEvents(ctx context.Context, db bun.IDB) error {
	s.events.mu.Lock()
	evs := s.events.evs
	s.events.evs = nil
	s.events.mu.Unlock()
	if len(evs) == 0 {
		return nil
	}
	// Dealers in ID order, so that two transactions writing events of
	// the same dealers lock their sequence rows in the same order.
	byDealer := map[crm.DealerID][]crm.Event{}
	var dealers []crm.DealerID
	for _, e := range evs {
		if _, ok := byDealer[e.DealerID]; !ok {
			dealers = append(dealers, e.DealerID)
		}
		byDealer[e.DealerID] = append(byDealer[e.DealerID], e)
	}
	slices.Sort(dealers)
	for _, d := range dealers {
		if err := s.insertEvents(ctx, db, d, byDealer[d]); err != nil {
			return err
		}
	}
	return nil
}

// insertEvents writes one dealer's events in one statement, unnumbered
// (seq NULL): a reader numbers them (number). An event whose key the
// dealer has used is left out.
func (s *Store) insertEvents(ctx context.Context, db bun.IDB, dealer crm.DealerID, evs []crm.Event) error {
	q, args := s.insertEventsQuery(dealer, evs, "")
	_, err := db.ExecContext(ctx, q, args...)
	return translate("write events", err)
}

// insertEventsQuery is the INSERT of insertEvents and its arguments, on
// the condition where ("" for none, else " WHERE …"); the posting's write
// statement makes it one of its CTEs.
func (s *Store) insertEventsQuery(dealer crm.DealerID, evs []crm.Event, where string) (string, []any) {
	n := len(evs)
	ids, types, versions := make(textArray, n), make(textArray, n), make(textArray, n)
	kinds, subjects, ats := make(textArray, n), make(textArray, n), make(textArray, n)
	keys, payloads := make(textArray, n), make(textArray, n)
	for i, e := range evs {
		ids[i], types[i], versions[i] = e.ID, string(e.Type), strconv.Itoa(e.Version)
		kinds[i], subjects[i], ats[i] = e.Subject.Kind, e.Subject.ID, e.At.UTC().Format(time.RFC3339Nano)
		keys[i], payloads[i] = e.Key, string(e.Payload)
	}
	q := "INSERT INTO " + s.cfg.table(TableEvents) + " (dealer_id, id, type, version, subject_kind, subject_id, at, key, payload)" +
		" SELECT ?::text, e.id, e.type, e.version, e.kind, e.subject, e.at, NULLIF(e.key, ''), e.payload" +
		" FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::jsonb[])" +
		" WITH ORDINALITY AS e(id, type, version, kind, subject, at, key, payload, ord)" + where + " ORDER BY e.ord" +
		" ON CONFLICT (dealer_id, key) WHERE key IS NOT NULL DO NOTHING"
	return q, []any{string(dealer), ids, types, versions, kinds, subjects, ats, keys, payloads}
}

// number gives the dealer's committed unnumbered events their sequence
// numbers, in gid order after the dealer's last one. A cheap probe of the
// partial index of unnumbered events comes first, so that reading an idle
// feed writes nothing. The numbering is a transaction of its own: the
// first statement locks the dealer's event_seqs row (creating it), and
// the second, whose snapshot is taken under that lock and so sees every
// number given before, numbers the rows and advances the row's seq. Probe
// and numbering run on the pool, also for a store bound to a transaction:
// its own uncommitted events are for no reader to number yet.
func (es EventStore) number(ctx context.Context, dealer crm.DealerID) error {
	events, seqs := es.s.cfg.table(TableEvents), es.s.cfg.table(TableEventSeqs)
	var pending bool
	if err := es.s.root.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+events+" WHERE dealer_id = ? AND seq IS NULL)",
		string(dealer)).Scan(&pending); err != nil {
		return translate("number events", err)
	}
	if !pending {
		return nil
	}
	run := func(ctx context.Context, db bun.IDB) error {
		// The lock statement also turns nested loops off for this
		// transaction: with no or stale statistics the planner takes the
		// unnumbered rows to be one and joins them to their numbers with a
		// nested loop, quadratic in the backlog (16 s for 5,000 rows);
		// without, the join is a merge join of two scans in gid order.
		var last int64
		var setting string
		if err := db.QueryRowContext(ctx, "INSERT INTO "+seqs+" AS q (dealer_id) VALUES (?) ON CONFLICT (dealer_id) DO UPDATE SET seq = q.seq"+
			" RETURNING q.seq, set_config('enable_nestloop', 'off', true)", string(dealer)).Scan(&last, &setting); err != nil {
			return translate("number events", err)
		}
		_, err := db.ExecContext(ctx, "WITH n AS (UPDATE "+events+" AS e SET seq = ? + r.rn"+
			" FROM (SELECT gid, row_number() OVER (ORDER BY gid) AS rn FROM "+events+" WHERE dealer_id = ? AND seq IS NULL) AS r"+
			" WHERE e.dealer_id = ? AND e.gid = r.gid AND e.seq IS NULL RETURNING e.seq)"+
			" UPDATE "+seqs+" SET seq = (SELECT max(seq) FROM n) WHERE dealer_id = ? AND EXISTS (SELECT FROM n)",
			last, string(dealer), string(dealer), string(dealer))
		return translate("number events", err)
	}
	// The dealer's row is locked only while numbering. Not atomic: a
	// numbering is no change of the request's, and must not take its
	// audit record.
	return es.s.retry(ctx, func() error {
		return es.s.runTx(ctx, func(ctx context.Context, tx *Store) error { return run(ctx, tx.db) })
	})
}

// EventStore is the crm.EventStore on PostgreSQL, in the tables of
// migrations 0025 and 0031 (TableEvents, TableEventSeqs). List, Wait,
// Purge and Head first number the dealer's committed unnumbered events
// (see number): reading a feed that has new events therefore writes, and
// needs a role that may update TableEvents and TableEventSeqs. Wait polls
// (every WithPoll, 200 ms by default): plain, and cheap on the indexes.
type EventStore struct {
	s    *Store
	poll time.Duration
}

var _ crm.EventStore = EventStore{}

// DefaultEventPoll is how often EventStore.Wait looks for new events.
const DefaultEventPoll = 200 * time.Millisecond

// EventStore returns the event store of s.
func (s *Store) EventStore() EventStore { return EventStore{s: s, poll: DefaultEventPoll} }

// WithPoll returns a copy of es whose Wait looks every d.
func (es EventStore) WithPoll(d time.Duration) EventStore {
	if d > 0 {
		es.poll = d
	}
	return es
}

const eventCols = "dealer_id, seq, id, type, version, subject_kind, subject_id, at, payload"

// List implements crm.EventStore: it numbers the dealer's new events,
// then reads one page of the sequence index, with the retention floor.
func (es EventStore) List(ctx context.Context, dealer crm.DealerID, f crm.EventFilter) (crm.EventPage, error) {
	if err := f.Validate(); err != nil {
		return crm.EventPage{}, err
	}
	if err := es.number(ctx, dealer); err != nil {
		return crm.EventPage{}, err
	}
	size := f.Size()
	// Read the floor in the same snapshot as the events: a purge between
	// two reads cannot make a cursor look valid.
	q := "SELECT " + eventCols + ", (SELECT purged FROM " + es.s.cfg.table(TableEventSeqs) + " WHERE dealer_id = ?)" +
		" FROM " + es.s.cfg.table(TableEvents) + " WHERE dealer_id = ? AND seq > ? ORDER BY seq LIMIT ?"
	page := crm.EventPage{Items: []crm.Event{}, Next: f.After}
	var purged sql.NullInt64
	seen := 0
	err := es.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		var (
			e       crm.Event
			dealer  string
			typ     string
			payload []byte
		)
		if err := rows.Scan(&dealer, &e.Seq, &e.ID, &typ, &e.Version, &e.Subject.Kind, &e.Subject.ID, &e.At, &payload, &purged); err != nil {
			return err
		}
		seen++
		e.DealerID, e.Type, e.At, e.Payload = crm.DealerID(dealer), crm.EventType(typ), utc(e.At), json.RawMessage(payload)
		page.Next = e.Seq
		if f.Match(e) {
			page.Items = append(page.Items, e)
		}
		return nil
	}, string(dealer), string(dealer), f.After, size)
	if err != nil {
		return crm.EventPage{}, translate("list events", err)
	}
	if seen == 0 {
		err := es.s.db.QueryRowContext(ctx, "SELECT purged FROM "+es.s.cfg.table(TableEventSeqs)+" WHERE dealer_id = ?", string(dealer)).Scan(&purged)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return crm.EventPage{}, translate("list events", err)
		}
	}
	if f.After > 0 && purged.Valid && f.After < purged.Int64 {
		return crm.EventPage{}, &crm.CursorExpiredError{After: f.After, Oldest: purged.Int64 + 1}
	}
	return page, nil
}

// Wait implements crm.EventStore by looking every poll interval: one
// query for a numbered event after after or an unnumbered one, which it
// numbers before it looks again.
func (es EventStore) Wait(ctx context.Context, dealer crm.DealerID, after int64) error {
	events := es.s.cfg.table(TableEvents)
	q := "SELECT EXISTS (SELECT 1 FROM " + events + " WHERE dealer_id = ? AND seq > ?)," +
		" EXISTS (SELECT 1 FROM " + events + " WHERE dealer_id = ? AND seq IS NULL)"
	t := time.NewTicker(es.poll)
	defer t.Stop()
	for {
		var found, pending bool
		err := es.s.db.QueryRowContext(ctx, q, string(dealer), after, string(dealer)).Scan(&found, &pending)
		if err == nil && pending && !found {
			if err = es.number(ctx, dealer); err == nil {
				continue
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return translate("wait for events", err)
		}
		if found {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Purge implements crm.EventStore: it numbers the dealer's new events,
// then one statement deletes the events up
// to the last one that happened before before (by sequence, so that what
// is held stays a contiguous tail) and raises the dealer's floor to it.
func (es EventStore) Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error) {
	if err := es.number(ctx, dealer); err != nil {
		return 0, err
	}
	var n int
	err := es.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		events := es.s.cfg.table(TableEvents)
		q := "WITH d AS (DELETE FROM " + events + " WHERE dealer_id = ? AND seq <= (SELECT max(seq) FROM " + events +
			" WHERE dealer_id = ? AND at < ?) RETURNING seq)," +
			" u AS (UPDATE " + es.s.cfg.table(TableEventSeqs) + " SET purged = GREATEST(purged, (SELECT max(seq) FROM d))" +
			" WHERE dealer_id = ? AND EXISTS (SELECT 1 FROM d))" +
			" SELECT count(*) FROM d"
		return translate("purge events", db.QueryRowContext(ctx, q, string(dealer), string(dealer), before.UTC(), string(dealer)).Scan(&n))
	})
	return n, err
}
