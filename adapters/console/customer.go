package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// Search: a mobile number is looked up by the store's index, a name by the
// customers' Name filter, a plate by the vehicles' Plate filter (both
// substrings, answered by the store). It finds at most searchResults
// customers.
const (
	searchResults = 50
	// listed is how many rows a section of the 360 page shows (the newest).
	listed = 20
)

type customerHit struct {
	Name, Phone, URL, Kind string
}

type customersData struct {
	Query    string
	Hits     []customerHit
	Searched bool
}

// customersPage is the customer search of 客户360: by mobile, name or plate.
func (h *handler) customersPage(q *req) error {
	text := strings.TrimSpace(q.r.URL.Query().Get("q"))
	d := customersData{Query: text}
	if text != "" {
		cs, err := h.search(q, text)
		if err != nil {
			return err
		}
		d.Searched = true
		for _, c := range cs {
			d.Hits = append(d.Hits, customerHit{Name: c.Name, Phone: q.phone(c.Mobile), Kind: q.word("customer_kind", string(c.Kind)),
				URL: h.cfg.prefix + "customers/" + url.PathEscape(string(c.ID))})
		}
	}
	return q.show("customers", q.view("console.customers.title", "customers"), d)
}

// search finds at most searchResults of the dealer's customers: the one
// whose mobile is text, else those whose name contains it, then those who
// own a vehicle whose plate contains it (crm.PlateKey). Merged customers
// are left out.
func (h *handler) search(q *req, text string) ([]crm.Customer, error) {
	ctx, dealer := q.r.Context(), q.p.Dealer
	if m := crm.NormalizeMobile(text); crm.CheckMobile(m) {
		p, err := h.svc.CRM.ListCustomers(ctx, dealer, crm.CustomerFilter{Mobile: m, PageRequest: crm.PageRequest{Limit: searchResults}})
		return p.Items, err
	}
	var out []crm.Customer
	seen := map[crm.CustomerID]bool{}
	add := func(c *crm.Customer) error {
		if c.MergedInto == "" && !seen[c.ID] {
			out, seen[c.ID] = append(out, *c), true
		}
		if len(out) >= searchResults {
			return errEnough
		}
		return nil
	}
	err := crm.Each(ctx, func(after string) (crm.Page[crm.Customer], error) {
		return h.svc.CRM.ListCustomers(ctx, dealer, crm.CustomerFilter{Name: text, PageRequest: crm.PageRequest{After: after, Limit: searchResults}})
	}, add)
	if err == nil && crm.PlateKey(text) != "" {
		err = crm.Each(ctx, func(after string) (crm.Page[crm.Vehicle], error) {
			return h.svc.CRM.ListVehicles(ctx, dealer, crm.VehicleFilter{Plate: text, PageRequest: crm.PageRequest{After: after, Limit: searchResults}})
		}, func(v *crm.Vehicle) error {
			if v.OwnerID == "" || seen[v.OwnerID] {
				return nil
			}
			c, err := h.svc.CRM.GetCustomer(ctx, dealer, v.OwnerID)
			if errors.Is(err, dealercrm.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			return add(&c)
		})
	}
	// Text a filter refuses (longer than crm.MaxSearchText, a control
	// character) matches nobody: the page says so rather than failing.
	var ve *crm.ValidationError
	if errors.Is(err, errEnough) || errors.As(err, &ve) {
		err = nil
	}
	return out, err
}

// errEnough stops a search's walk once it has searchResults customers.
var errEnough = errors.New("console: enough search results")

// The 360 page's rows, every text rendered.
type (
	customerData struct {
		ID, Name, Phone, Kind, Region, Birthday, Consultant, Advisor string
		Channels                                                     []string
		Consents                                                     []consentRow
		ShowRecords                                                  bool
		Vehicles                                                     []vehicleRow
		Service                                                      []serviceRow
		ShowLoyalty                                                  bool
		Member                                                       *memberBox
		Ledger                                                       []entryRow
		ShowGrade                                                    bool
		Grade                                                        *gradeBox
		ShowSurveys                                                  bool
		Surveys                                                      []surveyRow
		Interactions                                                 []interactionRow
		Complaints                                                   []complaintRow
		ShowTasks                                                    bool
		Tasks                                                        []taskRow
	}
	consentRow struct {
		Purpose string
		Cells   []consentCell
	}
	consentCell struct {
		Class, Text string
	}
	vehicleRow struct {
		Plate, Model, VIN, Delivered, Stage, StageReason string
		Plan                                             []string
	}
	serviceRow struct {
		Date, Kind, Odometer, Amount, Payer, Plate string
	}
	memberBox struct {
		Tier, Status, ValidUntil string
		Redeemable, Cumulative   int64
		URL                      string
	}
	entryRow struct {
		Date, Kind, Reason string
		Points, Cumulative int64
	}
	gradeBox struct {
		Grade, Score, Period string
		Top                  []string
		History              []string
	}
	surveyRow struct {
		Date, Score, Comment, Answers string
	}
	interactionRow struct {
		At, Channel, Purpose, Outcome, Note, Staff string
	}
	complaintRow struct {
		Opened, Category, Severity, Status, Description string
	}
)

// customerPage is 客户360: everything the dealer knows of one customer,
// each section shown when the principal's roles allow it. A customer of
// another dealer is not found.
func (h *handler) customerPage(q *req) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	id := crm.CustomerID(q.r.PathValue("id"))
	c, err := h.svc.CRM.GetCustomer(ctx, dealer, id)
	if err != nil {
		return err
	}
	today, err := h.svc.Lifecycle.Today(ctx, dealer)
	if err != nil {
		return err
	}
	loc, err := h.location(ctx, dealer)
	if err != nil {
		return err
	}
	d := customerData{ID: string(c.ID), Name: c.Name, Phone: q.phone(c.Mobile), Kind: q.word("customer_kind", string(c.Kind)),
		Region:     strings.Join(nonEmpty(c.Region.Province, c.Region.City, c.Region.District), " "),
		Consultant: string(c.ConsultantID), Advisor: string(c.AdvisorID)}
	if !c.Birthday.IsZero() {
		d.Birthday = c.Birthday.String()
	}
	q.consents(&d, &c)
	if q.p.Can(crm.PermRecordsRead) {
		d.ShowRecords = true
		if err := h.vehicles(q, &d, id, today); err != nil {
			return err
		}
	}
	if h.svc.Loyalty != nil && q.p.Can(crm.PermLoyaltyRead) {
		d.ShowLoyalty = true
		if err := h.points(q, &d, id); err != nil {
			return err
		}
	}
	if h.svc.Grading != nil && q.p.Can(crm.PermGradingRead) {
		d.ShowGrade = true
		if err := h.grade(q, &d, id); err != nil {
			return err
		}
	}
	if h.svc.Satisfaction != nil && q.p.Can(crm.PermSurveysRead) {
		d.ShowSurveys = true
		if err := h.surveys(q, &d, id); err != nil {
			return err
		}
	}
	is, err := crm.All(ctx, func(after string) (crm.Page[crm.Interaction], error) {
		return h.svc.CRM.ListInteractions(ctx, dealer, crm.InteractionFilter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(is, func(a, b crm.Interaction) int { return b.At.Compare(a.At) })
	for _, i := range is[:min(len(is), listed)] {
		d.Interactions = append(d.Interactions, interactionRow{At: i.At.In(loc).Format("2006-01-02 15:04"), Channel: q.word("channel", string(i.Channel)),
			Purpose: q.purpose(i.Purpose), Outcome: q.word("outcome", string(i.Outcome)), Note: i.Note, Staff: string(i.StaffID)})
	}
	cs, err := crm.All(ctx, func(after string) (crm.Page[crm.Complaint], error) {
		return h.svc.CRM.ListComplaints(ctx, dealer, crm.ComplaintFilter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(cs, func(a, b crm.Complaint) int { return cmp.Compare(b.Opened.String(), a.Opened.String()) })
	for _, x := range cs[:min(len(cs), listed)] {
		d.Complaints = append(d.Complaints, complaintRow{Opened: x.Opened.String(), Category: x.Category, Severity: q.word("severity", string(x.Severity)),
			Status: q.word("complaint_status", string(x.Status)), Description: x.Description})
	}
	if q.p.Can(crm.PermTasksRead) {
		d.ShowTasks = true
		f := lifecycle.TaskFilter{CustomerID: id, Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue},
			PageRequest: crm.PageRequest{Limit: listed}}
		if err := lifecycle.ScopeTasks(q.p, &f); err == nil {
			p, err := h.svc.Lifecycle.ListTasks(ctx, dealer, f)
			if err != nil {
				return err
			}
			for _, t := range p.Items {
				d.Tasks = append(d.Tasks, taskRow{ID: string(t.ID), Kind: q.word("kind", string(t.Kind)), Reason: q.say(t.ReasonCode, t.ReasonParams, t.Reason),
					Window: q.T("console.tasks.window", "due", t.Due.String(), "end", t.WindowEnd.String()), Overdue: t.Status == lifecycle.StatusOverdue})
			}
		}
	}
	v := q.view("console.customers.title", "customers")
	v.Title = v.T("console.customers.title") + " · " + c.Name
	return q.show("customer", v, d)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// location is the dealer's time zone.
func (h *handler) location(ctx context.Context, dealer crm.DealerID) (*time.Location, error) {
	d, err := h.svc.CRM.GetDealer(ctx, dealer)
	if err != nil {
		return nil, err
	}
	return d.Location(), nil
}

// purpose renders an interaction's purpose: a task kind's name, a known
// purpose's, else the text as recorded.
func (q *req) purpose(p string) string {
	for _, prefix := range []string{"kind", "console.purpose", "purpose"} {
		if _, ok := q.h.cat.Template(q.lang, prefix+"."+p); ok {
			return q.h.cat.Render(q.lang, prefix+"."+p, nil)
		}
	}
	return p
}

// consents fills the consent matrix: purposes by channels.
func (q *req) consents(d *customerData, c *crm.Customer) {
	chans := crm.Channels()
	for _, ch := range chans {
		d.Channels = append(d.Channels, q.word("channel", string(ch)))
	}
	for _, p := range crm.Purposes() {
		row := consentRow{Purpose: q.word("purpose", string(p))}
		for _, ch := range chans {
			cell := consentCell{Class: "muted", Text: q.T("console.customer.unknown")}
			for _, cs := range c.Consents {
				if cs.Purpose == p && cs.Channel == ch {
					if cs.Granted {
						cell = consentCell{Class: "yes", Text: q.T("console.customer.granted")}
					} else {
						cell = consentCell{Class: "no", Text: q.T("console.customer.withdrawn")}
					}
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		d.Consents = append(d.Consents, row)
	}
}

// vehicles fills the vehicles with their stage and next planned tasks,
// and the service history.
func (h *handler) vehicles(q *req, d *customerData, id crm.CustomerID, today dealercrm.Date) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	vs, err := crm.All(ctx, func(after string) (crm.Page[crm.Vehicle], error) {
		return h.svc.CRM.ListVehicles(ctx, dealer, crm.VehicleFilter{OwnerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	plates := map[crm.VehicleID]string{}
	for _, v := range vs[:min(len(vs), listed)] {
		plates[v.ID] = v.Plate
		row := vehicleRow{Plate: v.Plate, Model: strings.Join(nonEmpty(v.Brand, v.Model, v.Trim), " "), VIN: v.VIN}
		if !v.DeliveryDate.IsZero() {
			row.Delivered = v.DeliveryDate.String()
		}
		plan, err := h.svc.Lifecycle.PlanFor(ctx, dealer, v.ID, today)
		if err != nil && !errors.Is(err, dealercrm.ErrNotFound) && dealercrm.ErrorCode(err) != dealercrm.FailedPrecondition {
			return err
		}
		if err == nil {
			row.Stage = q.word("stage", string(plan.Stage.Stage))
			row.StageReason = q.say(plan.Stage.ReasonCode, plan.Stage.ReasonParams, plan.Stage.Reason)
			for _, t := range plan.Tasks {
				if t.Due.Before(today) || len(row.Plan) >= 4 {
					continue
				}
				row.Plan = append(row.Plan, t.Due.String()+" "+q.word("kind", string(t.Kind)))
			}
		}
		d.Vehicles = append(d.Vehicles, row)
	}
	os, err := crm.All(ctx, func(after string) (crm.Page[crm.ServiceOrder], error) {
		return h.svc.CRM.ListServiceOrders(ctx, dealer, crm.ServiceOrderFilter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(os, func(a, b crm.ServiceOrder) int { return cmp.Compare(b.Date.String(), a.Date.String()) })
	for _, o := range os[:min(len(os), listed)] {
		d.Service = append(d.Service, serviceRow{Date: o.Date.String(), Kind: q.word("service_kind", string(o.Kind)),
			Odometer: strconv.FormatInt(o.OdometerKM, 10), Amount: o.Total().StringFixed(2), Payer: q.word("payer", string(o.Payer)),
			Plate: plates[o.VehicleID]})
	}
	return nil
}

// points fills the membership box and the newest ledger entries.
func (h *handler) points(q *req, d *customerData, id crm.CustomerID) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	m, err := h.svc.Loyalty.Member(ctx, dealer, id)
	if errors.Is(err, dealercrm.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	d.Member = &memberBox{Tier: q.word("tier", string(m.Membership.Tier)), Status: q.word("member_status", string(m.Membership.Status)),
		Redeemable: m.Balances.Points, Cumulative: m.Balances.Cumulative, URL: h.cfg.prefix + "members/" + url.PathEscape(string(id))}
	if !m.Membership.ValidUntil.IsZero() {
		d.Member.ValidUntil = m.Membership.ValidUntil.String()
	}
	es, err := h.ledger(q, id, dealercrm.Date{})
	d.Ledger = es[:min(len(es), listed)]
	return err
}

// ledger returns a customer's ledger entries up to until (all when zero),
// newest first.
func (h *handler) ledger(q *req, id crm.CustomerID, until dealercrm.Date) ([]entryRow, error) {
	ctx, dealer := q.r.Context(), q.p.Dealer
	items, err := crm.All(ctx, func(after string) (crm.Page[loyalty.Entry], error) {
		return h.svc.Loyalty.Entries(ctx, dealer, id, loyalty.EntryFilter{Until: until, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return nil, err
	}
	var out []entryRow
	for i := len(items) - 1; i >= 0; i-- {
		e := items[i]
		out = append(out, entryRow{Date: e.Date.String(), Kind: q.word("entry_kind", string(e.Kind)), Reason: e.Reason,
			Points: e.Points, Cumulative: e.Cumulative})
	}
	return out, nil
}

// grade fills the grade box: the grade, its explanation and history.
func (h *handler) grade(q *req, d *customerData, id crm.CustomerID) error {
	g, err := h.svc.Grading.Customer(q.r.Context(), q.p.Dealer, id)
	if errors.Is(err, dealercrm.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	b := &gradeBox{Grade: string(g.State.Grade), Score: strconv.FormatFloat(g.State.Score, 'f', 1, 64), Period: g.State.Period.String()}
	for _, c := range g.State.Top {
		b.Top = append(b.Top, fmt.Sprintf("%s +%.1f", q.word("metric", string(c.Metric)), c.Points))
	}
	for i := len(g.History) - 1; i >= 0 && len(b.History) < listed; i-- {
		ch := g.History[i]
		move := string(ch.New)
		if ch.Old != "" {
			move = string(ch.Old) + " → " + move
		}
		sep := "："
		if q.lang == i18n.English {
			sep = ": "
		}
		b.History = append(b.History, ch.Period.String()+" "+move+sep+q.say(ch.ReasonCode, ch.ReasonParams, ch.Reason))
	}
	d.Grade = b
	return nil
}

// surveys fills the customer's survey answers.
func (h *handler) surveys(q *req, d *customerData, id crm.CustomerID) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	rs, err := crm.All(ctx, func(after string) (crm.Page[satisfaction.Response], error) {
		return h.svc.Satisfaction.ListResponses(ctx, dealer, satisfaction.ResponseFilter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(rs, func(a, b satisfaction.Response) int { return cmp.Compare(b.Date.String(), a.Date.String()) })
	// The questions' texts, read once per questionnaire.
	items := map[satisfaction.QuestionnaireID]map[string]string{}
	for _, r := range rs[:min(len(rs), listed)] {
		texts, ok := items[r.QuestionnaireID]
		if !ok {
			texts = map[string]string{}
			qn, err := h.svc.Satisfaction.GetQuestionnaire(ctx, dealer, r.QuestionnaireID)
			if err != nil && !errors.Is(err, dealercrm.ErrNotFound) {
				return err
			}
			for _, it := range qn.Items {
				texts[it.ID] = it.Text
			}
			items[r.QuestionnaireID] = texts
		}
		var as []string
		for _, a := range r.Answers {
			q := texts[a.ItemID]
			if q == "" {
				q = a.ItemID
			}
			as = append(as, q+" "+strconv.Itoa(a.Value))
		}
		d.Surveys = append(d.Surveys, surveyRow{Date: r.Date.String(), Score: strconv.FormatFloat(r.Score, 'f', 1, 64), Comment: r.Comment,
			Answers: strings.Join(as, "；")})
	}
	return nil
}
