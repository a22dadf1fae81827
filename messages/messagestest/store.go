package messagestest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dealers of the store suite.
const (
	DealerA crm.DealerID = "msg-a"
	DealerB crm.DealerID = "msg-b"
)

// T0 is the suite's first instant: microseconds, which Postgres keeps.
var T0 = time.Date(2026, 5, 4, 2, 0, 0, 123456000, time.UTC)

// send returns a queued SMS send n of dealer, due at T0 + n minutes.
func send(dealer crm.DealerID, n int) messages.Send {
	at := T0.Add(time.Duration(n) * time.Minute)
	return messages.Send{
		ID: messages.SendID(fmt.Sprintf("send-%s-%03d", dealer, n)),
		Message: messages.Message{DealerID: dealer, CustomerID: crm.CustomerID(fmt.Sprintf("cust-%d", n%3)), Channel: crm.ChannelSMS,
			Purpose: messages.PurposeMarketing, Template: "spring_offer", Params: map[string]string{"customer": "王先生", "n": fmt.Sprint(n)},
			Recipient: "13800138000", Key: fmt.Sprintf("key-%d", n)},
		Status: messages.StatusQueued, Next: at, CreatedAt: at, UpdatedAt: at,
	}
}

// RunStoreTests runs the conformance suite against the stores newStore
// returns, each empty.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) messages.Store) {
	ctx := context.Background()

	t.Run("create and get round-trip every field", func(t *testing.T) {
		s := newStore(t)
		in := send(DealerA, 1)
		in.VehicleID, in.TaskID, in.TaskKey, in.Series, in.CampaignID = "veh-1", "task-1", "maintenance|v:veh-1|2026-05-11|1", "maintenance|v:veh-1|2026-05-11", "camp-1"
		in.Consent, in.Reason, in.ReasonParams = crm.PurposeMarketing, messages.ReasonQuietHours, map[string]string{"until": "2026-05-05T08:00:00+08:00"}
		in.Status, in.Attempts, in.Error, in.Result, in.SentAt, in.InteractionID = messages.StatusHeld, 2, "gateway timeout", messages.Result{ProviderID: "gw-9"}, T0.Add(time.Second), "int-1"
		got, created, err := s.Create(ctx, in)
		require.NoError(t, err)
		assert.True(t, created, "a new key creates")
		assert.Equal(t, in, got)
		read, err := s.Get(ctx, DealerA, in.ID)
		require.NoError(t, err)
		assert.Equal(t, in, read, "every field comes back as written")
		_, err = s.Get(ctx, DealerB, in.ID)
		assert.ErrorIs(t, err, messages.ErrNotFound, "another dealer's send is not found")
		_, err = s.Get(ctx, DealerA, "nope")
		assert.ErrorIs(t, err, messages.ErrNotFound)
	})

	t.Run("one send per key: a retry returns the first record", func(t *testing.T) {
		s := newStore(t)
		first, created, err := s.Create(ctx, send(DealerA, 1))
		require.NoError(t, err)
		require.True(t, created)
		again := send(DealerA, 2)
		again.Key = first.Key
		got, created, err := s.Create(ctx, again)
		require.NoError(t, err)
		assert.False(t, created, "the same key does not create")
		assert.Equal(t, first, got, "the first record is returned")
		other := send(DealerB, 2)
		other.Key = first.Key
		_, created, err = s.Create(ctx, other)
		require.NoError(t, err)
		assert.True(t, created, "keys are per dealer")
	})

	t.Run("an invalid send is refused and nothing stored", func(t *testing.T) {
		s := newStore(t)
		bad := send(DealerA, 1)
		bad.Channel, bad.Status = "pigeon", "lost"
		_, _, err := s.Create(ctx, bad)
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("channel", crm.RuleEnum), "channel named: %v", err)
		assert.True(t, ve.Has("status", crm.RuleEnum), "status named: %v", err)
		_, err = s.Get(ctx, DealerA, bad.ID)
		assert.ErrorIs(t, err, messages.ErrNotFound)
	})

	t.Run("update changes a send under a lock and keeps its identity", func(t *testing.T) {
		s := newStore(t)
		in, _, err := s.Create(ctx, send(DealerA, 1))
		require.NoError(t, err)
		later := T0.Add(time.Hour)
		got, err := s.Update(ctx, DealerA, in.ID, func(x *messages.Send) error {
			x.Status, x.Attempts, x.SentAt, x.Next, x.UpdatedAt = messages.StatusSent, 1, later, time.Time{}, later
			x.Key, x.CreatedAt = "changed", later
			x.Result = messages.Result{ProviderID: "gw-1"}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, messages.StatusSent, got.Status)
		assert.Equal(t, in.Key, got.Key, "the key stays")
		assert.Equal(t, in.CreatedAt, got.CreatedAt, "created_at stays")
		assert.True(t, got.Next.IsZero())
		read, err := s.Get(ctx, DealerA, in.ID)
		require.NoError(t, err)
		assert.Equal(t, got, read)

		boom := errors.New("boom")
		_, err = s.Update(ctx, DealerA, in.ID, func(x *messages.Send) error { x.Attempts = 9; return boom })
		assert.ErrorIs(t, err, boom, "fn's error aborts")
		_, err = s.Update(ctx, DealerA, in.ID, func(x *messages.Send) error { x.Attempts = -1; return nil })
		var ve *crm.ValidationError
		assert.ErrorAs(t, err, &ve, "an invalid result is refused")
		read, err = s.Get(ctx, DealerA, in.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, read.Attempts, "nothing written by the aborted updates")
		_, err = s.Update(ctx, DealerB, in.ID, func(*messages.Send) error { return nil })
		assert.ErrorIs(t, err, messages.ErrNotFound)
	})

	t.Run("concurrent updates are serialised", func(t *testing.T) {
		s := newStore(t)
		in, _, err := s.Create(ctx, send(DealerA, 1))
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Update(ctx, DealerA, in.ID, func(x *messages.Send) error { x.Attempts++; return nil })
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		got, err := s.Get(ctx, DealerA, in.ID)
		require.NoError(t, err)
		assert.Equal(t, 8, got.Attempts, "8 increments, none lost")
	})

	t.Run("due: queued, held and failed sends with next at or before now, earliest first", func(t *testing.T) {
		s := newStore(t)
		for n := 1; n <= 6; n++ {
			x := send(DealerA, n)
			switch n {
			case 2:
				x.Status = messages.StatusHeld
			case 3:
				x.Status = messages.StatusFailed
			case 4:
				x.Status, x.Next, x.SentAt = messages.StatusSent, time.Time{}, x.CreatedAt
			case 5:
				x.Status, x.Next = messages.StatusFailed, time.Time{} // no retry left
			case 6:
				x.Next = T0.Add(time.Hour) // later
			}
			_, _, err := s.Create(ctx, x)
			require.NoError(t, err)
		}
		_, _, err := s.Create(ctx, send(DealerB, 1))
		require.NoError(t, err)
		got, err := s.Due(ctx, DealerA, T0.Add(30*time.Minute), 10)
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-001", "send-msg-a-002", "send-msg-a-003"}, ids(got))
		got, err = s.Due(ctx, DealerA, T0.Add(2*time.Minute), 10)
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-001", "send-msg-a-002"}, ids(got), "next equal to now is due")
		got, err = s.Due(ctx, DealerA, T0.Add(2*time.Hour), 2)
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-001", "send-msg-a-002"}, ids(got), "limit 2")
	})

	t.Run("sent times by customer, purpose and since, or by series", func(t *testing.T) {
		s := newStore(t)
		for n := 1; n <= 6; n++ {
			x := send(DealerA, n)
			x.CustomerID = "cust-1"
			x.Status, x.Next, x.SentAt = messages.StatusSent, time.Time{}, T0.Add(time.Duration(7-n)*24*time.Hour)
			switch n {
			case 2:
				x.Purpose, x.Template, x.Series = messages.PurposeReminder, "maintenance", "maintenance|v:1|2026-05-11"
			case 3:
				x.Purpose, x.Template, x.Series = messages.PurposeReminder, "maintenance", "maintenance|v:1|2026-05-11"
			case 4:
				x.CustomerID = "cust-2"
			case 5:
				x.Status, x.SentAt, x.Next = messages.StatusHeld, time.Time{}, T0
			}
			_, _, err := s.Create(ctx, x)
			require.NoError(t, err)
		}
		got, err := s.SentTimes(ctx, DealerA, messages.SentQuery{CustomerID: "cust-1", Purposes: []messages.Purpose{messages.PurposeMarketing},
			Since: T0.Add(-24 * time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, []time.Time{T0.Add(24 * time.Hour), T0.Add(6 * 24 * time.Hour)}, got, "sends 6 and 1, earliest first; 5 is not sent, 4 another customer")
		got, err = s.SentTimes(ctx, DealerA, messages.SentQuery{Series: "maintenance|v:1|2026-05-11"})
		require.NoError(t, err)
		assert.Len(t, got, 2, "the two sent reminders of the series")
		got, err = s.SentTimes(ctx, DealerB, messages.SentQuery{})
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("list filters and pages in ID order", func(t *testing.T) {
		s := newStore(t)
		for n := 1; n <= 5; n++ {
			x := send(DealerA, n)
			if n%2 == 0 {
				x.Status, x.Next, x.SentAt = messages.StatusSent, time.Time{}, x.CreatedAt
			}
			_, _, err := s.Create(ctx, x)
			require.NoError(t, err)
		}
		_, _, err := s.Create(ctx, send(DealerB, 1))
		require.NoError(t, err)
		p, err := s.List(ctx, DealerA, messages.Filter{PageRequest: crm.PageRequest{Limit: 2}})
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-001", "send-msg-a-002"}, ids(p.Items))
		require.NotEmpty(t, p.Next)
		p, err = s.List(ctx, DealerA, messages.Filter{PageRequest: crm.PageRequest{Limit: 2, After: p.Next}})
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-003", "send-msg-a-004"}, ids(p.Items))
		p, err = s.List(ctx, DealerA, messages.Filter{Status: messages.StatusSent})
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-002", "send-msg-a-004"}, ids(p.Items))
		p, err = s.List(ctx, DealerA, messages.Filter{CustomerID: "cust-1", From: T0.Add(2 * time.Minute), To: T0.Add(5 * time.Minute)})
		require.NoError(t, err)
		assert.Equal(t, []messages.SendID{"send-msg-a-004"}, ids(p.Items), "customer 1 is sends 1 and 4; from 2 to before 5 minutes leaves 4")
		_, err = s.List(ctx, DealerA, messages.Filter{Status: "lost"})
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Has("status", crm.RuleEnum))
		_, err = s.List(ctx, DealerA, messages.Filter{PageRequest: crm.PageRequest{After: "!!"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a bad cursor")
	})
}

func ids(xs []messages.Send) []messages.SendID {
	out := make([]messages.SendID, len(xs))
	for i, x := range xs {
		out[i] = x.ID
	}
	return out
}
