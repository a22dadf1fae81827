package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// MaxEventWait is the longest wait, in seconds, the event feed allows
// (ListEventsParams.Wait); FollowEvents waits that long when p.Wait is 0.
const MaxEventWait = 30

// pages returns the iterator over every item of a listing: list reads the
// page after *after, which moves to each page's next. Each iteration
// starts again from the first value of *after.
func pages[T any](ctx context.Context, after *string, list func(context.Context) (crm.Page[T], error)) iter.Seq2[T, error] {
	first := *after
	return func(yield func(T, error) bool) {
		*after = first
		for {
			page, err := list(ctx)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page.Items {
				if !yield(v, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			*after = page.Next
		}
	}
}

// FollowEvents returns an iterator over the key's dealer's events from
// p.After on (0: the oldest held), in sequence order, for as long as the
// loop runs: when it has read every event, it long-polls the feed (GET
// /v1/events?wait=…, p.Wait seconds, MaxEventWait when 0) for the next.
// Keep the Seq of the last event handled, and pass it as p.After to
// follow on after a restart. It stops at the first error, which it
// yields: the context's when ctx ends, an *Error with code
// CodeCursorExpired (410) when the cursor is older than the retention.
func (c *Client) FollowEvents(ctx context.Context, p ListEventsParams) iter.Seq2[crm.Event, error] {
	if p.Wait == 0 {
		p.Wait = MaxEventWait
	}
	return func(yield func(crm.Event, error) bool) {
		q := p
		for {
			page, err := c.ListEvents(ctx, q)
			if err != nil {
				yield(crm.Event{}, err)
				return
			}
			for _, e := range page.Items {
				if !yield(e, nil) {
					return
				}
			}
			if page.Next > q.After {
				q.After = page.Next
			}
		}
	}
}

// The encoders of query parameters: a zero value is left out.

func setText[S ~string](q url.Values, name string, v S) {
	if v != "" {
		q.Set(name, string(v))
	}
}

func setTexts[S ~string](q url.Values, name string, vs []S) {
	if len(vs) == 0 {
		return
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v)
	}
	q.Set(name, strings.Join(parts, ","))
}

func setInt[N ~int | ~int64](q url.Values, name string, v N) {
	if v != 0 {
		q.Set(name, strconv.FormatInt(int64(v), 10))
	}
}

func setFloat(q url.Values, name string, v float64) {
	if v != 0 {
		q.Set(name, strconv.FormatFloat(v, 'f', -1, 64))
	}
}

func setBool(q url.Values, name string, v *bool) {
	if v != nil {
		q.Set(name, strconv.FormatBool(*v))
	}
}

func setDate(q url.Values, name string, v dealercrm.Date) {
	if !v.IsZero() {
		q.Set(name, v.String())
	}
}

func setTime(q url.Values, name string, v time.Time) {
	if !v.IsZero() {
		q.Set(name, v.Format(time.RFC3339Nano))
	}
}
