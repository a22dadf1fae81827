package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/trace"
)

// Store is the crm.Store on PostgreSQL. It is safe for concurrent use. A
// Store returned by New works on the connection pool; the one InTx passes to
// its function works inside that transaction.
type Store struct {
	root *bun.DB
	// db is root, or the transaction of a Store bound to one.
	db   bun.IDB
	inTx bool
	// conn is the connection of the transaction db, nil when not bound
	// to one: COPY (copyOut) needs the driver's connection.
	conn *bun.Conn
	cfg  *config
	// tables holds the per-store SQL of each table.
	tables map[Table]*tableInfo
	// wrote, on a Store bound to a transaction, is set by the first write
	// in it (guarded, atomic): only a transaction that wrote claims the
	// request's audit record.
	wrote *atomic.Bool
	// events buffers, on a Store bound to a transaction, the events to
	// write before its COMMIT (emit, flushEvents).
	events *eventBuf
}

// Compile-time conformance to the crm ports.
var (
	_ crm.Store              = (*Store)(nil)
	_ crm.DealerStore        = dealerStore{}
	_ crm.CustomerStore      = repo[crm.Customer, crm.CustomerID, crm.CustomerFilter, customerRow]{}
	_ crm.LeadStore          = repo[crm.Lead, crm.LeadID, crm.LeadFilter, leadRow]{}
	_ crm.VehicleStore       = repo[crm.Vehicle, crm.VehicleID, crm.VehicleFilter, vehicleRow]{}
	_ crm.SaleStore          = repo[crm.Sale, crm.SaleID, crm.SaleFilter, saleRow]{}
	_ crm.ServiceOrderStore  = repo[crm.ServiceOrder, crm.ServiceOrderID, crm.ServiceOrderFilter, serviceOrderRow]{}
	_ crm.PolicyStore        = repo[crm.InsurancePolicy, crm.PolicyID, crm.PolicyFilter, policyRow]{}
	_ crm.InteractionStore   = repo[crm.Interaction, crm.InteractionID, crm.InteractionFilter, interactionRow]{}
	_ crm.ComplaintStore     = repo[crm.Complaint, crm.ComplaintID, crm.ComplaintFilter, complaintRow]{}
	_ crm.ParticipationStore = repo[crm.EventParticipation, crm.ParticipationID, crm.ParticipationFilter, participationRow]{}
)

// New returns a Store on db, which must use the pgdialect (Postgres). It
// never opens connections of its own: the caller owns db, its pool settings
// and its lifetime. The options name the schema and tables (see Option);
// New checks them and returns an error with code Invalid when they are
// malformed. It does not touch the database: call Migrate to create or
// update the tables.
func New(db *bun.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, invalidf("postgres: New needs a *bun.DB")
	}
	if name := db.Dialect().Name().String(); name != "pg" {
		return nil, invalidf("postgres: New needs a Postgres *bun.DB, got dialect %s", name)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{root: db, db: db, cfg: cfg, tables: map[Table]*tableInfo{}}
	s.tables[TableDealers] = newTableInfo(cfg, TableDealers, newRowCodec[dealerRow]())
	addTable(s, customerKind)
	addTable(s, leadKind)
	addTable(s, vehicleKind)
	addTable(s, saleKind)
	addTable(s, serviceOrderKind)
	addTable(s, policyKind)
	addTable(s, interactionKind)
	addTable(s, complaintKind)
	addTable(s, participationKind)
	return s, nil
}

// Close closes the statements the Store prepared (see
// WithoutPreparedStatements), on every pooled connection they were
// prepared on. The bun.DB stays open: it is the host's, and closing it
// closes them too. A host that makes Stores on a long-lived bun.DB and
// drops them (one per schema, say) closes each; a Store used after Close
// prepares its statements again.
func (s *Store) Close() error { return s.cfg.stmts.close() }

// Schema returns the schema the store's tables are in.
func (s *Store) Schema() string { return s.cfg.schema }

// TableName returns the qualified, quoted name of table t ("dealercrm"."customers"),
// for hosts that query the tables directly.
func (s *Store) TableName(t Table) string { return s.cfg.table(t) }

