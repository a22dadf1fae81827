package crm

import (
	"context"
	"log/slog"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationScope is the instrumentation scope of the package's spans
// and metrics (docs/observability.md).
const instrumentationScope = "github.com/dealercrm/dealercrm/crm"

// The package's tracer and instruments, from the global providers: they
// delegate to the providers the host sets, also after this package
// initialised. An instrument the meter cannot make is a no-op one. The
// import instruments are shared by every importer (the CLI's spreadsheet
// import adds dealercrm.import.source).
var (
	tracer              = otel.Tracer(instrumentationScope)
	meter               = otel.Meter(instrumentationScope)
	importRecords, _    = meter.Int64Counter("dealercrm.import.records", metric.WithUnit("{record}"), metric.WithDescription("Imported records, by record kind and outcome (created, updated, unchanged, rejected)."))
	importDuration, _   = meter.Float64Histogram("dealercrm.import.duration", metric.WithUnit("s"), metric.WithDescription("Duration of imports, by outcome (done, failed)."))
	importErrorCount, _ = meter.Int64Counter("dealercrm.import.errors", metric.WithUnit("{error}"), metric.WithDescription("Failed imports, by error.type (the dealercrm error code)."))
)

// startImport starts the span of an import of b for dealer.
func startImport(ctx context.Context, dealer DealerID, b *Batch) (context.Context, trace.Span) {
	return tracer.Start(ctx, "crm.Service.Import", trace.WithAttributes(
		telemetry.Dealer.String(string(dealer)), attribute.Int("dealercrm.records.count", b.Len())))
}

// importKind is one record kind of an import: its name, its count in the
// batch and its results.
type importKind struct {
	kind    string
	n       int
	results []UpsertResult
}

// importKinds returns the record kinds of b with their results in r.
func importKinds(b *Batch, r *ImportResult) []importKind {
	return []importKind{
		{importCustomers.json, len(b.Customers), r.Customers},
		{importVehicles.json, len(b.Vehicles), r.Vehicles},
		{importLeads.json, len(b.Leads), r.Leads},
		{importSales.json, len(b.Sales), r.Sales},
		{importServiceOrders.json, len(b.ServiceOrders), r.ServiceOrders},
		{importPolicies.json, len(b.Policies), r.Policies},
		{importInteractions.json, len(b.Interactions), r.Interactions},
		{importComplaints.json, len(b.Complaints), r.Complaints},
		{importParticipations.json, len(b.Participations), r.Participations},
	}
}

// endImport ends the span of an import begun at start, counts its records
// by kind and outcome (every record of a failed import is rejected) and
// logs its summary with the Service's logger (WithLogger).
func (s *Service) endImport(ctx context.Context, span trace.Span, start time.Time, dealer DealerID, b *Batch, r *ImportResult, err error) {
	took := time.Since(start)
	counts := map[string]int{}
	for _, k := range importKinds(b, r) {
		byOutcome := map[string]int{}
		if err != nil {
			byOutcome["rejected"] = k.n
		}
		for _, x := range k.results {
			byOutcome[string(x.Outcome)]++
		}
		for o, n := range byOutcome {
			if n > 0 {
				importRecords.Add(ctx, int64(n), metric.WithAttributes(telemetry.RecordKind.String(k.kind), telemetry.Outcome.String(o)))
				counts[o] += n
			}
		}
	}
	if err == nil {
		span.SetAttributes(attribute.Int("dealercrm.records.created", counts[string(Created)]),
			attribute.Int("dealercrm.records.updated", counts[string(Updated)]),
			attribute.Int("dealercrm.records.unchanged", counts[string(Unchanged)]))
	} else {
		importErrorCount.Add(ctx, 1, metric.WithAttributes(telemetry.ErrorType.String(string(dealercrm.ErrorCode(err)))))
	}
	telemetry.End(span, err)
	importDuration.Record(ctx, took.Seconds(), metric.WithAttributes(telemetry.Outcome.String(telemetry.OutcomeOf(err))))
	if s.log == nil {
		return
	}
	args := []any{"dealer", dealer, "records", b.Len(), "elapsed", took.Round(time.Millisecond)}
	if err != nil {
		// A batch refused for its records is the sender's to fix (the
		// caller has the field errors): Info; a failure of the store Warn.
		level := slog.LevelWarn
		if code := dealercrm.ErrorCode(err); code == dealercrm.Invalid || code == dealercrm.Conflict {
			level = slog.LevelInfo
		}
		s.log.Log(ctx, level, "crm import failed", append(args, "error_type", string(dealercrm.ErrorCode(err)))...)
		return
	}
	s.log.Info("crm import done", append(args, "created", counts[string(Created)], "updated", counts[string(Updated)],
		"unchanged", counts[string(Unchanged)])...)
}
