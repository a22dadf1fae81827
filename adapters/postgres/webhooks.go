package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/uptrace/bun"
)

// WebhookStore is the webhook.Store on PostgreSQL, in the tables of
// migration 0027 (TableWebhookSubscriptions, TableWebhookDeliveries). A
// lease is two columns of the subscription's row: Claim takes due rows
// with SELECT … FOR UPDATE SKIP LOCKED, so that runners on several
// replicas never take one row twice, and skips a subscription whose
// dealer has no event after its cursor — the dealer's last number
// (event_seqs) plus its events still to be numbered (migration 0031): the
// numbers they will get — so that idle
// polling costs one index scan. Save is one statement: the UPDATE fenced
// by owner and version, and the log rows inserted only when the UPDATE
// matched.
type WebhookStore struct{ s *Store }

var _ webhook.Store = WebhookStore{}

// Webhooks returns the webhook store of s.
func (s *Store) Webhooks() WebhookStore { return WebhookStore{s: s} }

// Head implements webhook.EventHead: the dealer's last sequence number,
// from event_seqs, once the dealer's new events are numbered.
func (es EventStore) Head(ctx context.Context, dealer crm.DealerID) (int64, error) {
	if err := es.number(ctx, dealer); err != nil {
		return 0, err
	}
	var seq int64
	err := es.s.db.QueryRowContext(ctx, "SELECT seq FROM "+es.s.cfg.table(TableEventSeqs)+" WHERE dealer_id = ?", string(dealer)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, translate("event head", err)
}

const subCols = "id, dealer_id, url, types, secret, state, disabled_reason, cursor_seq, attempts, failing_since, next_attempt_at, created_at, updated_at, version"

const deliveryCols = "id, subscription_id, dealer_id, event_id, seq, attempt, status, duration_ms, error, at"

func (ws WebhookStore) subs() string       { return ws.s.cfg.table(TableWebhookSubscriptions) }
func (ws WebhookStore) deliveries() string { return ws.s.cfg.table(TableWebhookDeliveries) }

func scanSub(row rowScanner) (webhook.Subscription, error) {
	var (
		w              webhook.Subscription
		id, dealer     string
		state          string
		types          textArray
		failing, after sql.NullTime
	)
	if err := row.Scan(&id, &dealer, &w.URL, &types, &w.Secret, &state, &w.DisabledReason, &w.Cursor, &w.Attempts,
		&failing, &after, &w.CreatedAt, &w.UpdatedAt, &w.Version); err != nil {
		return webhook.Subscription{}, err
	}
	w.ID, w.DealerID, w.State = webhook.ID(id), crm.DealerID(dealer), webhook.State(state)
	w.Types = make([]crm.EventType, 0, len(types))
	for _, t := range types {
		w.Types = append(w.Types, crm.EventType(t))
	}
	w.FailingSince, w.NextAttemptAt = utc(failing.Time), utc(after.Time)
	w.CreatedAt, w.UpdatedAt = utc(w.CreatedAt), utc(w.UpdatedAt)
	return w, nil
}

func typeArray(types []crm.EventType) textArray { return textArray(strs(types)) }

// Create implements webhook.Store.
func (ws WebhookStore) Create(ctx context.Context, w webhook.Subscription) error {
	return ws.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		_, err := db.ExecContext(ctx, "INSERT INTO "+ws.subs()+" ("+subCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			string(w.ID), string(w.DealerID), w.URL, typeArray(w.Types), w.Secret, string(w.State), w.DisabledReason, w.Cursor,
			w.Attempts, nullTime(w.FailingSince), w.NextAttemptAt.UTC(), w.CreatedAt.UTC(), w.UpdatedAt.UTC(), w.Version)
		return translate("create webhook", err)
	})
}

func (ws WebhookStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, id webhook.ID, lock bool) (webhook.Subscription, error) {
	q := "SELECT " + subCols + " FROM " + ws.subs() + " WHERE id = ? AND dealer_id = ?"
	if lock {
		q += " FOR UPDATE"
	}
	w, err := scanSub(db.QueryRowContext(ctx, q, string(id), string(dealer)))
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Subscription{}, webhook.ErrNotFound
	}
	if err != nil {
		return webhook.Subscription{}, translate("get webhook", err)
	}
	return w, nil
}

// Get implements webhook.Store.
func (ws WebhookStore) Get(ctx context.Context, dealer crm.DealerID, id webhook.ID) (webhook.Subscription, error) {
	return ws.get(ctx, ws.s.db, dealer, id, false)
}

