package console

import (
	"errors"
	"net/url"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// membersPerPage is how many members the 会员 list shows at once.
const membersPerPage = 50

type membersData struct {
	Query    string
	Rows     []memberRow
	Next     string
	Searched bool
}

type memberRow struct {
	Name, Phone, Tier, Status, ValidUntil, URL string
}

// membersPage is 会员: the club's members, or those among the customers a
// search finds (by mobile, name or plate, as on 客户360).
func (h *handler) membersPage(q *req) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	qs := q.r.URL.Query()
	text := strings.TrimSpace(qs.Get("q"))
	d := membersData{Query: text}
	f := loyalty.MembershipFilter{PageRequest: crm.PageRequest{After: qs.Get("after"), Limit: membersPerPage}}
	names := map[crm.CustomerID]crm.Customer{}
	if text != "" {
		cs, err := h.search(q, text)
		if err != nil {
			return err
		}
		d.Searched = true
		if len(cs) == 0 {
			return q.show("members", q.view("console.members.title", "members"), d)
		}
		for _, c := range cs {
			f.CustomerIDs = append(f.CustomerIDs, c.ID)
			names[c.ID] = c
		}
	}
	p, err := h.svc.Loyalty.ListMemberships(ctx, dealer, f)
	if err != nil {
		return err
	}
	for _, m := range p.Items {
		c, ok := names[m.CustomerID]
		if !ok {
			c, err = h.svc.CRM.GetCustomer(ctx, dealer, m.CustomerID)
			if err != nil && !errors.Is(err, dealercrm.ErrNotFound) {
				return err
			}
		}
		row := memberRow{Name: c.Name, Phone: q.phone(c.Mobile), Tier: q.word("tier", string(m.Tier)), Status: q.word("member_status", string(m.Status)),
			URL: h.cfg.prefix + "members/" + url.PathEscape(string(m.CustomerID))}
		if row.Name == "" {
			row.Name = string(m.CustomerID)
		}
		if !m.ValidUntil.IsZero() {
			row.ValidUntil = m.ValidUntil.String()
		}
		d.Rows = append(d.Rows, row)
	}
	if p.Next != "" {
		d.Next = h.cfg.prefix + "members?q=" + url.QueryEscape(text) + "&after=" + url.QueryEscape(p.Next)
	}
	return q.show("members", q.view("console.members.title", "members"), d)
}

type memberData struct {
	Name, Phone, CustomerURL  string
	Box                       memberBox
	AsOf                      string
	Statement                 string
	Balances                  loyalty.Balances
	StTier, StStatus, StUntil string
	Lots                      []lotRow
	Ledger                    []entryRow
}

type lotRow struct {
	Earned, Expires   string
	Points, Remaining int64
}

// memberPage is one member: tier and balances, the ledger and the
// statement as of a date (as_of, today by default): balances, lots and
// the membership on that day.
func (h *handler) memberPage(q *req) error {
	ctx, dealer := q.r.Context(), q.p.Dealer
	id := crm.CustomerID(q.r.PathValue("id"))
	c, err := h.svc.CRM.GetCustomer(ctx, dealer, id)
	if err != nil {
		return err
	}
	m, err := h.svc.Loyalty.Member(ctx, dealer, id)
	if err != nil {
		return err
	}
	asOf, err := h.svc.Loyalty.Today(ctx, dealer)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(q.r.URL.Query().Get("as_of")); s != "" {
		if asOf, err = dealercrm.ParseDate(s); err != nil {
			var ch crm.Checker
			ch.Add("as_of", crm.RuleFormat, "must be a date YYYY-MM-DD, got %q", s)
			return ch.Err("statement")
		}
	}
	st, err := h.svc.Loyalty.Statement(ctx, dealer, id, asOf)
	if err != nil {
		return err
	}
	d := memberData{Name: c.Name, Phone: q.phone(c.Mobile), CustomerURL: h.cfg.prefix + "customers/" + url.PathEscape(string(id)),
		Box: memberBox{Tier: q.word("tier", string(m.Membership.Tier)), Status: q.word("member_status", string(m.Membership.Status)),
			Redeemable: m.Balances.Points, Cumulative: m.Balances.Cumulative},
		AsOf: asOf.String(), Statement: q.T("console.members.statement", "date", asOf.String()), Balances: st.Balances,
		StTier: q.word("tier", string(st.Tier)), StStatus: q.word("member_status", string(st.Status))}
	if !m.Membership.ValidUntil.IsZero() {
		d.Box.ValidUntil = m.Membership.ValidUntil.String()
	}
	if !st.ValidUntil.IsZero() {
		d.StUntil = st.ValidUntil.String()
	}
	for _, l := range st.Lots {
		r := lotRow{Earned: l.EarnedOn.String(), Points: l.Points, Remaining: l.Remaining}
		if !l.ExpiresOn.IsZero() {
			r.Expires = l.ExpiresOn.String()
		}
		d.Lots = append(d.Lots, r)
	}
	if d.Ledger, err = h.ledger(q, id, asOf); err != nil {
		return err
	}
	v := q.view("console.members.title", "members")
	v.Title = v.T("console.members.title") + " · " + c.Name
	return q.show("member", v, d)
}
