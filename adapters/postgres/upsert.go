package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"

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
// store's transaction. External IDs must be set and distinct and text
// storable (a *crm.ValidationError otherwise, before anything is read); a
// taken ID or VIN is a *crm.ConflictError naming items[i].
//
// Insert or detect: one SELECT first reads the keys of the dealer's records
// that the batch names (by external ID, ID or VIN) and plays the items in
// order against them, as the statement will (see detect). So a taken key
// is found without a failing statement, which Postgres would log with the
// whole batch in it; a 23505 is left only for a concurrent writer of the
// same key, and is a Conflict naming nothing.
//
// Rows go in chunks of
//
//	INSERT … SELECT … FROM unnest(?::text[], … one array per column)
//	  (a column with one value in every row: that value, once)
//	ON CONFLICT (dealer_id, external_id) DO UPDATE
//	SET <content> = EXCLUDED.<content>, updated_at = EXCLUDED.updated_at
//	WHERE (<content>) IS DISTINCT FROM (EXCLUDED.<content>)
//	RETURNING id, external_id, (xmax = 0) AS inserted
//
// so an existing record keeps its ID and created_at, and one whose content
// is unchanged is not written at all (updated_at included). Rows the
// statement does not return are the unchanged ones, whose IDs the SELECT
// before found.
func (r repo[T, ID, F, R]) Upsert(ctx context.Context, dealer crm.DealerID, items []T) (_ []crm.UpsertResult, err error) {
	ctx, span := startOp(ctx, string(r.k.table), "Upsert", dealer)
	defer func() { endOp(span, err) }()
	if err := crm.CheckArgs(r.k.name, "dealer_id", string(dealer)); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return []crm.UpsertResult{}, nil
	}
	if err := crm.CheckBatch(r.k.name, items, func(v *T) string { return meta(v).ExternalID }); err != nil {
		return nil, err
	}
	exts := make([]string, len(items))
	for i := range items {
		exts[i] = meta(&items[i]).ExternalID
	}

	var results []crm.UpsertResult
	err = r.s.atomic(ctx, func(ctx context.Context, db bun.IDB) error {
		fresh := false
		if len(items) >= analyzeRows {
			var err error
			if fresh, err = r.fresh(ctx, db); err != nil {
				return err
			}
		}
		known, err := r.detect(ctx, db, dealer, items)
		if err != nil {
			return err
		}
		done := make(map[string]upserted, len(items))
		err = r.pipeline(dealer, items, func(query string, args []any) error {
			rows, err := db.QueryContext(ctx, query, args...)
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
		if fresh {
			if _, err := db.ExecContext(ctx, "ANALYZE (SKIP_LOCKED) "+r.t.name); err != nil {
				return translate(r.k.name, err)
			}
			r.t.analyzed.Store(true)
		}
		// A record another transaction inserted after detect ran is neither
		// returned (when it holds the item's content already) nor known.
		var unknown []string
		for _, ext := range exts {
			if _, ok := done[ext]; !ok {
				if _, ok := known[ext]; !ok {
					unknown = append(unknown, ext)
				}
			}
		}
		if len(unknown) > 0 {
			ids, err := r.lookup(ctx, db, dealer, unknown)
			if err != nil {
				return err
			}
			for ext, id := range ids {
				known[ext] = string(id)
			}
		}
		results = make([]crm.UpsertResult, len(items))
		for i, ext := range exts {
			res := crm.UpsertResult{ExternalID: ext}
			if u, ok := done[ext]; ok {
				res.ID, res.Outcome = u.ID, crm.Updated
				if u.Inserted {
					res.Outcome = crm.Created
				}
			} else if id, ok := known[ext]; ok {
				res.ID, res.Outcome = id, crm.Unchanged
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

// analyzeRows is the smallest Upsert that looks for the table's
// statistics and, without them, analyzes the table after writing (see
// fresh).
const analyzeRows = 1000

// freshLock is the first key of the advisory lock fresh takes (the
// second is the table's name hashed): "dcrm" in ASCII.
const freshLock = 0x6463726d

// fresh reports whether the table has no statistics of its dealer_id
// column, as a table that an import is filling for the first time:
// autovacuum analyzes it only a minute or so later (never where it is
// off), and a first import of 100,000 rows is over by then. Upsert then
// runs ANALYZE after its writes, in its transaction (ANALYZE counts the
// transaction's own rows; SKIP_LOCKED leaves the table to an autovacuum
// that is at it; a table the role does not own is skipped by Postgres with
// a warning).
//
// Without statistics the planner takes dealer_id = $1 to match 0.5 % of
// the rows, not all of them, and ties the unique index of detect's probe
// (keysBy) with any other index that starts with dealer_id: it probed the
// customers' external IDs through customers_search_name and their IDs
// through customers_mobile_idx, the vehicles' VINs through
// vehicles_search_plate, each probe reading every record of the dealer
// (3 to 7 s per lookup of 5,000 keys instead of 10 ms, auto_explain in the
// first import of the benchmark, docs/benchmarks.md). Which index won the
// tie varied from run to run, and so did the import's rate.
//
// A plan made on an empty table ties too, and a batch written at the same
// time as the first (importer's InFlight) would probe the first one's
// uncommitted rows. So until the table has statistics, the Upserts that
// look wait for each other: fresh takes a transaction-level advisory lock
// on the table's name and looks again once it has it, when the
// transaction before may have committed its statistics. Writers that do
// not look (a small Upsert) are not held. Once the statistics are seen,
// or once it has analyzed the table, this Store does not look again: a
// dry run (ImportDryRun) rolls its statistics back with its writes, and
// looking again would make every batch of it analyze and wait.
func (r repo[T, ID, F, R]) fresh(ctx context.Context, db bun.IDB) (bool, error) {
	if r.t.analyzed.Load() {
		return false, nil
	}
	const query = "SELECT NOT EXISTS (SELECT FROM pg_stats WHERE schemaname = ? AND tablename = ? AND attname = 'dealer_id')"
	var fresh bool
	if err := db.QueryRowContext(ctx, query, r.t.schema, r.t.table).Scan(&fresh); err != nil {
		return false, translate(r.k.name, err)
	}
	if fresh {
		if _, err := db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(?))", freshLock, r.t.name); err != nil {
			return false, translate(r.k.name, err)
		}
		if err := db.QueryRowContext(ctx, query, r.t.schema, r.t.table).Scan(&fresh); err != nil {
			return false, translate(r.k.name, err)
		}
	}
	if !fresh {
		r.t.analyzed.Store(true)
	}
	return fresh, nil
}

// encodeBufs holds the scratch space of finished pipelines: a chunk's
// statement is as long as its rows' text (about 0.7 MB for 5,000
// vehicles), and growing it from nothing for every Upsert was a tenth of
// what the import benchmark allocated.
var encodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// getBuf returns scratch space from encodeBufs; putBuf gives it back.
func getBuf() []byte { return (*encodeBufs.Get().(*[]byte))[:0] }

func putBuf(b []byte) { encodeBufs.Put(&b) }

// upsertChunk is the number of rows per upsert statement. Larger chunks
// are not faster (see BenchmarkUpsertCustomersVehicles) and hold more memory.
const upsertChunk = 5000

// pipeline encodes items as upsert statements of upsertChunk rows, and
// their arguments, and passes them to exec in order. Encoding runs on a
// goroutine of its own one chunk ahead, so that Go maps and encodes the
// next chunk while Postgres writes the current one. It returns the first
// error of either side, and only once the encoder has stopped: items are
// not read after it returns.
func (r repo[T, ID, F, R]) pipeline(dealer crm.DealerID, items []T, exec func(query string, args []any) error) error {
	type encoded struct {
		query string
		args  []any
		err   error
	}
	out := make(chan encoded, 1)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		defer close(out)
		buf := getBuf()
		defer func() { putBuf(buf) }()
		for start := 0; start < len(items); start += upsertChunk {
			var e encoded
			e.query, e.args, buf, e.err = r.encodeChunk(buf, dealer, items[start:min(start+upsertChunk, len(items))], start)
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
		if err := exec(e.query, e.args); err != nil {
			return err
		}
	}
	return nil
}

// encodeChunk returns the upsert statement of items (the chunk of the
// batch that starts at offset), for dealer, and its arguments: SQL
// literals of the columns (see encodeArrays), bound to the statement's
// placeholders, so that the statement a query hook records holds no
// values. buf is scratch space, returned for the next chunk.
func (r repo[T, ID, F, R]) encodeChunk(buf []byte, dealer crm.DealerID, items []T, offset int) (string, []any, []byte, error) {
	rows := make([]R, len(items))
	for i := range items {
		v := items[i] // a shallow copy: the mapping copies what it keeps
		meta(&v).DealerID = dealer
		row, err := r.encode(&v, false)
		if err != nil {
			return "", nil, buf, fmt.Errorf("items[%d]: %w", offset+i, err)
		}
		rows[i] = row
	}
	args, single, buf, err := encodeArrays(r.t.codec, buf, rows, offset)
	if err != nil {
		return "", nil, buf, dealercrm.Errorf(dealercrm.Invalid, "%s: cannot be stored: %v", r.k.name, err)
	}
	return r.t.insert + r.t.codec.selectFrom(single) + r.t.conflict, args, buf, nil
}

// idRangeRows is the number of new IDs from which detect first asks
// whether any record's ID lies between the least and the greatest of them
// (heldIDs).
const idRangeRows = 100

// heldIDs returns the IDs of new items that detect must look up: none
// when at least idRangeRows of them span no stored ID of the dealer, else
// all of them. IDs the crm Service makes (dealercrm.NewID) grow with time,
// so a batch of new records spans none: one probe of the primary key
// instead of one per record (in the import benchmark, 0.47 s of Postgres's
// 1.23 s of lookups in 100,000 customers and vehicles). The IDs are text
// COLLATE "C": byte order, as Go compares them.
func (r repo[T, ID, F, R]) heldIDs(ctx context.Context, db bun.IDB, dealer crm.DealerID, ids []string) ([]string, error) {
	if len(ids) < idRangeRows {
		return ids, nil
	}
	lo, hi := slices.Min(ids), slices.Max(ids)
	var held bool
	err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM "+r.t.from+" WHERE t.dealer_id = ? AND t.id BETWEEN ? AND ?)", string(dealer), lo, hi).Scan(&held)
	if err != nil {
		return nil, translate(r.k.name, err)
	}
	if !held {
		return nil, nil
	}
	return ids, nil
}

// detect reads the keys of the dealer's records that items name — by
// external ID, by the IDs of the items and by their VINs — in one SELECT,
// and plays the items in order against them, as the upsert statement
// will: an item whose external ID is stored updates that record (keeping
// its ID), any other inserts a new one. It returns the IDs of the stored
// external IDs, or
//
//   - a *crm.ValidationError naming every new item without an ID;
//   - a *crm.ConflictError naming the first item whose ID (a new one) or VIN
//     another record holds at its turn, items before it included.
func (r repo[T, ID, F, R]) detect(ctx context.Context, db bun.IDB, dealer crm.DealerID, items []T) (map[string]string, error) {
	exts := make([]string, len(items))
	for i := range items {
		exts[i] = meta(&items[i]).ExternalID
	}
	stored, err := r.keysBy(ctx, db, dealer, keyLookup{"external_id", exts})
	if err != nil {
		return nil, err
	}
	// The IDs of new items, and the VINs of new items and of changed ones,
	// may be held by other records; an unchanged VIN is its record's own.
	current := make(map[string]keyRow, len(stored))
	for _, k := range stored {
		current[k.ExternalID] = k
	}
	var ids, alts []string
	for i := range items {
		k, exists := current[exts[i]]
		if id := string(*r.k.id(&items[i])); !exists && id != "" {
			ids = append(ids, id)
		}
		if r.k.altOf != nil {
			if a := r.k.altOf(&items[i]); a != "" && (!exists || a != k.Alt) {
				alts = append(alts, a)
			}
		}
	}
	if ids, err = r.heldIDs(ctx, db, dealer, ids); err != nil {
		return nil, err
	}
	others, err := r.keysBy(ctx, db, dealer, keyLookup{"id", ids}, keyLookup{r.k.alt, alts})
	if err != nil {
		return nil, err
	}
	stored = append(stored, others...)

	// The state the items play against: who holds each key.
	byExt := make(map[string]keyRow, len(stored))
	taken := make(map[string]bool, len(stored)+len(items))
	altOwner := make(map[string]string)
	known := make(map[string]string, len(stored))
	for _, k := range stored {
		taken[k.ID] = true
		if k.ExternalID != "" {
			byExt[k.ExternalID] = k
			known[k.ExternalID] = k.ID
		}
		if k.Alt != "" {
			altOwner[k.Alt] = k.ID
		}
	}
	var missing []crm.FieldError
	for i := range items {
		if _, ok := byExt[exts[i]]; !ok && *r.k.id(&items[i]) == "" {
			missing = append(missing, crm.FieldError{Field: fmt.Sprintf("items[%d].id", i), Rule: crm.RuleRequired, Message: "is required for a new record"})
		}
	}
	if missing != nil {
		return nil, &crm.ValidationError{Entity: r.k.name, Fields: missing}
	}
	for i := range items {
		k, exists := byExt[exts[i]]
		if !exists {
			k = keyRow{ID: string(*r.k.id(&items[i])), ExternalID: exts[i]}
			if taken[k.ID] {
				return nil, &crm.ConflictError{Entity: r.k.name, Field: fmt.Sprintf("items[%d].id", i)}
			}
			taken[k.ID] = true
		}
		if r.k.altOf != nil {
			a := r.k.altOf(&items[i])
			if owner, held := altOwner[a]; a != "" && held && owner != k.ID {
				return nil, &crm.ConflictError{Entity: r.k.name, Field: fmt.Sprintf("items[%d].%s", i, r.k.alt)}
			}
			if k.Alt != a {
				if altOwner[k.Alt] == k.ID {
					delete(altOwner, k.Alt)
				}
				if a != "" {
					altOwner[a] = k.ID
				}
				k.Alt = a
			}
		}
		byExt[exts[i]] = k
	}
	return known, nil
}
