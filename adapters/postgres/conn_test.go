package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Issue 12: a request that meets a dead pooled connection after a
// Postgres restart is retried, not answered 503. The restart is a proxy
// between the pool and the server closing every connection (pgtest.Proxy).

const poolSize = 4

// proxied returns a store in a fresh migrated schema on a pool of
// poolSize connections through a proxy, with dealer SH01.
func proxied(t *testing.T, opts ...pgdriver.Option) (*pgtest.Proxy, *bun.DB, *postgres.Store) {
	t.Helper()
	base := pgtest.NewStore(t)
	p := pgtest.NewProxy(t)
	db := p.DB(t, poolSize, opts...)
	s, err := postgres.New(db, postgres.WithSchema(base.Schema()))
	require.NoError(t, err)
	_, err = crm.NewService(s).CreateDealer(context.Background(), crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店"})
	require.NoError(t, err)
	return p, db, s
}

// warm fills the pool with poolSize idle connections.
func warm(t *testing.T, db *bun.DB) {
	t.Helper()
	ctx := context.Background()
	var conns []*sql.Conn
	for range poolSize {
		c, err := db.DB.Conn(ctx)
		require.NoError(t, err)
		require.NoError(t, c.PingContext(ctx))
		conns = append(conns, c)
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Equal(t, poolSize, db.DB.Stats().Idle, "every connection idle in the pool")
}

func countCustomers(t *testing.T, s *postgres.Store) int {
	t.Helper()
	page, err := s.Customers().List(context.Background(), "SH01", crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	return len(page.Items)
}

func TestInTxRetriesDeadPooledConnections(t *testing.T) {
	p, db, s := proxied(t)
	svc := crm.NewService(s)
	ctx := context.Background()
	for round := range 2 {
		warm(t, db)
		p.Reset() // every pooled connection is dead now
		_, err := svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "王伟"})
		require.NoError(t, err, "round %d: the transaction is retried on a live connection", round)
		assert.Equal(t, round+1, countCustomers(t, s), "round %d: written exactly once", round)
	}

	// A server that is down is not retried for ever: the answer is
	// Unavailable at once.
	warm(t, db)
	p.Cut()
	start := time.Now()
	_, err := svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "李娜"})
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.NoError(t, p.Restore())
	_, err = svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "李娜"})
	require.NoError(t, err, "back when the server is")
	assert.Equal(t, 3, countCustomers(t, s))
}

func TestCheckConnDiscardsDeadPooledConnections(t *testing.T) {
	p, db, s := proxied(t, pgdriver.WithResetSessionFunc(postgres.CheckConn))
	ctx := context.Background()
	c, err := crm.NewService(s).CreateCustomer(ctx, "SH01", crm.Customer{Name: "王伟"})
	require.NoError(t, err)
	for round := range 2 {
		warm(t, db)
		p.Reset()
		// A single statement outside a transaction.
		got, err := s.Customers().Get(ctx, "SH01", c.ID)
		require.NoError(t, err, "round %d: the dead connections are discarded before use", round)
		assert.Equal(t, "王伟", got.Name)
	}
	// A live connection passes the check and is reused.
	warm(t, db)
	before := db.DB.Stats().MaxIdleClosed + db.DB.Stats().MaxLifetimeClosed
	for range 10 {
		_, err := s.Customers().Get(ctx, "SH01", c.ID)
		require.NoError(t, err)
	}
	st := db.DB.Stats()
	assert.Equal(t, poolSize, st.OpenConnections, "no connection was replaced")
	assert.Equal(t, before, st.MaxIdleClosed+st.MaxLifetimeClosed)
}

// TestStoreClosesItsStatements: a loyalty posting prepares its two
// statements on the connection it runs on; Close deallocates them there,
// and the Store prepares them again when it next posts.
func TestStoreClosesItsStatements(t *testing.T) {
	ctx := context.Background()
	p := pgtest.NewProxy(t)
	db := p.DB(t, 1) // one connection: the count below is that session's
	s, err := postgres.New(db, postgres.WithSchema(pgtest.NewStore(t).Schema()))
	require.NoError(t, err)
	prepared := func() int {
		var n int
		require.NoError(t, db.NewRaw("SELECT count(*) FROM pg_prepared_statements").Scan(ctx, &n))
		return n
	}
	before := prepared()
	svc := loyaltytest.NewService(t, s.Loyalty(), nil)
	loyaltytest.Member(t, svc, loyaltytest.DealerA, "c1", 0)
	n := 0
	earn := func() { // the posting path: its read and its write, prepared
		n++
		_, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: loyaltytest.DealerA, Date: loyaltytest.Day,
			Order: loyaltytest.Order(fmt.Sprintf("o-%d", n), "c1", 100, loyaltytest.Day), IdempotencyKey: fmt.Sprintf("k%d", n)})
		require.NoError(t, err)
	}
	earn() // the account is new: the locking path takes over after the read
	earn()
	require.Equal(t, before+2, prepared(), "the posting's statements are prepared")
	earn()
	require.Equal(t, before+2, prepared(), "and used again")
	require.NoError(t, s.Close())
	assert.Equal(t, before, prepared(), "Close deallocates them")
	earn()
	assert.Equal(t, before+2, prepared(), "a Store used after Close prepares again")
}
