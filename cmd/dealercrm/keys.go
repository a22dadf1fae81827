package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
)

var keysCommand = &command{
	name:    "keys",
	summary: "create, list and revoke API keys",
	help: `Usage: dealercrm keys <create|list|revoke> [flags]

API keys authenticate every request to "dealercrm serve". A key belongs to
one dealer, carries roles (admin, manager, cr, consultant, integration, …)
and may act as one member of staff. Only a hash of the key is stored,
under the server secret DEALERCRM_KEY_SECRET (at least 32 bytes), which
serve must be given too: keep it outside the database.

  export DEALERCRM_KEY_SECRET=$(head -c 32 /dev/urandom | base64)
  dealercrm keys create --dealer sh01 --name 'DMS sync' --roles integration
  dealercrm keys create --dealer sh01 --name '王芳 call list' --roles cr --staff wangfang
  dealercrm keys list --dealer sh01
  dealercrm keys revoke --dealer sh01 --id 01JD…
`,
	run: group(keysCreate, keysList, keysRevoke),
}

// keyService opens the key service on the database of d, with the server
// secret of the environment.
func keyService(ctx context.Context, e *env, d *database) (*apikey.Service, func(), error) {
	secret := e.getenv("DEALERCRM_KEY_SECRET")
	if len(secret) < apikey.MinSecret {
		return nil, nil, usagef("DEALERCRM_KEY_SECRET must hold the server secret of the keys, at least %d bytes (serve needs the same)", apikey.MinSecret)
	}
	store, closeDB, err := d.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc, err := apikey.NewService(store.Stores().Keys, []byte(secret), apikey.WithClock(e.now))
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return svc, closeDB, nil
}

var keysCreate = &command{
	name:    "create",
	summary: "create a key and print its token once",
	help: `Usage: dealercrm keys create --dealer ID --name NAME --roles ROLE[,ROLE] [--staff ID] [--expires 2027-06-30]

Creates a key and prints its token, once: it cannot be shown again.`,
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, roles, staff, expires string
		var r apikey.CreateRequest
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the key's dealer (required)")
			fs.StringVar(&r.Name, "name", "", "what the key is for, e.g. 'DMS sync' (required)")
			fs.StringVar(&roles, "roles", "", "roles, comma-separated: "+roleNames()+" (required)")
			fs.StringVar(&staff, "staff", "", "the member of staff the key acts as")
			fs.StringVar(&expires, "expires", "", "the day the key stops working, YYYY-MM-DD (default: never)")
		}, "dealer"); err != nil {
			return err
		}
		if roles != "" {
			for _, x := range strings.Split(roles, ",") {
				r.Roles = append(r.Roles, crm.Role(strings.TrimSpace(x)))
			}
		}
		r.StaffID = crm.StaffID(staff)
		if expires != "" {
			t, err := time.Parse(time.DateOnly, expires)
			if err != nil {
				return usagef("--expires %q: want YYYY-MM-DD", expires)
			}
			r.ExpiresAt = t
		}
		svc, closeDB, err := keyService(ctx, e, &d)
		if err != nil {
			return err
		}
		defer closeDB()
		k, token, err := svc.Create(ctx, crm.DealerID(dealer), "", r)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key %s (%s) created for %s\ntoken (shown once): %s\n", k.ID, k.Name, k.DealerID, token)
		return nil
	},
}

var keysList = &command{
	name:    "list",
	summary: "list a dealer's keys",
	help:    "Usage: dealercrm keys list --dealer ID [--all]\n\nLists the dealer's active keys (with --all, revoked and expired ones too).",
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer string
		var all bool
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the dealer (required)")
			fs.BoolVar(&all, "all", false, "list revoked and expired keys too")
		}, "dealer"); err != nil {
			return err
		}
		svc, closeDB, err := keyService(ctx, e, &d)
		if err != nil {
			return err
		}
		defer closeDB()
		keys, err := crm.All(ctx, func(after string) (crm.Page[apikey.Key], error) {
			f := apikey.Filter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}}
			if !all {
				f.Active = svc.Now()
			}
			return svc.List(ctx, crm.DealerID(dealer), f)
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "active"
			switch {
			case !k.RevokedAt.IsZero():
				state = "revoked " + k.RevokedAt.Format(time.DateOnly)
			case !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(svc.Now()):
				state = "expired " + k.ExpiresAt.Format(time.DateOnly)
			}
			used := "never used"
			if !k.LastUsedAt.IsZero() {
				used = "used " + k.LastUsedAt.Format(time.DateTime)
			}
			fmt.Fprintf(e.stdout, "%s  %-20s %-24s %-10s %s, %s\n", k.ID, k.Name, joinRoles(k.Roles), k.StaffID, state, used)
		}
		return nil
	},
}

var keysRevoke = &command{
	name:    "revoke",
	summary: "revoke a key at once",
	help:    "Usage: dealercrm keys revoke --dealer ID --id KEY\n\nRevokes the key: it stops working at once, for good.",
	run: func(ctx context.Context, e *env, c *command, args []string) error {
		var d database
		var dealer, id string
		if err := e.parseFlags(c, args, &d, func(fs *flag.FlagSet) {
			fs.StringVar(&dealer, "dealer", "", "the key's dealer (required)")
			fs.StringVar(&id, "id", "", "the key's ID, as keys list shows it (required)")
		}, "dealer", "id"); err != nil {
			return err
		}
		svc, closeDB, err := keyService(ctx, e, &d)
		if err != nil {
			return err
		}
		defer closeDB()
		k, err := svc.Revoke(ctx, crm.DealerID(dealer), apikey.ID(id))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key %s (%s) revoked\n", k.ID, k.Name)
		return nil
	},
}

func roleNames() string {
	var out []string
	for _, r := range crm.Roles() {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

func joinRoles(rs []crm.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}
