package messages

import (
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// DefaultTemplates returns Chinese message templates for the default
// plan and campaigns, a start for a dealership that has none of its own
// (cmd/dealercrm serve and the example server use them): a reminder for each kind of the default plan that may be
// sent by SMS — template ID the task kind, the default of
// messages.WithReminderTemplates — and one per campaign kind
// ("campaign:" and the kind), the marketing and care ones with the
// opt-out hint 退订回T. The parameters are those messages.Service.Plan
// gives: customer, dealer, due, anchor_date, campaign.
func DefaultTemplates() []Template {
	reminders := map[lifecycle.Kind]string{
		lifecycle.KindFirstMaintenance: "【{dealer}】{customer}您好，您的爱车首次保养将于{anchor_date}到期，请致电预约。",
		lifecycle.KindMaintenance:      "【{dealer}】{customer}您好，您的爱车定期保养将于{anchor_date}到期，请致电预约。",
		lifecycle.KindAnnualInspection: "【{dealer}】{customer}您好，您的爱车年检将于{anchor_date}到期，可到店代办。",
		lifecycle.KindWarrantyExpiry:   "【{dealer}】{customer}您好，您的爱车整车质保将于{anchor_date}到期，欢迎到店检测。",
	}
	var out []Template
	for _, k := range []lifecycle.Kind{lifecycle.KindFirstMaintenance, lifecycle.KindMaintenance, lifecycle.KindAnnualInspection, lifecycle.KindWarrantyExpiry} {
		out = append(out, Template{ID: string(k), Purpose: PurposeReminder, Text: reminders[k]})
	}
	out = append(out,
		Template{ID: string(lifecycle.KindInsuranceRenewal), Purpose: PurposeMarketing,
			Text: "【{dealer}】{customer}您好，您的车险将于{anchor_date}到期，续保请致电。退订回T"},
		Template{ID: string(lifecycle.KindMembershipRenewal), Purpose: PurposeMarketing,
			Text: "【{dealer}】{customer}您好，您的会员将于{anchor_date}到期，续费享好礼。退订回T"},
		Template{ID: string(lifecycle.KindBirthdayCare), Purpose: PurposeCare,
			Text: "【{dealer}】{customer}您好，祝您生日快乐！退订回T"},
		Template{ID: string(lifecycle.KindHolidayCare), Purpose: PurposeCare,
			Text: "【{dealer}】{customer}您好，佳节将至，祝您节日快乐！退订回T"},
	)
	for _, k := range campaign.Kinds() {
		p := PurposeMarketing
		if k == campaign.Care {
			p = PurposeCare
		}
		out = append(out, Template{ID: "campaign:" + string(k), Purpose: p, Text: "【{dealer}】{customer}您好，{campaign}火热进行中，欢迎到店。退订回T"})
	}
	return out
}
