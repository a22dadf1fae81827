package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/uptrace/bun"
)

// GradingStore is the grading.Store on PostgreSQL, in the tables
// grading_runs, grading_states and grading_changes of migration 0003 (with
// the one-run-per-date index of migration 0008). Get it with
// Store.Grading; inside InTx it works in the transaction.
type GradingStore struct{ s *Store }

var _ grading.Store = GradingStore{}

// Grading returns the grading store of s.
func (s *Store) Grading() GradingStore { return GradingStore{s: s} }

// gradingChunk is how many states or changes one statement writes.
const gradingChunk = 5000

type stateDoc struct {
	DealerID     string                 `json:"dealer_id"`
	CustomerID   string                 `json:"customer_id"`
	Grade        string                 `json:"grade"`
	RawGrade     string                 `json:"raw_grade"`
	Score        float64                `json:"score"`
	Pending      int                    `json:"pending"`
	Period       string                 `json:"period"`
	Model        string                 `json:"model"`
	ModelVersion int                    `json:"model_version"`
	Top          []grading.Contribution `json:"top"`
	RunID        string                 `json:"run_id"`
	UpdatedAt    time.Time              `json:"updated_at"`
}

type changeDoc struct {
	DealerID   string  `json:"dealer_id"`
	CustomerID string  `json:"customer_id"`
	RunID      string  `json:"run_id"`
	Old        string  `json:"old_grade"`
	New        string  `json:"new_grade"`
	Score      float64 `json:"score"`
	Reason     string  `json:"reason"`
	ReasonCode string  `json:"reason_code"`
	// ReasonParams is null for none.
	ReasonParams map[string]string      `json:"reason_params"`
	Top          []grading.Contribution `json:"top"`
	Period       string                 `json:"period"`
	At           time.Time              `json:"at"`
}

