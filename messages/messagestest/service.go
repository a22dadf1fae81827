package messagestest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shanghai is the dealers' zone in the worked examples (UTC+8, no DST).
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Day is the first day of the worked examples, a Monday.
var Day = dealercrm.NewDate(2026, 5, 4)

// local returns the instant of day+days at hh:mm, dealer time.
func local(days, hh, mm int) time.Time {
	return time.Date(2026, 5, 4+days, hh, mm, 0, 0, Shanghai)
}

// Recorder is a Sender that keeps the messages it is given; Fail, when
// set, answers each call first (a nil answer lets it through).
type Recorder struct {
	mu   sync.Mutex
	Msgs []messages.Message
	Fail func(n int, m messages.Message) error
}

// Send implements messages.Sender.
func (r *Recorder) Send(_ context.Context, m messages.Message) (messages.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Msgs = append(r.Msgs, m)
	if r.Fail != nil {
		if err := r.Fail(len(r.Msgs), m); err != nil {
			return messages.Result{}, err
		}
	}
	return messages.Result{ProviderID: "gw-" + m.Key}, nil
}

// Sent returns a copy of the messages given so far.
func (r *Recorder) Sent() []messages.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]messages.Message(nil), r.Msgs...)
}

// Env is one worked example's world: a dealer in Shanghai with two
// customers who consented to reminders and marketing by SMS.
type Env struct {
	T         *testing.T
	Ctx       context.Context
	Stores    backend.Stores
	Clock     *testclock.Clock
	CRM       *crm.Service
	Lifecycle *lifecycle.Service
	Sender    *Recorder
	Svc       *messages.Service
	Dealer    crm.DealerID
	Wang, Li  crm.CustomerID
}

// Templates are the worked examples' templates.
func Templates() []messages.Template {
	return []messages.Template{
		{ID: "maintenance", Purpose: messages.PurposeReminder, Text: "{customer}您好，您的爱车将于{due}前到期保养，请致电预约。"},
		{ID: "first_maintenance", Purpose: messages.PurposeReminder, Text: "{customer}您好，您的爱车首保将到期，请预约。"},
		{ID: "spring_offer", Purpose: messages.PurposeMarketing, Text: "{customer}您好，春季保养八折。退订回T"},
		{ID: "campaign:direct_marketing", Purpose: messages.PurposeMarketing, Text: "{customer}您好，{campaign}火热进行中。退订回T"},
	}
}

