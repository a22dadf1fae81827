package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/uptrace/bun"
)

// LoyaltyStore is the loyalty.Store on PostgreSQL, in the tables of
// migration 0005. Get it with Store.Loyalty; inside InTx it works in the
// transaction.
//
// A command on its own (not in a caller's transaction, without a
// request's audit record) runs on the posting path first (post, in
// posting.go): two prepared statements without BEGIN or COMMIT, a read
// and a write guarded by the account's version. When that path cannot
// decide it, and for every command inside a transaction, the command is
// one transaction of two statements around the domain command (the
// locking path): the first locks the customer's account row with
// SELECT … FOR UPDATE, reading in the same statement the open lots, the
// membership, the idempotency key and whether the command's source was
// posted (and with what receipt); the second writes the new entries, the
// changed lots, the account's balances, the membership and its events and
// the key with the receipt as data-modifying CTEs. The command's events
// (loyalty.EventsOf; none for a replay) are inserted into the outbox,
// unnumbered, by a third statement just before COMMIT (see writeEvents),
// unless the Store was made WithoutEvents. Concurrent commands on
// one account queue on the row lock, so a redemption always sees the
// balance the previous one left and a source is found posted by the
// second of two commands posting it; the account's CHECK (points >= 0)
// and the unique index on (dealer_id, customer_id, source_key) back the
// domain's own checks.
//
// Conflicts are decided without a failing statement (insert-or-detect):
// a key or a source used before is read under the row lock, and the key
// is inserted with ON CONFLICT DO NOTHING, every other write of the
// statement conditional on that insert. When another customer's command
// took the key in between, the statement writes nothing and the command
// runs again, to find the key. Postgres therefore logs no statement for a
// normal conflict — except on the posting path, whose write fails when
// another customer's command took the key between its read and its write.
type LoyaltyStore struct{ s *Store }

var _ loyalty.Store = LoyaltyStore{}

// Loyalty returns the loyalty store of s.
func (s *Store) Loyalty() LoyaltyStore { return LoyaltyStore{s: s} }

func (l LoyaltyStore) t(t Table) string { return l.s.cfg.table(t) }

// lotDoc is a lot as json_agg reads it and json_to_recordset writes it.
type lotDoc struct {
	Seq         int64          `json:"seq"`
	Store       string         `json:"store_id"`
	Points      int64          `json:"points"`
	Remaining   int64          `json:"remaining"`
	EarnedOn    dealercrm.Date `json:"earned_on"`
	AvailableOn dealercrm.Date `json:"available_on"`
	ExpiresOn   dealercrm.Date `json:"expires_on"`
}

func (d *lotDoc) lot(customer crm.CustomerID) loyalty.Lot {
	return loyalty.Lot{ID: loyalty.NewEntryID(customer, d.Seq), Store: crm.DealerID(d.Store), Points: d.Points, Remaining: d.Remaining,
		EarnedOn: d.EarnedOn, AvailableOn: d.AvailableOn, ExpiresOn: d.ExpiresOn}
}