// Stores returns the stores of every package on s's connection and schema:
// s itself as the crm.Store, LifecycleTasks, Loyalty, Grading, Satisfaction,
// Campaigns, Runs, Keys, Audit and EventStore. On the Store that InTx passes to its
// function, they all work inside that transaction.
func (s *Store) Stores() backend.Stores {
	return backend.Stores{
		CRM:          s,
		Tasks:        s.LifecycleTasks(),
		Loyalty:      s.Loyalty(),
		Grading:      s.Grading(),
		Satisfaction: s.Satisfaction(),
		Campaigns:    s.Campaigns(),
		Jobs:         s.Runs(),
		Keys:         s.Keys(),
		Audit:        s.Audit(),
		Events:       s.EventStore(),
		Webhooks:     s.Webhooks(),
		Messages:     s.Messages(),
	}
}

// Dealers returns the dealer store.
func (s *Store) Dealers() crm.DealerStore { return dealerStore{s: s, t: s.tables[TableDealers]} }

// Customers returns the customer store.
func (s *Store) Customers() crm.CustomerStore { return newRepo(s, customerKind) }

// Leads returns the lead store.
func (s *Store) Leads() crm.LeadStore { return newRepo(s, leadKind) }

// Vehicles returns the vehicle store.
func (s *Store) Vehicles() crm.VehicleStore { return newRepo(s, vehicleKind) }

// Sales returns the sale store.
func (s *Store) Sales() crm.SaleStore { return newRepo(s, saleKind) }

// ServiceOrders returns the service order store.
func (s *Store) ServiceOrders() crm.ServiceOrderStore { return newRepo(s, serviceOrderKind) }

// Policies returns the insurance policy store.
func (s *Store) Policies() crm.PolicyStore { return newRepo(s, policyKind) }

// Interactions returns the interaction store.
func (s *Store) Interactions() crm.InteractionStore { return newRepo(s, interactionKind) }

// Complaints returns the complaint store.
func (s *Store) Complaints() crm.ComplaintStore { return newRepo(s, complaintKind) }

// Participations returns the event participation store.
func (s *Store) Participations() crm.ParticipationStore { return newRepo(s, participationKind) }

// InTx runs fn in a transaction (see crm.Store.InTx): fn's writes through tx
// commit when it returns nil and roll back when it returns an error or
// panics. InTx returns fn's error as it is, or the commit's (translated).
// On a Store already in a transaction, fn runs inline in that transaction.
// A write that fails inside the transaction (a Create that takes a unique
// key, say) runs under a savepoint and undoes only itself: the transaction
// stays usable, as in the memory store.
//
// When the transaction fails with a serialization failure (SQLSTATE 40001)
// or a deadlock (40P01), InTx rolls back and runs fn again, up to the
// attempts of WithTxRetries, so fn must not have effects outside tx that it
// cannot repeat. The last such failure has code Conflict. When BEGIN fails
// on a pooled connection that turned out dead (Postgres restarted, the
// network dropped it), InTx begins again on another connection, before fn
// ran at all (see CheckConn).
//
// When ctx carries a request's pending audit record (crm.WithAudit) and fn
// wrote, the transaction writes that record too, before COMMIT, so that
// the change and its record commit or vanish together; a transaction that
// rolls back gives it back (crm.UnclaimAudit). A write outside InTx on such
// a ctx runs in a transaction of its own for the same reason.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx crm.Store) error) error {
	if s.inTx {
		return fn(ctx, s)
	}
	return s.retry(ctx, func() error {
		return s.runTx(ctx, func(ctx context.Context, tx *Store) error { return fn(ctx, tx) })
	})
}