// NewEnv builds an Env on stores at local(0, 9, 0).
func NewEnv(t *testing.T, stores backend.Stores) *Env {
	t.Helper()
	e := &Env{T: t, Ctx: context.Background(), Stores: stores, Clock: testclock.New(local(0, 9, 0)), Sender: &Recorder{}, Dealer: "msg-dealer"}
	e.Clock.Set(local(0, 9, 0))
	e.CRM = crm.NewService(stores.CRM, crm.WithClock(e.Clock.Now))
	var err error
	e.Lifecycle, err = lifecycle.NewService(e.CRM, stores.Tasks, lifecycle.WithClock(e.Clock.Now))
	require.NoError(t, err)
	tpls, err := messages.NewTemplates(Templates()...)
	require.NoError(t, err)
	e.Svc, err = messages.NewService(stores.Messages, e.CRM, e.Sender, tpls, messages.WithClock(e.Clock.Now),
		messages.WithLogger(slog.New(slog.DiscardHandler)), messages.WithTasks(stores.Tasks, e.Lifecycle), messages.WithCampaigns(stores.Campaigns))
	require.NoError(t, err)
	_, err = e.CRM.CreateDealer(e.Ctx, crm.Dealer{ID: e.Dealer, Name: "上海浦东4S店", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	consents := func() []crm.Consent {
		at := local(-30, 10, 0)
		return []crm.Consent{
			{Purpose: crm.PurposeServiceReminder, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "sales contract"},
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "sales contract"},
		}
	}
	wang, err := e.CRM.CreateCustomer(e.Ctx, e.Dealer, crm.Customer{Name: "王先生", Mobile: "13800138000", Consents: consents()})
	require.NoError(t, err)
	li, err := e.CRM.CreateCustomer(e.Ctx, e.Dealer, crm.Customer{Name: "李女士", Mobile: "13900139000", Consents: consents()})
	require.NoError(t, err)
	e.Wang, e.Li = wang.ID, li.ID
	return e
}

// At moves the clock.
func (e *Env) At(t time.Time) *Env { e.Clock.Set(t); return e }

// Task stores an open SMS task of kind for customer, due on due with a
// 7-day window, with key kind|c:customer|anchor|n.
func (e *Env) Task(kind lifecycle.Kind, customer crm.CustomerID, anchor dealercrm.Date, n int, due dealercrm.Date) lifecycle.Task {
	e.T.Helper()
	key := string(kind) + "|c:" + string(customer) + "|" + anchor.String() + "|" + string(rune('0'+n))
	t := lifecycle.Task{ID: lifecycle.TaskID(dealercrm.NewID()), DealerID: e.Dealer, Key: key, Kind: kind, CustomerID: customer,
		AnchorDate: anchor, Due: due, WindowEnd: due.AddDays(6), Channel: crm.ChannelSMS, Purpose: crm.PurposeServiceReminder,
		OwnerRole: lifecycle.RoleAdvisor, Reason: "worked example", Status: lifecycle.StatusOpen, CreatedAt: e.Clock.Now(), UpdatedAt: e.Clock.Now()}
	lost, err := e.Stores.Tasks.Apply(e.Ctx, e.Dealer, []lifecycle.Task{t}, nil)
	require.NoError(e.T, err)
	require.Empty(e.T, lost)
	return t
}

// Marketing queues a marketing SMS to customer with key.
func (e *Env) Marketing(customer crm.CustomerID, key string) messages.Send {
	e.T.Helper()
	s, created, err := e.Svc.Enqueue(e.Ctx, messages.Send{Message: messages.Message{DealerID: e.Dealer, CustomerID: customer,
		Channel: crm.ChannelSMS, Purpose: messages.PurposeMarketing, Template: "spring_offer",
		Params: map[string]string{"customer": "王先生"}, Recipient: "13800138000", Key: key}})
	require.NoError(e.T, err)
	require.True(e.T, created)
	return s
}

// Dispatch dispatches at t (the clock set to t too).
func (e *Env) Dispatch(t time.Time) messages.DispatchResult {
	e.T.Helper()
	e.Clock.Set(t)
	r, err := e.Svc.Dispatch(e.Ctx, e.Dealer, t)
	require.NoError(e.T, err)
	return r
}

// Get re-reads a send.
func (e *Env) Get(id messages.SendID) messages.Send {
	e.T.Helper()
	s, err := e.Svc.Get(e.Ctx, e.Dealer, id)
	require.NoError(e.T, err)
	return s
}

// Only returns the one send of the dealer with key.
func (e *Env) ByKey(key string) messages.Send {
	e.T.Helper()
	p, err := e.Svc.List(e.Ctx, e.Dealer, messages.Filter{})
	require.NoError(e.T, err)
	for _, s := range p.Items {
		if s.Key == key {
			return s
		}
	}
	e.T.Fatalf("no send with key %q", key)
	return messages.Send{}
}

// Interactions returns the customer's interactions.
func (e *Env) Interactions(customer crm.CustomerID) []crm.Interaction {
	e.T.Helper()
	p, err := e.CRM.ListInteractions(e.Ctx, e.Dealer, crm.InteractionFilter{CustomerID: customer})
	require.NoError(e.T, err)
	return p.Items
}

// RunServiceTests runs the worked examples of the send-time checks on the
// backend newStores returns, empty each time.
func RunServiceTests(t *testing.T, newStores func(t *testing.T) backend.Stores) {
	t.Run("quiet hours: a reminder planned 21:30 is held until 08:00 and sent then", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		task := e.Task(lifecycle.KindMaintenance, e.Wang, Day.AddDays(7), 1, Day)
		e.At(local(0, 21, 30))
		plan, err := e.Svc.Plan(e.Ctx, e.Dealer, Day)
		require.NoError(t, err)
		assert.Equal(t, 1, plan.Reminders, "the one SMS task due today")

		r := e.Dispatch(local(0, 21, 30))
		assert.Equal(t, messages.DispatchResult{Held: 1}, r)
		s := e.ByKey("task:" + task.Key)
		assert.Equal(t, messages.StatusHeld, s.Status)
		assert.Equal(t, messages.ReasonQuietHours, s.Reason)
		assert.Equal(t, "2026-05-05T08:00:00+08:00", s.ReasonParams["until"], "held until 08:00 the next morning, dealer time")
		assert.True(t, s.Next.Equal(local(1, 8, 0)), "next %s", s.Next)
		assert.Equal(t, "maintenance|c:"+string(e.Wang)+"|2026-05-11", s.Series)

		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(1, 7, 59)), "07:59 is still quiet: nothing due")
		assert.Empty(t, e.Sender.Sent())

		assert.Equal(t, messages.DispatchResult{Sent: 1}, e.Dispatch(local(1, 8, 0)))
		sent := e.Sender.Sent()
		require.Len(t, sent, 1)
		assert.Equal(t, messages.Message{DealerID: e.Dealer, CustomerID: e.Wang, Channel: crm.ChannelSMS, Purpose: messages.PurposeReminder,
			Consent: crm.PurposeServiceReminder, Template: "maintenance", Recipient: "13800138000", Key: "task:" + task.Key,
			Params: map[string]string{"customer": "王先生", "dealer": "上海浦东4S店", "due": "2026-05-04", "anchor_date": "2026-05-11"}}, sent[0])
		s = e.Get(s.ID)
		assert.Equal(t, messages.StatusSent, s.Status)
		assert.True(t, s.SentAt.Equal(local(1, 8, 0)))
		assert.Equal(t, 1, s.Attempts)
		assert.Equal(t, "gw-task:"+task.Key, s.Result.ProviderID)

		ins := e.Interactions(e.Wang)
		require.Len(t, ins, 1, "the send is recorded as an interaction")
		assert.Equal(t, s.InteractionID, ins[0].ID)
		assert.Equal(t, crm.Outbound, ins[0].Direction)
		assert.Equal(t, crm.ChannelSMS, ins[0].Channel)
		assert.Equal(t, crm.OutcomeReached, ins[0].Outcome)
		assert.Equal(t, task.Key, ins[0].TaskKey)
		assert.Equal(t, "maintenance", ins[0].Purpose)
		got, err := e.Stores.Tasks.Get(e.Ctx, e.Dealer, task.ID)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusDone, got.Status, "the sent reminder closes its task")

		plan, err = e.Svc.Plan(e.Ctx, e.Dealer, Day)
		require.NoError(t, err)
		assert.Equal(t, messages.PlanResult{}, plan, "planning again adds nothing: the task is done")
	})

	t.Run("frequency cap: a second marketing message 3 days after the first is held until day 7", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		first := e.At(local(0, 10, 0)).Marketing(e.Wang, "offer-1")
		assert.Equal(t, messages.DispatchResult{Sent: 1}, e.Dispatch(local(0, 10, 0)))
		second := e.At(local(3, 10, 0)).Marketing(e.Wang, "offer-2")
		assert.Equal(t, messages.DispatchResult{Held: 1}, e.Dispatch(local(3, 10, 0)))
		s := e.Get(second.ID)
		assert.Equal(t, messages.StatusHeld, s.Status)
		assert.Equal(t, messages.ReasonFrequencyCap, s.Reason)
		assert.Equal(t, map[string]string{"sent": "1", "max": "1", "days": "7", "until": "2026-05-11T10:00:00+08:00"}, s.ReasonParams,
			"one message per 7 days: the first (day 0, 10:00) leaves the window on day 7 at 10:00")
		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(7, 9, 59)))
		assert.Equal(t, messages.DispatchResult{Sent: 1}, e.Dispatch(local(7, 10, 0)))
		assert.Equal(t, messages.StatusSent, e.Get(second.ID).Status)
		assert.Equal(t, messages.StatusSent, e.Get(first.ID).Status)
		other := e.At(local(3, 10, 0)).Marketing(e.Li, "offer-li")
		e.Dispatch(local(3, 11, 0))
		assert.Equal(t, messages.StatusSent, e.Get(other.ID).Status, "the cap is per customer")
	})

	t.Run("consent is checked again at send time", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		s := e.At(local(0, 10, 0)).Marketing(e.Wang, "offer-1")
		_, err := e.At(local(0, 10, 5)).CRM.SetConsent(e.Ctx, e.Dealer, e.Wang, crm.Consent{Purpose: crm.PurposeMarketing,
			Channel: crm.ChannelSMS, Granted: false, At: local(0, 10, 5), Source: "phone call"})
		require.NoError(t, err)
		assert.Equal(t, messages.DispatchResult{Refused: 1}, e.Dispatch(local(0, 10, 10)))
		got := e.Get(s.ID)
		assert.Equal(t, messages.StatusRefused, got.Status)
		assert.Equal(t, messages.ReasonNoConsent, got.Reason)
		assert.Equal(t, map[string]string{"purpose": "marketing", "channel": "sms"}, got.ReasonParams)
		assert.True(t, got.Next.IsZero(), "a refused send is never tried again")
		assert.Empty(t, e.Sender.Sent(), "nothing reached the Sender")
		assert.Empty(t, e.Interactions(e.Wang), "no attempt, no interaction")
		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(1, 10, 0)))
	})

	t.Run("a reminder whose task closed after planning is refused", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		task := e.Task(lifecycle.KindMaintenance, e.Wang, Day.AddDays(7), 1, Day)
		_, err := e.At(local(0, 7, 0)).Svc.Plan(e.Ctx, e.Dealer, Day)
		require.NoError(t, err)
		_, err = e.Lifecycle.Cancel(e.Ctx, e.Dealer, task.ID, "serviced this morning")
		require.NoError(t, err)
		assert.Equal(t, messages.DispatchResult{Refused: 1}, e.Dispatch(local(0, 9, 0)))
		s := e.ByKey("task:" + task.Key)
		assert.Equal(t, messages.ReasonTaskClosed, s.Reason)
		assert.Equal(t, "cancelled", s.ReasonParams["status"])
		assert.Empty(t, e.Sender.Sent())
	})

	t.Run("opt-out by 退订 withdraws the channel's marketing consent", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		at := local(0, 10, 0)
		res, err := e.At(at).Svc.Inbound(e.Ctx, e.Dealer, messages.Reply{From: "+86 138-0013-8000", Text: " 退订 ", At: at})
		require.NoError(t, err)
		assert.Equal(t, messages.InboundResult{OptOut: true, Customers: []crm.CustomerID{e.Wang}, Withdrawn: []crm.CustomerID{e.Wang}}, res)
		c, err := e.CRM.GetCustomer(e.Ctx, e.Dealer, e.Wang)
		require.NoError(t, err)
		assert.False(t, c.Allows(crm.PurposeMarketing, crm.ChannelSMS), "marketing by SMS withdrawn")
		assert.True(t, c.Allows(crm.PurposeServiceReminder, crm.ChannelSMS), "reminders stay")
		for _, cs := range c.Consents {
			if cs.Purpose == crm.PurposeMarketing {
				assert.Equal(t, "sms_reply", cs.Source)
				assert.True(t, cs.At.Equal(at), "recorded at the reply's time")
			}
		}
		ins := e.Interactions(e.Wang)
		require.Len(t, ins, 1)
		assert.Equal(t, crm.Inbound, ins[0].Direction)
		assert.Equal(t, " 退订 ", ins[0].Note)

		s := e.At(local(0, 11, 0)).Marketing(e.Wang, "offer-1")
		assert.Equal(t, messages.DispatchResult{Refused: 1}, e.Dispatch(local(0, 11, 0)))
		assert.Equal(t, messages.ReasonNoConsent, e.Get(s.ID).Reason, "the next marketing send is refused")

		for _, text := range []string{"你好", "TT"} {
			res, err = e.Svc.Inbound(e.Ctx, e.Dealer, messages.Reply{From: "13900139000", Text: text, At: at})
			require.NoError(t, err)
			assert.Equal(t, messages.InboundResult{Customers: []crm.CustomerID{e.Li}, Withdrawn: []crm.CustomerID{}}, res, "%q is no opt-out", text)
		}
		res, err = e.Svc.Inbound(e.Ctx, e.Dealer, messages.Reply{From: "13700137000", Text: "td", At: at})
		require.NoError(t, err)
		assert.Equal(t, messages.InboundResult{OptOut: true, Customers: []crm.CustomerID{}, Withdrawn: []crm.CustomerID{}}, res, "an unknown sender changes nothing")
		li, err := e.CRM.GetCustomer(e.Ctx, e.Dealer, e.Li)
		require.NoError(t, err)
		assert.True(t, li.Allows(crm.PurposeMarketing, crm.ChannelSMS))
	})

	t.Run("the holdout of a campaign is never sent to", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		c := campaign.Campaign{ID: "camp-1", DealerID: e.Dealer, Name: "春季保养节", Kind: campaign.DirectMarketing, Purpose: crm.PurposeMarketing,
			Channels: []crm.Channel{crm.ChannelSMS}, Status: campaign.Running, Start: Day, End: Day.AddDays(30), Budget: decimal.NewFromInt(1000),
			Holdout: 0.5, Seed: 7, CreatedAt: local(-1, 9, 0), UpdatedAt: local(-1, 9, 0)}
		require.NoError(t, e.Stores.Campaigns.CreateCampaign(e.Ctx, &c))
		require.NoError(t, e.Stores.Campaigns.FreezeAudience(e.Ctx, e.Dealer, c.ID, local(-1, 9, 0), []campaign.Member{
			{DealerID: e.Dealer, CampaignID: c.ID, CustomerID: e.Wang, Segment: "all", Channel: crm.ChannelSMS},
			{DealerID: e.Dealer, CampaignID: c.ID, CustomerID: e.Li, Segment: "all", Channel: crm.ChannelSMS, Holdout: true},
		}))
		plan, err := e.At(local(0, 9, 0)).Svc.Plan(e.Ctx, e.Dealer, Day)
		require.NoError(t, err)
		assert.Equal(t, messages.PlanResult{Campaign: 1, Holdout: 1}, plan, "Wang is queued, Li is the holdout")
		assert.Equal(t, messages.DispatchResult{Sent: 1}, e.Dispatch(local(0, 10, 0)))
		sent := e.Sender.Sent()
		require.Len(t, sent, 1)
		assert.Equal(t, e.Wang, sent[0].CustomerID)
		assert.Equal(t, "campaign:camp-1:"+string(e.Wang), sent[0].Key)
		assert.Equal(t, "春季保养节", sent[0].Params["campaign"])
		ins := e.Interactions(e.Wang)
		require.Len(t, ins, 1)
		assert.Equal(t, "campaign:camp-1", ins[0].Purpose)

		// A send queued for the holdout member by other means is refused.
		s, _, err := e.Svc.Enqueue(e.Ctx, messages.Send{CampaignID: c.ID, Message: messages.Message{DealerID: e.Dealer, CustomerID: e.Li,
			Channel: crm.ChannelSMS, Purpose: messages.PurposeMarketing, Template: "campaign:direct_marketing", Recipient: "13900139000", Key: "by-hand"}})
		require.NoError(t, err)
		assert.Equal(t, messages.DispatchResult{Refused: 1}, e.Dispatch(local(0, 11, 0)))
		got := e.Get(s.ID)
		assert.Equal(t, messages.ReasonHoldout, got.Reason)
		assert.Equal(t, map[string]string{"campaign": "camp-1"}, got.ReasonParams)
		assert.Len(t, e.Sender.Sent(), 1, "Li never reached the Sender")
		assert.Empty(t, e.Interactions(e.Li))
	})

	t.Run("at most two automatic reminders per plan rule: the third is refused", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		anchor := Day.AddDays(7)
		var keys []string
		for n := 1; n <= 3; n++ {
			due := Day.AddDays(30 * (n - 1))
			task := e.Task(lifecycle.KindFirstMaintenance, e.Wang, anchor, n, due)
			keys = append(keys, "task:"+task.Key)
			plan, err := e.At(local(30*(n-1), 9, 0)).Svc.Plan(e.Ctx, e.Dealer, due)
			require.NoError(t, err)
			assert.Equal(t, 1, plan.Reminders, "reminder %d planned", n)
			e.Dispatch(local(30*(n-1), 10, 0))
		}
		assert.Equal(t, messages.StatusSent, e.ByKey(keys[0]).Status)
		assert.Equal(t, messages.StatusSent, e.ByKey(keys[1]).Status)
		third := e.ByKey(keys[2])
		assert.Equal(t, messages.StatusRefused, third.Status)
		assert.Equal(t, messages.ReasonReminderLimit, third.Reason)
		assert.Equal(t, map[string]string{"sent": "2", "max": "2", "series": "first_maintenance|c:" + string(e.Wang) + "|2026-05-11"}, third.ReasonParams)
		assert.Len(t, e.Sender.Sent(), 2, "two reminders reached the Sender")
	})

	t.Run("erasing a customer clears their sends and stops the pending ones", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		e.CRM.AddPersonalData(e.Svc)
		sent := e.At(local(0, 10, 0)).Marketing(e.Wang, "offer-1")
		e.Dispatch(local(0, 10, 0))
		held := e.At(local(1, 10, 0)).Marketing(e.Wang, "offer-2")
		e.Dispatch(local(1, 10, 0))
		require.Equal(t, messages.StatusHeld, e.Get(held.ID).Status, "held by the frequency cap")
		exported, err := e.Svc.ExportCustomer(e.Ctx, e.Dealer, e.Wang)
		require.NoError(t, err)
		assert.Len(t, exported, 2, "both sends are exported")
		require.NoError(t, e.Svc.EraseCustomer(e.Ctx, e.Dealer, e.Wang))
		got := e.Get(sent.ID)
		assert.Equal(t, messages.StatusSent, got.Status, "what was sent stays for the books")
		assert.Empty(t, got.Recipient)
		assert.Empty(t, got.Params)
		got = e.Get(held.ID)
		assert.Equal(t, messages.StatusRefused, got.Status)
		assert.Equal(t, messages.ReasonGone, got.Reason)
		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(9, 10, 0)), "the held one is never sent")
		require.NoError(t, e.Svc.EraseCustomer(e.Ctx, e.Dealer, e.Wang), "erasing again is harmless")
	})

	t.Run("concurrent dispatchers send a message once", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		for i := range 3 {
			e.At(local(0, 10, 0)).Marketing([]crm.CustomerID{e.Wang, e.Li, e.Wang}[i], "offer-"+string(rune('a'+i)))
		}
		var wg sync.WaitGroup
		results := make([]messages.DispatchResult, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.Svc.Dispatch(e.Ctx, e.Dealer, local(0, 10, 0))
				assert.NoError(t, err)
				results[i] = r
			}()
		}
		wg.Wait()
		var total messages.DispatchResult
		for _, r := range results {
			total.Sent += r.Sent
			total.Held += r.Held
		}
		assert.Equal(t, messages.DispatchResult{Sent: 2, Held: 1}, total,
			"Wang's first offer and Li's sent, Wang's second held by the cap: each send worked by one dispatcher")
		assert.Len(t, e.Sender.Sent(), 2, "no message reached the Sender twice")
	})

	t.Run("the runner dispatches every dealer", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		e.At(local(0, 10, 0)).Marketing(e.Wang, "offer-1")
		r, err := (&messages.Runner{Service: e.Svc}).Tick(e.Ctx)
		require.NoError(t, err)
		assert.Equal(t, messages.DispatchResult{Sent: 1}, r)
	})

	t.Run("a failed send is retried with the same key and succeeds once", func(t *testing.T) {
		e := NewEnv(t, newStores(t))
		e.Sender.Fail = func(n int, _ messages.Message) error {
			if n == 1 {
				return errors.New("gateway: 503")
			}
			return nil
		}
		s := e.At(local(0, 10, 0)).Marketing(e.Wang, "offer-1")
		assert.Equal(t, messages.DispatchResult{Failed: 1}, e.Dispatch(local(0, 10, 0)))
		got := e.Get(s.ID)
		assert.Equal(t, messages.StatusFailed, got.Status)
		assert.Equal(t, 1, got.Attempts)
		assert.Equal(t, "gateway: 503", got.Error)
		assert.True(t, got.Next.Equal(local(0, 10, 1)), "retried a minute later, next %s", got.Next)
		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(0, 10, 0).Add(30*time.Second)), "not before")
		assert.Equal(t, messages.DispatchResult{Sent: 1}, e.Dispatch(local(0, 10, 1)))
		got = e.Get(s.ID)
		assert.Equal(t, messages.StatusSent, got.Status)
		assert.Equal(t, 2, got.Attempts)
		assert.Empty(t, got.Error)
		sent := e.Sender.Sent()
		require.Len(t, sent, 2)
		assert.Equal(t, sent[0].Key, sent[1].Key, "the retry carries the same idempotency key")
		assert.Equal(t, messages.DispatchResult{}, e.Dispatch(local(1, 10, 0)), "sent once: nothing more")
		ins := e.Interactions(e.Wang)
		require.Len(t, ins, 2, "each attempt is an interaction")
		outcomes := []crm.Outcome{ins[0].Outcome, ins[1].Outcome}
		assert.ElementsMatch(t, []crm.Outcome{crm.OutcomeNoAnswer, crm.OutcomeReached}, outcomes)

		e.Sender.Fail = func(int, messages.Message) error {
			return errors.Join(messages.ErrUndeliverable, errors.New("empty number"))
		}
		bad := e.At(local(8, 10, 0)).Marketing(e.Wang, "offer-2")
		assert.Equal(t, messages.DispatchResult{Failed: 1}, e.Dispatch(local(8, 10, 0)))
		assert.True(t, e.Get(bad.ID).Next.IsZero(), "an undeliverable message is not retried")
	})
}
