package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlateKeyColumn: the vehicles' generated plate_key column is
// crm.PlateKey(plate) for every character of the Basic Multilingual
// Plane (the memory store searches with PlateKey, Postgres with the
// column: they must find the same vehicles). The expression is read from
// the catalog, so that a migration that changes it is checked too.
func TestPlateKeyColumn(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	db := pgtest.DB(t)
	var expr string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
		JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		WHERE d.adrelid = ?::regclass AND a.attname = 'plate_key'`, s.TableName(postgres.TableVehicles)).Scan(&expr))
	sameForEveryChar(t, expr, crm.PlateKey)
}

// runMigration runs the migration file name, rendered for s's schema, on
// the tests' database.
func runMigration(t *testing.T, s *postgres.Store, name string) {
	t.Helper()
	files, err := postgres.RenderMigrations(postgres.WithSchema(s.Schema()))
	require.NoError(t, err)
	i := slices.IndexFunc(files, func(f postgres.MigrationFile) bool { return f.Name == name })
	require.GreaterOrEqual(t, i, 0, name)
	_, err = pgtest.DB(t).ExecContext(context.Background(), files[i].SQL)
	require.NoError(t, err, name)
}

// TestPlateKeyMigration: migration 0035 recomputes the key of vehicles
// stored before it, so that a plate typed in full-width forms is found
// by its ASCII spelling, and back.
func TestPlateKeyMigration(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	svc := crm.NewService(s)
	d, err := svc.CreateDealer(ctx, crmtest.Dealer("d1"))
	require.NoError(t, err)
	v := crmtest.Vehicle(d.ID, "", 1)
	v.Plate = "沪Ａ・１２３４５"
	v, err = svc.CreateVehicle(ctx, d.ID, v)
	require.NoError(t, err)
	found := func() []crm.VehicleID {
		p, err := s.Vehicles().List(ctx, d.ID, crm.VehicleFilter{Plate: "沪a12345"})
		require.NoError(t, err)
		var ids []crm.VehicleID
		for _, x := range p.Items {
			ids = append(ids, x.ID)
		}
		return ids
	}
	assert.Equal(t, []crm.VehicleID{v.ID}, found(), "after every migration")
	runMigration(t, s, "0035_plate_key_full_width.tx.down.sql")
	assert.Empty(t, found(), "as 0032 keyed it")
	runMigration(t, s, "0035_plate_key_full_width.tx.up.sql")
	assert.Equal(t, []crm.VehicleID{v.ID}, found(), "0035 recomputed the stored key")
}

// TestNameSearchKeySQL: the name search's SQL key (lower() in the C
// collation) is crm.NameSearchKey for every character of the Basic
// Multilingual Plane, so that a customer's name is found on Postgres as
// in memory.
func TestNameSearchKeySQL(t *testing.T) {
	sameForEveryChar(t, postgres.NameSearchKey("plate"), crm.NameSearchKey)
}

// sameForEveryChar checks that the SQL expression expr of a text column
// "plate" is key of the column's value, for every character of the Basic
// Multilingual Plane (but NUL and the surrogates) as the value.
func sameForEveryChar(t *testing.T, expr string, key func(string) string) {
	t.Helper()
	rows, err := pgtest.DB(t).QueryContext(context.Background(), `SELECT g, `+expr+` FROM
		(SELECT g, chr(g) AS plate FROM generate_series(1, 65535) AS g WHERE g < 55296 OR g > 57343) AS c ORDER BY g`)
	require.NoError(t, err)
	defer rows.Close()
	n, differ := 0, 0
	for rows.Next() {
		var r rune
		var got string
		require.NoError(t, rows.Scan(&r, &got))
		n++
		if want := key(string(r)); got != want && differ < 20 {
			differ++
			t.Errorf("U+%04X %q: SQL %q, Go %q", r, string(r), got, want)
		}
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, 65535-2048, n, "every character but the surrogates")
}