// runTx runs fn once in a new transaction on the pool. Before COMMIT it
// writes the pending audit record ctx carries, unless a transaction
// already claimed it (crm.ClaimAudit): ctx must be the request's. The
// transaction is a span postgres.tx, the parent of the spans fn makes
// with the ctx it is passed.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx *Store) error) (err error) {
	ctx, span := tracer.Start(ctx, "postgres.tx", trace.WithAttributes(dbSystem))
	defer func() { telemetry.End(span, err) }()
	conn, err := s.root.Conn(ctx)
	if err != nil {
		return beginError(err)
	}
	defer conn.Close()
	btx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return beginError(err)
	}
	done := false
	defer func() {
		if !done {
			// Also on panic. The rollback's own error is of no use: the
			// transaction is gone either way.
			_ = btx.Rollback()
		}
	}()
	tx := s.bind(btx, &conn)
	if err := fn(ctx, tx); err != nil {
		return err
	}
	// The request's audit record commits with the first change it made
	// (crm.ClaimAudit), or is given back for a later transaction, or the
	// adapter, to write. A transaction that only read leaves it.
	var rec crm.AuditRecord
	claimed := false
	if tx.wrote.Load() {
		rec, claimed = crm.ClaimAudit(ctx)
	}
	if claimed {
		if err := tx.insertAudit(ctx, btx, &rec); err != nil {
			crm.UnclaimAudit(ctx)
			return err
		}
	}
	// The events of the changes, last: their sequence row stays locked
	// only from here to COMMIT.
	if err := tx.flushEvents(ctx, btx); err != nil {
		if claimed {
			crm.UnclaimAudit(ctx)
		}
		return err
	}
	if s.cfg.beforeCommit != nil {
		s.cfg.beforeCommit(ctx)
	}
	done = true
	if err := btx.Commit(); err != nil {
		if claimed {
			crm.UnclaimAudit(ctx)
		}
		return translate("commit", err)
	}
	return nil
}

// bind returns a copy of s that works inside tx, begun on conn.
func (s *Store) bind(tx bun.Tx, conn *bun.Conn) *Store {
	c := *s
	c.db, c.inTx, c.conn, c.wrote, c.events = tx, true, conn, new(atomic.Bool), new(eventBuf)
	return &c
}

// retry runs run until it succeeds, fails with an error that is not a
// serialization failure or deadlock, or the attempts are used up. A
// transaction whose BEGIN met a dead pooled connection runs again at once,
// without using up an attempt (see CheckConn).
func (s *Store) retry(ctx context.Context, run func() error) error {
	stale, maxStale := 0, -1
	for attempt := 1; ; attempt++ {
		err := run()
		if _, ok := errors.AsType[*staleConnError](err); ok && ctx.Err() == nil {
			if maxStale < 0 {
				maxStale = s.staleRetries()
			}
			if stale++; stale <= maxStale {
				attempt--
				continue
			}
		}
		if err == nil || attempt >= s.cfg.attempts || !retryable(err) {
			return err
		}
		// A short random pause lets the transaction we clashed with finish.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << attempt))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// atomic runs fn inside a transaction: a new one (retried like InTx) when
// the store is not bound to one, else the store's, under a savepoint (see
// guarded).
func (s *Store) atomic(ctx context.Context, fn func(ctx context.Context, db bun.IDB) error) error {
	if !s.inTx {
		return s.retry(ctx, func() error {
			return s.runTx(ctx, func(ctx context.Context, tx *Store) error {
				if err := fn(ctx, tx.db); err != nil {
					return err
				}
				tx.wrote.Store(true)
				return nil
			})
		})
	}
	return s.guarded(ctx, fn)
}

// guarded runs a write: on the pool when the store is not bound to a
// transaction (fn is then one statement, atomic by itself), else under a
// savepoint of the store's transaction. A failed write then undoes only
// itself and leaves the transaction usable, as in every other store,
// instead of aborting it the Postgres way. On the pool, when ctx carries
// an audit record no transaction has claimed (crm.AuditUnclaimed), fn
// runs in a transaction of its own (atomic) that writes the record with
// the change.
func (s *Store) guarded(ctx context.Context, fn func(ctx context.Context, db bun.IDB) error) error {
	if !s.inTx {
		if crm.AuditUnclaimed(ctx) {
			return s.atomic(ctx, fn)
		}
		return fn(ctx, s.db)
	}
	sp, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return translate("savepoint", err)
	}
	done := false
	defer func() {
		if !done {
			_ = sp.Rollback()
		}
	}()
	if err := fn(ctx, sp); err != nil {
		return err
	}
	done = true
	if err := sp.Commit(); err != nil {
		return translate("release savepoint", err)
	}
	s.wrote.Store(true)
	return nil
}
