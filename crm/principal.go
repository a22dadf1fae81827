package crm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dealercrm/dealercrm"
)

// Principal is who a request acts for (SPEC §9): the dealer, the member of
// staff, their roles and the API key that brought them. An adapter's
// authentication builds it (httpapi's Authenticator); the adapter then
// resolves Permissions from Roles with the host's role table, and the
// domain's rules about people read it: whose leads and tasks a principal
// sees (ScopeLeads, lifecycle.ScopeTasks), who acts (Actor), who sees
// phone numbers in full (PermPersonalData).
type Principal struct {
	// Dealer is the tenant every record the principal touches belongs to.
	Dealer DealerID `json:"dealer_id"`
	// Group is the dealer group the principal may act for, when it may (a
	// group_admin key); empty otherwise. Group views and runs need
	// PermGroup; they read the dealer's own group.
	Group GroupID `json:"group_id,omitempty"`
	// Staff is the member of staff acting, in the DMS's numbering; empty
	// for a system key (a DMS integration, a host's own jobs), which then
	// names the member of staff in the request where one is needed.
	Staff StaffID `json:"staff_id,omitempty"`
	// Roles are the principal's roles; the role table gives their
	// permissions.
	Roles []Role `json:"roles"`
	// KeyID identifies the credential (an API key record) for the audit
	// trail; empty when the credential has no ID.
	KeyID string `json:"key_id,omitempty"`
	// Permissions are what Roles allow under the role table in force,
	// resolved by the adapter (RoleTable.Resolve); what an authenticator
	// sets here is replaced.
	Permissions []Permission `json:"permissions,omitempty"`
}

// Can reports whether the principal holds permission perm.
func (p Principal) Can(perm Permission) bool { return slices.Contains(p.Permissions, perm) }

// Need returns nil when the principal holds perm, else a *PermissionError
// naming perm.
func (p Principal) Need(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	return &PermissionError{Permission: perm, Message: fmt.Sprintf("the roles %s lack permission %s", rolesText(p.Roles), perm)}
}

// Actor returns the member of staff acting in a request that names one in
// field (the decider of a lost request, the staff of a follow-up): the
// principal's own staff when it has one — named, the field must be that
// staff member or empty, else a *PermissionError naming the field — and
// the field's value for a system key without staff.
func (p Principal) Actor(field string, named StaffID) (StaffID, error) {
	named = StaffID(strings.TrimSpace(string(named)))
	if p.Staff == "" {
		return named, nil
	}
	if named != "" && named != p.Staff {
		return "", &PermissionError{Field: field, Rule: RuleActor,
			Message: fmt.Sprintf("%s must be the API key's own staff member or left out", field)}
	}
	return p.Staff, nil
}

// ScopeLeads restricts f to the leads the principal may see (SPEC §9): all
// of the store's with PermAllLeads, else their own — the leads whose
// consultant is the principal's staff. A filter on another consultant is a
// *PermissionError naming consultant_id; a principal limited to its own
// leads without a staff member sees none and is refused the same way.
func (p Principal) ScopeLeads(f *LeadFilter) error {
	if p.Can(PermAllLeads) {
		return nil
	}
	if p.Staff == "" {
		return &PermissionError{Permission: PermAllLeads, Message: "the API key names no staff member, and its roles lack permission " + string(PermAllLeads)}
	}
	if f.ConsultantID != "" && f.ConsultantID != p.Staff {
		return &PermissionError{Field: "consultant_id", Rule: RuleScope,
			Message: "consultant_id: the API key's roles see only its own staff member's leads"}
	}
	f.ConsultantID = p.Staff
	return nil
}

// SeesLead reports whether the principal sees lead l: the rule of
// ScopeLeads for one lead, which those who read or work a lead must meet.
func (p Principal) SeesLead(l *Lead) bool {
	return p.Can(PermAllLeads) || (p.Staff != "" && l.ConsultantID == p.Staff)
}