// List implements webhook.Store.
func (ws WebhookStore) List(ctx context.Context, dealer crm.DealerID, f webhook.Filter) (crm.Page[webhook.Subscription], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[webhook.Subscription]{}, err
	}
	size := f.Size()
	q := "SELECT " + subCols + " FROM " + ws.subs() + " WHERE dealer_id = ? AND id > ?"
	args := []any{string(dealer), after}
	if f.State != "" {
		q += " AND state = ?"
		args = append(args, string(f.State))
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, size+1)
	items := make([]webhook.Subscription, 0, size+1)
	err = ws.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		w, err := scanSub(rows)
		items = append(items, w)
		return err
	}, args...)
	if err != nil {
		return crm.Page[webhook.Subscription]{}, translate("list webhooks", err)
	}
	return crm.NewPage(items, size, func(w webhook.Subscription) string { return string(w.ID) }), nil
}

// Update implements webhook.Store: the row is locked, fn runs, and every
// field but ID, dealer and creation is written back with the version
// one up.
func (ws WebhookStore) Update(ctx context.Context, dealer crm.DealerID, id webhook.ID, fn func(*webhook.Subscription) error) (webhook.Subscription, error) {
	var out webhook.Subscription
	err := ws.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		old, err := ws.get(ctx, db, dealer, id, true)
		if err != nil {
			return err
		}
		w := old.Clone()
		if err := fn(&w); err != nil {
			return err
		}
		w.ID, w.DealerID, w.CreatedAt, w.Version = old.ID, old.DealerID, old.CreatedAt, old.Version+1
		_, err = db.ExecContext(ctx, "UPDATE "+ws.subs()+" SET url = ?, types = ?, secret = ?, state = ?, disabled_reason = ?,"+
			" cursor_seq = ?, attempts = ?, failing_since = ?, next_attempt_at = ?, updated_at = ?, version = ? WHERE id = ?",
			w.URL, typeArray(w.Types), w.Secret, string(w.State), w.DisabledReason, w.Cursor, w.Attempts,
			nullTime(w.FailingSince), w.NextAttemptAt.UTC(), w.UpdatedAt.UTC(), w.Version, string(w.ID))
		if err != nil {
			return translate("update webhook", err)
		}
		out = w
		return nil
	})
	return out, err
}

// Delete implements webhook.Store.
func (ws WebhookStore) Delete(ctx context.Context, dealer crm.DealerID, id webhook.ID) error {
	return ws.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "DELETE FROM "+ws.subs()+" WHERE id = ? AND dealer_id = ?", string(id), string(dealer))
		if err != nil {
			return translate("delete webhook", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return webhook.ErrNotFound
		}
		_, err = db.ExecContext(ctx, "DELETE FROM "+ws.deliveries()+" WHERE dealer_id = ? AND subscription_id = ?", string(dealer), string(id))
		return translate("delete webhook log", err)
	})
}

func scanDelivery(row rowScanner) (webhook.Delivery, error) {
	var (
		d               webhook.Delivery
		id, sub, dealer string
	)
	if err := row.Scan(&id, &sub, &dealer, &d.EventID, &d.Seq, &d.Attempt, &d.Status, &d.DurationMS, &d.Error, &d.At); err != nil {
		return webhook.Delivery{}, err
	}
	d.ID, d.SubscriptionID, d.DealerID, d.At = id, webhook.ID(sub), crm.DealerID(dealer), utc(d.At)
	return d, nil
}

// Deliveries implements webhook.Store.
func (ws WebhookStore) Deliveries(ctx context.Context, dealer crm.DealerID, id webhook.ID, f webhook.DeliveryFilter) (crm.Page[webhook.Delivery], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[webhook.Delivery]{}, err
	}
	if _, err := ws.Get(ctx, dealer, id); err != nil {
		return crm.Page[webhook.Delivery]{}, err
	}
	size := f.Size()
	q := "SELECT " + deliveryCols + " FROM " + ws.deliveries() + " WHERE subscription_id = ? AND dealer_id = ?"
	args := []any{string(id), string(dealer)}
	if after != "" {
		q += " AND id < ?"
		args = append(args, after)
	}
	if f.Failed {
		q += " AND NOT (status BETWEEN 200 AND 299 AND error = '')"
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, size+1)
	items := make([]webhook.Delivery, 0, size+1)
	err = ws.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		d, err := scanDelivery(rows)
		items = append(items, d)
		return err
	}, args...)
	if err != nil {
		return crm.Page[webhook.Delivery]{}, translate("list webhook deliveries", err)
	}
	return crm.NewPage(items, size, func(d webhook.Delivery) string { return d.ID }), nil
}

