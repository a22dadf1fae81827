package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// AuditStore is the crm.AuditStore on PostgreSQL, in the table of
// migration 0024 (TableAuditLog) of a Store's schema and naming: rows
// appended, never updated (a trigger refuses it), deleted only by Purge.
//
// The record of a request (crm.AuditPending in its context) is written by
// the Store itself, not through Append: every transaction the Store
// commits for the request writes it before COMMIT, in that transaction,
// unless another already has (crm.ClaimAudit), and a write outside a
// transaction then runs in one (see InTx). Append is for what no
// transaction wrote, and never writes the pending record itself.
type AuditStore struct{ s *Store }

var _ crm.AuditStore = AuditStore{}

// Audit returns the audit store of s. On a Store bound to a transaction
// (the one InTx passes), it works inside that transaction.
func (s *Store) Audit() AuditStore { return AuditStore{s: s} }

// auditCols are the columns of a record, in the order scanAudit reads
// them.
const auditCols = "dealer_id, id, at, key_id, staff_id, operation, records, request_id, outcome, reason"

// scanAudit reads one record of auditCols.
func scanAudit(row rowScanner) (crm.AuditRecord, error) {
	var (
		r                      crm.AuditRecord
		dealer, staff, outcome string
		records                textArray
	)
	if err := row.Scan(&dealer, &r.ID, &r.At, &r.KeyID, &staff, &r.Operation, &records, &r.RequestID, &outcome, &r.Reason); err != nil {
		return crm.AuditRecord{}, err
	}
	r.DealerID, r.StaffID, r.Outcome, r.At = crm.DealerID(dealer), crm.StaffID(staff), crm.AuditOutcome(outcome), utc(r.At)
	if len(records) > 0 {
		r.Records = records
	}
	return r, nil
}

// insertAudit writes r with db, checked first (CheckAuditRecord); an ID
// the dealer's trail already holds is a *crm.ConflictError on "id". ON
// CONFLICT DO NOTHING leaves the transaction of db usable either way.
func (s *Store) insertAudit(ctx context.Context, db bun.IDB, r *crm.AuditRecord) error {
	if err := crm.CheckAuditRecord(r); err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, "INSERT INTO "+s.cfg.table(TableAuditLog)+" ("+auditCols+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dealer_id, id) DO NOTHING",
		string(r.DealerID), r.ID, r.At.UTC().Truncate(time.Microsecond), r.KeyID, string(r.StaffID), r.Operation,
		textArray(r.Records), r.RequestID, string(r.Outcome), r.Reason)
	if err != nil {
		return translate("append audit record", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate("append audit record", err)
	} else if n == 0 {
		return &crm.ConflictError{Entity: "audit record", Field: "id"}
	}
	return nil
}

// Append implements crm.AuditStore: one INSERT, on the pool or under a
// savepoint of the Store's transaction. It runs without the pending
// record of ctx, so it never opens a transaction to write that too.
func (as AuditStore) Append(ctx context.Context, r crm.AuditRecord) error {
	return as.s.guarded(crm.WithAudit(ctx, nil), func(ctx context.Context, db bun.IDB) error {
		return as.s.insertAudit(ctx, db, &r)
	})
}

// List implements crm.AuditStore.
func (as AuditStore) List(ctx context.Context, dealer crm.DealerID, f crm.AuditFilter) (crm.Page[crm.AuditRecord], error) {
	if err := f.Validate(); err != nil {
		return crm.Page[crm.AuditRecord]{}, err
	}
	after, _ := f.AfterID() // checked by Validate
	size := f.Size()
	q := "SELECT " + auditCols + " FROM " + as.s.cfg.table(TableAuditLog) + " WHERE dealer_id = ?"
	args := []any{string(dealer)}
	and := func(cond string, v any) {
		q += " AND " + cond
		args = append(args, v)
	}
	if after != "" {
		and("id < ?", after)
	}
	if f.StaffID != "" {
		and("staff_id = ?", string(f.StaffID))
	}
	if f.KeyID != "" {
		and("key_id = ?", f.KeyID)
	}
	if f.Record != "" {
		and("records @> ?::text[]", textArray{f.Record})
	}
	if f.Operation != "" {
		and("operation = ?", f.Operation)
	}
	if f.Outcome != "" {
		and("outcome = ?", string(f.Outcome))
	}
	if f.RequestID != "" {
		and("request_id = ?", f.RequestID)
	}
	if !f.From.IsZero() {
		and("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		and("at < ?", f.To.UTC())
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, size+1)
	items := make([]crm.AuditRecord, 0, size+1)
	err := as.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		r, err := scanAudit(rows)
		items = append(items, r)
		return err
	}, args...)
	if err != nil {
		return crm.Page[crm.AuditRecord]{}, translate("list audit records", err)
	}
	return crm.NewPage(items, size, func(r crm.AuditRecord) string { return r.ID }), nil
}

// Purge implements crm.AuditStore: one DELETE of the dealer's records
// before the instant.
func (as AuditStore) Purge(ctx context.Context, dealer crm.DealerID, before time.Time) (int, error) {
	var n int64
	err := as.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "DELETE FROM "+as.s.cfg.table(TableAuditLog)+" WHERE dealer_id = ? AND at < ?",
			string(dealer), before.UTC())
		if err != nil {
			return translate("purge audit records", err)
		}
		n, err = res.RowsAffected()
		return translate("purge audit records", err)
	})
	return int(n), err
}