// CheckLead returns nil when the principal sees lead l (SeesLead), else a
// *PermissionError naming PermAllLeads: the lead is another consultant's.
func (p Principal) CheckLead(l *Lead) error {
	if p.SeesLead(l) {
		return nil
	}
	return &PermissionError{Permission: PermAllLeads,
		Message: "the lead is not the API key's staff member's, and its roles lack permission " + string(PermAllLeads)}
}

// Role is a principal's role. The default roles are the constants below;
// a host may define its own in its role table.
type Role string

// The default roles (SPEC §9).
const (
	RoleAdmin       Role = "admin"       // the dealer's administrator: everything of the store
	RoleManager     Role = "manager"     // a manager: all of the store's work, decides lost requests
	RoleCR          Role = "cr"          // the CR department 客服/回访: the CR tasks, surveys, campaigns
	RoleConsultant  Role = "consultant"  // a sales consultant 销售顾问: their own leads and tasks
	RoleAdvisor     Role = "advisor"     // a service advisor 服务顾问: their own tasks
	RoleIntegration Role = "integration" // a DMS's system key: imports and postings, no bulk personal data
	RoleGroupAdmin  Role = "group_admin" // a group's administrator: group views and runs
)

// Roles returns the default roles.
func Roles() []Role {
	return []Role{RoleAdmin, RoleManager, RoleCR, RoleConsultant, RoleAdvisor, RoleIntegration, RoleGroupAdmin}
}

// Permission is what an operation needs. Each HTTP operation needs exactly
// one (httpapi's permission table); the scope permissions (PermAllLeads,
// PermAllTasks, PermCRTasks), PermPersonalData and PermGroup change what an
// allowed operation shows or may be asked for.
type Permission string

// The permissions.
const (
	PermDealerRead     Permission = "dealer.read"       // read the dealer
	PermSettings       Permission = "settings.write"    // change the dealer, targets, survey designs
	PermCustomersRead  Permission = "customers.read"    // read customers, leads and their contacts (personal data)
	PermCustomersWrite Permission = "customers.write"   // write customers, leads, interactions, complaints, consents
	PermCustomersMerge Permission = "customers.merge"   // merge a duplicate customer into another
	PermDecideLost     Permission = "leads.decide_lost" // decide a lost (战败) request
	PermRecordsRead    Permission = "records.read"      // read vehicles, sales, service orders, policies
	PermRecordsWrite   Permission = "records.write"     // write them
	PermImport         Permission = "import"            // bulk import from a DMS
	PermPrivacy        Permission = "privacy"           // export and erase a customer (PIPL)
	PermTasksRead      Permission = "tasks.read"        // the call list
	PermTasksWork      Permission = "tasks.work"        // record outcomes, skip tasks
	PermTasksAssign    Permission = "tasks.assign"      // (re)assign tasks
	PermReports        Permission = "reports.read"      // reports and KPIs
	PermGradingRead    Permission = "grading.read"      // grades, the model, runs
	PermGradingRun     Permission = "grading.run"       // run a grading
	PermLoyaltyRead    Permission = "loyalty.read"      // memberships, ledgers, the program
	PermLoyaltyWrite   Permission = "loyalty.write"     // join, renew, upgrade, cancel, redeem
	PermPointsPost     Permission = "loyalty.post"      // post points earned by a service order
	PermPointsReverse  Permission = "loyalty.reverse"   // reverse a ledger entry
	PermCampaignsRead  Permission = "campaigns.read"    // campaigns and their members
	PermCampaignsWrite Permission = "campaigns.write"   // plan, run and evaluate campaigns
	PermSurveysRead    Permission = "surveys.read"      // hierarchies, questionnaires, responses
	PermSurveysWrite   Permission = "surveys.write"     // record survey responses
	PermJobsRead       Permission = "jobs.read"         // the daily job runs
	PermJobsRun        Permission = "jobs.run"          // run a daily job by hand
	PermGroup          Permission = "group"             // group views and group runs
	PermKeys           Permission = "keys.manage"       // create, list, revoke and rotate the dealer's API keys
	PermAudit          Permission = "audit.read"        // read the audit trail
	PermEvents         Permission = "events.read"       // read the event feed (IDs and amounts, no contact data)
	PermWebhooks       Permission = "webhooks.manage"   // create, change, replay and inspect webhook subscriptions
	PermMessagesRead   Permission = "messages.read"     // the messages sent, held and refused
	PermMessagesIn     Permission = "messages.inbound"  // hand in a customer's reply (an SMS gateway's key)
	// PermPersonalData shows phone and ID numbers in full; without it
	// they are masked in every answer (138****8000).
	PermPersonalData Permission = "personal_data"
	// PermAllLeads sees every lead of the store; without it a principal
	// sees the leads whose consultant it is (ScopeLeads).
	PermAllLeads Permission = "leads.all"
	// PermAllTasks sees every task of the store (admin and manager hold
	// PermCRTasks too: everything a CR key sees, so that an admin may
	// make one, see httpapi.WithKeys); PermCRTasks the CR
	// department's; with neither, the tasks assigned to the principal's
	// staff (lifecycle.ScopeTasks).
	PermAllTasks Permission = "tasks.all"
	PermCRTasks  Permission = "tasks.cr"
)