// PurgeDeliveries implements webhook.Store.
func (ws WebhookStore) PurgeDeliveries(ctx context.Context, before time.Time) (int, error) {
	res, err := ws.s.db.ExecContext(ctx, "DELETE FROM "+ws.deliveries()+" WHERE at < ?", before.UTC())
	if err != nil {
		return 0, translate("purge webhook deliveries", err)
	}
	n, err := res.RowsAffected()
	return int(n), translate("purge webhook deliveries", err)
}

// Claim implements webhook.Store.
func (ws WebhookStore) Claim(ctx context.Context, c webhook.Claim) ([]webhook.Subscription, error) {
	q := "UPDATE " + ws.subs() + " AS w SET lease_owner = ?, lease_until = ? FROM (SELECT s.id FROM " + ws.subs() + " AS s" +
		" WHERE s.state = 'enabled' AND s.next_attempt_at <= ? AND (s.lease_until IS NULL OR s.lease_until < ?)" +
		" AND COALESCE((SELECT q.seq FROM " + ws.s.cfg.table(TableEventSeqs) + " AS q WHERE q.dealer_id = s.dealer_id), 0)" +
		" + (SELECT count(*) FROM " + ws.s.cfg.table(TableEvents) + " AS e WHERE e.dealer_id = s.dealer_id AND e.seq IS NULL) > s.cursor_seq" +
		" ORDER BY s.next_attempt_at, s.id LIMIT ? FOR UPDATE OF s SKIP LOCKED) AS c WHERE w.id = c.id RETURNING " + prefixed("w.", subCols)
	out := []webhook.Subscription{}
	rows, err := ws.s.db.QueryContext(ctx, q, c.Owner, c.Until.UTC(), c.Now.UTC(), c.Now.UTC(), c.Limit)
	if err != nil {
		return nil, translate("claim webhooks", err)
	}
	defer rows.Close()
	for rows.Next() {
		w, err := scanSub(rows)
		if err != nil {
			return nil, translate("claim webhooks", err)
		}
		out = append(out, w)
	}
	return out, translate("claim webhooks", rows.Err())
}

// Save implements webhook.Store.
func (ws WebhookStore) Save(ctx context.Context, l webhook.Lease, p webhook.Progress, log []webhook.Delivery) error {
	var next any
	if !p.NextAttemptAt.IsZero() {
		next = p.NextAttemptAt.UTC()
	}
	update := "UPDATE " + ws.subs() + " SET cursor_seq = ?, attempts = ?, failing_since = ?," +
		" next_attempt_at = COALESCE(?::timestamptz, next_attempt_at)," +
		" state = CASE WHEN ? = '' THEN state ELSE 'disabled' END," +
		" disabled_reason = CASE WHEN ? = '' THEN disabled_reason ELSE ? END," +
		" lease_owner = CASE WHEN ?::timestamptz IS NULL THEN NULL ELSE lease_owner END, lease_until = ?" +
		" WHERE id = ? AND lease_owner = ? AND version = ?"
	args := []any{p.Cursor, p.Attempts, nullTime(p.FailingSince), next, p.Disable, p.Disable, p.Disable,
		nullTime(p.LeaseUntil), nullTime(p.LeaseUntil), string(l.ID), l.Owner, l.Version}
	q := update
	if len(log) > 0 {
		var b strings.Builder
		b.WriteString("WITH u AS (" + update + " RETURNING 1) INSERT INTO " + ws.deliveries() + " (" + deliveryCols + ")" +
			" SELECT v.* FROM (VALUES ")
		for i, d := range log {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?::text, ?::text, ?::text, ?::text, ?::bigint, ?::integer, ?::integer, ?::double precision, ?::text, ?::timestamptz)")
			args = append(args, d.ID, string(d.SubscriptionID), string(d.DealerID), d.EventID, d.Seq, d.Attempt, d.Status,
				d.DurationMS, d.Error, d.At.UTC())
		}
		b.WriteString(") AS v WHERE EXISTS (SELECT 1 FROM u)")
		q = b.String()
	}
	var n int64
	err := ws.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, q, args...)
		if err != nil {
			return translate("save webhook progress", err)
		}
		n, err = res.RowsAffected()
		return translate("save webhook progress", err)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Release implements webhook.Store.
func (ws WebhookStore) Release(ctx context.Context, l webhook.Lease) error {
	_, err := ws.s.db.ExecContext(ctx, "UPDATE "+ws.subs()+" SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
		string(l.ID), l.Owner)
	return translate("release webhook", err)
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
