package main

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/app"
)

// cliKey is the key ID of the audit records of the command-line tool: what
// an API request's record holds as its key, the tool's records hold as
// "cli", so that GET /v1/audit?key_id=cli lists what operators did.
const cliKey = "cli"

// audited runs fn as operation op of the staff member by on dealer's
// records, with the audit record an API request of that operation gets:
// committed with the change when fn's transaction claims it, else written
// afterwards, with the outcome and, on failure, the error's code.
func audited(ctx context.Context, e *env, a *app.App, dealer crm.DealerID, by, op string, records []string, fn func(ctx context.Context) error) error {
	pend := crm.NewAuditPending(crm.AuditRecord{ID: dealercrm.NewID(), DealerID: dealer, At: e.now().UTC(), KeyID: cliKey,
		StaffID: crm.StaffID(by), Operation: op, Records: records, RequestID: "cli-" + dealercrm.NewID()}, true)
	err := fn(crm.WithAudit(ctx, pend))
	outcome := crm.AuditOK
	if err != nil {
		outcome = crm.AuditFailed
	}
	rec, ok := pend.Finish(outcome, string(dealercrm.ErrorCode(err)))
	if !ok {
		return nil
	}
	if aerr := a.Stores.Audit.Append(context.WithoutCancel(ctx), rec); aerr != nil {
		if err != nil {
			return fmt.Errorf("%w (and its audit record was not written: %v)", err, aerr)
		}
		return fmt.Errorf("done, but its audit record was not written: %w", aerr)
	}
	return err
}
