package crmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Event returns an event of dealer about customer c, at at, whose payload
// names n.
func Event(dealer crm.DealerID, t crm.EventType, c crm.CustomerID, at time.Time, n int) crm.Event {
	return crm.NewEvent(dealer, t, crm.EventSubject{Kind: crm.SubjectCustomer, ID: string(c)}, at,
		map[string]any{"customer_id": c, "n": n})
}

// RunEventStoreTests runs the conformance suite of the event outbox
// against the stores open returns, each new and empty: a crm.Store whose
// Events writer feeds the crm.EventStore. It checks round-trips, that
// events commit and roll back with their transaction, keyed events,
// filters and paging, dealer scoping, retention, Wait, and that the
// sequence seen by a reader while eight writers commit never goes back.
func RunEventStoreTests(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	t.Run("RoundTrip", func(t *testing.T) { testEventRoundTrip(t, open) })
	t.Run("Transaction", func(t *testing.T) { testEventTransaction(t, open) })
	t.Run("Keyed", func(t *testing.T) { testEventKeyed(t, open) })
	t.Run("Filter", func(t *testing.T) { testEventFilter(t, open) })
	t.Run("Invalid", func(t *testing.T) { testEventInvalid(t, open) })
	t.Run("Purge", func(t *testing.T) { testEventPurge(t, open) })
	t.Run("Wait", func(t *testing.T) { testEventWait(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testEventConcurrent(t, open) })
	t.Run("Service", func(t *testing.T) { testEventService(t, open) })
}

// eventDealer creates a dealer in s and returns its ID.
func eventDealer(t *testing.T, s crm.Store) crm.DealerID {
	t.Helper()
	d := crm.DealerID(dealercrm.NewID())
	dl := Dealer(d)
	require.NoError(t, s.Dealers().Create(t.Context(), &dl))
	return d
}

// ReadEvents returns every event of dealer after after, following the
// feed's cursor in pages of limit.
func ReadEvents(t testing.TB, es crm.EventStore, dealer crm.DealerID, f crm.EventFilter) []crm.Event {
	t.Helper()
	var out []crm.Event
	for range 10000 {
		p, err := es.List(context.Background(), dealer, f)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.Next == f.After {
			return out
		}
		f.After = p.Next
	}
	require.FailNow(t, "the feed never ends")
	return nil
}

func testEventRoundTrip(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	want := []crm.Event{
		Event(d, crm.EventPointsEarned, "c1", Base, 1),
		Event(d, crm.EventPointsRedeemed, "c1", Base.Add(time.Second), 2),
		Event(d, crm.EventConsentChanged, "c2", Base.Add(2*time.Second), 3),
	}
	require.NoError(t, s.Events().Add(ctx, want[:2]...))
	require.NoError(t, s.Events().Add(ctx, want[2]))
	got := ReadEvents(t, es, d, crm.EventFilter{})
	require.Len(t, got, 3)
	for i := range want {
		want[i].Seq = int64(i + 1)
		assert.JSONEq(t, string(want[i].Payload), string(got[i].Payload), "payload %d", i)
		got[i].Payload = want[i].Payload
	}
	Equal(t, want, got, "the events as added, numbered 1, 2, 3 in order")

	p, err := es.List(ctx, d, crm.EventFilter{After: 3})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "nothing after the last")
	assert.Equal(t, int64(3), p.Next, "the cursor stays")

	other := eventDealer(t, s)
	p, err = es.List(ctx, other, crm.EventFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "another dealer sees none of them")
	require.NoError(t, s.Events().Add(ctx, Event(other, crm.EventTaskCreated, "c9", Base, 9)))
	p, err = es.List(ctx, other, crm.EventFilter{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	assert.Equal(t, int64(1), p.Items[0].Seq, "each dealer has its own sequence")
}

func testEventTransaction(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	boom := errors.New("boom")
	c := Customer(d, 1)
	err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		if err := tx.Customers().Create(ctx, &c); err != nil {
			return err
		}
		if err := tx.Events().Add(ctx, Event(d, crm.EventConsentChanged, c.ID, Base, 1)); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, ReadEvents(t, es, d, crm.EventFilter{}), "a rolled-back transaction leaves no event")

	err = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		if err := tx.Customers().Create(ctx, &c); err != nil {
			return err
		}
		return tx.Events().Add(ctx, Event(d, crm.EventConsentChanged, c.ID, Base, 2))
	})
	require.NoError(t, err)
	got := ReadEvents(t, es, d, crm.EventFilter{})
	require.Len(t, got, 1, "the committed transaction's event")
	assert.Equal(t, int64(1), got[0].Seq, "the rolled-back event took no number")
	assert.JSONEq(t, fmt.Sprintf(`{"customer_id": %q, "n": 2}`, c.ID), string(got[0].Payload))
}

