package demo

import (
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/messages"
)

// MessageTemplates returns the demo's message templates (package
// messages): a reminder for each kind of the default plan that may be
// sent by SMS — template ID the task kind, the default of
// messages.WithReminderTemplates — and one per campaign kind
// ("campaign:" and the kind), the marketing and care ones with the
// opt-out hint 退订回T. The parameters are those messages.Service.Plan
// gives: customer, dealer, due, anchor_date, campaign.
func MessageTemplates() []messages.Template {
	reminders := map[lifecycle.Kind]string{
		lifecycle.KindFirstMaintenance: "【{dealer}】{customer}您好，您的爱车首次保养将于{anchor_date}到期，请致电预约。",
		lifecycle.KindMaintenance:      "【{dealer}】{customer}您好，您的爱车定期保养将于{anchor_date}到期，请致电预约。",
		lifecycle.KindAnnualInspection: "【{dealer}】{customer}您好，您的爱车年检将于{anchor_date}到期，可到店代办。",
		lifecycle.KindWarrantyExpiry:   "【{dealer}】{customer}您好，您的爱车整车质保将于{anchor_date}到期，欢迎到店检测。",
	}
	var out []messages.Template
	for _, k := range []lifecycle.Kind{lifecycle.KindFirstMaintenance, lifecycle.KindMaintenance, lifecycle.KindAnnualInspection, lifecycle.KindWarrantyExpiry} {
		out = append(out, messages.Template{ID: string(k), Purpose: messages.PurposeReminder, Text: reminders[k]})
	}
	out = append(out,
		messages.Template{ID: string(lifecycle.KindInsuranceRenewal), Purpose: messages.PurposeMarketing,
			Text: "【{dealer}】{customer}您好，您的车险将于{anchor_date}到期，续保请致电。退订回T"},
		messages.Template{ID: string(lifecycle.KindMembershipRenewal), Purpose: messages.PurposeMarketing,
			Text: "【{dealer}】{customer}您好，您的会员将于{anchor_date}到期，续费享好礼。退订回T"},
		messages.Template{ID: string(lifecycle.KindBirthdayCare), Purpose: messages.PurposeCare,
			Text: "【{dealer}】{customer}您好，祝您生日快乐！退订回T"},
		messages.Template{ID: string(lifecycle.KindHolidayCare), Purpose: messages.PurposeCare,
			Text: "【{dealer}】{customer}您好，佳节将至，祝您节日快乐！退订回T"},
	)
	for _, k := range campaign.Kinds() {
		p := messages.PurposeMarketing
		if k == campaign.Care {
			p = messages.PurposeCare
		}
		out = append(out, messages.Template{ID: "campaign:" + string(k), Purpose: p, Text: "【{dealer}】{customer}您好，{campaign}火热进行中，欢迎到店。退订回T"})
	}
	return out
}