type membershipDoc struct {
	Tier       string         `json:"tier"`
	Status     string         `json:"status"`
	JoinMethod string         `json:"join_method"`
	JoinedOn   dealercrm.Date `json:"joined_on"`
	ValidFrom  dealercrm.Date `json:"valid_from"`
	ValidUntil dealercrm.Date `json:"valid_until"`
	TierSince  dealercrm.Date `json:"tier_since"`
	Used       map[string]int `json:"used"`
	Version    int64          `json:"version"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

func (d *membershipDoc) membership(dealer crm.DealerID, customer crm.CustomerID) loyalty.Membership {
	m := loyalty.Membership{DealerID: dealer, CustomerID: customer, Tier: loyalty.Tier(d.Tier), Status: loyalty.Status(d.Status),
		JoinMethod: loyalty.JoinMethod(d.JoinMethod), JoinedOn: d.JoinedOn, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil,
		TierSince: d.TierSince, Version: d.Version, UpdatedAt: d.UpdatedAt.UTC()}
	if len(d.Used) > 0 {
		m.Used = d.Used
	}
	return m
}

// lockedState is what the locking statement reads.
type lockedState struct {
	data    loyalty.AccountData
	msSeq   int64
	member  *loyalty.Membership
	keyHash sql.NullString
	receipt sql.NullString
	// sourceSeq is the entry that posted the command's source, and
	// sourceReceipt the receipt stored with that entry's key.
	sourceSeq     sql.NullInt64
	sourceReceipt sql.NullString
}

// stateReads is the select list that reads, besides the account row, the
// state of a command: the open lots, the membership, the key's hash and
// receipt, and the entry and receipt of the command's source. Its
// arguments: ?0 dealer, ?1 customer, ?2 key, ?3 source.
func (l LoyaltyStore) stateReads() string {
	return `(SELECT json_agg(json_build_object('seq', x.seq, 'store_id', x.store_id, 'points', x.points, 'remaining', x.remaining,
			'earned_on', x.earned_on, 'available_on', x.available_on, 'expires_on', x.expires_on) ORDER BY x.seq)::text
			FROM ` + l.t(TableLoyaltyLots) + ` x WHERE x.dealer_id = ?0 AND x.customer_id = ?1 AND x.remaining > 0),
		(SELECT row_to_json(m)::text FROM ` + l.t(TableLoyaltyMemberships) + ` m WHERE m.dealer_id = ?0 AND m.customer_id = ?1),
		(SELECT k.hash FROM ` + l.t(TableLoyaltyIdempotency) + ` k WHERE k.dealer_id = ?0 AND k.key = ?2),
		(SELECT k.receipt::text FROM ` + l.t(TableLoyaltyIdempotency) + ` k WHERE k.dealer_id = ?0 AND k.key = ?2),
		(SELECT e.seq FROM ` + l.t(TableLoyaltyEntries) + ` e WHERE e.dealer_id = ?0 AND e.customer_id = ?1 AND e.source_key = ?3 AND e.source_key <> ''),
		(SELECT k.receipt::text FROM ` + l.t(TableLoyaltyEntries) + ` e JOIN ` + l.t(TableLoyaltyIdempotency) + ` k
			ON k.dealer_id = e.dealer_id AND k.key = e.idempotency_key AND k.customer_id = e.customer_id
			WHERE e.dealer_id = ?0 AND e.customer_id = ?1 AND e.source_key = ?3 AND e.source_key <> '')`
}

// lock locks the customer's account row, creating it when missing, and
// reads the state of a command in the same statement. Under READ COMMITTED
// a statement that waited for the row lock sees the locked row's newest
// version but reads everything else with the snapshot it started with; the
// statement therefore also reads the row's version through that snapshot,
// and when the two differ (another command committed meanwhile) it reads
// the lots, the membership and the key again, now under the lock.
func (l LoyaltyStore) lock(ctx context.Context, db bun.IDB, c *loyalty.Command) (*lockedState, error) {
	st := &lockedState{data: loyalty.AccountData{DealerID: c.DealerID, CustomerID: c.CustomerID}}
	dealer, customer := string(c.DealerID), string(c.CustomerID)
	reads := l.stateReads()
	var lots, member sql.NullString
	for attempt := 0; ; attempt++ {
		var lastDate sqlDate
		var version, seen int64
		err := db.QueryRowContext(ctx, `SELECT a.seq, a.cumulative, a.points, a.last_date, a.membership_seq, a.version,
			(SELECT b.version FROM `+l.t(TableLoyaltyAccounts)+` b WHERE b.dealer_id = ?0 AND b.customer_id = ?1), `+reads+`
			FROM `+l.t(TableLoyaltyAccounts)+` a WHERE a.dealer_id = ?0 AND a.customer_id = ?1 FOR UPDATE OF a`, dealer, customer, c.Key, c.Source).
			Scan(&st.data.Seq, &st.data.Cumulative, &st.data.Points, &lastDate, &st.msSeq, &version, &seen, &lots, &member, &st.keyHash, &st.receipt,
				&st.sourceSeq, &st.sourceReceipt)
		if errors.Is(err, sql.ErrNoRows) && attempt == 0 {
			if _, err := db.ExecContext(ctx, "INSERT INTO "+l.t(TableLoyaltyAccounts)+
				" (dealer_id, customer_id) VALUES (?, ?) ON CONFLICT DO NOTHING", dealer, customer); err != nil {
				return nil, translate("loyalty: create account", err)
			}
			continue
		}
		if err != nil {
			return nil, translate("loyalty: lock account", err)
		}
		st.data.LastDate = lastDate.date()
		if version != seen {
			if err := db.QueryRowContext(ctx, "SELECT "+reads, dealer, customer, c.Key, c.Source).
				Scan(&lots, &member, &st.keyHash, &st.receipt, &st.sourceSeq, &st.sourceReceipt); err != nil {
				return nil, translate("loyalty: read account", err)
			}
		}
		break
	}
	return st, st.decode(c, lots, member)
}

// decode sets the lots and the membership of st from the JSON the
// statement read.
func (st *lockedState) decode(c *loyalty.Command, lots, member sql.NullString) error {
	if lots.Valid {
		var docs []lotDoc
		if err := json.Unmarshal([]byte(lots.String), &docs); err != nil {
			return fmt.Errorf("postgres: loyalty lots of %s: %w", c.CustomerID, err)
		}
		st.data.Lots = make([]loyalty.Lot, len(docs))
		for i := range docs {
			st.data.Lots[i] = docs[i].lot(c.CustomerID)
		}
	}
	if member.Valid {
		var d membershipDoc
		if err := json.Unmarshal([]byte(member.String), &d); err != nil {
			return fmt.Errorf("postgres: loyalty membership of %s: %w", c.CustomerID, err)
		}
		m := d.membership(c.DealerID, c.CustomerID)
		st.member = &m
	}
	return nil
}

// errKeyTaken reports that another customer's command took the command's
// idempotency key while it ran: the transaction wrote nothing, and Do runs
// the command again to find the key.
var errKeyTaken = errors.New("postgres: loyalty idempotency key taken by a concurrent command")

// Do implements loyalty.Store. A command on its own (the store not bound
// to a transaction, no request's audit record to commit with it) runs on
// the posting path first (post: two statements, no transaction), and on
// the locking path when that path cannot decide it.
func (l LoyaltyStore) Do(ctx context.Context, c loyalty.Command) (loyalty.Receipt, error) {
	if !l.s.inTx && !crm.AuditUnclaimed(ctx) {
		if rec, done, err := l.post(ctx, &c); done {
			return rec, err
		}
	}
	for attempt := 0; ; attempt++ {
		var rec loyalty.Receipt
		err := l.s.writeEvents(ctx, func(ctx context.Context, db bun.IDB) ([]crm.Event, error) {
			var evs []crm.Event
			var err error
			rec, evs, err = l.do(ctx, db, &c)
			return evs, err
		})
		if errors.Is(err, errKeyTaken) {
			// The key is committed by now (inserting it waited for the
			// other transaction), so the next attempt reads it.
			if attempt < 3 {
				continue
			}
			return loyalty.Receipt{}, dealercrm.Errorf(dealercrm.Unavailable, "postgres: loyalty: the idempotency key is in use by a concurrent request; retry")
		}
		return rec, err
	}
}

// do runs c in the transaction db and returns its receipt and the events
// to write with it (loyalty.EventsOf; none for a replay).
func (l LoyaltyStore) do(ctx context.Context, db bun.IDB, c *loyalty.Command) (loyalty.Receipt, []crm.Event, error) {
	st, err := l.lock(ctx, db, c)
	if err != nil {
		return loyalty.Receipt{}, nil, err
	}
	if rec, done, err := st.replayKey(c); done {
		return rec, nil, err
	}
	if st.sourceSeq.Valid {
		rec, err := l.replaySource(ctx, db, c, st)
		return rec, nil, err
	}
	state, rec, evs, err := st.apply(c)
	if err != nil {
		return loyalty.Receipt{}, nil, err
	}
	return rec, evs, l.write(ctx, db, c, st, state, &rec)
}

// replayKey answers a command whose key was used (done): the stored
// receipt when the key was used for the same command, else
// ErrIdempotencyConflict.
func (st *lockedState) replayKey(c *loyalty.Command) (rec loyalty.Receipt, done bool, err error) {
	if !st.keyHash.Valid {
		return rec, false, nil
	}
	if st.keyHash.String != c.Hash {
		return rec, true, loyalty.ErrIdempotencyConflict
	}
	if err := json.Unmarshal([]byte(st.receipt.String), &rec); err != nil {
		return rec, true, fmt.Errorf("postgres: loyalty receipt of key %q: %w", c.Key, err)
	}
	rec.Replayed = true
	return rec, true, nil
}

// apply runs c on the state st read and returns the changed state, the
// receipt and the events to write with it.
func (st *lockedState) apply(c *loyalty.Command) (*loyalty.State, loyalty.Receipt, []crm.Event, error) {
	state := &loyalty.State{Account: loyalty.RestoreAccount(st.data), MembershipSeq: st.msSeq}
	if st.member != nil {
		m := st.member.Clone()
		state.Membership = &m
	}
	rec, err := c.Apply(state)
	if err != nil {
		return nil, loyalty.Receipt{}, nil, err
	}
	for _, e := range state.Account.NewEntries() {
		// The lock read only c.Source: an entry from another source might
		// be posted already, and its insert would fail.
		if src := e.SourceKey(); src != "" && src != c.Source {
			return nil, loyalty.Receipt{}, nil, loyalty.ErrUndeclaredSource
		}
	}
	// writeEvents checks the events before COMMIT (the posting path before
	// its write): a bad one fails the command.
	return state, rec, loyalty.EventsOf(c.DealerID, c.CustomerID, state, time.Now()), nil
}

// replaySource answers a command whose source was posted: the receipt of
// that posting (from the key it was posted with; the entry alone for one
// posted without), stored with the command's key too.
func (l LoyaltyStore) replaySource(ctx context.Context, db bun.IDB, c *loyalty.Command, st *lockedState) (loyalty.Receipt, error) {
	var rec loyalty.Receipt
	if st.sourceReceipt.Valid {
		if err := json.Unmarshal([]byte(st.sourceReceipt.String), &rec); err != nil {
			return rec, fmt.Errorf("postgres: loyalty receipt of source %q: %w", c.Source, err)
		}
	} else {
		e, err := scanEntry(db.QueryRowContext(ctx, "SELECT "+entryColumns+" FROM "+l.t(TableLoyaltyEntries)+
			" WHERE dealer_id = ? AND customer_id = ? AND seq = ?", string(c.DealerID), string(c.CustomerID), st.sourceSeq.Int64), c.DealerID)
		if err != nil {
			return rec, translate("loyalty: posted entry", err)
		}
		rec.Entries = []loyalty.Entry{e}
	}
	if c.Key != "" {
		b, err := json.Marshal(rec)
		if err != nil {
			return rec, err
		}
		var taken bool
		if err := db.QueryRowContext(ctx, `WITH k AS (INSERT INTO `+l.t(TableLoyaltyIdempotency)+` (dealer_id, key, customer_id, hash, receipt, created_at)
			VALUES (?, ?, ?, ?, ?, now()) ON CONFLICT (dealer_id, key) DO NOTHING RETURNING 1) SELECT NOT EXISTS (SELECT FROM k)`,
			string(c.DealerID), c.Key, string(c.CustomerID), c.Hash, string(b)).Scan(&taken); err != nil {
			return rec, translate("loyalty: store key", err)
		}
		if taken {
			return rec, errKeyTaken
		}
	}
	rec.Replayed = true
	return rec, nil
}

// write stores what a command changed in one statement, in the
// transaction that locked the account (writeQuery's locking form).
func (l LoyaltyStore) write(ctx context.Context, db bun.IDB, c *loyalty.Command, st *lockedState, state *loyalty.State, rec *loyalty.Receipt) error {
	q, args, err := l.writeQuery(c, st, state, rec, -1, nil)
	if err != nil {
		return err
	}
	var ok bool
	if err := db.QueryRowContext(ctx, q, args...).Scan(&ok); err != nil {
		return translate("loyalty: write", err)
	}
	if !ok {
		return errKeyTaken
	}
	return nil
}

// writeQuery is the statement that stores what a command changed, as
// data-modifying CTEs, and its arguments; it answers one boolean: whether
// it wrote.
//
// In the locking form (version < 0, the account row locked by lock), with
// a key, the key's row is inserted first (ON CONFLICT DO NOTHING) and
// every other write is conditional on it: when another customer's command
// took the key meanwhile, nothing is written (errKeyTaken).
//
// In the guarded form (the posting path, post: no lock taken, version the
// account's version when the state was read), the account's UPDATE comes
// first, WHERE version = version read, and every other write — the key,
// entries, lots, membership and the events evs — is conditional on it:
// when the account moved since the read, nothing is written. The key is
// inserted without ON CONFLICT, so that a key taken meanwhile fails the
// statement, which then writes nothing either.
func (l LoyaltyStore) writeQuery(c *loyalty.Command, st *lockedState, state *loyalty.State, rec *loyalty.Receipt, version int64, evs []crm.Event) (string, []any, error) {
	var ctes []string
	var args []any
	dealer, customer := string(c.DealerID), string(c.CustomerID)
	data := state.Account.Data()
	account := `UPDATE ` + l.t(TableLoyaltyAccounts) + ` SET seq = ?::bigint, cumulative = ?::bigint, points = ?::bigint, last_date = ?::date,
		membership_seq = ?::bigint, version = version + 1 WHERE dealer_id = ?::text AND customer_id = ?::text`
	accountArgs := []any{data.Seq, data.Cumulative, data.Points, sqlDate(data.LastDate), st.msSeq + int64(len(state.Events)), dealer, customer}
	// gate is the condition of every write: the key was inserted (locking
	// form), the account updated (guarded form).
	gate := ""
	if version >= 0 {
		ctes = append(ctes, `a AS (`+account+` AND version = ?::bigint RETURNING 1)`)
		args = append(append(args, accountArgs...), version)
		gate = " WHERE EXISTS (SELECT FROM a)"
	}
	if c.Key != "" {
		b, err := json.Marshal(rec)
		if err != nil {
			return "", nil, err
		}
		if version >= 0 {
			ctes = append(ctes, `k AS (INSERT INTO `+l.t(TableLoyaltyIdempotency)+` (dealer_id, key, customer_id, hash, receipt, created_at)
				SELECT ?::text, ?::text, ?::text, ?::text, ?::jsonb, now()`+gate+`)`)
		} else {
			ctes = append(ctes, `k AS (INSERT INTO `+l.t(TableLoyaltyIdempotency)+` (dealer_id, key, customer_id, hash, receipt, created_at)
				VALUES (?::text, ?::text, ?::text, ?::text, ?::jsonb, now()) ON CONFLICT (dealer_id, key) DO NOTHING RETURNING 1)`)
			gate = " WHERE EXISTS (SELECT FROM k)"
		}
		args = append(args, dealer, c.Key, customer, c.Hash, string(b))
	}
	added := state.Account.NewEntries()
	if len(added) > 0 {
		rows := make([]string, len(added))
		for i, e := range added {
			var moves any
			if len(e.Moves) > 0 {
				b, err := json.Marshal(e.Moves)
				if err != nil {
					return "", nil, err
				}
				moves = string(b)
			}
			rows[i] = "(?::text, ?::text, ?::bigint, ?::text, ?::text, ?::date, ?::bigint, ?::bigint, ?::date, ?::date, ?::text, ?::text, ?::text, ?::jsonb, ?::bigint, ?::text, ?::text, ?::timestamptz, ?::text)"
			args = append(args, dealer, customer, e.Seq, string(e.Kind), string(e.Store), sqlDate(e.Date), e.Points, e.Cumulative,
				sqlDate(e.AvailableOn), sqlDate(e.ExpiresOn), e.Source.Type, e.Source.ID, string(e.Reverses), moves, e.Shortfall, e.Reason,
				e.IdempotencyKey, dbTime(e.CreatedAt), e.SourceKey())
		}
		ctes = append(ctes, `e AS (INSERT INTO `+l.t(TableLoyaltyEntries)+` (dealer_id, customer_id, seq, kind, store_id, date, points, cumulative,
			available_on, expires_on, source_type, source_id, reverses, moves, shortfall, reason, idempotency_key, created_at, source_key)
			SELECT * FROM (VALUES `+strings.Join(rows, ", ")+`) v`+gate+`)`)
	}
	if changed := state.Account.ChangedLots(); len(changed) > 0 {
		rows := make([]string, len(changed))
		for i, lt := range changed {
			_, seq, _ := lt.ID.Parse()
			rows[i] = "(?::text, ?::text, ?::bigint, ?::text, ?::bigint, ?::bigint, ?::date, ?::date, ?::date)"
			args = append(args, dealer, customer, seq, string(lt.Store), lt.Points, lt.Remaining, sqlDate(lt.EarnedOn), sqlDate(lt.AvailableOn), sqlDate(lt.ExpiresOn))
		}
		ctes = append(ctes, `l AS (INSERT INTO `+l.t(TableLoyaltyLots)+` (dealer_id, customer_id, seq, store_id, points, remaining, earned_on, available_on, expires_on)
			SELECT * FROM (VALUES `+strings.Join(rows, ", ")+`) v`+gate+`
			ON CONFLICT (dealer_id, customer_id, seq) DO UPDATE SET remaining = excluded.remaining)`)
	}
	if version < 0 {
		andGate := ""
		if gate != "" {
			andGate = " AND EXISTS (SELECT FROM k)"
		}
		ctes = append(ctes, `a AS (`+account+andGate+`)`)
		args = append(args, accountArgs...)
	}
	if m := state.Membership; m != nil && (st.member == nil || m.Version != st.member.Version) {
		cte, margs, err := l.membershipCTE(dealer, customer, m, dbTime(m.UpdatedAt), gate)
		if err != nil {
			return "", nil, err
		}
		ctes, args = append(ctes, cte), append(args, margs...)
	}
	if len(state.Events) > 0 {
		mevs := make([]loyalty.MembershipEvent, len(state.Events))
		for i, ev := range state.Events {
			ev.At = dbTime(ev.At)
			mevs[i] = ev
		}
		b, err := json.Marshal(mevs)
		if err != nil {
			return "", nil, err
		}
		ctes = append(ctes, `v AS (INSERT INTO `+l.t(TableLoyaltyMembershipEvents)+` (dealer_id, customer_id, seq, event, from_tier, to_tier,
			from_status, to_status, valid_until, method, rule, reason, entry_id, date, "at", idempotency_key)
			SELECT ?::text, ?::text, seq, event, coalesce(from_tier, ''), to_tier, coalesce(from_status, ''), to_status, valid_until, coalesce(method, ''),
				coalesce(rule, ''), coalesce(reason, ''), coalesce(entry, ''), date, "at", coalesce(idempotency_key, '')
			FROM json_to_recordset(?::json) AS x(seq bigint, event text, from_tier text, to_tier text, from_status text, to_status text,
				valid_until date, method text, rule text, reason text, entry text, date date, "at" timestamptz, idempotency_key text)`+gate+`)`)
		args = append(args, dealer, customer, string(b))
	}
	if len(evs) > 0 {
		q, eargs := l.s.insertEventsQuery(c.DealerID, evs, gate)
		ctes, args = append(ctes, `ev AS (`+q+`)`), append(args, eargs...)
	}
	written := "true"
	switch {
	case version >= 0:
		written = "EXISTS (SELECT FROM a)"
	case gate != "":
		written = "EXISTS (SELECT FROM k)"
	}
	return "WITH " + strings.Join(ctes, ",\n") + " SELECT " + written, args, nil
}

// membershipCTE is the CTE m that writes membership m of the customer
// (inserted, or over the row there), updated at, on the condition gate
// ("" for none, else " WHERE …"), and its arguments.
func (l LoyaltyStore) membershipCTE(dealer, customer string, m *loyalty.Membership, at time.Time, gate string) (string, []any, error) {
	used, err := json.Marshal(m.Used)
	if err != nil {
		return "", nil, err
	}
	if m.Used == nil {
		used = []byte("{}")
	}
	return `m AS (INSERT INTO ` + l.t(TableLoyaltyMemberships) + ` (dealer_id, customer_id, tier, status, join_method, joined_on,
			valid_from, valid_until, tier_since, used, version, updated_at)
			SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::date, ?::date, ?::date, ?::date, ?::jsonb, ?::bigint, ?::timestamptz` + gate + `
			ON CONFLICT (dealer_id, customer_id) DO UPDATE SET tier = excluded.tier, status = excluded.status, join_method = excluded.join_method,
				joined_on = excluded.joined_on, valid_from = excluded.valid_from, valid_until = excluded.valid_until, tier_since = excluded.tier_since,
				used = excluded.used, version = excluded.version, updated_at = excluded.updated_at)`,
		[]any{dealer, customer, string(m.Tier), string(m.Status), string(m.JoinMethod), sqlDate(m.JoinedOn), sqlDate(m.ValidFrom),
			sqlDate(m.ValidUntil), sqlDate(m.TierSince), string(used), m.Version, at}, nil
}

// Account implements loyalty.Store. The lots are read with the dealer and
// the customer bound, not correlated with the account row, so that the
// statement routes to the dealer's shard on Citus.
func (l LoyaltyStore) Account(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (*loyalty.Account, error) {
	d := loyalty.AccountData{DealerID: dealer, CustomerID: customer}
	var lastDate sqlDate
	var lots sql.NullString
	err := l.s.db.QueryRowContext(ctx, `SELECT a.seq, a.cumulative, a.points, a.last_date,
		(SELECT json_agg(json_build_object('seq', x.seq, 'store_id', x.store_id, 'points', x.points, 'remaining', x.remaining,
			'earned_on', x.earned_on, 'available_on', x.available_on, 'expires_on', x.expires_on) ORDER BY x.seq)::text
			FROM `+l.t(TableLoyaltyLots)+` x WHERE x.dealer_id = ?0 AND x.customer_id = ?1 AND x.remaining > 0)
		FROM `+l.t(TableLoyaltyAccounts)+` a WHERE a.dealer_id = ?0 AND a.customer_id = ?1`, string(dealer), string(customer)).
		Scan(&d.Seq, &d.Cumulative, &d.Points, &lastDate, &lots)
	if errors.Is(err, sql.ErrNoRows) {
		return loyalty.NewAccount(dealer, customer), nil
	}
	if err != nil {
		return nil, translate("loyalty: account", err)
	}
	d.LastDate = lastDate.date()
	if lots.Valid {
		var docs []lotDoc
		if err := json.Unmarshal([]byte(lots.String), &docs); err != nil {
			return nil, fmt.Errorf("postgres: loyalty lots of %s: %w", customer, err)
		}
		for i := range docs {
			d.Lots = append(d.Lots, docs[i].lot(customer))
		}
	}
	return loyalty.RestoreAccount(d), nil
}

const membershipColumns = `customer_id, tier, status, join_method, joined_on, valid_from, valid_until, tier_since, used::text, version, updated_at`

func scanMembership(row rowScanner, dealer crm.DealerID) (loyalty.Membership, error) {
	m := loyalty.Membership{DealerID: dealer}
	var joined, from, until, since sqlDate
	var used string
	if err := row.Scan(&m.CustomerID, &m.Tier, &m.Status, &m.JoinMethod, &joined, &from, &until, &since, &used, &m.Version, &m.UpdatedAt); err != nil {
		return m, err
	}
	m.JoinedOn, m.ValidFrom, m.ValidUntil, m.TierSince, m.UpdatedAt = joined.date(), from.date(), until.date(), since.date(), m.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(used), &m.Used); err != nil {
		return m, fmt.Errorf("postgres: loyalty membership of %s: %w", m.CustomerID, err)
	}
	if len(m.Used) == 0 {
		m.Used = nil
	}
	return m, nil
}

// Membership implements loyalty.Store.
func (l LoyaltyStore) Membership(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (loyalty.Membership, error) {
	m, err := scanMembership(l.s.db.QueryRowContext(ctx, "SELECT "+membershipColumns+" FROM "+l.t(TableLoyaltyMemberships)+
		" WHERE dealer_id = ? AND customer_id = ?", string(dealer), string(customer)), dealer)
	if err != nil {
		return m, translate(fmt.Sprintf("membership of customer %s", customer), err)
	}
	return m, nil
}

// ListMemberships implements loyalty.Store.
func (l LoyaltyStore) ListMemberships(ctx context.Context, dealer crm.DealerID, f loyalty.MembershipFilter) (crm.Page[loyalty.Membership], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[loyalty.Membership]{}, err
	}
	size := f.Size()
	q := "SELECT " + membershipColumns + " FROM " + l.t(TableLoyaltyMemberships) + " WHERE dealer_id = ? AND customer_id > ?"
	args := []any{string(dealer), after}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, string(f.Status))
	}
	if f.Tier != "" {
		q += " AND tier = ?"
		args = append(args, string(f.Tier))
	}
	if len(f.CustomerIDs) > 0 {
		q += " AND customer_id IN (?)"
		args = append(args, bun.List(strs(f.CustomerIDs)))
	}
	q += " ORDER BY customer_id LIMIT ?"
	args = append(args, size+1)
	rows, err := l.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return crm.Page[loyalty.Membership]{}, translate("loyalty memberships", err)
	}
	defer rows.Close()
	var out []loyalty.Membership
	for rows.Next() {
		m, err := scanMembership(rows, dealer)
		if err != nil {
			return crm.Page[loyalty.Membership]{}, translate("loyalty memberships", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[loyalty.Membership]{}, translate("loyalty memberships", err)
	}
	return crm.NewPage(out, size, func(m loyalty.Membership) string { return string(m.CustomerID) }), nil
}

// MembershipEvents implements loyalty.Store.
func (l LoyaltyStore) MembershipEvents(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) ([]loyalty.MembershipEvent, error) {
	rows, err := l.s.db.QueryContext(ctx, `SELECT seq, event, from_tier, to_tier, from_status, to_status, valid_until, method, rule, reason,
		entry_id, date, "at", idempotency_key FROM `+l.t(TableLoyaltyMembershipEvents)+` WHERE dealer_id = ? AND customer_id = ? ORDER BY seq`,
		string(dealer), string(customer))
	if err != nil {
		return nil, translate("loyalty membership events", err)
	}
	defer rows.Close()
	out := []loyalty.MembershipEvent{}
	for rows.Next() {
		ev := loyalty.MembershipEvent{DealerID: dealer, CustomerID: customer}
		var until, date sqlDate
		if err := rows.Scan(&ev.Seq, &ev.Event, &ev.FromTier, &ev.ToTier, &ev.FromStatus, &ev.ToStatus, &until, &ev.Method, &ev.Rule,
			&ev.Reason, &ev.Entry, &date, &ev.At, &ev.IdempotencyKey); err != nil {
			return nil, translate("loyalty membership events", err)
		}
		ev.ValidUntil, ev.Date, ev.At = until.date(), date.date(), ev.At.UTC()
		out = append(out, ev)
	}
	return out, translate("loyalty membership events", rows.Err())
}

const entryColumns = `customer_id, seq, kind, store_id, date, points, cumulative, available_on, expires_on, source_type, source_id,
	reverses, coalesce(moves::text, 'null'), shortfall, reason, idempotency_key, created_at`

func scanEntry(row rowScanner, dealer crm.DealerID) (loyalty.Entry, error) {
	e := loyalty.Entry{DealerID: dealer}
	var date, avail, exp sqlDate
	var moves string
	if err := row.Scan(&e.CustomerID, &e.Seq, &e.Kind, &e.Store, &date, &e.Points, &e.Cumulative, &avail, &exp, &e.Source.Type,
		&e.Source.ID, &e.Reverses, &moves, &e.Shortfall, &e.Reason, &e.IdempotencyKey, &e.CreatedAt); err != nil {
		return e, err
	}
	e.ID = loyalty.NewEntryID(e.CustomerID, e.Seq)
	e.Date, e.AvailableOn, e.ExpiresOn, e.CreatedAt = date.date(), avail.date(), exp.date(), e.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(moves), &e.Moves); err != nil {
		return e, fmt.Errorf("postgres: loyalty entry %s moves: %w", e.ID, err)
	}
	if len(e.Moves) == 0 {
		e.Moves = nil
	}
	return e, nil
}

// Entry implements loyalty.Store.
func (l LoyaltyStore) Entry(ctx context.Context, dealer crm.DealerID, id loyalty.EntryID) (loyalty.Entry, error) {
	customer, seq, ok := id.Parse()
	if !ok {
		return loyalty.Entry{}, notFound("ledger entry", id)
	}
	e, err := scanEntry(l.s.db.QueryRowContext(ctx, "SELECT "+entryColumns+" FROM "+l.t(TableLoyaltyEntries)+
		" WHERE dealer_id = ? AND customer_id = ? AND seq = ?", string(dealer), string(customer), seq), dealer)
	if err != nil {
		return e, translate(fmt.Sprintf("ledger entry %s", id), err)
	}
	return e, nil
}

// Entries implements loyalty.Store.
func (l LoyaltyStore) Entries(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, f loyalty.EntryFilter) (crm.Page[loyalty.Entry], error) {
	after, err := f.AfterSeq()
	if err != nil {
		return crm.Page[loyalty.Entry]{}, err
	}
	size := f.Size()
	q := "SELECT " + entryColumns + " FROM " + l.t(TableLoyaltyEntries) + " WHERE dealer_id = ? AND customer_id = ? AND seq > ?"
	args := []any{string(dealer), string(customer), after}
	if !f.Until.IsZero() {
		q += " AND date <= ?"
		args = append(args, sqlDate(f.Until))
	}
	q += " ORDER BY seq LIMIT ?"
	args = append(args, size+1)
	rows, err := l.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return crm.Page[loyalty.Entry]{}, translate("loyalty entries", err)
	}
	defer rows.Close()
	var out []loyalty.Entry
	for rows.Next() {
		e, err := scanEntry(rows, dealer)
		if err != nil {
			return crm.Page[loyalty.Entry]{}, translate("loyalty entries", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[loyalty.Entry]{}, translate("loyalty entries", err)
	}
	return loyalty.EntryPage(out, size), nil
}

// DueLots implements loyalty.Store.
func (l LoyaltyStore) DueLots(ctx context.Context, dealer crm.DealerID, by dealercrm.Date) ([]loyalty.DueLot, error) {
	rows, err := l.s.db.QueryContext(ctx, `SELECT customer_id, seq, store_id, points, remaining, earned_on, available_on, expires_on
		FROM `+l.t(TableLoyaltyLots)+` WHERE dealer_id = ? AND remaining > 0 AND expires_on IS NOT NULL AND expires_on <= ?
		ORDER BY customer_id, seq`, string(dealer), sqlDate(by))
	if err != nil {
		return nil, translate("loyalty due lots", err)
	}
	defer rows.Close()
	out := []loyalty.DueLot{}
	for rows.Next() {
		var customer string
		var d lotDoc
		var earned, avail, exp sqlDate
		if err := rows.Scan(&customer, &d.Seq, &d.Store, &d.Points, &d.Remaining, &earned, &avail, &exp); err != nil {
			return nil, translate("loyalty due lots", err)
		}
		d.EarnedOn, d.AvailableOn, d.ExpiresOn = earned.date(), avail.date(), exp.date()
		out = append(out, loyalty.DueLot{CustomerID: crm.CustomerID(customer), Lot: d.lot(crm.CustomerID(customer))})
	}
	return out, translate("loyalty due lots", rows.Err())
}

// EraseText implements loyalty.Store in one transaction: it locks the
// account row, so that no command of the customer runs meanwhile, reads
// the entries, events and stored receipts that hold text, erases it by the
// domain's rules (loyalty.Entry.EraseText and the others) and writes back
// what changed, one UPDATE per table through json_to_recordset. Every
// statement binds the dealer; the receipts are found by customer among
// the dealer's keys (no index serves that: an erasure is rare, postings
// are not).
func (l LoyaltyStore) EraseText(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) error {
	d, c := string(dealer), string(customer)
	return l.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		if _, err := db.ExecContext(ctx, "SELECT FROM "+l.t(TableLoyaltyAccounts)+" WHERE dealer_id = ? AND customer_id = ? FOR UPDATE", d, c); err != nil {
			return translate("loyalty: lock account", err)
		}
		type entryText struct {
			Seq      int64  `json:"seq"`
			Reason   string `json:"reason"`
			SourceID string `json:"source_id"`
		}
		var entries []entryText
		err := eachRow(ctx, db, `SELECT seq, kind, source_id, reason FROM `+l.t(TableLoyaltyEntries)+`
			WHERE dealer_id = ? AND customer_id = ? AND (reason <> '' OR source_id <> '')`, []any{d, c}, func(r rowScanner) error {
			var e loyalty.Entry
			if err := r.Scan(&e.Seq, &e.Kind, &e.Source.ID, &e.Reason); err != nil {
				return err
			}
			if e.EraseText() {
				entries = append(entries, entryText{Seq: e.Seq, Reason: e.Reason, SourceID: e.Source.ID})
			}
			return nil
		})
		if err != nil {
			return translate("loyalty: erase entries", err)
		}
		if err := updateRows(ctx, db, entries, `UPDATE `+l.t(TableLoyaltyEntries)+` e SET reason = x.reason, source_id = x.source_id
			FROM json_to_recordset(?::json) AS x(seq bigint, reason text, source_id text)
			WHERE e.dealer_id = ? AND e.customer_id = ? AND e.seq = x.seq`, d, c); err != nil {
			return translate("loyalty: erase entries", err)
		}
		type eventText struct {
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		}
		var events []eventText
		err = eachRow(ctx, db, `SELECT seq, reason FROM `+l.t(TableLoyaltyMembershipEvents)+`
			WHERE dealer_id = ? AND customer_id = ? AND reason <> ''`, []any{d, c}, func(r rowScanner) error {
			var ev loyalty.MembershipEvent
			if err := r.Scan(&ev.Seq, &ev.Reason); err != nil {
				return err
			}
			if ev.EraseText() {
				events = append(events, eventText{Seq: ev.Seq, Reason: ev.Reason})
			}
			return nil
		})
		if err != nil {
			return translate("loyalty: erase membership events", err)
		}
		if err := updateRows(ctx, db, events, `UPDATE `+l.t(TableLoyaltyMembershipEvents)+` v SET reason = x.reason
			FROM json_to_recordset(?::json) AS x(seq bigint, reason text)
			WHERE v.dealer_id = ? AND v.customer_id = ? AND v.seq = x.seq`, d, c); err != nil {
			return translate("loyalty: erase membership events", err)
		}
		type receiptText struct {
			Key     string          `json:"key"`
			Receipt json.RawMessage `json:"receipt"`
		}
		var receipts []receiptText
		err = eachRow(ctx, db, `SELECT key, receipt::text FROM `+l.t(TableLoyaltyIdempotency)+`
			WHERE dealer_id = ? AND customer_id = ?`, []any{d, c}, func(r rowScanner) error {
			var key, doc string
			if err := r.Scan(&key, &doc); err != nil {
				return err
			}
			var rec loyalty.Receipt
			if err := json.Unmarshal([]byte(doc), &rec); err != nil {
				return fmt.Errorf("postgres: loyalty receipt of key %q: %w", key, err)
			}
			if !rec.EraseText() {
				return nil
			}
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			receipts = append(receipts, receiptText{Key: key, Receipt: b})
			return nil
		})
		if err != nil {
			return translate("loyalty: erase receipts", err)
		}
		if err := updateRows(ctx, db, receipts, `UPDATE `+l.t(TableLoyaltyIdempotency)+` k SET receipt = x.receipt
			FROM json_to_recordset(?::json) AS x(key text, receipt jsonb)
			WHERE k.dealer_id = ? AND k.key = x.key AND k.customer_id = ?`, d, c); err != nil {
			return translate("loyalty: erase receipts", err)
		}
		return nil
	})
}

// eachRow runs query q and calls fn with every row.
func eachRow(ctx context.Context, db bun.IDB, q string, args []any, fn func(rowScanner) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// updateRows runs the statement q, when there are docs, with the docs as
// its first argument (a JSON array, for json_to_recordset), then args.
func updateRows[T any](ctx context.Context, db bun.IDB, docs []T, q string, args ...any) error {
	if len(docs) == 0 {
		return nil
	}
	b, err := json.Marshal(docs)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, q, append([]any{string(b)}, args...)...)
	return err
}

// Outstanding implements loyalty.Store.
func (l LoyaltyStore) Outstanding(ctx context.Context, dealer crm.DealerID) ([]loyalty.StorePoints, error) {
	rows, err := l.s.db.QueryContext(ctx, `SELECT store_id, sum(remaining) FROM `+l.t(TableLoyaltyLots)+
		` WHERE dealer_id = ? AND remaining > 0 GROUP BY store_id ORDER BY store_id`, string(dealer))
	if err != nil {
		return nil, translate("loyalty outstanding points", err)
	}
	defer rows.Close()
	out := []loyalty.StorePoints{}
	for rows.Next() {
		var sp loyalty.StorePoints
		if err := rows.Scan(&sp.Store, &sp.Points); err != nil {
			return nil, translate("loyalty outstanding points", err)
		}
		out = append(out, sp)
	}
	return out, translate("loyalty outstanding points", rows.Err())
}