func testEventKeyed(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	e := Event(d, crm.EventTaskDue, "c1", Base, 1)
	e.Key = "task.due:t1:2024-03-01"
	require.NoError(t, s.Events().Add(ctx, e))
	again := Event(d, crm.EventTaskDue, "c1", Base, 1)
	again.Key = e.Key
	require.NoError(t, s.Events().Add(ctx, again), "a key used before is no error")
	require.NoError(t, s.Events().Add(ctx, Event(d, crm.EventTaskDone, "c1", Base, 2)))
	got := ReadEvents(t, es, d, crm.EventFilter{})
	require.Len(t, got, 2, "a keyed event is written once")
	assert.Equal(t, e.ID, got[0].ID)
	assert.Empty(t, got[0].Key, "the key stays with the writer: the feed does not carry it")
	assert.Equal(t, crm.EventTaskDone, got[1].Type)
	assert.Greater(t, got[1].Seq, got[0].Seq)
}

func testEventFilter(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	types := []crm.EventType{crm.EventPointsEarned, crm.EventTaskCreated, crm.EventPointsRedeemed}
	var all []crm.Event
	for i := range 30 {
		all = append(all, Event(d, types[i%3], "c1", Base.Add(time.Duration(i)*time.Second), i))
	}
	require.NoError(t, s.Events().Add(ctx, all...))

	got := ReadEvents(t, es, d, crm.EventFilter{Limit: 7})
	require.Len(t, got, 30, "pages of 7 read all 30")
	for i, e := range got {
		assert.Equal(t, int64(i+1), e.Seq)
		assert.Equal(t, all[i].ID, e.ID)
	}
	points := ReadEvents(t, es, d, crm.EventFilter{Types: []crm.EventType{crm.EventPointsEarned, crm.EventPointsRedeemed}, Limit: 4})
	require.Len(t, points, 20, "the two points types")
	for _, e := range points {
		assert.NotEqual(t, crm.EventTaskCreated, e.Type)
	}
	p, err := es.List(ctx, d, crm.EventFilter{Types: []crm.EventType{crm.EventTaskCreated}, After: 2, Limit: 1})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "seq 3 is not a task event")
	assert.Equal(t, int64(3), p.Next, "the cursor moves past events of other types")
}

func testEventInvalid(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	bad := Event(d, "points.stolen", "c1", Base, 1)
	nul := Event(d, crm.EventPointsEarned, "c\x00", Base, 1)
	notObject := Event(d, crm.EventPointsEarned, "c1", Base, 1)
	notObject.Payload = []byte(`[1]`)
	for name, e := range map[string]crm.Event{"type": bad, "subject.id": nul, "payload": notObject} {
		err := s.Events().Add(ctx, Event(d, crm.EventPointsEarned, "c1", Base, 0), e)
		require.Error(t, err, name)
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "%s: %v", name, err)
		assert.Contains(t, err.Error(), "event."+name)
	}
	assert.Empty(t, ReadEvents(t, es, d, crm.EventFilter{}), "a batch with a bad event writes none")

	for _, f := range []crm.EventFilter{{After: -1}, {Limit: crm.MaxEventLimit + 1}, {Types: []crm.EventType{"x"}}} {
		_, err := es.List(ctx, d, f)
		var ve *crm.ValidationError
		assert.ErrorAs(t, err, &ve, "%+v", f)
	}
}

