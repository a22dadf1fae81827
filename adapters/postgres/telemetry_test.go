package postgres_test

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

var (
	otelOnce   sync.Once
	otelSpans  *tracetest.SpanRecorder
	otelReader *sdkmetric.ManualReader
	// otelInstalled is set once the global providers are set.
	otelInstalled bool
)

// installOtel installs SDK providers as the global ones, once per test
// binary: the packages' tracers delegate to the first provider set, as in
// a host that sets its providers at start. Only the traces under a sampled
// parent (tracedContext) are recorded, so the other tests pay nothing.
func installOtel() (*tracetest.SpanRecorder, *sdkmetric.ManualReader) {
	otelOnce.Do(func() {
		otelInstalled = true
		otelSpans = tracetest.NewSpanRecorder()
		otelReader = sdkmetric.NewManualReader()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(otelSpans),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample()))))
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(otelReader)))
	})
	return otelSpans, otelReader
}

// tracedContext returns a context under a sampled remote parent (a request
// of the host's) and the parent, whose trace the test reads back.
func tracedContext(t *testing.T) (context.Context, trace.SpanContext) {
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
	return trace.ContextWithRemoteSpanContext(t.Context(), sc), sc
}

// traceOf returns the ended spans of parent's trace.
func traceOf(rec *tracetest.SpanRecorder, parent trace.SpanContext) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == parent.TraceID() {
			out = append(out, s)
		}
	}
	return out
}

// sumOf returns the sum of the int64 counter name over the data points
// whose attributes include want, in rm.
func sumOf(rm *metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != name || !ok {
				continue
			}
		points:
			for _, dp := range sum.DataPoints {
				for _, kv := range want {
					if v, ok := dp.Attributes.Value(kv.Key); !ok || v != kv.Value {
						continue points
					}
				}
				n += dp.Value
			}
		}
	}
	return n
}

