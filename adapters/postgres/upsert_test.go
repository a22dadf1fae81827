package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUpsertAcrossChunks upserts more rows than one statement takes, with
// new, changed and unchanged records spread over every chunk.
func TestUpsertAcrossChunks(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	n := 2*postgres.UpsertChunk + 7
	items := make([]crm.Customer, n)
	for i := range items {
		items[i] = crmtest.Customer(dealer, i)
	}
	res, err := s.Customers().Upsert(ctx, dealer, items)
	require.NoError(t, err)
	require.Len(t, res, n)
	for i, r := range res {
		if r.ExternalID != items[i].ExternalID || r.ID != string(items[i].ID) || r.Outcome != crm.Created {
			t.Fatalf("result %d: got %+v, want %s created with ID %s", i, r, items[i].ExternalID, items[i].ID)
		}
	}

	// Every third record changes, every seventh is new (a new external ID).
	next := make([]crm.Customer, n)
	want := make([]crm.UpsertOutcome, n)
	for i := range next {
		next[i] = items[i].Clone()
		next[i].ID = crm.CustomerID(dealercrm.NewID())
		want[i] = crm.Unchanged
		switch {
		case i%7 == 0:
			next[i].ExternalID = fmt.Sprintf("NEW-%d", i)
			want[i] = crm.Created
		case i%3 == 0:
			next[i].Occupation = "teacher"
			want[i] = crm.Updated
		}
	}
	res, err = s.Customers().Upsert(ctx, dealer, next)
	require.NoError(t, err)
	for i, r := range res {
		wantID := items[i].ID
		if want[i] == crm.Created {
			wantID = next[i].ID
		}
		if r.ExternalID != next[i].ExternalID || r.ID != string(wantID) || r.Outcome != want[i] {
			t.Fatalf("result %d: got %+v, want %s %s with ID %s", i, r, next[i].ExternalID, want[i], wantID)
		}
	}
	got, err := s.Customers().Get(ctx, dealer, items[3].ID)
	require.NoError(t, err)
	assert.Equal(t, "teacher", got.Occupation, "an updated record has the new content")
	assert.True(t, got.CreatedAt.Equal(items[3].CreatedAt), "and keeps its CreatedAt")
}

// TestUpsertRoundTrip checks that the bulk path stores exactly what Create
// does: text that needs escaping at every level, empty and nil slices,
// zero dates and times, and money whose scale differs.
func TestUpsertRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	tricky := `O'Brien "Bob" \ {a,b} NULL` + "\t\n\r" + ` 王伟 ''`

	c := crmtest.Customer(dealer, 1)
	c.Name, c.Occupation = tricky, "NULL"
	c.Hobbies = []string{tricky, "", `{x}`, "NULL", `"`, `\x41`, `a,b`, " spaced "}
	c.Consents[0].Source = tricky
	c.Birthday = dealercrm.Date{}
	c.ConsultantID = ""
	bare := crmtest.Customer(dealer, 2)
	bare.Hobbies, bare.Consents, bare.Region = nil, nil, crm.Region{}
	_, err := s.Customers().Upsert(ctx, dealer, []crm.Customer{c, bare})
	require.NoError(t, err)
	for _, want := range []crm.Customer{c, bare} {
		got, err := s.Customers().Get(ctx, dealer, want.ID)
		require.NoError(t, err)
		crmtest.Equal(t, want, got, "Upsert stores every field as given")
	}

	owner := c.ID
	v := crmtest.Vehicle(dealer, owner, 1)
	v.Price = decimal.RequireFromString("1234.50")
	v.Odometer = nil
	_, err = s.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{v})
	require.NoError(t, err)
	got, err := s.Vehicles().Get(ctx, dealer, v.ID)
	require.NoError(t, err)
	assert.True(t, got.Price.Equal(decimal.RequireFromString("1234.5")), "1234.50 comes back as the same value, got %s", got.Price)
	crmtest.Equal(t, v, got)

	l := crmtest.Lead(dealer, 1)
	l.FollowUps[0].Note = tricky
	l.LastContactAt = l.LastContactAt.Add(123) // nanoseconds Postgres does not keep
	_, err = s.Leads().Upsert(ctx, dealer, []crm.Lead{l})
	require.NoError(t, err)
	gotLead, err := s.Leads().Get(ctx, dealer, l.ID)
	require.NoError(t, err)
	assert.Equal(t, tricky, gotLead.FollowUps[0].Note)
	assert.True(t, gotLead.LastContactAt.Equal(l.LastContactAt.Truncate(1000)), "times are kept to the microsecond")
}

