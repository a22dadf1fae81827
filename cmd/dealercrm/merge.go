package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

var duplicatesCommand = &command{
	name:    "duplicates",
	summary: "list customers who are probably one person",
	help: `Usage: dealercrm duplicates --dealer ID [--reason id_number|name_mobile|mobile|vin] [--min-score N] [--limit N]

Lists pairs of a dealer's customers that are probably one person, with
both names, the score and why: the same ID card number (95), the same
name and mobile (90), the same mobile (70), one vehicle tied to both (50);
each further reason adds 5. Mobiles and ID numbers are shown masked.
Check a pair, then merge it with "dealercrm merge". docs/duplicates.md
explains the rules.

  dealercrm duplicates --dealer sh01 --min-score 90
  dealercrm duplicates --dealer sh01 --reason vin
`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, reason string
		var minScore, limit int
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the dealer (required)")
			fs.StringVar(&reason, "reason", "", "only pairs matched for this reason: id_number, name_mobile, mobile or vin")
			fs.IntVar(&minScore, "min-score", 0, "only pairs scoring at least this (0–100)")
			fs.IntVar(&limit, "limit", 100, "most pairs listed")
		}, "dealer"); err != nil {
			return err
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		page, err := a.CRM.DuplicateCandidates(ctx, crm.DealerID(dealer), crm.DuplicateFilter{Reason: crm.DuplicateReason(reason),
			MinScore: minScore, PageRequest: crm.PageRequest{Limit: limit}})
		if err != nil {
			return err
		}
		for _, p := range page.Items {
			why := make([]string, len(p.Matches))
			for i, m := range p.Matches {
				why[i] = string(m.Reason) + " " + m.Value
			}
			fmt.Fprintf(e.stdout, "%3d  %s %s  ~  %s %s  (%s)\n", p.Score, p.A, p.AName, p.B, p.BName, strings.Join(why, ", "))
		}
		if len(page.Items) == 0 {
			fmt.Fprintln(e.stdout, "no duplicate candidates")
		} else if page.Next != "" {
			fmt.Fprintf(e.stdout, "more pairs: raise --limit (at most %d) or --min-score\n", crm.MaxLimit)
		}
		return nil
	},
}

var mergeCommand = &command{
	name:    "merge",
	summary: "merge one customer into another, moving every record",
	help: `Usage: dealercrm merge --dealer ID --into SURVIVOR --customer MERGED --by STAFF [--yes]

Merges the customer MERGED into SURVIVOR in one transaction: every record
of MERGED in every package (vehicles, sales, service orders, leads,
interactions, complaints, points ledger and membership, tasks, survey
answers, grades, campaigns, messages) moves to SURVIVOR, which keeps per
purpose and channel the more recent consent answer. MERGED stays as a
tombstone saying where it went. It cannot be undone, so it asks for --yes;
--by names the member of staff who decided it, for the audit trail.

  dealercrm duplicates --dealer sh01
  dealercrm merge --dealer sh01 --into 01JD…A --customer 01JD…B --by wangfang --yes
`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, into, merged, by string
		var yes bool
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the customers' dealer (required)")
			fs.StringVar(&into, "into", "", "the surviving customer (required)")
			fs.StringVar(&merged, "customer", "", "the customer merged into the survivor (required)")
			fs.StringVar(&by, "by", "", "the member of staff who decided the merge, for the audit trail (required)")
			fs.BoolVar(&yes, "yes", false, "confirm the merge, which cannot be undone")
		}, "dealer", "into", "customer", "by"); err != nil {
			return err
		}
		if !yes {
			return usagef("a merge cannot be undone; add --yes to merge %s into %s", merged, into)
		}
		a, _, closeDB, err := d.openApp(ctx, e)
		if err != nil {
			return err
		}
		defer closeDB()
		var res crm.MergeResult
		err = audited(ctx, e, a, crm.DealerID(dealer), by, "mergeCustomer", []string{into, merged}, func(ctx context.Context) error {
			var err error
			res, err = a.CRM.MergeCustomers(ctx, crm.DealerID(dealer), crm.CustomerID(into), crm.CustomerID(merged))
			return err
		})
		if err != nil {
			return err
		}
		if res.Repeated {
			fmt.Fprintf(e.stdout, "customer %s was merged into %s before: nothing changed\n", merged, into)
			return nil
		}
		var moved []string
		for kind, n := range res.Moved {
			if n > 0 {
				moved = append(moved, fmt.Sprintf("%s=%d", kind, n))
			}
		}
		slices.Sort(moved)
		fmt.Fprintf(e.stdout, "customer %s (%s) merged into %s (%s); moved: %s\n", merged, res.Merged.Name, into, res.Survivor.Name, strings.Join(moved, " "))
		return nil
	},
}
