package console

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// boardLeads bounds the open leads the board reads: a store has a few
// hundred; past this the board says how many it shows.
const boardLeads = 2000

type leadsData struct {
	Columns []leadColumn
	Lost    []lostRow
	// CanDecide shows the approve/reject forms; NeedStaff asks a key
	// without a staff member for the deciding manager's ID.
	CanDecide bool
	NeedStaff bool
	Shown     string
}

type leadColumn struct {
	Level, Title string
	Leads        []leadCard
}

type leadCard struct {
	ID, Name, Phone, Model, Next, Expected, Consultant, Note string
	Stale, Overdue                                           bool
}

type lostRow struct {
	ID, Name, Level, Reason, Note, By, At string
}

// leadsPage is 线索: the open leads by intent level with their next
// follow-up and stale flags, and the lost requests awaiting a manager. A
// principal without crm.PermAllLeads (a consultant) sees only their own
// leads (crm.Principal.ScopeLeads), filtered by the store, not the page.
func (h *handler) leadsPage(q *req) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	f := crm.LeadFilter{Status: crm.LeadOpen}
	if err := q.p.ScopeLeads(&f); err != nil {
		return err
	}
	var leads []crm.Lead
	after := ""
	for len(leads) < boardLeads {
		f.PageRequest = crm.PageRequest{After: after, Limit: crm.MaxLimit}
		p, err := h.svc.CRM.ListLeads(ctx, dealer, f)
		if err != nil {
			return err
		}
		leads = append(leads, p.Items...)
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	leads = leads[:min(len(leads), boardLeads)]
	dl, err := h.svc.CRM.GetDealer(ctx, dealer)
	if err != nil {
		return err
	}
	policy, loc, now := dl.Policy(), dl.Location(), h.svc.CRM.Now()
	d := leadsData{CanDecide: q.p.Can(crm.PermDecideLost), NeedStaff: q.p.Staff == "", Shown: q.T("console.leads.shown", "n", strconv.Itoa(len(leads)))}
	cols := map[crm.IntentLevel]*leadColumn{}
	var order []crm.IntentLevel
	for _, lv := range crm.IntentLevels() {
		order = append(order, lv)
		cols[lv] = &leadColumn{Level: string(lv), Title: q.T("console.leads.level", "level", string(lv))}
	}
	// Soonest follow-up first, those without one last.
	slices.SortStableFunc(leads, func(a, b crm.Lead) int {
		switch {
		case a.NextFollowUpAt.IsZero() && b.NextFollowUpAt.IsZero():
			return strings.Compare(string(a.ID), string(b.ID))
		case a.NextFollowUpAt.IsZero():
			return 1
		case b.NextFollowUpAt.IsZero():
			return -1
		}
		return a.NextFollowUpAt.Compare(b.NextFollowUpAt)
	})
	for i := range leads {
		l := &leads[i]
		c := leadCard{ID: string(l.ID), Name: l.Name, Phone: q.phone(l.Mobile), Model: l.ModelOfInterest,
			Consultant: string(l.ConsultantID), Stale: l.Stale(policy, now)}
		if !l.NextFollowUpAt.IsZero() {
			c.Next = l.NextFollowUpAt.In(loc).Format("2006-01-02 15:04")
			c.Overdue = l.NextFollowUpAt.Before(now)
		}
		if !l.ExpectedClose.IsZero() {
			c.Expected = l.ExpectedClose.String()
		}
		if n := len(l.FollowUps); n > 0 {
			c.Note = l.FollowUps[n-1].Note
		}
		col, ok := cols[l.Level]
		if !ok {
			col = &leadColumn{Level: string(l.Level), Title: q.T("console.leads.level", "level", string(l.Level))}
			cols[l.Level], order = col, append(order, l.Level)
		}
		col.Leads = append(col.Leads, c)
		if lr, ok := l.PendingLostRequest(); ok {
			d.Lost = append(d.Lost, lostRow{ID: string(l.ID), Name: l.Name, Level: string(l.Level), Reason: q.word("lost_reason", string(lr.Reason)),
				Note: lr.Note, By: string(lr.RequestedBy), At: lr.RequestedAt.In(loc).Format("2006-01-02 15:04")})
		}
	}
	for _, lv := range order {
		if c := cols[lv]; len(c.Leads) > 0 {
			d.Columns = append(d.Columns, *c)
		}
	}
	return q.show("leads", q.view("console.leads.title", "leads"), d)
}

// decideLost approves or rejects a lead's pending lost request: POST
// leads/{id}/lost-decision with decision (approve or reject), note and,
// for a key without a staff member, decided_by. The decider must be a
// manager other than the requester (crm.Service.DecideLost).
func (h *handler) decideLost(q *req) (flash, error) {
	ctx, dealer := q.r.Context(), q.p.Dealer
	id := crm.LeadID(q.r.PathValue("id"))
	l, err := h.svc.CRM.GetLead(ctx, dealer, id)
	if err != nil {
		return flash{}, err
	}
	if err := q.p.CheckLead(&l); err != nil {
		return flash{}, err
	}
	by, err := q.p.Actor("decided_by", crm.StaffID(q.r.PostFormValue("decided_by")))
	if err != nil {
		return flash{}, err
	}
	approve := q.r.PostFormValue("decision") == "approve"
	if !approve && q.r.PostFormValue("decision") != "reject" {
		var ch crm.Checker
		ch.Add("decision", crm.RuleEnum, "must be approve or reject")
		return flash{}, ch.Err("lost decision")
	}
	if _, err := h.svc.CRM.DecideLost(ctx, dealer, id, approve, by, strings.TrimSpace(q.r.PostFormValue("note"))); err != nil {
		return flash{}, err
	}
	if approve {
		return flash{Code: "console.flash.lost_approved"}, nil
	}
	return flash{Code: "console.flash.lost_rejected"}, nil
}
