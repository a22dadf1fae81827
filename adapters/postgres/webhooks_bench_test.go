package postgres_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
)

// benchWebhookEvents is the number of events each run delivers.
const benchWebhookEvents = 20_000

// BenchmarkWebhookDelivery delivers 20,000 events, written beforehand,
// to a local receiver (httptest, answering 204 at once) with a
// webhook.Runner on Postgres: one subscription per dealer, the events
// spread evenly over the dealers. Each delivery is one signed POST and
// one statement that moves the cursor and writes the log entry. It
// reports deliveries/s.
//
//	go test -run '^$' -bench WebhookDelivery -benchtime 1x ./adapters/postgres/
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, subs := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("subscriptions=%d", subs), func(b *testing.B) {
			ctx := context.Background()
			s := pgtest.NewStore(b)
			var got atomic.Int64
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rcv.Close()
			opts := []webhook.Option{webhook.AllowHTTP(), webhook.AllowPrivate(), webhook.WithPoll(10 * time.Millisecond), webhook.WithConcurrency(subs)}
			svc, err := webhook.NewService(s.Webhooks(), s.EventStore(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			delivered := 0
			for range b.N {
				b.StopTimer()
				got.Store(0)
				for d := range subs {
					dealer := crm.DealerID("wh-" + dealercrm.NewID())
					if _, _, err := svc.Create(ctx, dealer, webhook.Input{URL: rcv.URL}); err != nil {
						b.Fatal(err)
					}
					per := benchWebhookEvents / subs
					for i := 0; i < per; i += 1000 {
						evs := make([]crm.Event, 0, 1000)
						for j := i; j < min(per, i+1000); j++ {
							evs = append(evs, crm.NewEvent(dealer, crm.EventPointsEarned, crm.EventSubject{Kind: crm.SubjectCustomer, ID: fmt.Sprint("c", j%50)},
								time.Now(), map[string]int{"points": j, "dealer": d}))
						}
						if err := s.Events().Add(ctx, evs...); err != nil {
							b.Fatal(err)
						}
					}
				}
				want := int64(benchWebhookEvents / subs * subs)
				run, err := webhook.NewRunner(s.Webhooks(), s.EventStore(), opts...)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				run.Start(ctx)
				for got.Load() < want {
					time.Sleep(time.Millisecond)
				}
				total += time.Since(start)
				b.StopTimer()
				run.Stop()
				delivered += int(want)
			}
			b.ReportMetric(float64(delivered)/total.Seconds(), "deliveries/s")
		})
	}
}
