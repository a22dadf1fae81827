package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dealercrm/dealercrm/crm"
)

var exportCommand = &command{
	name:    "export",
	summary: "export everything held about one customer (PIPL access request)",
	help: `Usage: dealercrm export --dealer ID --customer ID --by STAFF [--out FILE]

Writes everything dealercrm holds about the customer as JSON — the crm
records and every package's section (points, grades, tasks, survey
answers, campaigns, messages) — for a data-access request under PIPL
(个人信息保护法) Art. 45. The file holds personal data: hand it to the
customer and keep no copy. --by names the member of staff who handles the
request: the export is in the audit trail, as an API export is.

  dealercrm export --dealer sh01 --customer 01JD… --by wangfang --out 张三.json
`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, customer, by, out string
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the customer's dealer (required)")
			fs.StringVar(&customer, "customer", "", "the customer's ID (required)")
			fs.StringVar(&by, "by", "", "the member of staff handling the request, for the audit trail (required)")
			fs.StringVar(&out, "out", "", "file to write; standard output when empty")
		}, "dealer", "customer", "by"); err != nil {
			return err
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		var x crm.CustomerExport
		if err := audited(ctx, e, a, crm.DealerID(dealer), by, "exportCustomer", []string{customer}, func(ctx context.Context) error {
			var err error
			x, err = a.CRM.ExportCustomer(ctx, crm.DealerID(dealer), crm.CustomerID(customer))
			return err
		}); err != nil {
			return err
		}
		var w io.Writer = e.stdout
		if out != "" {
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return err
		}
		if out != "" {
			fmt.Fprintf(e.stderr, "customer %s exported to %s\n", customer, out)
		}
		return nil
	},
}

var eraseCommand = &command{
	name:    "erase",
	summary: "erase one customer's personal data (PIPL erasure request)",
	help: `Usage: dealercrm erase --dealer ID --customer ID --by STAFF --yes

Erases the customer's personal data in every package (name, phones, ID
number, addresses, free text, plates), keeping what the books need in
anonymised form (sales, points ledger). It cannot be undone, so it asks
for --yes. It is idempotent: run it again after a failure to complete it.
--by names the member of staff who handles the request, for the audit
trail.

  dealercrm erase --dealer sh01 --customer 01JD… --by wangfang --yes
`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, customer, by string
		var yes bool
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the customer's dealer (required)")
			fs.StringVar(&customer, "customer", "", "the customer's ID (required)")
			fs.StringVar(&by, "by", "", "the member of staff handling the request, for the audit trail (required)")
			fs.BoolVar(&yes, "yes", false, "confirm the erasure, which cannot be undone")
		}, "dealer", "customer", "by"); err != nil {
			return err
		}
		if !yes {
			return usagef("erasing cannot be undone; add --yes to erase customer %s of %s", customer, dealer)
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := audited(ctx, e, a, crm.DealerID(dealer), by, "eraseCustomer", []string{customer}, func(ctx context.Context) error {
			return a.CRM.EraseCustomer(ctx, crm.DealerID(dealer), crm.CustomerID(customer))
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "customer %s of %s erased\n", customer, dealer)
		return nil
	},
}
