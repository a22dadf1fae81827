package postgres

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/uptrace/bun"
)

// upserted is one row of an upsert's RETURNING clause.
type upserted struct {
	ID, ExternalID string
	Inserted       bool
}

// Upsert writes items keyed by external ID (see crm.Repository.Upsert), all
// or nothing: in a transaction of its own, or under a savepoint of the
// store's transaction. External IDs must be set and distinct (a
// *crm.ValidationError otherwise, before anything is written); a taken ID
// or VIN is an error with code Conflict.
//
// Rows go in chunks of
//
//	INSERT … SELECT … FROM unnest(<one text[] per column>)
//	ON CONFLICT (dealer_id, external_id) DO UPDATE
//	SET <content> = EXCLUDED.<content>, updated_at = EXCLUDED.updated_at
//	WHERE (<content>) IS DISTINCT FROM (EXCLUDED.<content>)
//	RETURNING id, external_id, (xmax = 0) AS inserted
//
// so an existing record keeps its ID and created_at, and one whose content
// is unchanged is not written at all (updated_at included). Rows the
// statement does not return are the unchanged ones; one SELECT on
// external_id = ANY(…) finds their IDs.
func (r repo[T, ID, F, R]) Upsert(ctx context.Context, dealer crm.DealerID, items []T) ([]crm.UpsertResult, error) {
	if len(items) == 0 {
		return []crm.UpsertResult{}, nil
	}
	if err := r.checkBatch(items); err != nil {
		return nil, err
	}
	exts := make([]string, len(items))
	for i := range items {
		exts[i] = meta(&items[i]).ExternalID
	}

	var results []crm.UpsertResult
	err := r.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		done := make(map[string]upserted, len(items))
		err := r.pipeline(dealer, items, func(stmt string) error {
			// The statement goes as it is: bun does not look for
			// placeholders in a query without arguments.
			rows, err := db.QueryContext(ctx, stmt)
			if err != nil {
				return translate(r.k.name, err)
			}
			defer rows.Close()
			for rows.Next() {
				var u upserted
				if err := rows.Scan(&u.ID, &u.ExternalID, &u.Inserted); err != nil {
					return translate(r.k.name, err)
				}
				done[u.ExternalID] = u
			}
			return translate(r.k.name, rows.Err())
		})
		if err != nil {
			return err
		}
		var unchanged []string
		for _, ext := range exts {
			if _, ok := done[ext]; !ok {
				unchanged = append(unchanged, ext)
			}
		}
		ids, err := r.lookup(ctx, db, dealer, unchanged)
		if err != nil {
			return err
		}
		results = make([]crm.UpsertResult, len(items))
		for i, ext := range exts {
			res := crm.UpsertResult{ExternalID: ext}
			if u, ok := done[ext]; ok {
				res.ID, res.Outcome = u.ID, crm.Updated
				if u.Inserted {
					res.Outcome = crm.Created
				}
			} else if id, ok := ids[ext]; ok {
				res.ID, res.Outcome = string(id), crm.Unchanged
			} else {
				return newDBError(r.k.name, dealercrm.Internal, "internal error", false,
					fmt.Errorf("upsert: external id %q neither written nor found", ext))
			}
			results[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// upsertChunk is the number of rows per upsert statement. Larger chunks
// are not faster (see BenchmarkUpsertCustomersVehicles) and hold more memory.
const upsertChunk = 5000

// pipeline encodes items as upsert statements of upsertChunk rows and
// passes them to exec in order. Encoding runs on a goroutine of its own one
// chunk ahead, so that Go maps and encodes the next chunk while Postgres
// writes the current one. It returns the first error of either side, and
// only once the encoder has stopped: items are not read after it returns.
func (r repo[T, ID, F, R]) pipeline(dealer crm.DealerID, items []T, exec func(stmt string) error) error {
	type encoded struct {
		stmt string
		err  error
	}
	out := make(chan encoded, 1)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer close(out)
		var buf []byte
		for start := 0; start < len(items); start += upsertChunk {
			var e encoded
			buf, e.err = r.encodeChunk(buf[:0], dealer, items[start:min(start+upsertChunk, len(items))], start)
			if e.err == nil {
				e.stmt = string(buf)
			}
			select {
			case out <- e:
			case <-stop:
				return
			}
			if e.err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-stopped
	}()
	for e := range out {
		if e.err != nil {
			return e.err
		}
		if err := exec(e.stmt); err != nil {
			return err
		}
	}
	return nil
}

// encodeChunk appends to b the upsert statement of items (the chunk of the
// batch that starts at offset), for dealer.
func (r repo[T, ID, F, R]) encodeChunk(b []byte, dealer crm.DealerID, items []T, offset int) ([]byte, error) {
	rows := make([]R, len(items))
	for i := range items {
		v := items[i] // a shallow copy: the mapping copies what it keeps
		meta(&v).DealerID = dealer
		row, err := r.encode(&v, false)
		if err != nil {
			return b, fmt.Errorf("items[%d]: %w", offset+i, err)
		}
		rows[i] = row
	}
	b = append(b, r.t.upsertHead...)
	b, err := appendArrays(r.t.codec, b, rows, offset)
	if err != nil {
		return b, dealercrm.Errorf(dealercrm.Invalid, "%s: cannot be stored: %v", r.k.name, err)
	}
	return append(b, r.t.upsertTail...), nil
}

// checkBatch rejects a batch with an empty or repeated external ID.
func (r repo[T, ID, F, R]) checkBatch(items []T) error {
	var fields []crm.FieldError
	seen := make(map[string]int, len(items))
	for i := range items {
		ext := meta(&items[i]).ExternalID
		field := fmt.Sprintf("items[%d].external_id", i)
		if ext == "" {
			fields = append(fields, crm.FieldError{Field: field, Rule: crm.RuleRequired, Message: "is required in an upsert"})
			continue
		}
		if j, ok := seen[ext]; ok {
			fields = append(fields, crm.FieldError{Field: field, Rule: crm.RuleUnique, Message: fmt.Sprintf("repeats items[%d]", j)})
			continue
		}
		seen[ext] = i
	}
	if len(fields) > 0 {
		return &crm.ValidationError{Entity: r.k.name, Fields: fields}
	}
	return nil
}
