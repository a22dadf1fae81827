package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/uptrace/bun"
)

// MessageStore is the messages.Store on PostgreSQL, in the table of
// migration 0028 (TableMessageSends). Create is one INSERT … ON CONFLICT
// (dealer_id, key) DO NOTHING, then a read of the first record when the
// key was taken; Update locks the row (SELECT … FOR UPDATE).
type MessageStore struct{ s *Store }

var _ messages.Store = MessageStore{}

// Messages returns the message send store of s. On a Store bound to a
// transaction (the one InTx passes), it works inside that transaction.
func (s *Store) Messages() MessageStore { return MessageStore{s: s} }

// sendCols are the columns of a send, in the order scanSend reads them.
const sendCols = "dealer_id, id, key, customer_id, vehicle_id, channel, purpose, consent, template, params, recipient, " +
	"task_id, task_key, series, campaign_id, status, reason, reason_params, next_at, attempts, error, provider_id, sent_at, " +
	"interaction_id, created_at, updated_at"

func (ms MessageStore) table() string { return ms.s.cfg.table(TableMessageSends) }

// jsonMap returns m as a jsonb text ({} when empty).
func jsonMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// scanSend reads one send of sendCols.
func scanSend(row rowScanner) (messages.Send, error) {
	var (
		x                                                     messages.Send
		dealer, id, customer, vehicle, channel, purpose, cons string
		task, campaignID, status, interaction                 string
		params, reasonParams                                  []byte
		next, sent                                            sql.NullTime
	)
	if err := row.Scan(&dealer, &id, &x.Key, &customer, &vehicle, &channel, &purpose, &cons, &x.Template, &params, &x.Recipient,
		&task, &x.TaskKey, &x.Series, &campaignID, &status, &x.Reason, &reasonParams, &next, &x.Attempts, &x.Error,
		&x.Result.ProviderID, &sent, &interaction, &x.CreatedAt, &x.UpdatedAt); err != nil {
		return messages.Send{}, err
	}
	x.DealerID, x.ID, x.CustomerID, x.VehicleID = crm.DealerID(dealer), messages.SendID(id), crm.CustomerID(customer), crm.VehicleID(vehicle)
	x.Channel, x.Purpose, x.Consent = crm.Channel(channel), messages.Purpose(purpose), crm.Purpose(cons)
	x.TaskID, x.CampaignID, x.Status, x.InteractionID = lifecycle.TaskID(task), campaign.ID(campaignID), messages.Status(status), crm.InteractionID(interaction)
	for _, p := range []struct {
		raw []byte
		to  *map[string]string
	}{{params, &x.Params}, {reasonParams, &x.ReasonParams}} {
		var m map[string]string
		if err := json.Unmarshal(p.raw, &m); err != nil {
			return messages.Send{}, fmt.Errorf("send %s params: %w", id, err)
		}
		if len(m) > 0 {
			*p.to = m
		}
	}
	x.Next, x.SentAt, x.CreatedAt, x.UpdatedAt = utc(next.Time), utc(sent.Time), utc(x.CreatedAt), utc(x.UpdatedAt)
	return x, nil
}

// sendArgs returns the values of sendCols for x.
func sendArgs(x *messages.Send) ([]any, error) {
	params, err := jsonMap(x.Params)
	if err != nil {
		return nil, err
	}
	reasonParams, err := jsonMap(x.ReasonParams)
	if err != nil {
		return nil, err
	}
	return []any{string(x.DealerID), string(x.ID), x.Key, string(x.CustomerID), string(x.VehicleID), string(x.Channel),
		string(x.Purpose), string(x.Consent), x.Template, params, x.Recipient, string(x.TaskID), x.TaskKey, x.Series,
		string(x.CampaignID), string(x.Status), x.Reason, reasonParams, nullTime(x.Next), x.Attempts, x.Error,
		x.Result.ProviderID, nullTime(x.SentAt), string(x.InteractionID), dbTime(x.CreatedAt), dbTime(x.UpdatedAt)}, nil
}

const sendPlaceholders = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?"

// Create implements messages.Store.
func (ms MessageStore) Create(ctx context.Context, x messages.Send) (messages.Send, bool, error) {
	if err := x.Validate(); err != nil {
		return messages.Send{}, false, err
	}
	args, err := sendArgs(&x)
	if err != nil {
		return messages.Send{}, false, err
	}
	var out messages.Send
	created := false
	err = ms.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		res, err := db.ExecContext(ctx, "INSERT INTO "+ms.table()+" ("+sendCols+") VALUES ("+sendPlaceholders+
			") ON CONFLICT (dealer_id, key) DO NOTHING", args...)
		if err != nil {
			return translate("create send", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return translate("create send", err)
		}
		created = n == 1
		out, err = scanSend(db.QueryRowContext(ctx, "SELECT "+sendCols+" FROM "+ms.table()+" WHERE dealer_id = ? AND key = ?",
			string(x.DealerID), x.Key))
		return translate("create send", err)
	})
	if err != nil {
		return messages.Send{}, false, err
	}
	return out, created, nil
}

