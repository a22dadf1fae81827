package importer_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/dealercrm/dealercrm/importer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// recorder is a tracer and meter provider of the otel API that records
// span names, counter additions and histogram recordings (no SDK needed).
type recorder struct {
	tracenoop.TracerProvider
	metricnoop.MeterProvider
	mu     sync.Mutex
	scopes map[string]bool
	spans  []string
	counts map[string]int64 // "name outcome" → sum
	hists  []string         // "name outcome"
	attrs  []attribute.KeyValue
}

// Tracer records the importer's spans only (crm's import span, for one,
// is crm's to test), and every scope asked for.
func (r *recorder) Tracer(name string, _ ...trace.TracerOption) trace.Tracer {
	r.mu.Lock()
	r.scopes[name] = true
	r.mu.Unlock()
	if name != importer.Scope {
		return tracenoop.Tracer{}
	}
	return recTracer{r: r}
}

// Meter records the importer's instruments only.
func (r *recorder) Meter(name string, _ ...metric.MeterOption) metric.Meter {
	r.mu.Lock()
	r.scopes[name] = true
	r.mu.Unlock()
	if name != importer.Scope {
		return metricnoop.Meter{}
	}
	return recMeter{r: r}
}

type recTracer struct {
	tracenoop.Tracer
	r *recorder
}

func (t recTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	t.r.mu.Lock()
	t.r.spans = append(t.r.spans, name)
	t.r.mu.Unlock()
	ctx, s := t.Tracer.Start(ctx, name, opts...)
	return ctx, recSpan{Span: s, r: t.r}
}

type recSpan struct {
	trace.Span
	r *recorder
}

func (s recSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.r.mu.Lock()
	s.r.attrs = append(s.r.attrs, kv...)
	s.r.mu.Unlock()
}

type recMeter struct {
	metricnoop.Meter
	r *recorder
}

func (m recMeter) Int64Counter(name string, _ ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return recCounter{name: name, r: m.r}, nil
}

func (m recMeter) Float64Histogram(name string, _ ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return recHist{name: name, r: m.r}, nil
}

type recCounter struct {
	metricnoop.Int64Counter
	name string
	r    *recorder
}

func (c recCounter) Add(_ context.Context, n int64, opts ...metric.AddOption) {
	set := metric.NewAddConfig(opts).Attributes()
	outcome, _ := set.Value("dealercrm.outcome")
	c.r.mu.Lock()
	c.r.counts[c.name+" "+outcome.AsString()] += n
	c.r.attrs = append(c.r.attrs, set.ToSlice()...)
	c.r.mu.Unlock()
}

type recHist struct {
	metricnoop.Float64Histogram
	name string
	r    *recorder
}

func (h recHist) Record(_ context.Context, v float64, opts ...metric.RecordOption) {
	set := metric.NewRecordConfig(opts).Attributes()
	outcome, _ := set.Value("dealercrm.outcome")
	h.r.mu.Lock()
	h.r.hists = append(h.r.hists, h.name+" "+outcome.AsString())
	h.r.attrs = append(h.r.attrs, set.ToSlice()...)
	h.r.mu.Unlock()
}

// Run records an "import" span with one "import.batch" per batch,
// dealercrm.import.rows by outcome and one dealercrm.import.file.duration,
// under the package's scope (the records are crm's to count, under its
// scope), and no attribute holds personal data: the 250 rows of
// manyBadRows in batches of 100 are 3 batches; 25 rows imported, 225
// rejected.
func TestRunTelemetry(t *testing.T) {
	r := &recorder{scopes: map[string]bool{}, counts: map[string]int64{}}
	tp, mp := otel.GetTracerProvider(), otel.GetMeterProvider()
	otel.SetTracerProvider(r)
	otel.SetMeterProvider(r)
	t.Cleanup(func() { otel.SetTracerProvider(tp); otel.SetMeterProvider(mp) })

	svc := newService(t)
	src, err := importer.NewCSV(strings.NewReader(manyBadRows()))
	require.NoError(t, err)
	_, err = importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", Partial: true, BatchRows: 100})
	require.NoError(t, err)

	assert.True(t, r.scopes[importer.Scope], "the package's scope is its import path")
	assert.Equal(t, []string{"import", "import.batch", "import.batch", "import.batch"}, r.spans)
	assert.Equal(t, map[string]int64{
		"dealercrm.import.rows imported": 25,
		"dealercrm.import.rows rejected": 225,
	}, r.counts)
	assert.Equal(t, []string{"dealercrm.import.file.duration done"}, r.hists)
	for _, kv := range r.attrs {
		v := kv.Value.String()
		assert.NotContains(t, v, "客户", "attribute %s holds no name", kv.Key)
		assert.NotContains(t, v, "LSVA", "attribute %s holds no VIN", kv.Key)
		assert.False(t, len(v) >= 9 && strings.HasPrefix(v, "13"), "attribute %s holds no mobile: %s", kv.Key, v)
	}
}
