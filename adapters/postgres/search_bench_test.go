package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/require"
)

// BenchmarkSearch100k lists one page (50, as the console's search does) of
// a dealer of 100,000 customers with Chinese names and 100,000 vehicles
// by CustomerFilter.Name and VehicleFilter.Plate: a text one record holds
// (the dealer's rows are all read), a common one (the first 50 matches
// end the scan early) and one none holds, after VACUUM ANALYZE. Target:
// well under 100 ms.
//
//	go test -run '^$' -bench Search100k -benchtime 20x ./adapters/postgres/
func BenchmarkSearch100k(b *testing.B) {
	ctx := context.Background()
	s := pgtest.NewStore(b)
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(b, s.Dealers().Create(ctx, &d))
	customers, vehicles := benchBatch(d.ID)
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂")
	for i := range customers {
		customers[i].Name = string(surnames[i%len(surnames)]) + string(given[(i/len(surnames))%len(given)]) +
			string(given[(i/(len(surnames)*len(given)))%len(given)])
		vehicles[i].Plate = fmt.Sprintf("沪%c·%05d", 'A'+rune(i%20), i)
	}
	customers[benchRows/2].Name = "欧阳娜娜"
	vehicles[benchRows/2].Plate = "粤B·X9Z88"
	_, _, err := importBatch(ctx, s, d.ID, customers, vehicles)
	require.NoError(b, err)
	// As autovacuum leaves a table that changes little: all-visible, so
	// that the IDs come from the index alone.
	for _, t := range []postgres.Table{postgres.TableCustomers, postgres.TableVehicles} {
		_, err := pgtest.DB(b).ExecContext(ctx, "VACUUM ANALYZE "+s.TableName(t))
		require.NoError(b, err)
	}
	page := crm.PageRequest{Limit: 50}
	for _, tc := range []struct {
		name string
		list func() (int, error)
		want int
	}{
		{"NameOne", func() (int, error) {
			p, err := s.Customers().List(ctx, d.ID, crm.CustomerFilter{Name: "阳娜", PageRequest: page})
			return len(p.Items), err
		}, 1},
		{"NameCommon", func() (int, error) {
			p, err := s.Customers().List(ctx, d.ID, crm.CustomerFilter{Name: "王", PageRequest: page})
			return len(p.Items), err
		}, 50},
		{"NameNone", func() (int, error) {
			p, err := s.Customers().List(ctx, d.ID, crm.CustomerFilter{Name: "诸葛", PageRequest: page})
			return len(p.Items), err
		}, 0},
		{"PlateOne", func() (int, error) {
			p, err := s.Vehicles().List(ctx, d.ID, crm.VehicleFilter{Plate: "x9z", PageRequest: page})
			return len(p.Items), err
		}, 1},
		{"PlateNone", func() (int, error) {
			p, err := s.Vehicles().List(ctx, d.ID, crm.VehicleFilter{Plate: "京Q", PageRequest: page})
			return len(p.Items), err
		}, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				n, err := tc.list()
				if err != nil || n != tc.want {
					b.Fatalf("got %d records, %v; want %d", n, err, tc.want)
				}
			}
		})
	}
}