// TestUpsertColumnsWithOneValue: a column that holds the same value in
// every row of a chunk goes to Postgres as that one value rather than an
// array (encodeArrays); it is stored as given in every row, escaping,
// NULL and empty values included, and it is a bound argument like the
// arrays, so that the statement's template holds no value.
func TestUpsertColumnsWithOneValue(t *testing.T) {
	ctx := context.Background()
	s, hook := pgtest.NewWatchedStore(t)
	dealer := newDealer(t, s)
	tricky := `O'Brien "Bob" \ {a,b} NULL ? $1` + "\t\n" + ` 王伟 ''`
	cs := make([]crm.Customer, 3)
	vs := make([]crm.Vehicle, 3)
	for i := range cs {
		cs[i] = crmtest.Customer(dealer, i)
		cs[i].Name, cs[i].Mobile, cs[i].Occupation, cs[i].Industry = tricky, "13800000001", "NULL", ""
		cs[i].Hobbies = []string{tricky, "", "NULL"}
		cs[i].Birthday, cs[i].ConsultantID = dealercrm.Date{}, ""
		cs[i].CreatedAt = cs[0].CreatedAt
		vs[i] = crmtest.Vehicle(dealer, cs[0].ID, i)
		vs[i].Plate, vs[i].Price, vs[i].Odometer = "浙A12345", decimal.RequireFromString("1234.50"), nil
	}
	hook.Reset()
	_, err := s.Customers().Upsert(ctx, dealer, cs)
	require.NoError(t, err)
	_, err = s.Vehicles().Upsert(ctx, dealer, vs)
	require.NoError(t, err)
	for _, want := range cs {
		got, err := s.Customers().Get(ctx, dealer, want.ID)
		require.NoError(t, err)
		crmtest.Equal(t, want, got, "Upsert stores every field as given")
	}
	for _, want := range vs {
		got, err := s.Vehicles().Get(ctx, dealer, want.ID)
		require.NoError(t, err)
		assert.True(t, got.Price.Equal(want.Price), "price %s", got.Price)
		want.Price = got.Price
		crmtest.Equal(t, want, got)
	}
	ins := hook.Templates("INSERT INTO")
	require.Len(t, ins, 2)
	for _, q := range ins {
		assert.Contains(t, q, "?::text, ", "a column of one value is one placeholder")
		assert.Contains(t, q, "unnest(?::text[]", "the others are arrays")
	}
	for _, value := range []string{tricky, "13800000001", "浙A12345", "1234.50"} {
		assert.Empty(t, hook.Templates(value), "a statement's template holds %q", value)
	}
	require.NotEmpty(t, hook.Statements("INSERT INTO", "'13800000001'::text"), "the value is sent once")
}

// TestUpsertTakesTheDealerArgument: items are stored under the dealer
// Upsert is given, whatever their DealerID says.
func TestUpsertTakesTheDealerArgument(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	a, b := newDealer(t, s), newDealer(t, s)
	c := crmtest.Customer(a, 1)
	_, err := s.Customers().Upsert(ctx, b, []crm.Customer{c})
	require.NoError(t, err)
	_, err = s.Customers().Get(ctx, a, c.ID)
	assert.ErrorIs(t, err, crm.ErrNotFound, "nothing is written for the dealer the item names")
	got, err := s.Customers().Get(ctx, b, c.ID)
	require.NoError(t, err)
	assert.Equal(t, b, got.DealerID)
}

// TestUpsertDetectsWithAwkwardKeys: the keys Upsert looks up before it
// writes travel as SQL literals; quotes, backslashes, braces, commas and
// placeholders in them are found as they are.
func TestUpsertDetectsWithAwkwardKeys(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := crm.DealerID(`d'"\?{,}`)
	awkward := []string{`it's`, `"q"`, `back\slash`, `a?b`, `{x},y`, `NULL`, `''`, `$1`}
	vs := make([]crm.Vehicle, len(awkward))
	for i, k := range awkward {
		vs[i] = crmtest.Vehicle(dealer, "", i)
		vs[i].ID, vs[i].ExternalID, vs[i].VIN = crm.VehicleID("id-"+k), "ext-"+k, "vin-"+k
	}
	first, err := s.Vehicles().Upsert(ctx, dealer, vs)
	require.NoError(t, err)
	again, err := s.Vehicles().Upsert(ctx, dealer, vs)
	require.NoError(t, err)
	for i := range vs {
		assert.Equal(t, crm.UpsertResult{ExternalID: vs[i].ExternalID, ID: string(vs[i].ID), Outcome: crm.Created}, first[i])
		assert.Equal(t, crm.UpsertResult{ExternalID: vs[i].ExternalID, ID: string(vs[i].ID), Outcome: crm.Unchanged}, again[i],
			"the second upsert finds %q", awkward[i])
	}
	for i, k := range awkward {
		dup := crmtest.Vehicle(dealer, "", 100+i)
		dup.VIN = "vin-" + k
		_, err := s.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{dup})
		var ce *crm.ConflictError
		require.ErrorAs(t, err, &ce, "the VIN %q is found taken", dup.VIN)
		assert.Equal(t, "items[0].vin", ce.Field)
	}
}

