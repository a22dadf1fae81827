package demo_test

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
)

func ExampleGenerate() {
	data := demo.Generate(demo.Options{Seed: 1, Today: dealercrm.MustParseDate("2025-06-30")})
	for _, d := range data.Dealers {
		levels := map[crm.IntentLevel]bool{}
		for _, l := range d.Batch.Leads {
			levels[l.Level] = true
		}
		fmt.Printf("%s %s: %d customers, first %s, all %d intent levels: %t\n",
			d.Dealer.ID, d.Code, len(d.Batch.Customers), d.Batch.Customers[0].ExternalID,
			len(crm.IntentLevels()), len(levels) == len(crm.IntentLevels()))
	}
	// Output:
	// demo-sh01 SH01: 250 customers, first SH01-C-00001, all 8 intent levels: true
	// demo-sz01 SZ01: 250 customers, first SZ01-C-00001, all 8 intent levels: true
}

func ExampleSeed() {
	ctx := context.Background()
	data := demo.Generate(demo.Options{Seed: 1, Today: dealercrm.MustParseDate("2025-06-30"), Customers: 100})
	svc := crm.NewService(memory.New())
	if err := demo.Seed(ctx, svc, data); err != nil {
		fmt.Println(err)
		return
	}
	// Seeding is idempotent: importing a batch again leaves every record unchanged.
	sh, _ := data.Dealer(demo.ShanghaiDealerID)
	res, err := svc.Import(ctx, demo.ShanghaiDealerID, sh.Batch)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("unchanged:", res.Counts()[crm.Unchanged] == sh.Batch.Len())

	page, err := svc.ListCustomers(ctx, demo.ShanghaiDealerID, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 3}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("customers on the first page:", len(page.Items))
	// Output:
	// unchanged: true
	// customers on the first page: 3
}

func ExampleAPIKeys() {
	keys := demo.APIKeys(demo.Generate(demo.Options{Customers: demo.MinCustomers}))
	fmt.Println(keys[demo.ShanghaiAPIKey], keys[demo.SuzhouAPIKey])
	// Output: demo-sh01 demo-sz01
}