// SaveRun implements grading.Store: one transaction; states and changes are
// streamed in chunks of 5,000, each sent as one JSON document that
// json_to_recordset expands (json, not jsonb: the document is read once, so
// building jsonb first would only cost), so memory stays bounded.
//
// The run record goes first, insert-or-detect: ON CONFLICT DO NOTHING on
// the keys (dealer_id, id) and (dealer_id, as_of) of the runs that took
// effect, so a run of a date or ID the dealer already has raises no SQL
// error; a concurrent insert of the same key waits for the other
// transaction and then does nothing. The stored run is then read and
// returned, and nothing else is written.
func (g GradingStore) SaveRun(ctx context.Context, run grading.Run, states iter.Seq[grading.State], changes iter.Seq[grading.Change]) (_ grading.Run, err error) {
	ctx, span := startOp(ctx, "grading", "SaveRun", run.DealerID)
	defer func() { endOp(span, err) }()
	c := g.s.cfg
	var out grading.Run
	err = g.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		counts, err := json.Marshal(run.Counts)
		if err != nil {
			return err
		}
		var id string
		err = db.QueryRowContext(ctx, "INSERT INTO "+c.table(TableGradingRuns)+
			` (dealer_id, id, dealers, as_of, model, model_version, customers, changed, written, counts, aggregation, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING id`,
			string(run.DealerID), string(run.ID), stringsOf(run.Dealers), run.AsOf.String(), run.Model, run.ModelVersion,
			run.Customers, run.Changed, run.Written, string(counts), run.Aggregation, dbTime(run.StartedAt)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// Taken: the run of the same date when there is one, else the
			// run with the same ID.
			out, err = g.getRun(ctx, db, `dealer_id = ?0 AND ((as_of = ?1 AND effective) OR id = ?2)
				ORDER BY (as_of = ?1 AND effective) DESC LIMIT 1`, string(run.DealerID), run.AsOf.String(), string(run.ID))
			return translate("grading: read the stored run", err)
		}
		if err != nil {
			return translate("grading: save run", err)
		}
		out = run
		out.StartedAt = dbTime(run.StartedAt)
		if err := pipeChunks(states, func(s grading.State) stateDoc {
			return stateDoc{DealerID: string(s.DealerID), CustomerID: string(s.CustomerID), Grade: string(s.Grade),
				RawGrade: string(s.RawGrade), Score: s.Score, Pending: s.Pending, Period: s.Period.String(), Model: s.Model,
				ModelVersion: s.ModelVersion, Top: s.Top, RunID: string(s.RunID), UpdatedAt: dbTime(s.UpdatedAt)}
		}, func(doc string) error {
			_, err := db.ExecContext(ctx, "INSERT INTO "+c.table(TableGradingStates)+
				` (dealer_id, customer_id, grade, raw_grade, score, pending, period, model, model_version, top, run_id, updated_at)
				SELECT dealer_id, customer_id, grade, raw_grade, score, pending, period, model, model_version, coalesce(top, '[]'), run_id, updated_at
				FROM json_to_recordset(?::json) AS x(dealer_id text, customer_id text, grade text, raw_grade text, score float8,
					pending int, period date, model text, model_version int, top jsonb, run_id text, updated_at timestamptz)
				ON CONFLICT (dealer_id, customer_id) DO UPDATE SET grade = excluded.grade, raw_grade = excluded.raw_grade,
					score = excluded.score, pending = excluded.pending, period = excluded.period, model = excluded.model,
					model_version = excluded.model_version, top = excluded.top, run_id = excluded.run_id, updated_at = excluded.updated_at`,
				doc)
			return translate("grading: save states", err)
		}); err != nil {
			return err
		}
		return pipeChunks(changes, func(ch grading.Change) changeDoc {
			return changeDoc{DealerID: string(ch.DealerID), CustomerID: string(ch.CustomerID), RunID: string(ch.RunID),
				Old: string(ch.Old), New: string(ch.New), Score: ch.Score, Reason: ch.Reason, ReasonCode: ch.ReasonCode, ReasonParams: ch.ReasonParams,
				Top: ch.Top, Period: ch.Period.String(), At: dbTime(ch.At)}
		}, func(doc string) error {
			_, err := db.ExecContext(ctx, "INSERT INTO "+c.table(TableGradingChanges)+
				` (dealer_id, customer_id, run_id, old_grade, new_grade, score, reason, reason_code, reason_params, top, period, "at")
				SELECT dealer_id, customer_id, run_id, old_grade, new_grade, score, reason, coalesce(reason_code, ''),
					coalesce(reason_params, '{}'), coalesce(top, '[]'), period, "at"
				FROM json_to_recordset(?::json) AS x(dealer_id text, customer_id text, run_id text, old_grade text, new_grade text,
					score float8, reason text, reason_code text, reason_params jsonb, top jsonb, period date, "at" timestamptz)
				ON CONFLICT (dealer_id, customer_id, run_id) DO NOTHING`, doc)
			return translate("grading: save changes", err)
		})
	})
	if err != nil {
		return grading.Run{}, err
	}
	return out, nil
}

// pipeChunks reads seq in chunks of gradingChunk, encodes each as a JSON
// array of conv's documents on a goroutine of its own, one chunk ahead, and
// passes the documents to exec in order, so that Go encodes the next chunk
// while Postgres writes the current one. It returns the first error, after
// the encoder has stopped reading seq.
func pipeChunks[T, D any](seq iter.Seq[T], conv func(T) D, exec func(doc string) error) error {
	if seq == nil {
		return nil
	}
	type encoded struct {
		doc string
		err error
	}
	out := make(chan encoded, 1)
	stop := make(chan struct{})
	go func() {
		defer close(out)
		docs := make([]D, 0, gradingChunk)
		send := func() bool {
			b, err := json.Marshal(docs)
			docs = docs[:0]
			select {
			case out <- encoded{doc: string(b), err: err}:
				return err == nil
			case <-stop:
				return false
			}
		}
		for v := range seq {
			docs = append(docs, conv(v))
			if len(docs) == gradingChunk && !send() {
				return
			}
		}
		if len(docs) > 0 {
			send()
		}
	}()
	var first error
	for e := range out {
		if first == nil {
			first = e.err
			if first == nil {
				first = exec(e.doc)
			}
			if first != nil {
				close(stop)
			}
		}
	}
	return first
}

