package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// route is one entry of the route table. The mux and the OpenAPI document
// are both built from the table, so they cannot drift apart. Most entries
// get their handler (and their body, result and query parameters) from
// the builders command, query, fetch and byID (handle.go).
type route struct {
	method  string
	path    string
	op      string // OpenAPI operationId
	tag     string
	summary string
	// public routes need no API key.
	public bool
	// perm is the permission the key's roles must hold; NewHandler sets it
	// from the permission table (permissionOf).
	perm   crm.Permission
	params []queryParam
	// body is the request type; nil when the route takes no body.
	body reflect.Type
	// patch marks a JSON merge patch body.
	patch bool
	// bulk routes have the import body limit.
	bulk bool
	// heavy marks a route that may hold a database connection for long or
	// read much — a report, a grading run, an import, a segment preview,
	// an audience freeze, an export: at most WithHeavyRequests of them run
	// at once.
	heavy bool
	// heavyOnDemand marks a heavy route whose work takes its turn itself
	// (call.heavy) only when it does the heavy part: a report served from
	// the daily run's snapshot is light and never waits behind heavy ones.
	heavyOnDemand bool
	// status is the success status; result the type of its body (nil for
	// none); list wraps result in a page.
	status int
	result reflect.Type
	list   bool
	// again is the success status of a repeated request that finds its
	// record already there (200 for a job run asked for before), with the
	// same body as status; 0 when the route has one success status. The
	// route's work answers it by setting call.again.
	again int
	// location marks a 201 whose Location header names the new record.
	location string
	// idempotent marks a POST that honours the Idempotency-Key header.
	idempotent bool
	// keyRequired marks a POST that moves points or money: it must carry an
	// Idempotency-Key (400 naming the header when it does not), so that a
	// client's retry can never post twice. It implies idempotent.
	keyRequired bool
	// wildcards are the names of the path's wildcards ({id}), whose
	// values the audit record names; auditOK marks a route whose success
	// is audited too (a write, a read of personal data: auditsReads), not
	// only its refusal. NewHandler sets both.
	wildcards []string
	auditOK   bool
	handle    func(h *handler, c *call) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// endpoint wraps a route's handler: it records the route for the request
// log, sets the request's deadline, authenticates (the principal, and so
// the dealer, comes from the key and nowhere else), checks the route's
// permission against the principal's roles (the one permission check;
// 403 naming the permission), waits for a heavy route's turn and writes
// the handler's error as a problem. With an audit trail (WithAudit) it
// starts the request's record once the principal is known and writes it
// when the request is over, unless a transaction of the request did
// (audit.go).
func (h *handler) endpoint(rt route) http.Handler {
	limit := h.cfg.maxBody
	if rt.bulk {
		limit = h.cfg.maxImportBody
	}
	pattern := rt.pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := w.(*statusWriter)
		if sw != nil {
			sw.route = pattern
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.timeout)
		defer cancel()
		r = r.WithContext(ctx)
		c := &call{w: w, r: r, limit: limit, cat: h.cfg.catalog}
		if !rt.public {
			p, err := h.auth.Authenticate(r)
			if err == nil && p.Dealer == "" {
				err = ErrUnauthenticated
			}
			if err != nil {
				h.writeProblem(w, r, err)
				return
			}
			if !h.resolved {
				h.cfg.roles.Resolve(&p)
			}
			c.principal, c.dealer = p, p.Dealer
			c.mask = !p.Can(crm.PermPersonalData)
			if sw != nil {
				sw.dealer = p.Dealer
				if h.cfg.audit != nil {
					at := time.Now()
					pend, actx := startAudit(ctx, rt, p, at, sw, r)
					defer h.finishAudit(ctx, rt, p, at, pend, sw, r)
					if pend != nil {
						r = r.WithContext(actx)
						c.r = r
					}
				}
			}
			if err := h.limits.allow(r); err != nil {
				h.writeProblem(w, r, err)
				return
			}
			if err := p.Need(rt.perm); err != nil {
				h.writeProblem(w, r, err)
				return
			}
		}
		if err := checkRequestText(r, rt.path); err != nil {
			h.writeProblem(w, r, err)
			return
		}
		if rt.idempotent || rt.keyRequired {
			key, err := idempotencyKey(r, rt.keyRequired)
			if err != nil {
				h.writeProblem(w, r, err)
				return
			}
			c.key = key
		}
		switch {
		case rt.heavy && rt.heavyOnDemand:
			var release func()
			c.heavyTurn = func() error {
				var err error
				if release == nil {
					release, err = h.acquireTurn(ctx, c.dealer)
				}
				return err
			}
			defer func() {
				if release != nil {
					release()
				}
			}()
		case rt.heavy:
			release, err := h.acquireTurn(ctx, c.dealer)
			if err != nil {
				h.writeProblem(w, r, err)
				return
			}
			defer release()
		case h.turns != nil && !rt.public:
			release, err := h.acquireLight(ctx)
			if err != nil {
				h.writeProblem(w, r, err)
				return
			}
			defer release()
		}
		if err := rt.handle(h, c); err != nil {
			h.writeProblem(w, r, h.pastDeadline(ctx, err))
		}
	})
}

