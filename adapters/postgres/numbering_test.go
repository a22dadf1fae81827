package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdKey marks the ctx of a write whose transaction WithBeforeCommit
// holds open: the channel is told when it got there, and the transaction
// commits once it is closed.
type holdKey struct{}

type hold struct{ reached, release chan struct{} }

// holdingStore is a store whose transactions stop before COMMIT when
// their ctx carries a hold.
func holdingStore(t *testing.T) *postgres.Store {
	return pgtest.NewStore(t, postgres.WithBeforeCommit(func(ctx context.Context) {
		if h, ok := ctx.Value(holdKey{}).(*hold); ok {
			close(h.reached)
			<-h.release
		}
	}))
}

// follow reads the dealer's feed from after until stop is closed and the
// feed is read to its end, and returns what it read.
func follow(t *testing.T, es postgres.EventStore, dealer crm.DealerID, stop <-chan struct{}) []crm.Event {
	ctx := context.Background()
	var out []crm.Event
	var after int64
	for {
		// Whether stop was closed before this read: only a read that
		// began after it sees every event written before it.
		stopped := false
		select {
		case <-stop:
			stopped = true
		default:
		}
		page, err := es.List(ctx, dealer, crm.EventFilter{After: after, Limit: 50})
		if !assert.NoError(t, err) {
			return out
		}
		out = append(out, page.Items...)
		if page.Next != after {
			after = page.Next
			continue
		}
		if stopped {
			return out
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_ = es.Wait(wctx, dealer, after)
		cancel()
	}
}

// assertGapFree checks that evs are numbered 1…len(evs), each ID once.
func assertGapFree(t *testing.T, evs []crm.Event) map[string]int64 {
	t.Helper()
	seqs := map[string]int64{}
	for i, e := range evs {
		require.Equal(t, int64(i+1), e.Seq, "the reader's %d-th event", i+1)
		_, dup := seqs[e.ID]
		require.False(t, dup, "event %s read twice", e.ID)
		seqs[e.ID] = e.Seq
	}
	return seqs
}

// TestEventFeedNeverSkips: writers commit while a reader follows the feed,
// and one transaction that wrote its event before all of them commits
// only after the reader has read theirs. The reader's sequence has no gap,
// holds every committed event once, each writer's in its order, and the
// late event gets the next number, after the ones already read.
func TestEventFeedNeverSkips(t *testing.T) {
	ctx := context.Background()
	store := holdingStore(t)
	es := store.EventStore().WithPoll(5 * time.Millisecond)
	const dealer = crm.DealerID("d1")
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

	// The late writer: its event row is inserted first (the lowest gid),
	// its COMMIT held.
	h := &hold{reached: make(chan struct{}), release: make(chan struct{})}
	late := crmtest.Event(dealer, crm.EventPointsEarned, "late", at, 0)
	lateDone := make(chan error, 1)
	go func() { lateDone <- store.Events().Add(context.WithValue(ctx, holdKey{}, h), late) }()
	<-h.reached

	stop := make(chan struct{})
	var read []crm.Event
	readerDone := make(chan struct{})
	go func() { defer close(readerDone); read = follow(t, es, dealer, stop) }()

	const writers, each = 4, 25
	written := make([][]string, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			customer := crm.CustomerID(fmt.Sprintf("c%d", w))
			for i := range each {
				e := crmtest.Event(dealer, crm.EventPointsEarned, customer, at, i)
				if !assert.NoError(t, store.Events().Add(ctx, e)) {
					return
				}
				written[w] = append(written[w], e.ID)
			}
		})
	}
	wg.Wait()
	// The reader reads every committed event, and not the held one.
	require.Eventually(t, func() bool {
		page, err := es.List(ctx, dealer, crm.EventFilter{After: writers*each - 1, Limit: 10})
		return err == nil && len(page.Items) == 1
	}, 10*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // the reader has it too
	close(h.release)
	require.NoError(t, <-lateDone)
	// The late event is numbered after the ones read.
	require.Eventually(t, func() bool {
		page, err := es.List(ctx, dealer, crm.EventFilter{After: writers * each, Limit: 10})
		return err == nil && len(page.Items) == 1
	}, 10*time.Second, 5*time.Millisecond)
	close(stop)
	<-readerDone

	require.Len(t, read, writers*each+1, "every committed event, once")
	seqs := assertGapFree(t, read)
	assert.Equal(t, int64(writers*each+1), seqs[late.ID], "the late event comes after every event read before it committed")
	for w, ids := range written {
		for i := 1; i < len(ids); i++ {
			assert.Less(t, seqs[ids[i-1]], seqs[ids[i]], "writer %d's events in its order", w)
		}
	}
}