// GetRun implements grading.Store.
func (g GradingStore) GetRun(ctx context.Context, dealer crm.DealerID, id grading.RunID) (grading.Run, error) {
	r, err := g.getRun(ctx, g.s.db, "dealer_id = ? AND id = ?", string(dealer), string(id))
	if err != nil {
		return r, translate(fmt.Sprintf("grading run %s", id), err)
	}
	return r, nil
}

// GetRunAsOf implements grading.Store.
func (g GradingStore) GetRunAsOf(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (grading.Run, error) {
	r, err := g.getRun(ctx, g.s.db, "dealer_id = ? AND as_of = ? AND effective", string(dealer), asOf.String())
	if err != nil {
		return r, translate(fmt.Sprintf("grading run as of %s", asOf), err)
	}
	return r, nil
}

// getRun reads the run matching where (a condition, with its order and
// limit) through db; no row is sql.ErrNoRows.
func (g GradingStore) getRun(ctx context.Context, db bun.IDB, where string, args ...any) (grading.Run, error) {
	var r grading.Run
	var dealers textArray
	var asOf sqlDate
	var counts string
	err := db.QueryRowContext(ctx, `SELECT id, dealer_id, dealers, as_of, model, model_version, customers, changed, written,
		counts::text, aggregation, started_at FROM `+g.s.cfg.table(TableGradingRuns)+` WHERE `+where, args...).Scan(
		&r.ID, &r.DealerID, &dealers, &asOf, &r.Model, &r.ModelVersion, &r.Customers, &r.Changed, &r.Written, &counts,
		&r.Aggregation, &r.StartedAt)
	if err != nil {
		return r, err
	}
	for _, d := range dealers {
		r.Dealers = append(r.Dealers, crm.DealerID(d))
	}
	r.AsOf = asOf.date()
	r.StartedAt = r.StartedAt.UTC()
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return r, fmt.Errorf("grading run %s: counts: %w", r.ID, err)
	}
	return r, nil
}