// get reads a send, locking it for lock.
func (ms MessageStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, id messages.SendID, lock bool) (messages.Send, error) {
	q := "SELECT " + sendCols + " FROM " + ms.table() + " WHERE dealer_id = ? AND id = ?"
	if lock {
		q += " FOR UPDATE"
	}
	x, err := scanSend(db.QueryRowContext(ctx, q, string(dealer), string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return messages.Send{}, messages.ErrNotFound
	}
	if err != nil {
		return messages.Send{}, translate("get send", err)
	}
	return x, nil
}

// Get implements messages.Store.
func (ms MessageStore) Get(ctx context.Context, dealer crm.DealerID, id messages.SendID) (messages.Send, error) {
	return ms.get(ctx, ms.s.db, dealer, id, false)
}

// Update implements messages.Store.
func (ms MessageStore) Update(ctx context.Context, dealer crm.DealerID, id messages.SendID, fn func(*messages.Send) error) (messages.Send, error) {
	var out messages.Send
	err := ms.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		old, err := ms.get(ctx, db, dealer, id, true)
		if err != nil {
			return err
		}
		x := old.Clone()
		if err := fn(&x); err != nil {
			return err
		}
		x.ID, x.DealerID, x.Key, x.CreatedAt = old.ID, old.DealerID, old.Key, old.CreatedAt
		if err := x.Validate(); err != nil {
			return err
		}
		args, err := sendArgs(&x)
		if err != nil {
			return err
		}
		// Every column but the key (dealer_id, id, key, created_at) is
		// written back: args[3:24] are customer_id … interaction_id, then
		// updated_at, in sendCols order.
		_, err = db.ExecContext(ctx, "UPDATE "+ms.table()+" SET customer_id = ?, vehicle_id = ?, channel = ?, purpose = ?, consent = ?, "+
			"template = ?, params = ?::jsonb, recipient = ?, task_id = ?, task_key = ?, series = ?, campaign_id = ?, status = ?, reason = ?, "+
			"reason_params = ?::jsonb, next_at = ?, attempts = ?, error = ?, provider_id = ?, sent_at = ?, interaction_id = ?, updated_at = ? "+
			"WHERE dealer_id = ? AND id = ?", append(append(args[3:24:24], args[25]), string(dealer), string(id))...)
		if err != nil {
			return translate("update send", err)
		}
		out, err = ms.get(ctx, db, dealer, id, false)
		return err
	})
	return out, err
}

// Due implements messages.Store.
func (ms MessageStore) Due(ctx context.Context, dealer crm.DealerID, now time.Time, limit int) ([]messages.Send, error) {
	if limit <= 0 {
		limit = crm.MaxLimit
	}
	var out []messages.Send
	err := ms.s.eachOf(ctx, "SELECT "+sendCols+" FROM "+ms.table()+" WHERE dealer_id = ? AND status IN ('queued', 'held', 'failed') "+
		"AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?", func(rows *sql.Rows) error {
		x, err := scanSend(rows)
		out = append(out, x)
		return err
	}, string(dealer), now.UTC(), limit)
	if err != nil {
		return nil, translate("due sends", err)
	}
	return out, nil
}

// SentTimes implements messages.Store.
func (ms MessageStore) SentTimes(ctx context.Context, dealer crm.DealerID, q messages.SentQuery) ([]time.Time, error) {
	query := "SELECT sent_at FROM " + ms.table() + " WHERE dealer_id = ? AND status = 'sent'"
	args := []any{string(dealer)}
	if q.CustomerID != "" {
		query += " AND customer_id = ?"
		args = append(args, string(q.CustomerID))
	}
	if len(q.Purposes) > 0 {
		query += " AND purpose = ANY(?)"
		args = append(args, textArray(strs(q.Purposes)))
	}
	if q.Series != "" {
		query += " AND series = ?"
		args = append(args, q.Series)
	}
	if !q.Since.IsZero() {
		query += " AND sent_at >= ?"
		args = append(args, q.Since.UTC())
	}
	query += " ORDER BY sent_at"
	var out []time.Time
	err := ms.s.eachOf(ctx, query, func(rows *sql.Rows) error {
		var t sql.NullTime
		err := rows.Scan(&t)
		out = append(out, utc(t.Time))
		return err
	}, args...)
	if err != nil {
		return nil, translate("sent times", err)
	}
	return out, nil
}

// List implements messages.Store.
func (ms MessageStore) List(ctx context.Context, dealer crm.DealerID, f messages.Filter) (crm.Page[messages.Send], error) {
	if err := f.Validate(); err != nil {
		return crm.Page[messages.Send]{}, err
	}
	after, _ := f.AfterID()
	size := f.Size()
	q := "SELECT " + sendCols + " FROM " + ms.table() + " WHERE dealer_id = ? AND id > ?"
	args := []any{string(dealer), after}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, string(f.Status))
	}
	if f.CustomerID != "" {
		q += " AND customer_id = ?"
		args = append(args, string(f.CustomerID))
	}
	if !f.From.IsZero() {
		q += " AND created_at >= ?"
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		q += " AND created_at < ?"
		args = append(args, f.To.UTC())
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, size+1)
	items := make([]messages.Send, 0, size+1)
	err := ms.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		x, err := scanSend(rows)
		items = append(items, x)
		return err
	}, args...)
	if err != nil {
		return crm.Page[messages.Send]{}, translate("list sends", err)
	}
	return crm.NewPage(items, size, func(x messages.Send) string { return string(x.ID) }), nil
}
