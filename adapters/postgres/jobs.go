package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/uptrace/bun"
)

// RunStore is the jobs.RunStore on PostgreSQL, in the table of migration
// 0017 (TableJobRuns) of a Store's schema and naming: one row per (dealer,
// kind, day). Begin claims a day with one INSERT … ON CONFLICT DO UPDATE …
// WHERE, so that of concurrent callers, on any number of replicas, exactly
// one proceeds; a run left running for the Store's lease (WithRunLease) is
// claimed again. Times are the database server's clock, the one clock all
// replicas share.
type RunStore struct{ s *Store }

var _ jobs.RunStore = RunStore{}

// Runs returns the job run store of s. On a Store bound to a transaction
// (the one InTx passes), it works inside that transaction.
func (s *Store) Runs() RunStore { return RunStore{s: s} }

// RunLease returns how long a run may stay running before Begin claims it
// again (WithRunLease).
func (s *Store) RunLease() time.Duration { return s.cfg.lease }

// runCols are the columns of a run, in the order scanRun reads them.
const runCols = "dealer_id, kind, day, status, attempt, manual, started_at, finished_at, counts, error"

// scanRun reads one run of runCols.
func scanRun(row rowScanner) (jobs.Run, error) {
	var (
		r                 jobs.Run
		dealer, kind, st  string
		day               sqlDate
		started, finished sql.NullTime
		counts            []byte
	)
	if err := row.Scan(&dealer, &kind, &day, &st, &r.Attempt, &r.Manual, &started, &finished, &counts, &r.Error); err != nil {
		return jobs.Run{}, err
	}
	r.Dealer, r.Kind, r.Day, r.Status = crm.DealerID(dealer), jobs.Kind(kind), day.date(), jobs.Status(st)
	r.StartedAt, r.FinishedAt = utc(started.Time), utc(finished.Time)
	if err := json.Unmarshal(counts, &r.Counts); err != nil {
		return jobs.Run{}, newDBError("read run", dealercrm.Internal, "internal error", false, err)
	}
	if r.Counts == nil {
		r.Counts = jobs.Counts{}
	}
	return r, nil
}

// queryRun runs q, which returns at most one run; found is false when it
// returned none.
func (rs RunStore) queryRun(ctx context.Context, db bun.IDB, what, q string, args ...any) (r jobs.Run, found bool, err error) {
	r, err = scanRun(db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Run{}, false, nil
	}
	if err != nil {
		return jobs.Run{}, false, translate(what, err)
	}
	return r, true, nil
}

// get reads the run of (dealer, kind, day), or ErrNotFound.
func (rs RunStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (jobs.Run, error) {
	r, found, err := rs.queryRun(ctx, db, "get run",
		"SELECT "+runCols+" FROM "+rs.s.cfg.table(TableJobRuns)+" WHERE dealer_id = ? AND kind = ? AND day = ?",
		string(dealer), string(kind), sqlDate(day))
	if err == nil && !found {
		err = dealercrm.Errorf(dealercrm.NotFound, "jobs: no run %s %s %s", dealer, kind, day)
	}
	return r, err
}

// Request implements jobs.RunStore.
func (rs RunStore) Request(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (_ jobs.Run, _ bool, err error) {
	ctx, span := startOp(ctx, "runs", "Request", dealer)
	defer func() { endOp(span, err) }()
	if err := jobs.CheckKey(dealer, kind, day); err != nil {
		return jobs.Run{}, false, err
	}
	var (
		r       jobs.Run
		created bool
	)
	err = rs.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		var err error
		r, created, err = rs.queryRun(ctx, db, "request run",
			"INSERT INTO "+rs.s.cfg.table(TableJobRuns)+" (dealer_id, kind, day, status, manual) VALUES (?, ?, ?, 'pending', true)"+
				" ON CONFLICT (dealer_id, kind, day) DO NOTHING RETURNING "+runCols,
			string(dealer), string(kind), sqlDate(day))
		if err != nil || created {
			return err
		}
		r, err = rs.get(ctx, db, dealer, kind, day)
		return err
	})
	return r, created, err
}

// Begin implements jobs.RunStore: a new run is inserted running; a
// pending or failed one, or one running since the lease or longer, is
// updated to running with one more attempt. Otherwise the row is left as
// it is and read back.
func (rs RunStore) Begin(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (_ jobs.Run, _ bool, err error) {
	ctx, span := startOp(ctx, "runs", "Begin", dealer)
	defer func() { endOp(span, err) }()
	if err := jobs.CheckKey(dealer, kind, day); err != nil {
		return jobs.Run{}, false, err
	}
	t := rs.s.cfg.table(TableJobRuns)
	q := "INSERT INTO " + t + " AS r (dealer_id, kind, day, status, attempt, started_at) VALUES (?, ?, ?, 'running', 1, now())" +
		" ON CONFLICT (dealer_id, kind, day) DO UPDATE SET status = 'running', attempt = r.attempt + 1, started_at = now(), finished_at = NULL" +
		" WHERE r.status IN ('pending', 'failed')" +
		" OR (r.status = 'running' AND r.started_at <= now() - ?::bigint * interval '1 microsecond')" +
		" RETURNING " + runCols
	var (
		r       jobs.Run
		claimed bool
	)
	err = rs.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		var err error
		r, claimed, err = rs.queryRun(ctx, db, "begin run", q, string(dealer), string(kind), sqlDate(day), rs.s.cfg.lease.Microseconds())
		if err != nil || claimed {
			return err
		}
		r, err = rs.get(ctx, db, dealer, kind, day)
		return err
	})
	return r, claimed, err
}