// allRoutes is the route table of the crm routes, served by svc.
func allRoutes(svc *crm.Service) []route {
	rs := []route{
		fetch(route{method: http.MethodGet, path: "/healthz", op: "health", tag: "Meta", public: true,
			summary: "Report that the server is up", status: http.StatusOK},
			func(*call) (health, error) { return health{Status: "ok"}, nil }),
		{method: http.MethodGet, path: "/v1/openapi.json", op: "openapi", tag: "Meta", public: true,
			summary: "This API's OpenAPI 3.1 document", status: http.StatusOK, handle: serveOpenAPI},
		fetch(route{method: http.MethodGet, path: "/v1/dealer", op: "getDealer", tag: "Dealer",
			summary: "Get the API key's dealer", status: http.StatusOK},
			func(c *call) (crm.Dealer, error) { return svc.GetDealer(c.r.Context(), c.dealer) }),
		{method: http.MethodPatch, path: "/v1/dealer", op: "updateDealer", tag: "Dealer",
			summary: "Update the API key's dealer with a JSON merge patch", body: reflect.TypeFor[dealerInput](), patch: true,
			status: http.StatusOK, result: reflect.TypeFor[crm.Dealer](), handle: patchDealer},
	}
	rs = append(rs, customers.routes()...)
	rs = append(rs,
		command(route{method: http.MethodPost, path: "/v1/customers/{id}/consents", op: "setCustomerConsent", tag: "Customers",
			summary: "Record a customer's consent answer for one purpose and channel (an answer older than the recorded one is ignored)",
			status:  http.StatusOK},
			func(c *call, in consentInput) (crm.Customer, error) {
				return svc.SetConsent(c.r.Context(), c.dealer, crm.CustomerID(c.r.PathValue("id")), crm.Consent{
					Purpose: in.Purpose, Channel: in.Channel, Granted: in.Granted, At: in.At, Source: in.Source,
				})
			}),
		byID(route{method: http.MethodGet, path: "/v1/customers/{id}/export", op: "exportCustomer", tag: "Customers",
			summary: "Export everything held about a customer (PIPL data-access request)", heavy: true, status: http.StatusOK},
			svc.ExportCustomer),
		fetch(route{method: http.MethodPost, path: "/v1/customers/{id}/erase", op: "eraseCustomer", tag: "Customers",
			summary: "Erase a customer's personal information (PIPL); financial and repair records are kept, anonymised",
			status:  http.StatusNoContent},
			func(c *call) (struct{}, error) {
				return struct{}{}, svc.EraseCustomer(c.r.Context(), c.dealer, crm.CustomerID(c.r.PathValue("id")))
			}),
		query(route{method: http.MethodGet, path: "/v1/customers/duplicates", op: "listDuplicateCustomers", tag: "Customers", heavy: true,
			summary: "Pairs of customers that are probably one person (name and mobile, mobile, a vehicle tied to both), scored with the reasons, in (a, b) order one page at a time",
			status:  http.StatusOK, result: reflect.TypeFor[crm.DuplicateCandidate](), list: true},
			duplicateParams, func(c *call, f crm.DuplicateFilter) (crm.Page[crm.DuplicateCandidate], error) {
				return svc.DuplicateCandidates(c.r.Context(), c.dealer, f)
			}),
		command(route{method: http.MethodPost, path: "/v1/customers/{id}/merge", op: "mergeCustomer", tag: "Customers",
			summary: "Merge the customer merged_id into this one: every record of it moves here in one transaction, consents keep the later answer; repeating a merge changes nothing",
			status:  http.StatusOK},
			func(c *call, in mergeInput) (crm.MergeResult, error) {
				return svc.MergeCustomers(c.r.Context(), c.dealer, crm.CustomerID(c.r.PathValue("id")), in.MergedID)
			}))
	rs = append(rs, leads.routes()...)
	rs = append(rs, leadRoutes(svc)...)
	rs = append(rs, vehicles.routes()...)
	rs = append(rs, sales.routes()...)
	rs = append(rs, serviceOrders.routes()...)
	rs = append(rs, policies.routes()...)
	rs = append(rs, interactions.routes()...)
	rs = append(rs, complaints.routes()...)
	rs = append(rs, participations.routes()...)
	rs = append(rs, route{method: http.MethodPost, path: "/v1/import", op: "importBatch", tag: "Import",
		summary: "Upsert a batch from a DMS, matched on external IDs; importing the same batch again changes nothing. " +
			"By default at most 10,000 records, 10 list entries per record on average and 1 MiB per record; 413 naming where beyond",
		body: reflect.TypeFor[crm.Batch](), bulk: true, heavy: true, status: http.StatusOK, result: reflect.TypeFor[importReply](),
		handle: importBatch})
	return rs
}