func testEventPurge(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	for i := range 5 {
		require.NoError(t, s.Events().Add(ctx, Event(d, crm.EventPointsEarned, "c1", Base.AddDate(0, 0, i), i)))
	}
	n, err := es.Purge(ctx, d, Base.AddDate(0, 0, 2))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "days 0 and 1 are before day 2")
	_, err = es.List(ctx, d, crm.EventFilter{After: 1})
	var ce *crm.CursorExpiredError
	require.ErrorAs(t, err, &ce, "events after 1 are gone (2 was removed)")
	assert.Equal(t, int64(3), ce.Oldest)
	assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))
	got := ReadEvents(t, es, d, crm.EventFilter{After: 2})
	require.Len(t, got, 3, "a reader that had read 2 misses nothing")
	assert.Equal(t, int64(3), got[0].Seq)
	got = ReadEvents(t, es, d, crm.EventFilter{})
	require.Len(t, got, 3, "after 0 reads from the oldest held")
	n, err = es.Purge(ctx, d, Base.AddDate(0, 0, 2))
	require.NoError(t, err)
	assert.Zero(t, n, "purging again removes nothing")
	n, err = es.Purge(ctx, eventDealer(t, s), Base.AddDate(1, 0, 0))
	require.NoError(t, err)
	assert.Zero(t, n, "a dealer without events")
	require.NoError(t, s.Events().Add(ctx, Event(d, crm.EventPointsEarned, "c1", Base.AddDate(0, 0, 9), 9)))
	assert.Equal(t, int64(6), ReadEvents(t, es, d, crm.EventFilter{After: 5})[0].Seq, "numbering goes on after a purge")
}

func testEventWait(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, es.Wait(short, d, 0), context.DeadlineExceeded, "no event: Wait ends with ctx")

	done := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		done <- es.Wait(wctx, d, 0)
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.Events().Add(ctx, Event(d, crm.EventPointsEarned, "c1", Base, 1)))
	require.NoError(t, <-done, "an event wakes the waiter")
	require.NoError(t, es.Wait(ctx, d, 0), "an event after the cursor: at once")
}

// testEventConcurrent runs eight writers, each committing transactions of
// a few events, while a reader follows the feed: the reader must end with
// every event exactly once, in increasing sequence, each writer's in its
// order — a reader that saw n never meets a smaller number later.
func testEventConcurrent(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	const writers, txs, per = 8, 10, 3
	stop := make(chan struct{})
	var read []crm.Event
	readerDone := make(chan error, 1)
	go func() {
		after := int64(0)
		for {
			select {
			case <-stop:
				readerDone <- nil
				return
			default:
			}
			p, err := es.List(ctx, d, crm.EventFilter{After: after})
			if err != nil {
				readerDone <- err
				return
			}
			read = append(read, p.Items...)
			after = p.Next
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range txs {
				err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
					var evs []crm.Event
					for j := range per {
						evs = append(evs, Event(d, crm.EventPointsEarned, crm.CustomerID(fmt.Sprintf("w%d", w)), Base, i*per+j))
					}
					return tx.Events().Add(ctx, evs...)
				})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	require.NoError(t, <-readerDone)
	// The reader's last page may predate the last commits: read the rest.
	after := int64(0)
	if len(read) > 0 {
		after = read[len(read)-1].Seq
	}
	read = append(read, ReadEvents(t, es, d, crm.EventFilter{After: after})...)

	require.Len(t, read, writers*txs*per, "every event once")
	next := map[string]int{}
	for i, e := range read {
		assert.Equal(t, int64(i+1), e.Seq, "no gap, no repeat, never back")
		var p struct {
			N int `json:"n"`
		}
		require.NoError(t, json.Unmarshal(e.Payload, &p))
		assert.Equal(t, next[e.Subject.ID], p.N, "writer %s's events in its order", e.Subject.ID)
		next[e.Subject.ID]++
	}
}

// payloadOf decodes an event's payload into a map, for comparing with
// worked values.
func payloadOf(t *testing.T, e crm.Event) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(e.Payload, &m))
	return m
}