const stateColumns = `dealer_id, customer_id, grade, raw_grade, score, pending, period, model, model_version, top::text, run_id, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanState(row rowScanner) (grading.State, error) {
	var s grading.State
	var period sqlDate
	var top string
	if err := row.Scan(&s.DealerID, &s.CustomerID, &s.Grade, &s.RawGrade, &s.Score, &s.Pending, &period, &s.Model,
		&s.ModelVersion, &top, &s.RunID, &s.UpdatedAt); err != nil {
		return s, err
	}
	s.Period = period.date()
	s.UpdatedAt = s.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(top), &s.Top); err != nil {
		return s, fmt.Errorf("grading state of %s: explanation: %w", s.CustomerID, err)
	}
	if len(s.Top) == 0 {
		s.Top = nil
	}
	return s, nil
}

// GetState implements grading.Store.
func (g GradingStore) GetState(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (grading.State, error) {
	row := g.s.db.QueryRowContext(ctx, "SELECT "+stateColumns+" FROM "+g.s.cfg.table(TableGradingStates)+
		" WHERE dealer_id = ? AND customer_id = ?", string(dealer), string(id))
	s, err := scanState(row)
	if err != nil {
		return s, translate(fmt.Sprintf("grade of customer %s", id), err)
	}
	return s, nil
}

// ListStates implements grading.Store.
func (g GradingStore) ListStates(ctx context.Context, dealer crm.DealerID, f grading.StateFilter) (crm.Page[grading.State], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[grading.State]{}, err
	}
	size := f.Size()
	q := "SELECT " + stateColumns + " FROM " + g.s.cfg.table(TableGradingStates) + " WHERE dealer_id = ? AND customer_id > ?"
	args := []any{string(dealer), after}
	if f.Grade != "" {
		q += " AND grade = ?"
		args = append(args, string(f.Grade))
	}
	if len(f.CustomerIDs) > 0 {
		q += " AND customer_id IN (?)"
		args = append(args, bun.List(strs(f.CustomerIDs)))
	}
	q += " ORDER BY customer_id LIMIT ?"
	args = append(args, size+1)
	var out []grading.State
	if err := g.query(ctx, q, args, func(s grading.State) error { out = append(out, s); return nil }); err != nil {
		return crm.Page[grading.State]{}, err
	}
	return crm.NewPage(out, size, func(s grading.State) string { return string(s.CustomerID) }), nil
}

var _ grading.GradeReader = GradingStore{}

// GradesOf implements grading.GradeReader: one query of two columns on
// the primary key, instead of decoding whole states (the call list reads
// the grades of each page's customers).
func (g GradingStore) GradesOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]grading.Grade, error) {
	out := make(map[crm.CustomerID]grading.Grade, len(customers))
	if len(customers) == 0 {
		return out, nil
	}
	rows, err := g.s.db.QueryContext(ctx, "SELECT customer_id, grade FROM "+g.s.cfg.table(TableGradingStates)+
		" WHERE dealer_id = ? AND customer_id IN (?)", string(dealer), bun.List(strs(customers)))
	if err != nil {
		return nil, translate("grading grades", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c crm.CustomerID
		var gr grading.Grade
		if err := rows.Scan(&c, &gr); err != nil {
			return nil, translate("grading grades", err)
		}
		out[c] = gr
	}
	return out, translate("grading grades", rows.Err())
}

// EachState implements grading.Store with one query streamed row by row
// (pages by cursor made the planner sort the table once per page before
// autovacuum had analysed a freshly written table). fn must not use the
// same transaction-bound store while the rows are open.
func (g GradingStore) EachState(ctx context.Context, dealer crm.DealerID, fn func(grading.State) error) (err error) {
	ctx, span := startOp(ctx, "grading", "EachState", dealer)
	defer func() { endOp(span, err) }()
	return g.query(ctx, "SELECT "+stateColumns+" FROM "+g.s.cfg.table(TableGradingStates)+
		" WHERE dealer_id = ? ORDER BY customer_id", []any{string(dealer)}, fn)
}

func (g GradingStore) query(ctx context.Context, q string, args []any, fn func(grading.State) error) error {
	rows, err := g.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return translate("grading states", err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanState(rows)
		if err != nil {
			return translate("grading states", err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return translate("grading states", rows.Err())
}

// History implements grading.Store.
func (g GradingStore) History(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) ([]grading.Change, error) {
	rows, err := g.s.db.QueryContext(ctx, `SELECT dealer_id, customer_id, run_id, old_grade, new_grade, score, reason, reason_code, reason_params::text, top::text, period, "at"
		FROM `+g.s.cfg.table(TableGradingChanges)+` WHERE dealer_id = ? AND customer_id = ? ORDER BY "at", run_id`,
		string(dealer), string(id))
	if err != nil {
		return nil, translate("grading history", err)
	}
	defer rows.Close()
	out := []grading.Change{}
	for rows.Next() {
		var c grading.Change
		var period sqlDate
		var top, params string
		if err := rows.Scan(&c.DealerID, &c.CustomerID, &c.RunID, &c.Old, &c.New, &c.Score, &c.Reason, &c.ReasonCode, &params, &top, &period, &c.At); err != nil {
			return nil, translate("grading history", err)
		}
		if err := json.Unmarshal([]byte(top), &c.Top); err != nil {
			return nil, fmt.Errorf("grading change of %s: explanation: %w", c.CustomerID, err)
		}
		if len(c.Top) == 0 {
			c.Top = nil // as stored: an empty explanation reads back as none, like in memory
		}
		c.ReasonParams = toParams(jsonDoc(params))
		c.Period, c.At = period.date(), c.At.UTC()
		out = append(out, c)
	}
	return out, translate("grading history", rows.Err())
}

// DeleteCustomer implements grading.Store in one statement, atomic by
// itself (under a savepoint inside a transaction): the state and the
// changes of the customer, the dealer bound in both.
func (g GradingStore) DeleteCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	return g.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		_, err := db.ExecContext(ctx, `WITH s AS (DELETE FROM `+g.s.cfg.table(TableGradingStates)+` WHERE dealer_id = ?0 AND customer_id = ?1)
			DELETE FROM `+g.s.cfg.table(TableGradingChanges)+` WHERE dealer_id = ?0 AND customer_id = ?1`, string(dealer), string(id))
		return translate("grading: delete customer", err)
	})
}