func serveOpenAPI(h *handler, c *call) error {
	hd := c.w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(h.openapi)
	return nil
}

func patchDealer(h *handler, c *call) error {
	patch, err := decodePatch[dealerInput](c)
	if err != nil {
		return err
	}
	d, err := h.svc.UpdateDealer(c.r.Context(), c.dealer, func(d *crm.Dealer) error {
		in := dealerView(d)
		if err := applyPatch(&in, patch); err != nil {
			return err
		}
		in.apply(d)
		return nil
	})
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, d)
}

// leadRoutes are the operations of a lead's state machine. Each works
// only a lead the principal sees (crm.Principal.CheckLead: a consultant
// their own), and the member of staff acting is the principal's
// (crm.Principal.Actor): requested_by, decided_by and a follow-up's
// staff_id may be left out, and must name the key's own staff member when
// given; a system key without staff names them.
func leadRoutes(svc *crm.Service) []route {
	item := "/v1/leads/{id}"
	id := func(c *call) crm.LeadID { return crm.LeadID(c.r.PathValue("id")) }
	// mine checks that the principal sees the lead before it is worked.
	mine := func(c *call) error {
		l, err := svc.GetLead(c.r.Context(), c.dealer, id(c))
		if err != nil {
			return err
		}
		return c.principal.CheckLead(&l)
	}
	return []route{
		command(route{method: http.MethodPost, path: item + "/level", op: "setLeadLevel", tag: "Leads",
			summary: "Move an open lead to another level (not D or F) and reschedule its next follow-up", status: http.StatusOK},
			func(c *call, in levelInput) (crm.Lead, error) {
				if err := mine(c); err != nil {
					return crm.Lead{}, err
				}
				return svc.SetLeadLevel(c.r.Context(), c.dealer, id(c), in.Level)
			}),
		command(route{method: http.MethodPost, path: item + "/follow-ups", op: "logLeadFollowUp", tag: "Leads",
			summary: "Append a follow-up to an open lead's log and schedule the next one", status: http.StatusOK},
			func(c *call, in followUpInput) (crm.Lead, error) {
				staff, err := c.principal.Actor("staff_id", in.StaffID)
				if err != nil {
					return crm.Lead{}, err
				}
				if err := mine(c); err != nil {
					return crm.Lead{}, err
				}
				return svc.LogFollowUp(c.r.Context(), c.dealer, id(c), crm.FollowUp{
					At: in.At, StaffID: staff, Channel: in.Channel, Note: in.Note, Level: in.Level, Visit: in.Visit,
					ExpectedClose: in.ExpectedClose,
				})
			}),
		command(route{method: http.MethodPost, path: item + "/lost-request", op: "requestLeadLost", tag: "Leads",
			summary: "File a consultant's request to mark an open lead lost (战败), for a manager to decide; the requester is the API key's staff member", status: http.StatusOK},
			func(c *call, in lostRequestInput) (crm.Lead, error) {
				by, err := c.principal.Actor("requested_by", in.RequestedBy)
				if err != nil {
					return crm.Lead{}, err
				}
				if err := mine(c); err != nil {
					return crm.Lead{}, err
				}
				return svc.RequestLost(c.r.Context(), c.dealer, id(c), in.Reason, in.Note, by)
			}),
		command(route{method: http.MethodPost, path: item + "/lost-decision", op: "decideLeadLost", tag: "Leads",
			summary: "Approve (the lead becomes lost, level F) or reject the pending lost request: a manager (the API key's staff member) other than the requester decides", status: http.StatusOK},
			func(c *call, in lostDecisionInput) (crm.Lead, error) {
				by, err := c.principal.Actor("decided_by", in.DecidedBy)
				if err != nil {
					return crm.Lead{}, err
				}
				if err := mine(c); err != nil {
					return crm.Lead{}, err
				}
				return svc.DecideLost(c.r.Context(), c.dealer, id(c), in.Decision == crm.Approved, by, in.Note)
			}),
		command(route{method: http.MethodPost, path: item + "/convert", op: "convertLead", tag: "Leads",
			summary: "Convert an open lead (A卡 → C卡): write the customer, the vehicle and the sale in one transaction",
			status:  http.StatusCreated, location: "the new sale"},
			func(c *call, in conversionInput) (crm.ConversionResult, error) {
				if err := mine(c); err != nil {
					return crm.ConversionResult{}, err
				}
				res, err := svc.ConvertLead(c.r.Context(), c.dealer, id(c), in.conversion())
				return created(c, "sales", res.Sale.ID, res, err)
			}),
	}
}

