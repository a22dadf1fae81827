package postgres_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// discard is a span exporter that drops what it is given: the cost of the
// SDK without the cost of an exporter's I/O.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkTelemetryOverhead measures the instrumentation: the same store
// calls and lifecycle run with the global no-op providers ("noop"), then
// with SDK providers sampling every span into a batch processor over an
// exporter that drops them, and metrics aggregated by a reader never
// collected ("sdk"). The providers are global and can be set once, so it
// runs alone and once (docs/observability.md):
//
//	go test ./adapters/postgres -run '^$' -bench TelemetryOverhead -benchtime 300x -count 1
func BenchmarkTelemetryOverhead(b *testing.B) {
	if otelInstalled {
		b.Skip("the tests set the global providers: run the benchmark alone (-run '^$')")
	}
	ctx := context.Background()
	store := pgtest.NewStore(b)
	svc := crm.NewService(store)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 200})
	if err := demo.Seed(ctx, svc, data); err != nil {
		b.Fatal(err)
	}
	dealer := data.Dealers[0].Dealer.ID
	cs, err := store.Customers().List(ctx, dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 1}})
	if err != nil || len(cs.Items) == 0 {
		b.Fatalf("no customer: %v", err)
	}
	customer := cs.Items[0].ID
	life, err := lifecycle.NewService(svc, store.LifecycleTasks())
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		b.Run("CustomerGet", func(b *testing.B) {
			for b.Loop() {
				if _, err := store.Customers().Get(ctx, dealer, customer); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("InTxGet", func(b *testing.B) {
			for b.Loop() {
				err := store.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
					_, err := tx.Customers().Get(ctx, dealer, customer)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("LifecycleRun", func(b *testing.B) {
			for b.Loop() {
				if _, err := life.Run(ctx, dealer, data.Options.Today); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("noop", run)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	otelInstalled = true
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	b.Run("sdk", run)
	_ = tp.Shutdown(ctx)
}
