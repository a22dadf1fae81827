package messages

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// OutcomeRecorder records a task's outcome with its Interaction;
// *lifecycle.Service implements it. A sent reminder closes its task
// through it (done, reached), so the call list no longer shows it.
type OutcomeRecorder interface {
	RecordOutcome(ctx context.Context, dealer crm.DealerID, id lifecycle.TaskID, o lifecycle.Outcome) (lifecycle.Task, crm.Interaction, error)
}

// Service plans, checks and sends a dealer's messages and takes the
// customers' replies. Create one with NewService; it is safe for
// concurrent use.
type Service struct {
	store     Store
	crm       *crm.Service
	sender    Sender
	templates *Templates
	tasks     lifecycle.TaskStore
	outcomes  OutcomeRecorder
	campaigns campaign.Store
	policy    Policy
	now       func() time.Time
	newID     func() string
	log       *slog.Logger
	recipient func(c *crm.Customer, ch crm.Channel) string
	reminder  func(t *lifecycle.Task) string
	campaign  func(c *campaign.Campaign) string
	// dispatching holds a *sync.Mutex per dealer: Dispatch runs one at a
	// time per dealer in this process, so that the frequency cap and the
	// reminder limit count what the other dispatcher just sent.
	dispatching sync.Map
}

// Option configures a Service.
type Option func(*Service)