// TestUpsertStatementsHoldNoValues: the bulk upsert binds its column
// arrays to placeholders, so the statement a query hook records (bunotel's
// db.statement, its template) holds no name, mobile, ID number, VIN or
// plate of the batch, while the values still reach Postgres.
func TestUpsertStatementsHoldNoValues(t *testing.T) {
	ctx := context.Background()
	s, hook := pgtest.NewWatchedStore(t)
	dealer := newDealer(t, s)
	c := crmtest.Customer(dealer, 7)
	c.Name = "O'Brien 张三"
	v := crmtest.Vehicle(dealer, c.ID, 7)
	hook.Reset()
	for range 2 { // created, then updated
		_, err := s.Customers().Upsert(ctx, dealer, []crm.Customer{c})
		require.NoError(t, err)
		_, err = s.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{v})
		require.NoError(t, err)
		c.Occupation, v.Plate = "teacher", "浙B12345"
	}
	require.NotEmpty(t, hook.Statements("INSERT INTO", c.Mobile), "the values are sent")
	for _, value := range []string{c.Name, c.Mobile, c.IDNumber, v.VIN, v.Plate, "浙A"} {
		assert.Empty(t, hook.Templates(value), "a statement's template holds %q", value)
	}
	assert.Len(t, hook.Templates("INSERT INTO", "unnest(?::text[]"), 4, "each upsert is one templated statement")

	got, err := s.Customers().Get(ctx, dealer, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "O'Brien 张三", got.Name)
	assert.Equal(t, "teacher", got.Occupation)
}

// TestUpsertAnalyzesAFreshTable: an Upsert of AnalyzeRows records or more
// into a table without statistics leaves its dealer_id column analyzed,
// so that detect's lookups of the next batches are planned on them
// (fresh); a smaller one does not analyze, and statistics of a
// transaction that rolled back are gone, so that the next store to write
// that many analyzes again.
func TestUpsertAnalyzesAFreshTable(t *testing.T) {
	ctx := context.Background()
	db, schema := pgtest.Schema(t)
	s, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	dealer := newDealer(t, s)
	analyzed := func() bool {
		var ok bool
		require.NoError(t, db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_stats WHERE schemaname = ? AND tablename = 'customers' AND attname = 'dealer_id')", schema).Scan(&ok))
		return ok
	}
	customers := func(from, n int) []crm.Customer {
		items := make([]crm.Customer, n)
		for i := range items {
			items[i] = crmtest.Customer(dealer, from+i)
		}
		return items
	}

	_, err = s.Customers().Upsert(ctx, dealer, customers(0, postgres.AnalyzeRows-1))
	require.NoError(t, err)
	assert.False(t, analyzed(), "a small upsert does not analyze")

	errRollback := errors.New("roll back")
	err = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		_, err := tx.Customers().Upsert(ctx, dealer, customers(postgres.AnalyzeRows, postgres.AnalyzeRows))
		require.NoError(t, err)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.False(t, analyzed(), "the statistics of a transaction that rolled back are gone")

	// The store analyzes once; another store (a new process) looks again.
	s2, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s2.Close() })
	_, err = s2.Customers().Upsert(ctx, dealer, customers(postgres.AnalyzeRows, postgres.AnalyzeRows))
	require.NoError(t, err)
	assert.True(t, analyzed(), "an upsert of AnalyzeRows records analyzes the table")
}

// TestUpsertFreshTableConcurrently: batches written side by side into a
// table without statistics (an importer's batches in flight, one of them
// repeating another's records) wait for each other's analysis without a
// deadlock or an error, and every record is there once.
func TestUpsertFreshTableConcurrently(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	const batches = 4
	errs := make([]error, batches+1)
	var wg sync.WaitGroup
	for b := range batches + 1 {
		from := b % batches * postgres.AnalyzeRows // the last batch repeats the first
		wg.Go(func() {
			items := make([]crm.Customer, postgres.AnalyzeRows)
			for i := range items {
				items[i] = crmtest.Customer(dealer, from+i)
			}
			_, errs[b] = s.Customers().Upsert(ctx, dealer, items)
		})
	}
	wg.Wait()
	for b, err := range errs {
		assert.NoError(t, err, "batch %d", b)
	}
	var n int
	var analyzed bool
	require.NoError(t, pgtest.DB(t).QueryRowContext(ctx, "SELECT (SELECT count(*) FROM "+s.TableName(postgres.TableCustomers)+" WHERE dealer_id = ?),"+
		" EXISTS (SELECT FROM pg_stats WHERE schemaname = ? AND tablename = 'customers' AND attname = 'dealer_id')", string(dealer), s.Schema()).Scan(&n, &analyzed))
	assert.Equal(t, batches*postgres.AnalyzeRows, n, "every record once")
	assert.True(t, analyzed)
}
