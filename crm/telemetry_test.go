package crm_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestImportTelemetry imports importBatch (2 customers, 2 vehicles, 1
// service order) on memory, then a batch with a bad mobile, with SDK
// providers set as the global ones (the only test of the package that sets
// them), and checks the spans, the metrics and the log lines, and that
// none carries the customers' names or mobiles.
func TestImportTelemetry(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	var logs bytes.Buffer
	ctx := context.Background()
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }),
		crm.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := svc.CreateDealer(ctx, crm.Dealer{ID: dealerA, Name: "上海4S店"})
	require.NoError(t, err)

	_, err = svc.Import(ctx, dealerA, importBatch())
	require.NoError(t, err)
	_, err = svc.Import(ctx, dealerA, crm.Batch{Customers: []crm.Customer{{Record: crm.Record{ExternalID: "C9"}, Name: "王伟", Mobile: "139123456789"}}})
	require.ErrorIs(t, err, dealercrm.ErrInvalid)

	got := spans.Ended()
	require.Len(t, got, 2)
	ok, bad := got[0], got[1]
	assert.Equal(t, "crm.Service.Import", ok.Name())
	assert.Equal(t, "github.com/dealercrm/dealercrm/crm", ok.InstrumentationScope().Name)
	assert.Subset(t, ok.Attributes(), []attribute.KeyValue{attribute.String("dealercrm.dealer.id", string(dealerA)),
		attribute.Int("dealercrm.records.count", 5), attribute.Int("dealercrm.records.created", 5),
		attribute.Int("dealercrm.records.updated", 0), attribute.Int("dealercrm.records.unchanged", 0)})
	assert.Equal(t, codes.Unset, ok.Status().Code)
	assert.Equal(t, codes.Error, bad.Status().Code)
	assert.Equal(t, "invalid", bad.Status().Description)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	records := map[string]int64{}
	var failures int64
	var imports uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range data.DataPoints {
					for _, p := range []string{"王伟", "李娜", "13912345678", "139123456789"} {
						for _, kv := range dp.Attributes.ToSlice() {
							assert.NotContains(t, kv.Value.String(), p)
						}
					}
					switch m.Name {
					case "dealercrm.import.records":
						kind, _ := dp.Attributes.Value("dealercrm.record.kind")
						outcome, _ := dp.Attributes.Value("dealercrm.outcome")
						records[kind.AsString()+"/"+outcome.AsString()] += dp.Value
					case "dealercrm.import.errors":
						failures += dp.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, dp := range data.DataPoints {
					imports += dp.Count
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{"customers/created": 2, "vehicles/created": 2, "service_orders/created": 1, "customers/rejected": 1}, records)
	assert.Equal(t, int64(1), failures)
	assert.Equal(t, uint64(2), imports, "both imports timed")

	for _, s := range got {
		kvs := s.Attributes()
		for _, e := range s.Events() {
			kvs = append(kvs, e.Attributes...)
		}
		for _, kv := range kvs {
			for _, p := range []string{"王伟", "李娜", "13912345678", "139123456789"} {
				assert.NotContains(t, kv.Value.String(), p, "%s of %s", kv.Key, s.Name())
			}
		}
	}
	assert.Contains(t, logs.String(), `level=INFO msg="crm import done" dealer=SH01 records=5`)
	assert.Contains(t, logs.String(), `created=5 updated=0 unchanged=0`)
	assert.Contains(t, logs.String(), `level=INFO msg="crm import failed" dealer=SH01 records=1`, "a batch refused for its records is the sender's to fix: Info, not Warn")
	assert.NotContains(t, logs.String(), "139123456789", "the log line names the code, not the message")
}