// WithPolicy sets the checks' numbers (DefaultPolicy by default).
func WithPolicy(p Policy) Option { return func(s *Service) { s.policy = p } }

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDGenerator sets how send IDs are made (dealercrm.NewID by default).
func WithIDGenerator(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// WithLogger sets the logger of replies from unknown senders (slog's
// default by default).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithTasks lets Plan send the lifecycle tasks that are automatic
// reminders (tasks on Policy.AutoChannels) and the checks read a task's
// status at send time; outcomes, when not nil, closes a task whose
// reminder was sent (*lifecycle.Service).
func WithTasks(tasks lifecycle.TaskStore, outcomes OutcomeRecorder) Option {
	return func(s *Service) { s.tasks, s.outcomes = tasks, outcomes }
}

// WithCampaigns lets Plan send to the members of running campaigns and
// the checks read a member's holdout at send time.
func WithCampaigns(store campaign.Store) Option { return func(s *Service) { s.campaigns = store } }

// WithRecipients sets how a customer's address on a channel is found,
// read again at send time; an empty answer keeps the address the send
// was planned with. The default gives the mobile number for SMS and
// nothing for the other channels (a host sending by WeChat or e-mail
// supplies the open ID or address).
func WithRecipients(fn func(c *crm.Customer, ch crm.Channel) string) Option {
	return func(s *Service) { s.recipient = fn }
}

// WithReminderTemplates sets the template ID of a task's reminder; an ID
// not registered in the Templates leaves the task to staff. The default
// is the task's kind ("maintenance", "first_maintenance").
func WithReminderTemplates(fn func(t *lifecycle.Task) string) Option {
	return func(s *Service) { s.reminder = fn }
}

// WithCampaignTemplates sets the template ID of a campaign's message; an
// ID not registered leaves the campaign unsent. The default is
// "campaign:" and the campaign ID when such a template is registered,
// else "campaign:" and the campaign's kind.
func WithCampaignTemplates(fn func(c *campaign.Campaign) string) Option {
	return func(s *Service) { s.campaign = fn }
}

// NewService returns a Service keeping its sends in store, reading and
// writing the crm records (consent, interactions) through crmSvc and
// sending through sender with the templates registered in templates. A
// bad Policy is a *crm.ValidationError.
func NewService(store Store, crmSvc *crm.Service, sender Sender, templates *Templates, opts ...Option) (*Service, error) {
	s := &Service{store: store, crm: crmSvc, sender: sender, templates: templates, policy: DefaultPolicy(),
		now: time.Now, newID: dealercrm.NewID, log: slog.Default()}
	s.recipient = func(c *crm.Customer, ch crm.Channel) string {
		if ch == crm.ChannelSMS {
			return c.Mobile
		}
		return ""
	}
	s.reminder = func(t *lifecycle.Task) string { return string(t.Kind) }
	s.campaign = func(c *campaign.Campaign) string {
		if _, ok := s.templates.Get("campaign:" + string(c.ID)); ok {
			return "campaign:" + string(c.ID)
		}
		return "campaign:" + string(c.Kind)
	}
	for _, o := range opts {
		o(s)
	}
	if store == nil || crmSvc == nil || sender == nil || templates == nil {
		return nil, errors.New("messages: NewService needs a store, the crm service, a sender and templates")
	}
	if err := s.policy.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Policy returns the service's policy.
func (s *Service) Policy() Policy { return s.policy }

// Templates returns the service's template registry.
func (s *Service) Templates() *Templates { return s.templates }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Enqueue queues one message to be sent at s.Next (now when zero),
// besides those Plan makes: the caller sets the Message and optionally
// VehicleID, TaskID, TaskKey, Series and CampaignID; the rest is the
// service's. The template must be registered for the message's purpose.
// A send with the same Key exists already: it is returned with false.
// Bad input is a *crm.ValidationError.
func (s *Service) Enqueue(ctx context.Context, in Send) (Send, bool, error) {
	return s.enqueue(ctx, in, true)
}

// enqueue is Enqueue; a planned send (needRecipient false) may lack an
// address, and is refused for it when due unless one is found by then.
func (s *Service) enqueue(ctx context.Context, in Send, needRecipient bool) (Send, bool, error) {
	now := s.clock()
	var c crm.Checker
	in.Message.check(&c)
	if in.Recipient == "" && needRecipient {
		c.Add("recipient", crm.RuleRequired, "is required")
	}
	if t, ok := s.templates.Get(in.Template); in.Template != "" && !ok {
		c.Add("template", crm.RuleReference, "template %q is not registered", in.Template)
	} else if ok && t.Purpose != in.Purpose {
		c.Add("template", crm.RuleEnum, "template %q is for %s messages, not %s", in.Template, t.Purpose, in.Purpose)
	}
	if err := c.Err("message"); err != nil {
		return Send{}, false, err
	}
	snd := Send{ID: SendID(s.newID()), Message: in.Message, VehicleID: in.VehicleID, TaskID: in.TaskID, TaskKey: in.TaskKey,
		Series: in.Series, CampaignID: in.CampaignID, Status: StatusQueued, Next: in.Next.UTC(), CreatedAt: now, UpdatedAt: now}
	if snd.Next.IsZero() {
		snd.Next = now
	}
	out, created, err := s.store.Create(ctx, snd)
	if err != nil {
		return Send{}, false, fmt.Errorf("messages: enqueue %s: %w", in.Key, err)
	}
	return out, created, nil
}

// List returns the dealer's sends matching f, oldest first.
func (s *Service) List(ctx context.Context, dealer crm.DealerID, f Filter) (crm.Page[Send], error) {
	if err := f.Validate(); err != nil {
		return crm.Page[Send]{}, err
	}
	return s.store.List(ctx, dealer, f)
}

// Get returns one send, or ErrNotFound.
func (s *Service) Get(ctx context.Context, dealer crm.DealerID, id SendID) (Send, error) {
	return s.store.Get(ctx, dealer, id)
}

// PlanResult counts what Plan did.
type PlanResult struct {
	// Reminders and Campaign count the sends created for tasks and for
	// campaign members; Existing those planned before (same key).
	Reminders int `json:"reminders"`
	Campaign  int `json:"campaign"`
	Existing  int `json:"existing"`
	// Holdout counts the campaign members kept out as the holdout.
	Holdout int `json:"holdout"`
	// NoTemplate counts tasks and campaign members left unsent because
	// no template is registered for them.
	NoTemplate int `json:"no_template"`
}

// Plan queues the dealer's sends of day, safe to run twice (each send's
// key is its task's or campaign member's): (a) the automatic reminders —
// open tasks on one of Policy.AutoChannels whose due window contains day
// (key "task:" and the task key, series the task key without its
// reminder number); (b) the members of running campaigns whose dates
// contain day, contacted on one of Policy.AutoChannels, the holdout and
// the excluded left out (key "campaign:ID:customer"). Consent is checked
// again when each is sent (Dispatch).
func (s *Service) Plan(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (PlanResult, error) {
	var res PlanResult
	if !day.Valid() {
		var c crm.Checker
		c.Add("day", crm.RuleRequired, "must be a valid date")
		return res, c.Err("message plan")
	}
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return res, fmt.Errorf("messages: plan %s: %w", dealer, err)
	}
	customers := map[crm.CustomerID]*crm.Customer{}
	customer := func(id crm.CustomerID) (*crm.Customer, error) {
		if c, ok := customers[id]; ok {
			return c, nil
		}
		c, err := s.crm.GetCustomer(ctx, dealer, id)
		if errors.Is(err, dealercrm.ErrNotFound) {
			customers[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		customers[id] = &c
		return &c, nil
	}
	enqueue := func(snd Send, count *int) error {
		_, created, err := s.enqueue(ctx, snd, false)
		if err != nil {
			return err
		}
		if created {
			*count++
		} else {
			res.Existing++
		}
		return nil
	}
	if s.tasks != nil {
		f := lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen}, Channels: s.policy.AutoChannels,
			Due: crm.DateRange{From: day.AddDays(-366), To: day}}
		err := crm.Each(ctx, func(after string) (crm.Page[lifecycle.Task], error) {
			f.After = after
			return s.tasks.List(ctx, dealer, f)
		}, func(t *lifecycle.Task) error {
			if t.CustomerID == "" || t.WindowEnd.Before(day) {
				return nil
			}
			tpl, ok := s.templates.Get(s.reminder(t))
			if !ok {
				res.NoTemplate++
				return nil
			}
			c, err := customer(t.CustomerID)
			if err != nil || c == nil {
				return err
			}
			m := Message{DealerID: dealer, CustomerID: t.CustomerID, Channel: t.Channel, Purpose: tpl.Purpose, Consent: t.Purpose,
				Template: tpl.ID, Recipient: s.recipient(c, t.Channel), Key: "task:" + t.Key,
				Params: map[string]string{"customer": c.Name, "dealer": d.Name, "due": t.Due.String(), "anchor_date": t.AnchorDate.String()}}
			return enqueue(Send{Message: m, VehicleID: t.VehicleID, TaskID: t.ID, TaskKey: t.Key, Series: Series(t.Key)}, &res.Reminders)
		})
		if err != nil {
			return res, fmt.Errorf("messages: plan %s reminders: %w", dealer, err)
		}
	}
	if s.campaigns != nil {
		var cs []campaign.Campaign
		err := crm.Each(ctx, func(after string) (crm.Page[campaign.Campaign], error) {
			return s.campaigns.ListCampaigns(ctx, dealer, campaign.Filter{Status: campaign.Running, PageRequest: crm.PageRequest{After: after}})
		}, func(c *campaign.Campaign) error {
			if !day.Before(c.Start) && !day.After(c.End) {
				cs = append(cs, *c)
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("messages: plan %s campaigns: %w", dealer, err)
		}
		for i := range cs {
			c := &cs[i]
			tpl, hasTpl := s.templates.Get(s.campaign(c))
			err := crm.Each(ctx, func(after string) (crm.Page[campaign.Member], error) {
				return s.campaigns.ListMembers(ctx, dealer, c.ID, campaign.MemberFilter{PageRequest: crm.PageRequest{After: after}})
			}, func(mb *campaign.Member) error {
				switch {
				case mb.Holdout:
					res.Holdout++
					return nil
				case mb.Excluded != "" || !slices.Contains(s.policy.AutoChannels, mb.Channel):
					return nil
				case !hasTpl:
					res.NoTemplate++
					return nil
				}
				cu, err := customer(mb.CustomerID)
				if err != nil || cu == nil {
					return err
				}
				m := Message{DealerID: dealer, CustomerID: mb.CustomerID, Channel: mb.Channel, Purpose: tpl.Purpose, Consent: c.Purpose,
					Template: tpl.ID, Recipient: s.recipient(cu, mb.Channel), Key: "campaign:" + string(c.ID) + ":" + string(mb.CustomerID),
					Params: map[string]string{"customer": cu.Name, "dealer": d.Name, "campaign": c.Name}}
				return enqueue(Send{Message: m, CampaignID: c.ID}, &res.Campaign)
			})
			if err != nil {
				return res, fmt.Errorf("messages: plan %s campaign %s: %w", dealer, c.ID, err)
			}
		}
	}
	return res, nil
}

// Series returns the reminder series of a task key: the key without its
// last "|n" (the reminder number), so the reminders of one rule, subject
// and anchor share it.
func Series(taskKey string) string {
	if i := strings.LastIndexByte(taskKey, '|'); i > 0 {
		return taskKey[:i]
	}
	return taskKey
}