// TestTelemetry runs an import, the lifecycle run, a grading run and a job
// on Postgres under a host's span and checks what docs/observability.md
// promises: spans nested under the caller's (store calls under their
// transaction), errors recorded by code, the runs and records counted, and
// not one attribute, event or metric label carrying the customers' names,
// mobiles, VINs or plates.
func TestTelemetry(t *testing.T) {
	spans, reader := installOtel()
	var before metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &before))
	ctx, host := tracedContext(t)
	store := pgtest.NewStore(t)
	svc := crm.NewService(store)
	const dealer = crm.DealerID("d-otel")
	require.NoError(t, store.Dealers().Create(ctx, new(crmtest.Dealer(dealer))))
	personal := []string{"王伟", "李娜", "13912345678", "13698765432", "1M8GDM9AXKP042788", "沪A12345"}
	batch := crm.Batch{
		Customers: []crm.Customer{
			{Record: crm.Record{ExternalID: "C1"}, Name: "王伟", Mobile: "13912345678"},
			{Record: crm.Record{ExternalID: "C2"}, Name: "李娜", Mobile: "13698765432"},
		},
		Vehicles: []crm.Vehicle{{Record: crm.Record{ExternalID: "V1"}, VIN: "1M8GDM9AXKP042788", Plate: "沪A12345", Model: "SUV",
			OwnerID: "C1", Price: decimal.RequireFromString("100.50"), DeliveryDate: dealercrm.NewDate(2025, 6, 1)}},
	}
	_, err := svc.Import(ctx, dealer, batch)
	require.NoError(t, err)
	// A bad batch: its error quotes the input, which the span must not.
	bad := crm.Batch{Customers: []crm.Customer{{Record: crm.Record{ExternalID: "C3"}, Name: "王伟", Mobile: "13912345678x"}}}
	_, err = svc.Import(ctx, dealer, bad)
	require.ErrorIs(t, err, dealercrm.ErrInvalid)
	personal = append(personal, "13912345678x")

	c1, err := store.Customers().GetByExternalID(ctx, dealer, "C1")
	require.NoError(t, err)
	life, err := lifecycle.NewService(svc, store.LifecycleTasks())
	require.NoError(t, err)
	day := dealercrm.NewDate(2026, 3, 10)
	_, err = life.Run(ctx, dealer, day)
	require.NoError(t, err)
	grades, err := grading.NewService(store, store.Grading())
	require.NoError(t, err)
	_, err = grades.Run(ctx, grading.RunRequest{DealerID: dealer, AsOf: day})
	require.NoError(t, err)
	job := jobs.Job{Kind: jobs.Lifecycle, Run: func(ctx context.Context, d crm.DealerID, day dealercrm.Date) (jobs.Counts, error) {
		r, err := life.Run(ctx, d, day)
		return jobs.Counts{"tasks_created": int64(r.Created)}, err
	}}
	_, err = jobs.RunDay(ctx, store.Runs(), job, crmtest.Dealer(dealer), day, 1)
	require.NoError(t, err)
	err = store.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		_, err := tx.Customers().Get(ctx, dealer, c1.ID)
		return err
	})
	require.NoError(t, err)

	got := traceOf(spans, host)
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range got {
		byID[s.SpanContext().SpanID()] = s
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	parent := func(s sdktrace.ReadOnlySpan) string {
		if s.Parent().SpanID() == host.SpanID() {
			return "host"
		}
		if p, ok := byID[s.Parent().SpanID()]; ok {
			return p.Name()
		}
		return "?"
	}
	for _, name := range []string{"crm.Service.Import", "lifecycle.Service.Run", "grading.Service.Run", "jobs.RunDay", "jobs.Job.Run",
		"postgres.tx", "postgres.customers.Upsert", "postgres.vehicles.Upsert", "postgres.customers.Get", "postgres.customers.GetByExternalID",
		"postgres.dealers.Get", "postgres.Store.LifecycleFacts", "postgres.lifecycle_tasks.Apply", "postgres.Store.AggregateFacts",
		"postgres.grading.SaveRun", "postgres.runs.Begin", "postgres.runs.Finish"} {
		assert.NotEmpty(t, byName[name], "a span %s", name)
	}

	t.Run("Nesting", func(t *testing.T) {
		imports := byName["crm.Service.Import"]
		require.Len(t, imports, 2)
		for _, s := range imports {
			assert.Equal(t, "host", parent(s), "an import is a child of the caller's span")
		}
		for _, s := range byName["postgres.customers.Upsert"] {
			assert.Equal(t, "postgres.tx", parent(s), "the import's upsert runs in its transaction")
			tx := byID[s.Parent().SpanID()]
			assert.Equal(t, "crm.Service.Import", parent(tx), "the transaction is the import's")
		}
		gets := map[string]int{}
		for _, s := range byName["postgres.customers.Get"] {
			gets[parent(s)]++
		}
		assert.Equal(t, 1, gets["postgres.tx"], "the Get inside InTx is a child of the transaction: %v", gets)
		assert.Equal(t, "host", parent(byName["postgres.customers.GetByExternalID"][0]), "a call outside a transaction is the caller's child")
		assert.Equal(t, "jobs.RunDay", parent(byName["jobs.Job.Run"][0]))
		lifeRuns := map[string]int{}
		for _, s := range byName["lifecycle.Service.Run"] {
			lifeRuns[parent(s)]++
		}
		assert.Equal(t, map[string]int{"host": 1, "jobs.Job.Run": 1}, lifeRuns, "the job's lifecycle run is a child of the job's span")
		for _, s := range byName["postgres.runs.Begin"] {
			assert.Equal(t, "jobs.Job.Run", parent(s))
		}
	})

	t.Run("Attributes", func(t *testing.T) {
		var ok, failed sdktrace.ReadOnlySpan
		for _, s := range byName["crm.Service.Import"] {
			if s.Status().Code == codes.Error {
				failed = s
			} else {
				ok = s
			}
		}
		require.NotNil(t, ok)
		require.NotNil(t, failed)
		assert.Subset(t, ok.Attributes(), []attribute.KeyValue{attribute.String("dealercrm.dealer.id", "d-otel"),
			attribute.Int("dealercrm.records.count", 3), attribute.Int("dealercrm.records.created", 3)})
		assert.Equal(t, "invalid", failed.Status().Description, "a failed import's status names the code")
		assert.Contains(t, failed.Attributes(), attribute.String("error.type", "invalid"))
		run := byName["grading.Service.Run"][0]
		assert.Subset(t, run.Attributes(), []attribute.KeyValue{attribute.String("dealercrm.day", "2026-03-10"),
			attribute.Int("dealercrm.customers.count", 2)})
		for _, s := range byName["postgres.customers.Get"] {
			assert.Contains(t, s.Attributes(), attribute.String("db.system.name", "postgresql"))
		}
	})

	t.Run("NoPersonalData", func(t *testing.T) {
		check := func(where string, kvs []attribute.KeyValue) {
			for _, kv := range kvs {
				for _, p := range personal {
					assert.NotContains(t, kv.Value.String(), p, "%s: %s carries personal data", where, kv.Key)
				}
			}
		}
		for _, s := range got {
			check(s.Name(), s.Attributes())
			for _, e := range s.Events() {
				check(s.Name()+" event "+e.Name, e.Attributes)
			}
			for _, p := range personal {
				assert.NotContains(t, s.Name()+s.Status().Description, p)
			}
		}
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(t.Context(), &rm))
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch data := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, dp := range data.DataPoints {
						check(m.Name, dp.Attributes.ToSlice())
					}
				case metricdata.Histogram[float64]:
					for _, dp := range data.DataPoints {
						check(m.Name, dp.Attributes.ToSlice())
					}
				}
			}
		}
	})

	t.Run("Metrics", func(t *testing.T) {
		var after metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(t.Context(), &after))
		delta := func(name string, kvs ...attribute.KeyValue) int64 {
			return sumOf(&after, name, kvs...) - sumOf(&before, name, kvs...)
		}
		outcome := func(o string) attribute.KeyValue { return attribute.String("dealercrm.outcome", o) }
		kind := func(k string) attribute.KeyValue { return attribute.String("dealercrm.record.kind", k) }
		assert.Equal(t, int64(2), delta("dealercrm.import.records", kind("customers"), outcome("created")))
		assert.Equal(t, int64(1), delta("dealercrm.import.records", kind("vehicles"), outcome("created")))
		assert.Equal(t, int64(1), delta("dealercrm.import.records", kind("customers"), outcome("rejected")), "the bad batch's record")
		assert.Equal(t, int64(1), delta("dealercrm.import.errors", attribute.String("error.type", "invalid")))
		assert.Equal(t, int64(2), delta("dealercrm.lifecycle.runs", outcome("done")), "the direct run and the job's")
		assert.Equal(t, int64(1), delta("dealercrm.grading.runs", outcome("done")))
		assert.Equal(t, int64(2), delta("dealercrm.grading.customers"))
		assert.Equal(t, int64(1), delta("dealercrm.job.runs", attribute.String("dealercrm.job.kind", "lifecycle"), outcome("done")))
	})
}

// TestTelemetryNotFoundIsNoError: a lookup that finds nothing is an
// answer, not a failed span.
func TestTelemetryNotFoundIsNoError(t *testing.T) {
	spans, _ := installOtel()
	ctx, host := tracedContext(t)
	store := pgtest.NewStore(t)
	_, err := store.Dealers().Get(ctx, "d-none")
	require.ErrorIs(t, err, dealercrm.ErrNotFound)
	got := traceOf(spans, host)
	require.Len(t, got, 1)
	assert.Equal(t, "postgres.dealers.Get", got[0].Name())
	assert.Equal(t, codes.Unset, got[0].Status().Code)
	assert.Contains(t, got[0].Attributes(), attribute.String("dealercrm.outcome", "not_found"))
	assert.False(t, strings.Contains(got[0].Name(), "d-none"), "no ID in a span name")
}
