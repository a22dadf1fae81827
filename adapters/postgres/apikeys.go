package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// KeyStore is the apikey.Store on PostgreSQL, in the table of migration
// 0026 (TableAPIKeys) of a Store's schema and naming. Update locks the
// row (SELECT … FOR UPDATE) and writes back what a change may change;
// Touch is one UPDATE that keeps the later use, so neither loses the
// other's write.
type KeyStore struct{ s *Store }

var _ apikey.Store = KeyStore{}

// Keys returns the API key store of s. On a Store bound to a transaction
// (the one InTx passes), it works inside that transaction.
func (s *Store) Keys() KeyStore { return KeyStore{s: s} }

// keyCols are the columns of a key, in the order scanKey reads them.
const keyCols = "id, dealer_id, name, roles, staff_id, created_at, created_by, expires_at, revoked_at, last_used_at, hash"

// scanKey reads one key of keyCols.
func scanKey(row rowScanner) (apikey.Key, error) {
	var (
		k                      apikey.Key
		id, dealer, staff      string
		by                     string
		roles                  textArray
		expires, revoked, used sql.NullTime
	)
	if err := row.Scan(&id, &dealer, &k.Name, &roles, &staff, &k.CreatedAt, &by, &expires, &revoked, &used, &k.Hash); err != nil {
		return apikey.Key{}, err
	}
	k.ID, k.DealerID, k.StaffID, k.CreatedBy = apikey.ID(id), crm.DealerID(dealer), crm.StaffID(staff), apikey.ID(by)
	for _, r := range roles {
		k.Roles = append(k.Roles, crm.Role(r))
	}
	k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = utc(k.CreatedAt), utc(expires.Time), utc(revoked.Time), utc(used.Time)
	return k, nil
}

// nullTime is t for a timestamptz column, NULL when zero.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

func roleArray(roles []crm.Role) textArray { return textArray(strs(roles)) }

// Create implements apikey.Store.
func (ks KeyStore) Create(ctx context.Context, k apikey.Key) error {
	return ks.s.guarded(ctx, func(ctx context.Context, db bun.IDB) error {
		_, err := db.ExecContext(ctx, "INSERT INTO "+ks.s.cfg.table(TableAPIKeys)+" ("+keyCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			string(k.ID), string(k.DealerID), k.Name, roleArray(k.Roles), string(k.StaffID), k.CreatedAt.UTC(),
			string(k.CreatedBy), nullTime(k.ExpiresAt), nullTime(k.RevokedAt), nullTime(k.LastUsedAt), k.Hash)
		return translate("create api key", err)
	})
}

// get reads the key with id (of dealer, unless dealer is empty), locking
// it for lock.
func (ks KeyStore) get(ctx context.Context, db bun.IDB, dealer crm.DealerID, id apikey.ID, lock bool) (apikey.Key, error) {
	q := "SELECT " + keyCols + " FROM " + ks.s.cfg.table(TableAPIKeys) + " WHERE id = ?"
	args := []any{string(id)}
	if dealer != "" {
		q += " AND dealer_id = ?"
		args = append(args, string(dealer))
	}
	if lock {
		q += " FOR UPDATE"
	}
	k, err := scanKey(db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return apikey.Key{}, apikey.ErrNotFound
	}
	if err != nil {
		return apikey.Key{}, translate("get api key", err)
	}
	return k, nil
}

// Get implements apikey.Store.
func (ks KeyStore) Get(ctx context.Context, id apikey.ID) (apikey.Key, error) {
	return ks.get(ctx, ks.s.db, "", id, false)
}

// List implements apikey.Store.
func (ks KeyStore) List(ctx context.Context, dealer crm.DealerID, f apikey.Filter) (crm.Page[apikey.Key], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[apikey.Key]{}, err
	}
	size := f.Size()
	q := "SELECT " + keyCols + " FROM " + ks.s.cfg.table(TableAPIKeys) + " WHERE dealer_id = ? AND id > ?"
	args := []any{string(dealer), after}
	if !f.Active.IsZero() {
		q += " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
		args = append(args, f.Active.UTC())
	}
	if f.StaffID != "" {
		q += " AND staff_id = ?"
		args = append(args, string(f.StaffID))
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, size+1)
	items := make([]apikey.Key, 0, size+1)
	err = ks.s.eachOf(ctx, q, func(rows *sql.Rows) error {
		k, err := scanKey(rows)
		items = append(items, k)
		return err
	}, args...)
	if err != nil {
		return crm.Page[apikey.Key]{}, translate("list api keys", err)
	}
	return crm.NewPage(items, size, func(k apikey.Key) string { return string(k.ID) }), nil
}

// Update implements apikey.Store: the name, roles, staff, expiry
// and revocation are written back; the rest stays.
func (ks KeyStore) Update(ctx context.Context, dealer crm.DealerID, id apikey.ID, fn func(*apikey.Key) error) (apikey.Key, error) {
	var out apikey.Key
	err := ks.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		old, err := ks.get(ctx, db, dealer, id, true)
		if err != nil {
			return err
		}
		k := old.Clone()
		if err := fn(&k); err != nil {
			return err
		}
		k.ID, k.DealerID, k.Hash, k.CreatedAt, k.CreatedBy, k.LastUsedAt = old.ID, old.DealerID, old.Hash, old.CreatedAt, old.CreatedBy, old.LastUsedAt
		_, err = db.ExecContext(ctx, "UPDATE "+ks.s.cfg.table(TableAPIKeys)+
			" SET name = ?, roles = ?, staff_id = ?, expires_at = ?, revoked_at = ? WHERE id = ?",
			k.Name, roleArray(k.Roles), string(k.StaffID), nullTime(k.ExpiresAt), nullTime(k.RevokedAt), string(k.ID))
		if err != nil {
			return translate("update api key", err)
		}
		out = k
		return nil
	})
	return out, err
}

// Touch implements apikey.Store. It is bookkeeping of authentication,
// not a request's change: it runs without the request's pending audit
// record, so it never opens a transaction to write it.
func (ks KeyStore) Touch(ctx context.Context, id apikey.ID, at time.Time) error {
	return ks.s.guarded(crm.WithAudit(ctx, nil), func(ctx context.Context, db bun.IDB) error {
		_, err := db.ExecContext(ctx, "UPDATE "+ks.s.cfg.table(TableAPIKeys)+
			" SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", at.UTC(), string(id), at.UTC())
		return translate("touch api key", err)
	})
}