// TestEventNumberingReaders: two readers follow the feed while writers
// commit; both number, neither sees a gap or a number twice, and they
// read the same event under each number.
func TestEventNumberingReaders(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	es := store.EventStore().WithPoll(5 * time.Millisecond)
	const dealer = crm.DealerID("d1")
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	stop := make(chan struct{})
	reads := make([][]crm.Event, 2)
	var readers sync.WaitGroup
	for r := range reads {
		readers.Go(func() { reads[r] = follow(t, es, dealer, stop) })
	}
	const writers, each = 4, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Two events a transaction, of one subject.
				c := crm.CustomerID(fmt.Sprintf("c%d-%d", w, i))
				assert.NoError(t, store.Events().Add(ctx, crmtest.Event(dealer, crm.EventPointsEarned, c, at, 0),
					crmtest.Event(dealer, crm.EventPointsRedeemed, c, at, 1)))
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	a, b := assertGapFree(t, reads[0]), assertGapFree(t, reads[1])
	require.Len(t, a, writers*each*2)
	assert.Equal(t, a, b, "both readers read each event under the same number")
	// A transaction's events keep their order (those of concurrent
	// transactions may come between them).
	earned := map[crm.EventSubject]bool{}
	for _, e := range reads[0] {
		if e.Type == crm.EventPointsEarned {
			earned[e.Subject] = true
		} else {
			assert.True(t, earned[e.Subject], "%s: earned before redeemed", e.Subject.ID)
		}
	}
}

// TestEventNumberingBacklog: events written while nobody reads stay
// unnumbered; the first read numbers them in the order they were
// written, and reading an idle feed again writes nothing.
func TestEventNumberingBacklog(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	db := pgtest.DB(t)
	const dealer = crm.DealerID("d1")
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		evs := []crm.Event{crmtest.Event(dealer, crm.EventPointsEarned, "c1", at, i), crmtest.Event(dealer, crm.EventTaskCreated, "c2", at, i)}
		require.NoError(t, store.Events().Add(ctx, evs...))
		ids = append(ids, evs[0].ID, evs[1].ID)
	}
	var unnumbered int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM "+store.TableName(postgres.TableEvents)+" WHERE seq IS NULL").Scan(&unnumbered))
	assert.Equal(t, 10, unnumbered, "written without numbers")

	page, err := store.EventStore().List(ctx, dealer, crm.EventFilter{Limit: 100})
	require.NoError(t, err)
	var got []string
	for i, e := range page.Items {
		assert.Equal(t, int64(i+1), e.Seq)
		got = append(got, e.ID)
	}
	assert.Equal(t, ids, got, "numbered in the order written")

	xmin := func() string {
		var x string
		require.NoError(t, db.QueryRowContext(ctx, "SELECT xmin::text || '/' || seq FROM "+store.TableName(postgres.TableEventSeqs)+" WHERE dealer_id = ?", string(dealer)).Scan(&x))
		return x
	}
	before := xmin()
	assert.Equal(t, "10", strings.Split(before, "/")[1], "the dealer's last number")
	_, err = store.EventStore().List(ctx, dealer, crm.EventFilter{After: 10})
	require.NoError(t, err)
	head, err := store.EventStore().Head(ctx, dealer)
	require.NoError(t, err)
	assert.Equal(t, int64(10), head)
	assert.Equal(t, before, xmin(), "an idle feed's reads write nothing")
}

