package postgres

import (
	"context"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// tracer traces the store operations and transactions of the adapter
// (docs/observability.md), from the global provider, which delegates to
// the one the host sets. The SQL statements are the host's to trace, with
// bunotel's query hook on its bun.DB.
var tracer = otel.Tracer("github.com/dealercrm/dealercrm/adapters/postgres")

// dbSystem is OpenTelemetry's name of the database.
var dbSystem = attribute.String("db.system.name", "postgresql")

// startOp starts the span postgres.<store>.<method> of one store
// operation for dealer ("" when the operation is not a dealer's).
func startOp(ctx context.Context, store, method string, dealer crm.DealerID) (context.Context, trace.Span) {
	if dealer == "" {
		return tracer.Start(ctx, "postgres."+store+"."+method, trace.WithAttributes(dbSystem))
	}
	return tracer.Start(ctx, "postgres."+store+"."+method, trace.WithAttributes(dbSystem, telemetry.Dealer.String(string(dealer))))
}

// endOp ends the span of a store operation. A record not found is an
// answer, not a failure: the span says so without an error status.
func endOp(span trace.Span, err error) {
	if err != nil && dealercrm.ErrorCode(err) == dealercrm.NotFound {
		span.SetAttributes(telemetry.Outcome.String("not_found"))
		err = nil
	}
	telemetry.End(span, err)
}
