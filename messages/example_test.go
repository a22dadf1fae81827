package messages_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/messages"
)

// ExampleService plans a maintenance reminder at 21:30, holds it through
// quiet hours and sends it at 08:00 through the log sender; then the
// customer replies 退订.
func ExampleService() {
	ctx := context.Background()
	zone := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 5, 4, 21, 30, 0, 0, zone)
	clock := func() time.Time { return now }
	stores := memory.NewStores()
	crmSvc := crm.NewService(stores.CRM, crm.WithClock(clock))
	lc, _ := lifecycle.NewService(crmSvc, stores.Tasks, lifecycle.WithClock(clock))
	tpls, _ := messages.NewTemplates(messages.Template{ID: "maintenance", Purpose: messages.PurposeReminder,
		Text: "{customer}您好，您的爱车将于{anchor_date}到期保养，请致电预约。"})
	svc, _ := messages.NewService(stores.Messages, crmSvc, messages.NewLogSender(os.Stdout, tpls), tpls,
		messages.WithClock(clock), messages.WithTasks(stores.Tasks, lc))

	_, _ = crmSvc.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "浦东4S店"})
	c, _ := crmSvc.CreateCustomer(ctx, "d1", crm.Customer{ID: "c1", Name: "王先生", Mobile: "13800138000", Consents: []crm.Consent{
		{Purpose: crm.PurposeServiceReminder, Channel: crm.ChannelSMS, Granted: true, At: now.AddDate(0, -1, 0), Source: "sales contract"}}})
	day := dealercrm.NewDate(2026, 5, 4)
	_, _ = stores.Tasks.Apply(ctx, "d1", []lifecycle.Task{{ID: "t1", DealerID: "d1", Key: "maintenance|c:c1|2026-05-11|1",
		Kind: lifecycle.KindMaintenance, CustomerID: c.ID, AnchorDate: day.AddDays(7), Due: day, WindowEnd: day.AddDays(6),
		Channel: crm.ChannelSMS, Purpose: crm.PurposeServiceReminder, OwnerRole: lifecycle.RoleAdvisor, Status: lifecycle.StatusOpen}}, nil)

	plan, _ := svc.Plan(ctx, "d1", day)
	fmt.Println("planned:", plan.Reminders)
	r, _ := svc.Dispatch(ctx, "d1", now)
	fmt.Println("21:30 held:", r.Held)
	now = time.Date(2026, 5, 5, 8, 0, 0, 0, zone)
	r, _ = svc.Dispatch(ctx, "d1", now)
	fmt.Println("08:00 sent:", r.Sent)

	res, _ := svc.Inbound(ctx, "d1", messages.Reply{From: "13800138000", Text: "退订"})
	fmt.Println("opt-out:", res.OptOut, res.Withdrawn)
	// Output:
	// planned: 1
	// 21:30 held: 1
	// 短信 sms → 138****8000 客户 c1 模板 maintenance 参数 anchor_date=2026-05-11 customer=王先生 dealer=浦东4S店 due=2026-05-04 键 task:maintenance|c:c1|2026-05-11|1 「王先生您好，您的爱车将于2026-05-11到期保养，请致电预约。」
	// 08:00 sent: 1
	// opt-out: true [c1]
}