// Finish implements jobs.RunStore: the row is updated only while it is
// running r's attempt.
func (rs RunStore) Finish(ctx context.Context, r jobs.Run) (_ jobs.Run, err error) {
	ctx, span := startOp(ctx, "runs", "Finish", r.Dealer)
	defer func() { endOp(span, err) }()
	if err := jobs.CheckKey(r.Dealer, r.Kind, r.Day); err != nil {
		return jobs.Run{}, err
	}
	counts, err := json.Marshal(r.Counts)
	if err != nil || r.Counts == nil {
		counts = []byte("{}")
	}
	var out jobs.Run
	err = rs.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		if r.Status == jobs.Done || r.Status == jobs.Failed {
			got, found, err := rs.queryRun(ctx, db, "finish run",
				"UPDATE "+rs.s.cfg.table(TableJobRuns)+" SET status = ?, counts = ?::jsonb, error = ?, finished_at = now()"+
					" WHERE dealer_id = ? AND kind = ? AND day = ? AND status = 'running' AND attempt = ? RETURNING "+runCols,
				string(r.Status), string(counts), r.Error, string(r.Dealer), string(r.Kind), sqlDate(r.Day), r.Attempt)
			if err != nil || found {
				out = got
				return err
			}
		}
		stored, err := rs.get(ctx, db, r.Dealer, r.Kind, r.Day)
		if err != nil {
			return err
		}
		if err := jobs.CheckFinish(stored, r); err != nil {
			return err
		}
		// Running r's attempt now but not when updated: another writer
		// raced this one.
		return dealercrm.Errorf(dealercrm.FailedPrecondition, "jobs: run %s %s %s changed while finishing", r.Dealer, r.Kind, r.Day)
	})
	return out, err
}

// Get implements jobs.RunStore.
func (rs RunStore) Get(ctx context.Context, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date) (_ jobs.Run, err error) {
	ctx, span := startOp(ctx, "runs", "Get", dealer)
	defer func() { endOp(span, err) }()
	if err := jobs.CheckKey(dealer, kind, day); err != nil {
		return jobs.Run{}, err
	}
	return rs.get(ctx, rs.s.db, dealer, kind, day)
}

// Last implements jobs.RunStore.
func (rs RunStore) Last(ctx context.Context, dealer crm.DealerID, kind jobs.Kind) (_ dealercrm.Date, err error) {
	ctx, span := startOp(ctx, "runs", "Last", dealer)
	defer func() { endOp(span, err) }()
	if err := jobs.CheckKind(dealer, kind); err != nil {
		return dealercrm.Date{}, err
	}
	var last sqlDate
	err = rs.s.db.QueryRowContext(ctx, "SELECT max(day) FROM "+rs.s.cfg.table(TableJobRuns)+" WHERE dealer_id = ? AND kind = ? AND status = 'done'",
		string(dealer), string(kind)).Scan(&last)
	if err != nil {
		return dealercrm.Date{}, translate("last run", err)
	}
	return last.date(), nil
}

// List implements jobs.RunStore: newest day first, then kind, on the
// index (dealer_id, day DESC, kind).
func (rs RunStore) List(ctx context.Context, dealer crm.DealerID, f jobs.RunFilter) (_ crm.Page[jobs.Run], err error) {
	ctx, span := startOp(ctx, "runs", "List", dealer)
	defer func() { endOp(span, err) }()
	if err := f.Validate(); err != nil {
		return crm.Page[jobs.Run]{}, err
	}
	afterDay, afterKind, err := f.Cursor()
	if err != nil {
		return crm.Page[jobs.Run]{}, err
	}
	where, args := "dealer_id = ?", []any{string(dealer)}
	add := func(cond string, vals ...any) { where, args = where+" AND "+cond, append(args, vals...) }
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.From.IsZero() {
		add("day >= ?", sqlDate(f.From))
	}
	if !f.To.IsZero() {
		add("day <= ?", sqlDate(f.To))
	}
	if !afterDay.IsZero() {
		add("(day < ? OR (day = ? AND kind > ?))", sqlDate(afterDay), sqlDate(afterDay), string(afterKind))
	}
	size := f.Size()
	rows, err := rs.s.db.QueryContext(ctx, "SELECT "+runCols+" FROM "+rs.s.cfg.table(TableJobRuns)+" WHERE "+where+
		" ORDER BY day DESC, kind LIMIT ?", append(args, size+1)...)
	if err != nil {
		return crm.Page[jobs.Run]{}, translate("list runs", err)
	}
	defer rows.Close()
	var out []jobs.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return crm.Page[jobs.Run]{}, translate("list runs", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return crm.Page[jobs.Run]{}, translate("list runs", err)
	}
	return crm.NewPage(out, size, jobs.Run.Key), nil
}
