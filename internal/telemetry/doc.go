// Package telemetry holds what the instrumented packages of dealercrm
// share to follow one convention (docs/observability.md): the attribute
// keys, ending a span with an error recorded without personal data, and
// the progress lines of long batch runs. It uses the OpenTelemetry API
// only; the host installs the SDK.
//
// Each instrumented package keeps its own tracer and meter, named after its
// import path, from the global providers:
//
//	var tracer = otel.Tracer("github.com/dealercrm/dealercrm/jobs")
//
//	ctx, span := tracer.Start(ctx, "jobs.RunDay", trace.WithAttributes(telemetry.Dealer.String(id)))
//	defer func() { telemetry.End(span, err) }()
package telemetry
