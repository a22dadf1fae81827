package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// The posting path: a loyalty command that runs on its own (not in a
// caller's transaction, and without a request's audit record to commit
// with it) is two statements without BEGIN or COMMIT, each atomic by
// itself:
//
//  1. read: the account row with its version, the open lots, the
//     membership, the key and the source (stateReads), without a lock;
//  2. write: the guarded form of writeQuery — the account's UPDATE
//     WHERE version = the version read, and the key, entries, lots,
//     membership and the command's events written only when it matched.
//
// When the account moved between the two (the UPDATE matched no row), a
// key was taken meanwhile (a unique violation fails the whole statement),
// the account is new, the source was posted before, Apply failed on the
// state read, or the statement met a serialization failure or deadlock,
// nothing was written and the command runs the locking path instead
// (LoyaltyStore.do, in a transaction), which decides it under the row
// lock. Per-subject order of events holds: the event row is inserted by
// the statement that holds the account's row lock.

// post runs c on the posting path. It answers done = false when c must
// run on the locking path; it then wrote nothing.
func (l LoyaltyStore) post(ctx context.Context, c *loyalty.Command) (rec loyalty.Receipt, done bool, err error) {
	st := &lockedState{data: loyalty.AccountData{DealerID: c.DealerID, CustomerID: c.CustomerID}}
	var lastDate sqlDate
	var version int64
	var lots, member sql.NullString
	err = l.s.queryRow(ctx, `SELECT a.seq, a.cumulative, a.points, a.last_date, a.membership_seq, a.version, `+l.stateReads()+`
		FROM `+l.t(TableLoyaltyAccounts)+` a WHERE a.dealer_id = ?0 AND a.customer_id = ?1`,
		[]any{string(c.DealerID), string(c.CustomerID), c.Key, c.Source},
		&st.data.Seq, &st.data.Cumulative, &st.data.Points, &lastDate, &st.msSeq, &version, &lots, &member, &st.keyHash, &st.receipt,
		&st.sourceSeq, &st.sourceReceipt)
	if err == sql.ErrNoRows {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, translate("loyalty: read account", err)
	}
	st.data.LastDate = lastDate.date()
	if err := st.decode(c, lots, member); err != nil {
		return rec, false, err
	}
	if rec, done, err := st.replayKey(c); done {
		return rec, true, err
	}
	if st.sourceSeq.Valid {
		return rec, false, nil
	}
	state, rec, evs, err := st.apply(c)
	if err != nil {
		return loyalty.Receipt{}, false, nil
	}
	if l.s.cfg.noEvents {
		evs = nil
	}
	if err := crm.CheckEvents(evs); err != nil {
		return loyalty.Receipt{}, true, err
	}
	q, args, err := l.writeQuery(c, st, state, &rec, version, evs)
	if err != nil {
		return loyalty.Receipt{}, true, err
	}
	var wrote bool
	err = l.s.queryRow(ctx, q, args, &wrote)
	switch {
	case err == nil && wrote:
		return rec, true, nil
	case err == nil, sqlState(err) == uniqueViolation, retryable(err):
		return loyalty.Receipt{}, false, nil
	}
	return loyalty.Receipt{}, true, translate("loyalty: write", err)
}

// maxPrepared caps the statements a Store keeps prepared: the posting
// path's shapes are few (the statement's text depends on how many
// entries and lots a command writes), and one beyond the cap runs
// unprepared.
const maxPrepared = 64

// stmtCache holds the prepared statements of a Store's posting path, on
// its *sql.DB: database/sql prepares each on a pooled connection the
// first time it runs there.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// queryRow runs the statement q (bun's ? or ?0 placeholders) on the pool
// and scans its one row into dest. Unless the Store was made
// WithoutPreparedStatements, it runs as a prepared statement, with the
// placeholders numbered $1…: one round trip of Bind and Execute, no parse
// or plan of its text. A prepared statement goes straight to the driver,
// past bun's query hooks.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	if s.cfg.noPrepare {
		return s.root.QueryRowContext(ctx, q, args...).Scan(dest...)
	}
	if s.cfg.statement != nil {
		s.cfg.statement(dollarPlaceholders(q))
	}
	stmt, err := s.cfg.stmts.get(ctx, s.root.DB, q)
	if err != nil {
		return err
	}
	for i, a := range args {
		// bun writes the zero time as the year 1, the driver as NULL.
		if t, ok := a.(time.Time); ok && t.IsZero() {
			args[i] = "0001-01-01 00:00:00+00"
		}
	}
	if stmt == nil {
		return s.root.DB.QueryRowContext(ctx, dollarPlaceholders(q), args...).Scan(dest...)
	}
	return stmt.QueryRowContext(ctx, args...).Scan(dest...)
}

// get returns the prepared statement of q (bun's placeholders), keyed by
// q and prepared on db with Postgres's the first time; nil when the cache
// is full.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stmt, ok := c.stmts[q]; ok {
		return stmt, nil
	}
	if len(c.stmts) >= maxPrepared {
		return nil, nil
	}
	stmt, err := db.PrepareContext(ctx, dollarPlaceholders(q))
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = stmt
	return stmt, nil
}

// close closes and forgets the prepared statements.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, stmt := range c.stmts {
		errs = append(errs, stmt.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}

// dollarPlaceholders rewrites bun's placeholders as Postgres's: each ? as
// the next $n, each ?N as $(N+1). The adapter's statements hold no ? in
// literals or operators.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 32)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if j > i+1 {
			k, _ := strconv.Atoi(q[i+1 : j])
			b.WriteString("$" + strconv.Itoa(k+1))
			i = j - 1
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}
