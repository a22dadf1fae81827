package backend

import (
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/webhook"
)

// Stores are the stores of every package on one backend; an adapter's
// constructor sets every field.
type Stores struct {
	// CRM is the crm.Store; the grading, loyalty and campaign services
	// read the records through it too.
	CRM          crm.Store
	Tasks        lifecycle.TaskStore
	Loyalty      loyalty.Store
	Grading      grading.Store
	Satisfaction satisfaction.Store
	Campaigns    campaign.Store
	// Jobs keeps the records of the daily jobs' runs (jobs.Scheduler,
	// adapters/postgres/riverjobs).
	Jobs jobs.RunStore
	// Keys keeps the managed API keys (apikey.Service).
	Keys apikey.Store
	// Audit keeps the audit trail (crm.AuditStore). A backend with
	// transactions writes a request's pending record (crm.ClaimAudit) in
	// the transaction of its change; the memory adapter's has none, and
	// the HTTP adapter appends every record itself.
	Audit crm.AuditStore
	// Events reads and prunes the event outbox (crm.EventStore): every
	// store of the backend writes the events of its changes there, with
	// the changes.
	Events crm.EventStore
	// Webhooks keeps the webhook subscriptions, their delivery progress
	// and logs (webhook.Store).
	Webhooks webhook.Store
	// Messages keeps the records of the messages sent through the
	// Sender port (messages.Service).
	Messages messages.Store
}