// The entity collections.
var (
	customers = resource[crm.Customer, crm.CustomerID, customerInput, crm.CustomerFilter]{
		coll: "customers", name: "Customer", plural: "Customers", label: "customer",
		create: (*crm.Service).CreateCustomer, get: (*crm.Service).GetCustomer, update: (*crm.Service).UpdateCustomer,
		remove: (*crm.Service).DeleteCustomer, list: (*crm.Service).ListCustomers,
		id:   func(v *crm.Customer) crm.CustomerID { return v.ID },
		view: customerView, apply: (*customerInput).apply,
		page: func(f *crm.CustomerFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.CustomerFilter]{
			enumParam("kind", "Customer kind.", func(f *crm.CustomerFilter) *crm.CustomerKind { return &f.Kind }),
			textParam("mobile", "Mobile number, in any form the API accepts on input (it is normalised).", crm.NormalizeMobile,
				func(f *crm.CustomerFilter) *string { return &f.Mobile }),
			textParam("id_number", "Resident ID card number (身份证号), in any case and spacing (it is normalised).", crm.NormalizeIDNumber,
				func(f *crm.CustomerFilter) *string { return &f.IDNumber }),
			textParam("consultant_id", "Sales consultant in charge.", nil, func(f *crm.CustomerFilter) *crm.StaffID { return &f.ConsultantID }),
			textParam("advisor_id", "Service advisor in charge.", nil, func(f *crm.CustomerFilter) *crm.StaffID { return &f.AdvisorID }),
			textParam("name", "Text the name contains, character for character but for the case of ASCII letters (name=马 finds 马洁 and 司马光, name=zhang finds Zhang Ltd); at most 64 characters.",
				strings.TrimSpace, func(f *crm.CustomerFilter) *string { return &f.Name }),
		},
	}
	leads = resource[crm.Lead, crm.LeadID, leadInput, crm.LeadFilter]{
		coll: "leads", name: "Lead", plural: "Leads", label: "lead",
		create: (*crm.Service).CreateLead, get: (*crm.Service).GetLead, update: (*crm.Service).UpdateLead,
		remove: (*crm.Service).DeleteLead, list: (*crm.Service).ListLeads,
		id:   func(v *crm.Lead) crm.LeadID { return v.ID },
		view: leadView, apply: (*leadInput).apply,
		page:  func(f *crm.LeadFilter) *crm.PageRequest { return &f.PageRequest },
		scope: crm.Principal.ScopeLeads, check: crm.Principal.CheckLead,
		params: []filterParam[crm.LeadFilter]{
			enumParam("status", "Lead status.", func(f *crm.LeadFilter) *crm.LeadStatus { return &f.Status }),
			enumsParam("levels", "Intent levels, comma-separated (levels=H,A) or repeated.", "intent levels", strings.TrimSpace,
				func(f *crm.LeadFilter) *[]crm.IntentLevel { return &f.Levels }),
			textParam("consultant_id", "Sales consultant.", nil, func(f *crm.LeadFilter) *crm.StaffID { return &f.ConsultantID }),
			textParam("customer_id", "The lead's customer or its referrer.", nil, func(f *crm.LeadFilter) *crm.CustomerID { return &f.CustomerID }),
			enumParam("source", "Lead source.", func(f *crm.LeadFilter) *crm.Source { return &f.Source }),
		},
	}
	vehicles = resource[crm.Vehicle, crm.VehicleID, vehicleInput, crm.VehicleFilter]{
		coll: "vehicles", name: "Vehicle", plural: "Vehicles", label: "vehicle",
		create: (*crm.Service).CreateVehicle, get: (*crm.Service).GetVehicle, update: (*crm.Service).UpdateVehicle,
		remove: (*crm.Service).DeleteVehicle, list: (*crm.Service).ListVehicles,
		id:   func(v *crm.Vehicle) crm.VehicleID { return v.ID },
		view: vehicleView, apply: (*vehicleInput).apply,
		page: func(f *crm.VehicleFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.VehicleFilter]{
			textParam("owner_id", "Owner (customer).", nil, func(f *crm.VehicleFilter) *crm.CustomerID { return &f.OwnerID }),
			textParam("vin", "VIN (case-insensitive).", crm.NormalizeVIN, func(f *crm.VehicleFilter) *string { return &f.VIN }),
			textParam("model", "Model.", nil, func(f *crm.VehicleFilter) *string { return &f.Model }),
			textParam("plate", "Text the licence plate contains, both without the separators ·, •, space, - and . and in upper case (plate=沪a12345 and plate=12345 find 沪A·12345); at most 64 characters.",
				nil, func(f *crm.VehicleFilter) *string { return &f.Plate }),
		},
	}
	sales = resource[crm.Sale, crm.SaleID, saleInput, crm.SaleFilter]{
		coll: "sales", name: "Sale", plural: "Sales", label: "sale",
		create: (*crm.Service).CreateSale, get: (*crm.Service).GetSale, update: (*crm.Service).UpdateSale,
		remove: (*crm.Service).DeleteSale, list: (*crm.Service).ListSales,
		id:   func(v *crm.Sale) crm.SaleID { return v.ID },
		view: saleView, apply: (*saleInput).apply,
		page: func(f *crm.SaleFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.SaleFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.SaleFilter) *crm.CustomerID { return &f.CustomerID }),
			textParam("vehicle_id", "Vehicle.", nil, func(f *crm.SaleFilter) *crm.VehicleID { return &f.VehicleID }),
			textParam("consultant_id", "Sales consultant.", nil, func(f *crm.SaleFilter) *crm.StaffID { return &f.ConsultantID }),
			dateParam("date_from", "First sale date (inclusive).", func(f *crm.SaleFilter) *dealercrm.Date { return &f.Dates.From }),
			dateParam("date_to", "Last sale date (inclusive).", func(f *crm.SaleFilter) *dealercrm.Date { return &f.Dates.To }),
		},
	}
	serviceOrders = resource[crm.ServiceOrder, crm.ServiceOrderID, serviceOrderInput, crm.ServiceOrderFilter]{
		coll: "service-orders", name: "ServiceOrder", plural: "ServiceOrders", label: "service order",
		create: (*crm.Service).CreateServiceOrder, get: (*crm.Service).GetServiceOrder, update: (*crm.Service).UpdateServiceOrder,
		remove: (*crm.Service).DeleteServiceOrder, list: (*crm.Service).ListServiceOrders,
		id:   func(v *crm.ServiceOrder) crm.ServiceOrderID { return v.ID },
		view: serviceOrderView, apply: (*serviceOrderInput).apply,
		page: func(f *crm.ServiceOrderFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.ServiceOrderFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.ServiceOrderFilter) *crm.CustomerID { return &f.CustomerID }),
			textParam("vehicle_id", "Vehicle.", nil, func(f *crm.ServiceOrderFilter) *crm.VehicleID { return &f.VehicleID }),
			textParam("advisor_id", "Service advisor.", nil, func(f *crm.ServiceOrderFilter) *crm.StaffID { return &f.AdvisorID }),
			enumParam("kind", "Kind of service.", func(f *crm.ServiceOrderFilter) *crm.ServiceKind { return &f.Kind }),
			dateParam("date_from", "First order date (inclusive).", func(f *crm.ServiceOrderFilter) *dealercrm.Date { return &f.Dates.From }),
			dateParam("date_to", "Last order date (inclusive).", func(f *crm.ServiceOrderFilter) *dealercrm.Date { return &f.Dates.To }),
		},
	}
	policies = resource[crm.InsurancePolicy, crm.PolicyID, policyInput, crm.PolicyFilter]{
		coll: "insurance-policies", name: "InsurancePolicy", plural: "InsurancePolicies", label: "insurance policy",
		create: (*crm.Service).CreateInsurancePolicy, get: (*crm.Service).GetInsurancePolicy, update: (*crm.Service).UpdateInsurancePolicy,
		remove: (*crm.Service).DeleteInsurancePolicy, list: (*crm.Service).ListInsurancePolicies,
		id:   func(v *crm.InsurancePolicy) crm.PolicyID { return v.ID },
		view: policyView, apply: (*policyInput).apply,
		page: func(f *crm.PolicyFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.PolicyFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.PolicyFilter) *crm.CustomerID { return &f.CustomerID }),
			textParam("vehicle_id", "Vehicle.", nil, func(f *crm.PolicyFilter) *crm.VehicleID { return &f.VehicleID }),
			dateParam("end_from", "First end date (inclusive).", func(f *crm.PolicyFilter) *dealercrm.Date { return &f.Ends.From }),
			dateParam("end_to", "Last end date (inclusive).", func(f *crm.PolicyFilter) *dealercrm.Date { return &f.Ends.To }),
		},
	}
	interactions = resource[crm.Interaction, crm.InteractionID, interactionInput, crm.InteractionFilter]{
		coll: "interactions", name: "Interaction", plural: "Interactions", label: "interaction",
		create: (*crm.Service).CreateInteraction, get: (*crm.Service).GetInteraction, update: (*crm.Service).UpdateInteraction,
		remove: (*crm.Service).DeleteInteraction, list: (*crm.Service).ListInteractions,
		id:   func(v *crm.Interaction) crm.InteractionID { return v.ID },
		view: interactionView, apply: (*interactionInput).apply,
		page:  func(f *crm.InteractionFilter) *crm.PageRequest { return &f.PageRequest },
		actor: func(in *interactionInput) *crm.StaffID { return &in.StaffID },
		params: []filterParam[crm.InteractionFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.InteractionFilter) *crm.CustomerID { return &f.CustomerID }),
			textParam("lead_id", "Lead.", nil, func(f *crm.InteractionFilter) *crm.LeadID { return &f.LeadID }),
			textParam("staff_id", "Member of staff.", nil, func(f *crm.InteractionFilter) *crm.StaffID { return &f.StaffID }),
			timeParam("from", "Earliest time (inclusive), RFC 3339.", func(f *crm.InteractionFilter) *time.Time { return &f.From }),
			timeParam("to", "Latest time (exclusive), RFC 3339.", func(f *crm.InteractionFilter) *time.Time { return &f.To }),
		},
	}
	complaints = resource[crm.Complaint, crm.ComplaintID, complaintInput, crm.ComplaintFilter]{
		coll: "complaints", name: "Complaint", plural: "Complaints", label: "complaint",
		create: (*crm.Service).CreateComplaint, get: (*crm.Service).GetComplaint, update: (*crm.Service).UpdateComplaint,
		remove: (*crm.Service).DeleteComplaint, list: (*crm.Service).ListComplaints,
		id:   func(v *crm.Complaint) crm.ComplaintID { return v.ID },
		view: complaintView, apply: (*complaintInput).apply,
		page: func(f *crm.ComplaintFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.ComplaintFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.ComplaintFilter) *crm.CustomerID { return &f.CustomerID }),
			enumParam("status", "Complaint status.", func(f *crm.ComplaintFilter) *crm.ComplaintStatus { return &f.Status }),
		},
	}
	participations = resource[crm.EventParticipation, crm.ParticipationID, participationInput, crm.ParticipationFilter]{
		coll: "event-participations", name: "EventParticipation", plural: "EventParticipations", label: "event participation",
		create: (*crm.Service).CreateEventParticipation, get: (*crm.Service).GetEventParticipation, update: (*crm.Service).UpdateEventParticipation,
		remove: (*crm.Service).DeleteEventParticipation, list: (*crm.Service).ListEventParticipations,
		id:   func(v *crm.EventParticipation) crm.ParticipationID { return v.ID },
		view: participationView, apply: (*participationInput).apply,
		page: func(f *crm.ParticipationFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[crm.ParticipationFilter]{
			textParam("customer_id", "Customer.", nil, func(f *crm.ParticipationFilter) *crm.CustomerID { return &f.CustomerID }),
			textParam("event_id", "Event or campaign.", nil, func(f *crm.ParticipationFilter) *crm.EventID { return &f.EventID }),
		},
	}
)