// TestLoyaltyPostingStatements: an earning on its own is two prepared
// statements and nothing through bun (no BEGIN, no COMMIT); when the
// account moves between its read and its write, the write writes nothing
// and the command runs on the locking path; and what either path writes
// — receipt, ledger, balance, event — is the same.
func TestLoyaltyPostingStatements(t *testing.T) {
	ctx := context.Background()
	const dealer = loyaltytest.DealerA
	day := loyaltytest.Day
	var mu sync.Mutex
	var prepared []string
	var onWrite func()
	store, hook := pgtest.NewWatchedStore(t, postgres.WithStatementHook(func(q string) {
		mu.Lock()
		prepared = append(prepared, q)
		f := onWrite
		mu.Unlock()
		if f != nil && strings.HasPrefix(q, "WITH a AS") {
			f()
		}
	}))
	svc := loyaltytest.NewService(t, store.Loyalty(), nil)
	loyaltytest.Member(t, svc, dealer, "c1", 0)
	loyaltytest.Member(t, svc, dealer, "c2", 0)
	reset := func() {
		mu.Lock()
		prepared = nil
		mu.Unlock()
		hook.Reset()
	}

	t.Run("TwoStatements", func(t *testing.T) {
		reset()
		rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-1", "c1", 500, day), Date: day, IdempotencyKey: "k1"})
		require.NoError(t, err)
		require.Len(t, rec.Entries, 1)
		assert.Len(t, prepared, 2, "read, write")
		assert.Empty(t, hook.Statements(), "no BEGIN, no COMMIT, nothing else")
		assert.Empty(t, hook.Errors())
		// A replay is the read alone.
		reset()
		again, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-1", "c1", 500, day), Date: day, IdempotencyKey: "k1"})
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		assert.Len(t, prepared, 1, "the read finds the key")
	})

	t.Run("AccountMoved", func(t *testing.T) {
		reset()
		// Just before the write, another earning of c2 commits on the
		// locking path (in a caller's transaction).
		var once sync.Once
		mu.Lock()
		onWrite = func() {
			once.Do(func() {
				require.NoError(t, store.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
					_, err := loyaltytest.NewService(t, tx.(*postgres.Store).Loyalty(), nil).Earn(ctx,
						loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-x", "c2", 300, day), Date: day})
					return err
				}))
			})
		}
		mu.Unlock()
		defer func() { mu.Lock(); onWrite = nil; mu.Unlock() }()
		rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-2", "c2", 500, day), Date: day, IdempotencyKey: "k2"})
		require.NoError(t, err)
		assert.False(t, rec.Replayed)
		assert.Len(t, hook.Statements("FOR UPDATE OF a", "'c2'", "'k2'"), 1, "the command ran on the locking path")
		assert.Empty(t, hook.Errors(), "the guarded write failed no statement")
		entries := loyaltytest.AllEntries(t, store.Loyalty(), dealer, "c2")
		require.Len(t, entries, 2, "the other earning and this one")
		assert.Equal(t, "o-x", entries[0].Source.ID)
		assert.Equal(t, rec.Entries[0].ID, entries[1].ID, "posted once, after the other")
		bal := loyaltytest.CheckInvariants(t, store.Loyalty(), dealer, "c2", day)
		assert.Equal(t, entries[0].Points+entries[1].Points, bal.Points)
	})

	t.Run("WithoutPreparedStatements", func(t *testing.T) {
		s, h := pgtest.NewWatchedStore(t, postgres.WithoutPreparedStatements())
		svc := loyaltytest.NewService(t, s.Loyalty(), nil)
		loyaltytest.Member(t, svc, dealer, "c1", 0)
		h.Reset()
		_, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-1", "c1", 500, day), Date: day, IdempotencyKey: "k1"})
		require.NoError(t, err)
		stmts := h.Statements()
		require.Len(t, stmts, 2, "read, write; no BEGIN, no COMMIT: %v", stmts)
		assert.True(t, strings.HasPrefix(stmts[1], "WITH a AS"), "the guarded write, through bun")
		assert.Contains(t, stmts[1], "'k1'", "bun formatted it")
	})

	t.Run("SameAsLockingPath", func(t *testing.T) {
		type result struct {
			rec     loyalty.Receipt
			entries []loyalty.Entry
			bal     loyalty.Balances
			events  []crm.Event
		}
		run := func(inTx bool) result {
			s := pgtest.NewStore(t)
			svc := loyaltytest.NewService(t, s.Loyalty(), nil)
			loyaltytest.Member(t, svc, dealer, "c1", 200)
			req := loyalty.EarnRequest{DealerID: dealer, Order: loyaltytest.Order("o-1", "c1", 800, day), Date: day, IdempotencyKey: "k1"}
			var r result
			var err error
			if inTx {
				err = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
					r.rec, err = loyaltytest.NewService(t, tx.(*postgres.Store).Loyalty(), nil).Earn(ctx, req)
					return err
				})
			} else {
				r.rec, err = svc.Earn(ctx, req)
			}
			require.NoError(t, err)
			r.entries = loyaltytest.AllEntries(t, s.Loyalty(), dealer, "c1")
			r.bal = loyaltytest.CheckInvariants(t, s.Loyalty(), dealer, "c1", day)
			page, err := s.EventStore().List(ctx, dealer, crm.EventFilter{Limit: 100})
			require.NoError(t, err)
			for _, e := range page.Items {
				e.ID, e.At = "", time.Time{} // new for each write
				r.events = append(r.events, e)
			}
			return r
		}
		posted, locked := run(false), run(true)
		assert.Equal(t, locked.rec, posted.rec, "receipt")
		assert.Equal(t, locked.entries, posted.entries, "ledger")
		assert.Equal(t, locked.bal, posted.bal, "balances")
		assert.Equal(t, locked.events, posted.events, "events")
		assert.NotEmpty(t, posted.events)
	})
}

func TestDollarPlaceholders(t *testing.T) {
	assert.Equal(t, "SELECT $1, $2::text", postgres.DollarPlaceholders("SELECT ?, ?::text"))
	assert.Equal(t, "WHERE a = $1 AND b = $2 OR c = $1 AND d = $11", postgres.DollarPlaceholders("WHERE a = ?0 AND b = ?1 OR c = ?0 AND d = ?10"))
}
