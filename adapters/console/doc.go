// Package console implements the web console of dealercrm: the pages a
// dealership's customer-relations (CR) department works in, served as an
// importable http.Handler that a DMS vendor mounts beside its own screens
// and that the example server serves at /console/.
//
// The console is server-rendered html/template pages over the Go services
// (crm, lifecycle, loyalty, grading, satisfaction, campaign) called in
// process — never over HTTP to the API — with one embedded stylesheet and a
// few lines of optional JavaScript; every page works without it. Charts
// are SVG drawn on the server by the subpackage chart.
//
// # Pages
//
//   - 今日待办 (tasks): today's call list grouped by customer, as the HTTP
//     API serves GET /v1/call-groups (lifecycle.Service.CallGroups), with
//     the reason, phone, plate, model and due window of each call, and
//     forms to record an outcome in place (reached, no answer, refused,
//     appointment with its date; one call closing the customer's covered
//     tasks), skip with a reason and reassign (crm.PermTasksAssign);
//   - 客户360 (customers): search by mobile, name or plate, and one
//     customer's profile and consent matrix, vehicles with their stage and
//     upcoming plan, service history, points, tier and ledger, grade with
//     its explanation and history, survey answers, contact history (purposes
//     and outcomes as words), complaints and open tasks;
//   - 线索 (leads): the open leads by intent level with their next
//     follow-up and stale flags, and the lost requests awaiting a manager,
//     with approve and reject forms for those who may decide them;
//   - 会员 (members): the club's members, one member's ledger and the
//     statement as of a date;
//   - 仪表盘 (dashboard): churn by month, the return, first-maintenance
//     and renewal rates, grade distribution and the revenue Pareto curve,
//     CSI by criterion and the importance–performance quadrants, campaign
//     funnels against their targets and channel ROI. Its figures are read
//     from the report services once per dealer every DashboardTTL, one
//     request at a time.
//
// # Security
//
// A user signs in with an API key (the managed keys of package apikey:
// Keys, or any httpapi.Authenticator). The key is kept sealed (AES-GCM
// under a key derived from WithSecret's secret, with the session's end 12
// hours later) in an HttpOnly, SameSite=Lax cookie scoped to the prefix,
// Secure unless WithInsecureCookies (for a plain-http demo only), and is
// authenticated again on every request, so a revoked key signs its holder
// out at once.
// The principal's permissions come from its roles through the role table
// (WithRoles, crm.DefaultRoles by default), as in the HTTP API: roles
// decide the navigation, the sections of a page and every action, always
// checked on the server; every record is read in the principal's dealer,
// so another store's ID is simply not found; a consultant sees their own
// leads and tasks (crm.Principal.ScopeLeads, lifecycle.ScopeTasks); phone
// numbers are masked (httpapi.MaskPhone) without crm.PermPersonalData.
// Every form carries a CSRF token, an HMAC of the session under the
// handler's secret (WithSecret), checked on every POST, and
// http.CrossOriginProtection refuses cross-origin posts. Every answer has a
// strict Content-Security-Policy (no inline script or style), X-Frame-Options
// DENY, Referrer-Policy no-referrer, and pages are not cached. Every text
// is escaped by html/template. Actions are written to the audit trail
// (WithAudit) under the HTTP API's operation names.
//
// # Languages
//
// Pages are in Chinese by default and in English when the browser asks for
// it (Accept-Language) or the user switches (a lang cookie); the words are
// codes of the i18n catalog ("console.…"), which a host may override or
// extend (WithCatalog).
//
// # Mounting
//
//	keys, _ := apikey.NewService(stores.Keys, secret)
//	web := console.New(console.Services{CRM: crmSvc, Lifecycle: lc, Loyalty: club,
//		Grading: grades, Satisfaction: sat, Campaigns: campaigns}, console.Keys(keys))
//	mux.Handle(console.DefaultPrefix, web) // /console/
//
// docs/console.md describes the pages, the security model and the
// measured server time of each page.
package console
