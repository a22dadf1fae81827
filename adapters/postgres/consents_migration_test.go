package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsentsColumn: a customer's consents are kept as json (migration
// 0036), written one at a time and in bulk, and read back as written;
// 0036 down and up again keep every stored consent, the sources that
// encoding/json escapes (& < >) and Chinese text among them; a document
// converted from jsonb (in jsonb's layout) still equals the same consents
// upserted again, which leave the customer unchanged, and differs from
// changed ones.
func TestConsentsColumn(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	db := pgtest.DB(t)
	svc := crm.NewService(s)
	d, err := svc.CreateDealer(ctx, crmtest.Dealer("d1"))
	require.NoError(t, err)
	at := time.Date(2024, 3, 5, 8, 30, 0, 123000, time.UTC)
	consents := []crm.Consent{
		{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "合同 & <签约>"},
		{Purpose: crm.PurposeMarketing, Channel: crm.ChannelPhone, Granted: false, At: at.Add(time.Hour), Source: `wechat "form"`},
	}
	one := crmtest.Customer(d.ID, 1)
	one.Consents = consents
	one, err = svc.CreateCustomer(ctx, d.ID, one)
	require.NoError(t, err)
	bulk := crmtest.Customer(d.ID, 2)
	bulk.Consents = consents
	_, err = s.Customers().Upsert(ctx, d.ID, []crm.Customer{bulk})
	require.NoError(t, err)
	ids, err := s.Customers().ResolveExternalIDs(ctx, d.ID, []string{bulk.ExternalID})
	require.NoError(t, err)
	bulk.ID = ids[bulk.ExternalID]
	require.NotEmpty(t, bulk.ID)

	columnType := func() string {
		var typ string
		require.NoError(t, db.QueryRowContext(ctx, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = ?::regclass AND attname = 'consents'",
			s.TableName(postgres.TableCustomers)).Scan(&typ))
		return typ
	}
	stored := func(step string) {
		t.Helper()
		for _, id := range []crm.CustomerID{one.ID, bulk.ID} {
			c, err := svc.GetCustomer(ctx, d.ID, id)
			require.NoError(t, err, step)
			assert.Equal(t, consents, c.Consents, "%s: customer %s", step, id)
		}
	}
	assert.Equal(t, "json", columnType())
	stored("after every migration")
	runMigration(t, s, "0036_customer_consents_json.tx.down.sql")
	assert.Equal(t, "jsonb", columnType())
	stored("as jsonb")
	runMigration(t, s, "0036_customer_consents_json.tx.up.sql")
	assert.Equal(t, "json", columnType())
	stored("jsonb made json again")
	again := func() crm.UpsertOutcome {
		res, err := s.Customers().Upsert(ctx, d.ID, []crm.Customer{bulk})
		require.NoError(t, err)
		require.Len(t, res, 1)
		return res[0].Outcome
	}
	assert.Equal(t, crm.Unchanged, again(), "the same consents in jsonb's layout and encoding/json's")
	bulk.Consents = consents[:1]
	assert.Equal(t, crm.Updated, again(), "a consent fewer")
	assert.Equal(t, crm.Unchanged, again(), "then the same again")
	var def string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef JOIN pg_attribute ON attrelid = adrelid AND attnum = adnum WHERE adrelid = ?::regclass AND attname = 'consents'",
		s.TableName(postgres.TableCustomers)).Scan(&def))
	assert.Equal(t, "'[]'::json", def, "the column's default")
}
