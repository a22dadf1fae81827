package demo

import (
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// genComplaints writes a few complaints: open ones about recent visits,
// resolved ones after which the customer never came back, one in the last
// six months with no visit since, older closed ones, and one about a sale.
func (dg *dealerGen) genComplaints() {
	r := dg.r
	want := dg.scaled(7, 3)
	used := map[*orderPlan]bool{}
	add := func(op *orderPlan, status crm.ComplaintStatus) {
		used[op] = true
		op.o.Complaint = true
		opened := op.o.Date.AddDays(r.between(0, 2))
		if !opened.Before(dg.today) {
			opened = op.o.Date
		}
		cp := &complaintPlan{order: op, c: crm.Complaint{
			CustomerID: op.o.CustomerID, VehicleID: op.o.VehicleID,
			Category: pick(r, complaintCategories), Severity: crm.Severities()[r.weighted([]int{35, 40, 20, 5})],
			Status: status, Opened: opened,
		}}
		cp.c.Description = complaintText[cp.c.Category]
		if status == crm.ComplaintResolved || status == crm.ComplaintClosed {
			cp.c.Resolved = earlier(opened.AddDays(r.between(1, 14)), dg.today.AddDays(-1))
			cp.c.Resolved = later(cp.c.Resolved, opened)
		}
		dg.complaints = append(dg.complaints, cp)
	}
	// lastOrder returns the latest order of each vehicle matching keep.
	lastOrders := func(keep func(op *orderPlan) bool) []*orderPlan {
		var out []*orderPlan
		for _, v := range dg.vehs {
			if n := len(v.orders); n > 0 && keep(v.orders[n-1]) && !used[v.orders[n-1]] {
				out = append(out, v.orders[n-1])
			}
		}
		return out
	}
	take := func(ops []*orderPlan, n int, status func() crm.ComplaintStatus) {
		for range n {
			if len(ops) == 0 {
				return
			}
			k := r.n(len(ops))
			add(ops[k], status())
			ops = slices.Delete(ops, k, k+1)
		}
	}
	recent := lastOrders(func(op *orderPlan) bool { return !op.o.Date.Before(dg.today.AddDays(-25)) })
	take(recent, max(want/4, 1), func() crm.ComplaintStatus {
		return []crm.ComplaintStatus{crm.ComplaintOpen, crm.ComplaintInProgress}[r.n(2)]
	})
	gone := lastOrders(func(op *orderPlan) bool { a := op.veh.owner.arch; return a == atRisk || a == lapsed })
	take(gone, max(want/4, 1), func() crm.ComplaintStatus { return crm.ComplaintClosed })
	quiet := lastOrders(func(op *orderPlan) bool {
		return op.veh.owner.arch == loyal && op.o.Date.Before(dg.today.AddDays(-40)) && !op.o.Date.Before(dg.today.AddDays(-170))
	})
	take(quiet, max(want/4, 1), func() crm.ComplaintStatus { return crm.ComplaintResolved })
	var old []*orderPlan
	for _, op := range dg.orders {
		if !used[op] && op.o.Date.Before(dg.today.AddDays(-200)) {
			old = append(old, op)
		}
	}
	take(old, max(want-len(dg.complaints), 1), func() crm.ComplaintStatus {
		return []crm.ComplaintStatus{crm.ComplaintResolved, crm.ComplaintClosed}[r.n(2)]
	})
	for _, sp := range dg.sales {
		if d := sp.veh.v.DeliveryDate; d.After(dg.today.AddDays(-120)) && d.Before(dg.today.AddDays(-30)) {
			opened := d.AddDays(r.between(3, 20))
			dg.complaints = append(dg.complaints, &complaintPlan{c: crm.Complaint{
				CustomerID: sp.s.CustomerID, VehicleID: sp.s.VehicleID, Category: "销售承诺未兑现",
				Severity: crm.SeverityMedium, Status: crm.ComplaintResolved, Opened: opened,
				Resolved:    opened.AddDays(r.between(2, 10)),
				Description: "交车时承诺赠送的精品未安装，已补装并致歉",
			}})
			break
		}
	}
}

var complaintText = map[string]string{
	"维修质量":   "保养后仍有异响，需返修",
	"服务态度":   "接待人员态度冷淡，解释不清",
	"等待时间过长": "预约保养仍等待超过3小时",
	"收费争议":   "结算金额高于报价，未提前告知",
	"配件缺货":   "配件缺货，车辆滞留一周",
	"车辆质量问题": "空调制冷效果差，多次检查未解决",
}

// genInteractions writes the contact history the CR department keeps:
// 3DC/7DC/N+1 calls after delivery, service reminders and post-service
// calls, win-back calls to lapsed customers, insurance renewal calls,
// birthday messages and complaint follow-ups. Each respects the customer's
// consent for its purpose and channel.
func (dg *dealerGen) genInteractions() {
	r := dg.r
	yesterday := dg.today.AddDays(-1)
	horizon := dg.today.AddDays(-730)
	cr := func() crm.StaffID { return dg.pickStaff(r, RoleCR) }
	add := func(cp *custPlan, v *vehPlan, d date, ch crm.Channel, dir crm.Direction, purpose string, out crm.Outcome, note string, staff crm.StaffID) {
		if d.After(yesterday) || d.Before(horizon) {
			return
		}
		i := crm.Interaction{CustomerID: cp.ext(), Channel: ch, Direction: dir, Purpose: purpose, Outcome: out, Note: note, StaffID: staff, At: clock(d, dg.loc, r)}
		if v != nil {
			i.VehicleID = v.ext()
		}
		dg.interactions = append(dg.interactions, i)
	}
	phoneOutcome := func() crm.Outcome {
		return crm.Outcomes()[r.weighted([]int{75, 20, 5, 0})]
	}
	for _, sp := range dg.sales {
		v, cp := sp.veh, sp.veh.owner
		if !cp.c.Allows(crm.PurposeSurvey, crm.ChannelPhone) {
			continue
		}
		d := v.v.DeliveryDate
		add(cp, v, d.AddDays(3), crm.ChannelPhone, crm.Outbound, "3DC", phoneOutcome(), "交车3日回访：用车情况良好，讲解了首保里程", sp.s.ConsultantID)
		add(cp, v, d.AddDays(7), crm.ChannelPhone, crm.Outbound, "7DC", phoneOutcome(), "交车7日满意度回访", cr())
		if r.pct(70) {
			add(cp, v, d.AddMonths(1), crm.ChannelPhone, crm.Outbound, "n_plus_1_month", phoneOutcome(), "交车次月关怀，提醒首保时间", sp.s.ConsultantID)
		}
	}
	for _, op := range dg.orders {
		v, cp, o := op.veh, op.veh.owner, &op.o
		if o.Kind == crm.ServiceFirstMaintenance || o.Kind == crm.ServiceMaintenance {
			purpose := "maintenance_reminder"
			if o.Kind == crm.ServiceFirstMaintenance {
				purpose = "first_maintenance_reminder"
			}
			d := o.Date.AddDays(-r.between(5, 10))
			switch {
			case r.pct(15):
				add(cp, v, o.Date.AddDays(-r.between(1, 4)), crm.ChannelPhone, crm.Inbound, "service_booking", crm.OutcomeAppointment, "客户来电预约保养", o.AdvisorID)
			case cp.c.Allows(crm.PurposeServiceReminder, crm.ChannelSMS):
				add(cp, v, d, crm.ChannelSMS, crm.Outbound, purpose, crm.OutcomeReached, "保养到期提醒短信", cr())
			case cp.c.Allows(crm.PurposeServiceReminder, crm.ChannelPhone):
				add(cp, v, d, crm.ChannelPhone, crm.Outbound, purpose, crm.Outcomes()[r.weighted([]int{35, 15, 0, 50})], "电话提醒保养，已预约", o.AdvisorID)
			}
		}
		if !o.ClosedDate.IsZero() && cp.c.Allows(crm.PurposeSurvey, crm.ChannelPhone) && r.pct(85) {
			note, out := "维修后回访：客户满意", phoneOutcome()
			if o.Complaint {
				note, out = "维修后回访：客户不满意，已转投诉处理", crm.OutcomeReached
			}
			add(cp, v, o.ClosedDate.AddDays(2), crm.ChannelPhone, crm.Outbound, "post_service_follow_up", out, note, cr())
		}
	}
	// Win-back calls to customers who stopped coming.
	for _, cp := range dg.custs {
		if cp.stop.IsZero() || !cp.c.Allows(crm.PurposeServiceReminder, crm.ChannelPhone) {
			continue
		}
		v := cp.vehicles[len(cp.vehicles)-1]
		d := cp.stop.AddMonths(v.m.intervalMonths).AddDays(r.between(0, 20))
		for k := range r.between(1, 2) {
			note := []string{"电话无人接听", "客户表示已在外面修理厂保养", "客户表示近期工作忙，稍后再约"}[r.n(3)]
			out := []crm.Outcome{crm.OutcomeNoAnswer, crm.OutcomeRefused, crm.OutcomeReached}[r.n(3)]
			add(cp, v, d.AddDays(k*30), crm.ChannelPhone, crm.Outbound, "win_back", out, note, cr())
		}
	}
	// Renewal calls a month before each commercial policy ends.
	renewed := map[string]bool{}
	for _, p := range dg.policies {
		if p.Renewal {
			renewed[string(p.VehicleID)+p.Start.String()] = true
		}
	}
	byExt := map[crm.VehicleID]*vehPlan{}
	for _, v := range dg.vehs {
		byExt[v.ext()] = v
	}
	for _, p := range dg.policies {
		if p.Kind != crm.Commercial {
			continue
		}
		v := byExt[p.VehicleID]
		if !v.owner.c.Allows(crm.PurposeServiceReminder, crm.ChannelPhone) {
			continue
		}
		out, note := crm.OutcomeAppointment, "续保报价已发送，客户同意续保"
		if !renewed[string(p.VehicleID)+p.End.AddDays(1).String()] {
			out = []crm.Outcome{crm.OutcomeRefused, crm.OutcomeNoAnswer, crm.OutcomeReached}[r.n(3)]
			note = []string{"客户已在其他渠道投保", "电话无人接听", "客户考虑中，报价偏高"}[r.n(3)]
		}
		add(v.owner, v, p.End.AddDays(-30), crm.ChannelPhone, crm.Outbound, "insurance_renewal", out, note, cr())
	}
	for _, cp := range dg.custs {
		b := cp.c.Birthday
		if b.IsZero() || !cp.c.Allows(crm.PurposeMarketing, crm.ChannelSMS) {
			continue
		}
		bd := b.AddYears(dg.today.Year - b.Year)
		if !bd.Before(dg.today) {
			bd = bd.AddYears(-1)
		}
		if bd.After(cp.firstContact) {
			add(cp, nil, bd.AddDays(-1), crm.ChannelSMS, crm.Outbound, "birthday_care", crm.OutcomeReached, "生日祝福短信，附赠免费洗车券", cr())
		}
	}
	custByExt := map[crm.CustomerID]*custPlan{}
	for _, cp := range dg.custs {
		custByExt[cp.ext()] = cp
	}
	for _, c := range dg.complaints {
		if c.c.Resolved.IsZero() {
			continue
		}
		cp := custByExt[c.c.CustomerID]
		add(cp, byExt[c.c.VehicleID], c.c.Resolved.AddDays(1), crm.ChannelPhone, crm.Outbound, "complaint_follow_up", crm.OutcomeReached, "投诉处理回访：客户接受处理结果", cr())
	}
}

// genEvents writes the invitations to and attendance of the store's
// yearly events over the last two years.
func (dg *dealerGen) genEvents() {
	r := dg.r
	n := 0
	for year := dg.today.Year - 2; year <= dg.today.Year; year++ {
		for k, ev := range events {
			d := dealercrm.NewDate(year, time.Month(ev.month), ev.day)
			if d.Before(dg.today.AddDays(-730)) || d.After(dg.today.AddDays(-3)) {
				continue
			}
			id := crm.EventID(dg.site.code + "-EV-" + strconv.Itoa(year) + "-" + twoDigits(k+1))
			var cands []*custPlan
			for _, cp := range dg.custs {
				if dg.invites(cp, ev.audience, d) {
					cands = append(cands, cp)
				}
			}
			invites := min(len(cands), dg.scaled(r.between(12, 30), 3))
			for range invites {
				j := r.n(len(cands))
				cp := cands[j]
				cands = slices.Delete(cands, j, j+1)
				p := 35
				if cp.arch == loyal {
					p = 65
				}
				n++
				dg.participations = append(dg.participations, crm.EventParticipation{
					Record:     crm.Record{ExternalID: extID(dg.site.code, "EP", 5, n)},
					CustomerID: cp.ext(), EventID: id, EventName: strconv.Itoa(year) + " " + ev.name, Date: d, Attended: r.pct(p),
				})
			}
		}
	}
}

// invites reports whether the customer is in the event's audience on d.
func (dg *dealerGen) invites(cp *custPlan, a audience, d date) bool {
	if cp.firstContact.IsZero() || !cp.firstContact.Before(d) || !cp.active(d.AddDays(-60)) {
		return false
	}
	switch a {
	case audienceTravel:
		return slices.ContainsFunc(cp.c.Hobbies, func(h string) bool { return h == "自驾游" || h == "露营" || h == "摄影" || h == "登山" })
	case audienceFamily:
		return cp.c.FamilyStage == crm.YoungChildren || cp.c.FamilyStage == crm.SchoolChildren
	case audienceRepurchase:
		return slices.ContainsFunc(cp.vehicles, func(v *vehPlan) bool { return v.leftAt.IsZero() && d.DaysSince(v.v.DeliveryDate) >= 4*365 })
	case audienceTop:
		return cp.company || len(cp.vehicles) > 1 || slices.ContainsFunc(cp.vehicles, func(v *vehPlan) bool { return v.v.Price.IntPart() >= 230000 })
	}
	return true
}
