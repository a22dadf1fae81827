// Package messages implements the messages of SPEC §8: the automatic
// reminders of the touchpoint plan and the sends of running campaigns go
// through a Sender port the host implements for its SMS gateway, WeCom,
// WeChat or e-mail — never straight to a vendor — and each is checked
// when it is sent, not only when it was planned.
//
// Main types:
//
//   - Message (channel, purpose, template ID and parameters, recipient,
//     idempotency key) and Sender, the port; LogSender writes one
//     readable line per message (the example server shows with it what
//     would be sent today).
//   - Templates, the registry of the host's templates: a marketing or
//     care template without the opt-out hint 退订回T (OptOutHint) is
//     refused when registered.
//   - Policy and Policy.Check, the send-time checks as a pure function,
//     in this order: a campaign's holdout is never sent to; consent for
//     the purpose and channel as the customer record says now; quiet
//     hours (21:00–08:00 in the dealer's zone) hold reminders, marketing
//     and care until 08:00; the frequency cap (one marketing message per
//     customer per 7 days) holds further ones until it frees; at most two
//     automatic reminders per plan rule, subject and anchor (SPEC §2.2).
//     Each outcome is a reason code (ReasonQuietHours, …) with parameters.
//   - Send, the record of one message (status queued, held until Next,
//     sent, failed with a retry at Next, refused with a reason; attempts),
//     kept in a Store: one send per idempotency key. messagestest is the
//     conformance suite every backend runs.
//   - Service: Plan queues a day's sends from the lifecycle tasks on an
//     automatic channel and the members of running campaigns (the
//     holdout left out); Dispatch sends what is due through the Sender,
//     checks first, records each attempt as a crm.Interaction and
//     retries failures with backoff under the same key; Inbound takes
//     replies, and "T", "TD" or "退订" withdraw that channel's marketing
//     consent (source sms_reply). RunDay is the daily job (jobs.Messages);
//     a Runner dispatches every few minutes in process, so that held
//     messages go out soon after 08:00.
//
// A short example, on the memory backend:
//
//	stores := memory.NewStores()
//	crmSvc := crm.NewService(stores.CRM)
//	tpls, _ := messages.NewTemplates(messages.Template{ID: "maintenance", Purpose: messages.PurposeReminder,
//		Text: "{customer}您好，您的爱车将于{due}到期保养，请预约。"})
//	svc, _ := messages.NewService(stores.Messages, crmSvc, messages.NewLogSender(os.Stdout, tpls), tpls,
//		messages.WithTasks(stores.Tasks, lifecycleSvc), messages.WithCampaigns(stores.Campaigns))
//	svc.Plan(ctx, dealer, today)
//	svc.Dispatch(ctx, dealer, time.Now())
package messages
