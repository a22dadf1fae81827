package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

var dealersCommand = &command{
	name:    "dealers",
	summary: "add and list the dealers (stores) of the database",
	help: `Usage: dealercrm dealers <add|list> [flags]

A dealer is one store (4S店); every record belongs to one. Add each store
before importing its data.

  dealercrm dealers add --id sh01 --name '上海浦东店' --group east --brands 别克,雪佛兰
  dealercrm dealers list
`,
	run: group(dealersAdd, dealersList),
}

var dealersAdd = &command{
	name:    "add",
	summary: "add a dealer",
	help: `Usage: dealercrm dealers add --id ID --name NAME [flags]

Adds a dealer. The ID is yours to choose (letters, digits, - and _), and is
what every other command's --dealer names.`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer crm.Dealer
		var id, group, brands string
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&id, "id", "", "the dealer's ID (required)")
			fs.StringVar(&dealer.Name, "name", "", "the dealer's name, e.g. 上海浦东店 (required)")
			fs.StringVar(&group, "group", "", "the dealer group the store belongs to")
			fs.StringVar(&dealer.TimeZone, "time-zone", "", "IANA time zone of the store's calendar days (default Asia/Shanghai)")
			fs.StringVar(&brands, "brands", "", "brands the store sells, comma-separated")
			fs.StringVar(&dealer.ExternalID, "external-id", "", "the DMS's own ID of the store")
		}, "id", "name"); err != nil {
			return err
		}
		dealer.ID, dealer.GroupID = crm.DealerID(id), crm.GroupID(group)
		if brands != "" {
			dealer.Brands = strings.Split(brands, ",")
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		got, err := a.CRM.CreateDealer(ctx, dealer)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "dealer %s (%s) added\n", got.ID, got.Name)
		return nil
	},
}

var dealersList = &command{
	name:    "list",
	summary: "list the dealers",
	help:    "Usage: dealercrm dealers list [flags]\n\nLists every dealer: ID, time zone, group and name.",
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		if err := e.parseFlags(c, args, &d, nil); err != nil {
			return err
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		dealers, err := allDealers(ctx, a.CRM)
		if err != nil {
			return err
		}
		for _, x := range dealers {
			fmt.Fprintf(e.stdout, "%-12s %-16s %-10s %s\n", x.ID, x.Location(), x.GroupID, x.Name)
		}
		return nil
	},
}

// allDealers returns every dealer of svc.
func allDealers(ctx context.Context, svc *crm.Service) ([]crm.Dealer, error) {
	return crm.All(ctx, func(after string) (crm.Page[crm.Dealer], error) {
		return svc.ListDealers(ctx, crm.DealerFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
}