// Permissions returns every permission.
func Permissions() []Permission { return slices.Clone(allPermissions) }

var allPermissions = []Permission{PermDealerRead, PermSettings, PermCustomersRead, PermCustomersWrite, PermCustomersMerge, PermDecideLost,
	PermRecordsRead, PermRecordsWrite, PermImport, PermPrivacy, PermTasksRead, PermTasksWork, PermTasksAssign,
	PermReports, PermGradingRead, PermGradingRun, PermLoyaltyRead, PermLoyaltyWrite, PermPointsPost, PermPointsReverse,
	PermCampaignsRead, PermCampaignsWrite, PermSurveysRead, PermSurveysWrite, PermJobsRead, PermJobsRun, PermGroup,
	PermKeys, PermAudit, PermEvents, PermWebhooks, PermMessagesRead, PermMessagesIn,
	PermPersonalData, PermAllLeads, PermAllTasks, PermCRTasks}

// RoleTable maps each role to its permissions. DefaultRoles is the
// default; a host replaces it whole (httpapi.WithRoles).
type RoleTable map[Role][]Permission

// DefaultRoles returns the default role table (SPEC §9):
//
//   - admin: everything of the store but group views and runs, the
//     store's API keys and its audit trail included;
//   - manager: everything of the store but export and erasure, imports
//     and job runs; decides lost requests; merges duplicate customers
//     (as admin does); sees every lead and task;
//   - cr: customers and their contacts, the CR tasks, surveys, campaigns,
//     reports, memberships; every lead (CR takes calls and hands leads on);
//   - consultant: customers, records, their own leads and tasks,
//     memberships;
//   - advisor: the same with their own tasks, and points postings;
//   - integration: imports, writes and postings, the dealer and job runs —
//     no reads of personal data (grant customers.read to a host's own role
//     for that), phone numbers masked;
//   - group_admin: group views and runs, reports and grades, phone numbers
//     masked.
//
// Phone and ID numbers are shown in full (PermPersonalData) to the roles
// that contact or manage customers: admin, manager, cr, consultant,
// advisor.
func DefaultRoles() RoleTable {
	staff := []Permission{PermDealerRead, PermPersonalData, PermCustomersRead, PermCustomersWrite,
		PermRecordsRead, PermRecordsWrite, PermTasksRead, PermTasksWork, PermGradingRead, PermLoyaltyRead, PermLoyaltyWrite}
	return RoleTable{
		RoleAdmin: {PermDealerRead, PermSettings, PermPersonalData, PermCustomersRead, PermCustomersWrite, PermCustomersMerge, PermDecideLost,
			PermRecordsRead, PermRecordsWrite, PermImport, PermPrivacy, PermTasksRead, PermTasksWork, PermTasksAssign,
			PermReports, PermGradingRead, PermGradingRun, PermLoyaltyRead, PermLoyaltyWrite, PermPointsPost, PermPointsReverse,
			PermCampaignsRead, PermCampaignsWrite, PermSurveysRead, PermSurveysWrite, PermJobsRead, PermJobsRun,
			PermKeys, PermAudit, PermEvents, PermWebhooks, PermMessagesRead, PermMessagesIn, PermAllLeads, PermAllTasks, PermCRTasks},
		RoleManager: {PermDealerRead, PermSettings, PermPersonalData, PermCustomersRead, PermCustomersWrite, PermCustomersMerge, PermDecideLost,
			PermRecordsRead, PermRecordsWrite, PermTasksRead, PermTasksWork, PermTasksAssign,
			PermReports, PermGradingRead, PermGradingRun, PermLoyaltyRead, PermLoyaltyWrite, PermPointsPost, PermPointsReverse,
			PermCampaignsRead, PermCampaignsWrite, PermSurveysRead, PermSurveysWrite, PermJobsRead,
			PermAllLeads, PermAllTasks, PermCRTasks},
		RoleCR: append(slices.Clone(staff), PermTasksAssign, PermReports, PermCampaignsRead, PermCampaignsWrite,
			PermSurveysRead, PermSurveysWrite, PermMessagesRead, PermAllLeads, PermCRTasks),
		RoleConsultant: slices.Clone(staff),
		RoleAdvisor:    append(slices.Clone(staff), PermPointsPost),
		RoleIntegration: {PermDealerRead, PermImport, PermCustomersWrite, PermRecordsWrite, PermPointsPost,
			PermSurveysWrite, PermJobsRead, PermEvents, PermMessagesIn},
		RoleGroupAdmin: {PermDealerRead, PermReports, PermGradingRead, PermGradingRun, PermGroup},
	}
}

