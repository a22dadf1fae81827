package messages

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// DispatchResult counts what Dispatch did, by the sends' new status.
type DispatchResult struct {
	Sent    int `json:"sent"`
	Held    int `json:"held"`
	Refused int `json:"refused"`
	Failed  int `json:"failed"`
}

// dispatchBatch is how many due sends Dispatch reads at a time.
const dispatchBatch = 100

// errNotDue aborts the claim of a send another dispatcher took.
var errNotDue = errors.New("messages: send no longer due")

// Dispatch sends the dealer's sends due at now (queued, held until now or
// before, failed with a retry due), each after the checks of
// Policy.Check with the facts as they stand now: the customer's consent
// and address read again, the campaign member's holdout, the task's
// status, the sent messages counted. A held send waits until its Until
// (08:00 after quiet hours); a refused one stops with its reason; a send
// that reaches the Sender is recorded as a crm.Interaction (outcome
// reached, or no_answer when the Sender failed) — for a task through
// OutcomeRecorder, which closes the task when sent. A Sender error is
// retried at now plus Policy.backoff, with the same key, until
// MaxAttempts. Dispatch is safe to run concurrently: a send is claimed
// for Policy.Lease before it is sent, so that no message reaches the
// Sender twice from two dispatchers; in one process a dealer's
// dispatches run one at a time, so the frequency cap and the reminder
// limit see what the other just sent (two replicas dispatching one
// dealer at the same instant may each pass the cap for one customer).
// Hosts call it every few minutes
// (Runner), so that held messages go out soon after 08:00.
func (s *Service) Dispatch(ctx context.Context, dealer crm.DealerID, now time.Time) (DispatchResult, error) {
	var res DispatchResult
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return res, fmt.Errorf("messages: dispatch %s: %w", dealer, err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	mu, _ := s.dispatching.LoadOrStore(dealer, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	var errs []error
	for {
		due, err := s.store.Due(ctx, dealer, now, dispatchBatch)
		if err != nil {
			return res, fmt.Errorf("messages: dispatch %s: %w", dealer, err)
		}
		for _, snd := range due {
			st, err := s.dispatch(ctx, &d, snd, now)
			if errors.Is(err, errNotDue) {
				continue
			}
			switch st {
			case StatusSent:
				res.Sent++
			case StatusHeld:
				res.Held++
			case StatusRefused:
				res.Refused++
			case StatusFailed:
				res.Failed++
			}
			if err != nil {
				if st == "" {
					return res, fmt.Errorf("messages: dispatch %s: %w", snd.ID, err)
				}
				errs = append(errs, fmt.Errorf("messages: send %s: %w", snd.ID, err))
			}
		}
		if len(due) < dispatchBatch {
			return res, errors.Join(errs...)
		}
	}
}

// dispatch works one due send: claims it, checks it, sends it. It
// returns the send's new status, or "" with the error that stopped it
// before any change; an error with a status is one of recording the
// interaction, after the send was recorded.
func (s *Service) dispatch(ctx context.Context, d *crm.Dealer, snd Send, now time.Time) (Status, error) {
	claimed, err := s.store.Update(ctx, d.ID, snd.ID, func(x *Send) error {
		if x.Next.IsZero() || x.Next.After(now) || x.Status == StatusSent || x.Status == StatusRefused {
			return errNotDue
		}
		x.Next, x.UpdatedAt = now.Add(s.policy.Lease), now
		return nil
	})
	if err != nil {
		return "", err
	}
	f, err := s.facts(ctx, d, &claimed, now)
	if err != nil {
		return "", err
	}
	dec := s.policy.Check(&claimed, f)
	if !dec.Go {
		_, err := s.store.Update(ctx, d.ID, snd.ID, func(x *Send) error {
			x.Status, x.Reason, x.ReasonParams, x.Next, x.UpdatedAt = dec.Status, dec.Reason, dec.Params, dec.Until.UTC(), now
			return nil
		})
		if err != nil {
			return "", err
		}
		return dec.Status, nil
	}
	m := claimed.Message
	m.Recipient = f.Recipient
	m.Params = claimed.Clone().Params
	res, sendErr := s.sender.Send(ctx, m)
	status := StatusSent
	if sendErr != nil {
		status = StatusFailed
	}
	in, inErr := s.interaction(ctx, &claimed, res, sendErr, now)
	_, err = s.store.Update(ctx, d.ID, snd.ID, func(x *Send) error {
		x.Attempts++
		x.Status, x.Recipient, x.UpdatedAt, x.Reason, x.ReasonParams = status, m.Recipient, now, "", nil
		if in.ID != "" {
			x.InteractionID = in.ID
		}
		if sendErr == nil {
			x.Result, x.SentAt, x.Next, x.Error = res, now, time.Time{}, ""
			return nil
		}
		x.Error, x.Next = sendErr.Error(), time.Time{}
		if x.Attempts < s.policy.MaxAttempts && !errors.Is(sendErr, ErrUndeliverable) {
			x.Next = now.Add(s.policy.backoff(x.Attempts))
		}
		return nil
	})
	if err != nil {
		return "", errors.Join(err, inErr)
	}
	return status, inErr
}

// facts gathers what the checks read for snd at now.
func (s *Service) facts(ctx context.Context, d *crm.Dealer, snd *Send, now time.Time) (Facts, error) {
	f := Facts{Now: now, Zone: d.Location()}
	c, err := s.crm.GetCustomer(ctx, d.ID, snd.CustomerID)
	switch {
	case errors.Is(err, dealercrm.ErrNotFound):
	case err != nil:
		return f, err
	default:
		f.Customer = &c
		f.Recipient = s.recipient(&c, snd.Channel)
	}
	if f.Recipient == "" {
		f.Recipient = snd.Recipient
	}
	if snd.CampaignID != "" && s.campaigns != nil {
		ms, err := s.campaigns.CustomerMembers(ctx, d.ID, snd.CustomerID)
		if err != nil {
			return f, err
		}
		i := slices.IndexFunc(ms, func(m campaign.Member) bool { return m.CampaignID == snd.CampaignID })
		f.NotContacted = i < 0 || !ms[i].Contacted()
	}
	if snd.TaskID != "" && s.tasks != nil {
		t, err := s.tasks.Get(ctx, d.ID, snd.TaskID)
		switch {
		case errors.Is(err, lifecycle.ErrTaskNotFound):
			f.TaskStatus = lifecycle.StatusCancelled
		case err != nil:
			return f, err
		default:
			f.TaskStatus = t.Status
		}
	}
	if p := s.policy; p.CapMax > 0 && slices.Contains(p.CapPurposes, snd.Purpose) {
		since := now.Add(-time.Duration(p.CapDays) * 24 * time.Hour)
		ts, err := s.store.SentTimes(ctx, d.ID, SentQuery{CustomerID: snd.CustomerID, Purposes: p.CapPurposes, Since: since})
		if err != nil {
			return f, err
		}
		// The window is the CapDays up to now, its start excluded: a
		// message sent exactly CapDays ago frees the cap.
		f.Capped = slices.DeleteFunc(ts, func(t time.Time) bool { return t.After(now) || !t.After(since) })
	}
	if snd.Series != "" && s.policy.MaxReminders > 0 {
		ts, err := s.store.SentTimes(ctx, d.ID, SentQuery{Series: snd.Series})
		if err != nil {
			return f, err
		}
		f.SeriesSent = len(ts)
	}
	return f, nil
}

// interaction records an attempt that reached the Sender as a
// crm.Interaction: a sent reminder through the OutcomeRecorder (closing
// its task), the rest directly. Its purpose is the task's kind, else
// "campaign:ID", else the template.
func (s *Service) interaction(ctx context.Context, snd *Send, res Result, sendErr error, at time.Time) (crm.Interaction, error) {
	outcome, note := crm.OutcomeReached, "模板 "+snd.Template+" 已发送 sent"
	if res.ProviderID != "" {
		note += " (" + res.ProviderID + ")"
	}
	if sendErr != nil {
		outcome, note = crm.OutcomeNoAnswer, "模板 "+snd.Template+" 发送失败 failed: "+sendErr.Error()
	}
	note = strings.ToValidUTF8(note, "?")
	if r := []rune(note); len(r) > 1000 {
		note = string(r[:1000])
	}
	if snd.TaskID != "" && sendErr == nil && s.outcomes != nil {
		_, in, err := s.outcomes.RecordOutcome(ctx, snd.DealerID, snd.TaskID,
			lifecycle.Outcome{Outcome: outcome, Note: note, Channel: snd.Channel, At: at})
		if err == nil {
			return in, nil
		}
		if !errors.Is(err, lifecycle.ErrTaskClosed) && !errors.Is(err, lifecycle.ErrTaskNotFound) {
			return crm.Interaction{}, err
		}
	}
	purpose := snd.Template
	switch {
	case snd.TaskKey != "":
		purpose, _, _ = strings.Cut(snd.TaskKey, "|")
	case snd.CampaignID != "":
		purpose = "campaign:" + string(snd.CampaignID)
	}
	return s.crm.CreateInteraction(ctx, snd.DealerID, crm.Interaction{CustomerID: snd.CustomerID, VehicleID: snd.VehicleID,
		Channel: snd.Channel, Direction: crm.Outbound, Purpose: purpose, Outcome: outcome, Note: note, At: at, TaskKey: snd.TaskKey})
}