// permissions is the permission table: the one permission each operation
// needs, by operationId (SPEC §9). endpoint checks it for every request;
// the OpenAPI document shows it on each operation (x-permission). Which
// roles hold a permission is the role table's business (WithRoles,
// crm.DefaultRoles). Every authenticated route must have an entry:
// NewHandler panics on one without, and TestPermissions walks every route
// with every default role.
var permissions = map[string]crm.Permission{
	// The dealer.
	"getDealer": crm.PermDealerRead, "updateDealer": crm.PermSettings,

	// Customers, leads and the contacts with them: personal data.
	"createCustomer": crm.PermCustomersWrite, "getCustomer": crm.PermCustomersRead, "updateCustomer": crm.PermCustomersWrite,
	"deleteCustomer": crm.PermCustomersWrite, "listCustomers": crm.PermCustomersRead, "setCustomerConsent": crm.PermCustomersWrite,
	"exportCustomer": crm.PermPrivacy, "eraseCustomer": crm.PermPrivacy,
	"listDuplicateCustomers": crm.PermCustomersRead, "mergeCustomer": crm.PermCustomersMerge,
	"createLead": crm.PermCustomersWrite, "getLead": crm.PermCustomersRead, "updateLead": crm.PermCustomersWrite,
	"deleteLead": crm.PermCustomersWrite, "listLeads": crm.PermCustomersRead,
	"setLeadLevel": crm.PermCustomersWrite, "logLeadFollowUp": crm.PermCustomersWrite, "requestLeadLost": crm.PermCustomersWrite,
	"decideLeadLost": crm.PermDecideLost, "convertLead": crm.PermCustomersWrite,
	"createInteraction": crm.PermCustomersWrite, "getInteraction": crm.PermCustomersRead, "updateInteraction": crm.PermCustomersWrite,
	"deleteInteraction": crm.PermCustomersWrite, "listInteractions": crm.PermCustomersRead,
	"createComplaint": crm.PermCustomersWrite, "getComplaint": crm.PermCustomersRead, "updateComplaint": crm.PermCustomersWrite,
	"deleteComplaint": crm.PermCustomersWrite, "listComplaints": crm.PermCustomersRead,
	"createEventParticipation": crm.PermCustomersWrite, "getEventParticipation": crm.PermCustomersRead,
	"updateEventParticipation": crm.PermCustomersWrite, "deleteEventParticipation": crm.PermCustomersWrite,
	"listEventParticipations": crm.PermCustomersRead,

	// Vehicles, sales, service orders, policies.
	"createVehicle": crm.PermRecordsWrite, "getVehicle": crm.PermRecordsRead, "updateVehicle": crm.PermRecordsWrite,
	"deleteVehicle": crm.PermRecordsWrite, "listVehicles": crm.PermRecordsRead,
	"createSale": crm.PermRecordsWrite, "getSale": crm.PermRecordsRead, "updateSale": crm.PermRecordsWrite,
	"deleteSale": crm.PermRecordsWrite, "listSales": crm.PermRecordsRead,
	"createServiceOrder": crm.PermRecordsWrite, "getServiceOrder": crm.PermRecordsRead, "updateServiceOrder": crm.PermRecordsWrite,
	"deleteServiceOrder": crm.PermRecordsWrite, "listServiceOrders": crm.PermRecordsRead,
	"createInsurancePolicy": crm.PermRecordsWrite, "getInsurancePolicy": crm.PermRecordsRead,
	"updateInsurancePolicy": crm.PermRecordsWrite, "deleteInsurancePolicy": crm.PermRecordsWrite,
	"listInsurancePolicies": crm.PermRecordsRead,
	"importBatch":           crm.PermImport,

	// Lifecycle.
	"listTasks": crm.PermTasksRead, "listCallGroups": crm.PermTasksRead,
	"recordTaskOutcome": crm.PermTasksWork, "skipTask": crm.PermTasksWork,
	"assignTask": crm.PermTasksAssign, "assignTasks": crm.PermTasksAssign,
	"getVehiclePlan":    crm.PermRecordsRead,
	"getAbnormalReport": crm.PermReports, "getLifecycleKPIs": crm.PermReports, "getLifecycleComebacks": crm.PermReports,

	// Grading.
	"runGrading": crm.PermGradingRun, "getGradingRun": crm.PermGradingRead, "getGradingModel": crm.PermGradingRead,
	"listGradedCustomers": crm.PermGradingRead, "getCustomerGrade": crm.PermGradingRead,
	"getRFMReport": crm.PermReports, "getParetoReport": crm.PermReports,

	// Satisfaction.
	"computeAHPWeights": crm.PermSurveysRead, "computeAHPHierarchy": crm.PermSurveysRead,
	"createHierarchy": crm.PermSettings, "getHierarchy": crm.PermSurveysRead, "getHierarchyWeights": crm.PermSurveysRead,
	"listHierarchies": crm.PermSurveysRead, "createQuestionnaire": crm.PermSettings, "getQuestionnaire": crm.PermSurveysRead,
	"listQuestionnaires": crm.PermSurveysRead, "recordSurveyResponse": crm.PermSurveysWrite,
	"getSurveyResponse": crm.PermSurveysRead, "listSurveyResponses": crm.PermSurveysRead,
	"getCSIReport": crm.PermReports, "getSatisfactionPriorities": crm.PermReports,

	// Loyalty.
	"joinLoyalty": crm.PermLoyaltyWrite, "listMemberships": crm.PermLoyaltyRead, "getMember": crm.PermLoyaltyRead,
	"renewMembership": crm.PermLoyaltyWrite, "upgradeMembership": crm.PermLoyaltyWrite, "cancelMembership": crm.PermLoyaltyWrite,
	"quoteForMember": crm.PermLoyaltyRead, "redeemPoints": crm.PermLoyaltyWrite, "listLedgerEntries": crm.PermLoyaltyRead,
	"getPointsBalances": crm.PermLoyaltyRead, "postEarning": crm.PermPointsPost, "reverseLedgerEntry": crm.PermPointsReverse,
	"getLoyaltyProgram": crm.PermLoyaltyRead, "getPointsLiability": crm.PermReports,

	// Campaigns.
	"createCampaign": crm.PermCampaignsWrite, "listCampaigns": crm.PermCampaignsRead, "getCampaign": crm.PermCampaignsRead,
	"updateCampaign": crm.PermCampaignsWrite, "deleteCampaign": crm.PermCampaignsWrite,
	"transitionCampaign": crm.PermCampaignsWrite, "addCampaignCost": crm.PermCampaignsWrite,
	"freezeCampaignAudience": crm.PermCampaignsWrite, "listCampaignMembers": crm.PermCampaignsRead,
	"recordCampaignResponse": crm.PermCampaignsWrite, "attributeCampaign": crm.PermCampaignsWrite,
	"getCampaignFunnel": crm.PermCampaignsRead, "getCampaignUplift": crm.PermCampaignsRead,
	"previewSegment": crm.PermCampaignsRead, "refreshCampaignProfiles": crm.PermCampaignsWrite,
	"getChannelReport": crm.PermReports, "getValueChainReport": crm.PermReports, "setValueChainTargets": crm.PermSettings,

	// Jobs.
	"listJobRuns": crm.PermJobsRead, "triggerJobRun": crm.PermJobsRun,

	// API keys.
	"listAPIKeys": crm.PermKeys, "createAPIKey": crm.PermKeys, "getAPIKey": crm.PermKeys,
	"revokeAPIKey": crm.PermKeys, "rotateAPIKey": crm.PermKeys,

	// The audit trail.
	"listAuditRecords": crm.PermAudit,

	// Webhooks.
	"listWebhooks": crm.PermWebhooks, "createWebhook": crm.PermWebhooks, "getWebhook": crm.PermWebhooks,
	"updateWebhook": crm.PermWebhooks, "deleteWebhook": crm.PermWebhooks, "replayWebhook": crm.PermWebhooks,
	"listWebhookDeliveries": crm.PermWebhooks,
	// Events.
	"listEvents": crm.PermEvents,

	// Messages.
	"postMessageReply": crm.PermMessagesIn, "listMessages": crm.PermMessagesRead,
}

// permissionOf returns the permission of rt from the permission table; ""
// for a public route. It panics on an authenticated route without an
// entry, so that no route is ever served without a permission check.
func permissionOf(rt route) crm.Permission {
	if rt.public {
		return ""
	}
	perm, ok := permissions[rt.op]
	if !ok {
		panic(fmt.Sprintf("httpapi: operation %s (%s) has no entry in the permission table (routes.go)", rt.op, rt.pattern()))
	}
	return perm
}