// Resolve sets p.Permissions to what p's roles allow under t, each once,
// in the order of Permissions(). An unknown role allows nothing.
func (t RoleTable) Resolve(p *Principal) {
	p.Permissions = make([]Permission, 0, len(allPermissions))
	for _, perm := range allPermissions {
		for _, r := range p.Roles {
			if slices.Contains(t[r], perm) {
				p.Permissions = append(p.Permissions, perm)
				break
			}
		}
	}
}

// Rules of a PermissionError that names a field.
const (
	// RuleActor: a field naming who acts is not the principal's own
	// staff member.
	RuleActor = "actor"
	// RuleScope: a filter asks for records outside what the principal
	// sees (another consultant's leads).
	RuleScope = "scope"
	// RuleNotRequester: the decider of a lost request is who requested it
	// (ErrOwnLostRequest).
	RuleNotRequester = "not_requester"
)

// PermissionError is a refusal (code PermissionDenied) that says why:
// the permission the principal's roles lack, or the field or parameter at
// fault (RuleActor, RuleScope). errors.Is(err,
// dealercrm.ErrPermissionDenied) holds.
type PermissionError struct {
	// Permission is the permission needed; empty when a field is at fault.
	Permission Permission
	// Field names the body field or query parameter at fault; Rule is the
	// rule it broke.
	Field, Rule string
	// Message says it in English.
	Message string
	// Sentinel is the package's error errors.Is matches besides
	// dealercrm.ErrPermissionDenied (ErrOwnLostRequest); nil for none.
	Sentinel error
}

// Error implements error.
func (e *PermissionError) Error() string { return "permission denied: " + e.Message }

// ErrorCode implements dealercrm.Coder.
func (e *PermissionError) ErrorCode() dealercrm.Code { return dealercrm.PermissionDenied }

// Is matches dealercrm.ErrPermissionDenied and the Sentinel.
func (e *PermissionError) Is(target error) bool {
	return dealercrm.ErrPermissionDenied.Is(target) || (e.Sentinel != nil && errors.Is(e.Sentinel, target))
}

func rolesText(roles []Role) string {
	if len(roles) == 0 {
		return "(none)"
	}
	return strings.Join(strs(roles), ", ")
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