// testEventService walks crm's producers through the service: consents
// given and withdrawn, a lead's level, its loss, an erasure — each change
// with exactly its events, in its transaction.
func testEventService(t *testing.T, open func(t *testing.T) (crm.Store, crm.EventStore)) {
	s, es := open(t)
	d := eventDealer(t, s)
	ctx := t.Context()
	now := Base.Add(48 * time.Hour)
	svc := crm.NewService(s, crm.WithClock(func() time.Time { return now }))
	types := func(evs []crm.Event) []crm.EventType {
		var out []crm.EventType
		for _, e := range evs {
			out = append(out, e.Type)
		}
		return out
	}
	read := func(after int64) []crm.Event { return ReadEvents(t, es, d, crm.EventFilter{After: after}) }

	c, err := svc.CreateCustomer(ctx, d, Customer(d, 1))
	require.NoError(t, err)
	evs := read(0)
	require.Equal(t, []crm.EventType{crm.EventConsentChanged, crm.EventConsentChanged}, types(evs), "the two consents of a new customer")
	assert.Equal(t, crm.EventSubject{Kind: crm.SubjectCustomer, ID: string(c.ID)}, evs[0].Subject)
	assert.Equal(t, map[string]any{"customer_id": string(c.ID), "purpose": "marketing", "channel": "sms", "granted": true,
		"at": c.Consents[0].At.Format(time.RFC3339Nano), "source": "sales contract"}, payloadOf(t, evs[0]))

	// 退订: the customer withdraws SMS marketing by reply.
	reply := now.Add(-time.Hour)
	_, err = svc.SetConsent(ctx, d, c.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false, At: reply, Source: "sms_reply"})
	require.NoError(t, err)
	evs = read(2)
	require.Equal(t, []crm.EventType{crm.EventConsentChanged}, types(evs))
	assert.Equal(t, false, payloadOf(t, evs[0])["granted"])
	assert.Equal(t, "sms_reply", payloadOf(t, evs[0])["source"])
	_, err = svc.SetConsent(ctx, d, c.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false, At: reply, Source: "sms_reply"})
	require.NoError(t, err)
	_, err = svc.SetConsent(ctx, d, c.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false, At: reply.Add(time.Minute), Source: "call centre"})
	require.NoError(t, err)
	_, err = svc.UpdateCustomer(ctx, d, c.ID, func(c *crm.Customer) error { c.Occupation = "teacher"; return nil })
	require.NoError(t, err)
	assert.Empty(t, read(3), "the same answer again (also from another source), or a change of other fields: no event")

	l, err := svc.CreateLead(ctx, d, crm.Lead{Name: "王先生", Mobile: "13900000001", Source: crm.SourceWalkIn, ConsultantID: "S-01"})
	require.NoError(t, err)
	assert.Empty(t, read(3), "a new lead: no event")
	_, err = svc.SetLeadLevel(ctx, d, l.ID, crm.LevelH)
	require.NoError(t, err)
	evs = read(3)
	require.Equal(t, []crm.EventType{crm.EventLeadLevelChanged}, types(evs))
	assert.Equal(t, map[string]any{"lead_id": string(l.ID), "consultant_id": "S-01", "from": "N", "to": "H", "status": "open"}, payloadOf(t, evs[0]))
	_, err = svc.SetLeadLevel(ctx, d, l.ID, "D")
	require.Error(t, err, "D only by conversion")
	_, err = svc.RequestLost(ctx, d, l.ID, crm.LostCompetitor, "bought elsewhere", "S-01")
	require.NoError(t, err)
	assert.Empty(t, read(4), "a refused change and a lost request: no event")
	_, err = svc.DecideLost(ctx, d, l.ID, true, "M-01", "")
	require.NoError(t, err)
	evs = read(4)
	require.Equal(t, []crm.EventType{crm.EventLeadLevelChanged, crm.EventLeadLost}, types(evs))
	assert.Equal(t, map[string]any{"lead_id": string(l.ID), "consultant_id": "S-01", "from": "H", "to": "F", "status": "lost", "reason": "competitor"}, payloadOf(t, evs[1]))

	require.NoError(t, svc.EraseCustomer(ctx, d, c.ID))
	evs = read(6)
	require.Equal(t, []crm.EventType{crm.EventCustomerErased}, types(evs), "both consents were withdrawn already: the erasure's withdrawal changes no answer")
	assert.Equal(t, map[string]any{"customer_id": string(c.ID)}, payloadOf(t, evs[0]), "the erasure names the ID only")
	// The customer's and the lead's own phone numbers, not a prefix such
	// as "138": an event's random IDs may hold any three digits.
	for _, e := range ReadEvents(t, es, d, crm.EventFilter{}) {
		for _, mobile := range []string{c.Mobile, l.Mobile} {
			assert.NotContains(t, string(e.Payload), mobile, "no payload carries a phone number")
		}
		assert.NotContains(t, string(e.Payload), "王", "nor a name")
	}
}
