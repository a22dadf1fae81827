package telemetry_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestProgress: 2500 items in steps of 100 give a line at 1000 and 2000
// (no 10 s pass in a test) and the summary with the counts.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "elapsed" {
			return slog.Attr{}
		}
		return a
	}}))
	p := telemetry.NewProgress(log, "grading run", 2500, "dealer", "d-1")
	for range 25 {
		p.Add(100)
	}
	p.Done(nil, "changed", 7)
	assert.Equal(t, `level=INFO msg="grading run progress" done=1000 dealer=d-1 total=2500
level=INFO msg="grading run progress" done=2000 dealer=d-1 total=2500
level=INFO msg="grading run done" done=2500 dealer=d-1 changed=7
`, buf.String())

	buf.Reset()
	p = telemetry.NewProgress(log, "jobs tick", 0)
	p.Add(1)
	p.Done(dealercrm.Errorf(dealercrm.Conflict, "13912345678 is taken"))
	assert.Equal(t, "level=WARN msg=\"jobs tick failed\" done=1 error_type=conflict\n", buf.String(), "the code, not the message")

	// No logger, no lines, no panic.
	telemetry.NewProgress(nil, "x", 0).Add(5000)
	var none *telemetry.Progress
	none.Done(nil)
}

// TestFail records the error's code, never its message.
func TestFail(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	for _, c := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("crm: import: %w", dealercrm.Errorf(dealercrm.Invalid, "mobile 1391234567x of 王伟")), "invalid"},
		{errors.New("pq: 王伟"), "internal"},
	} {
		_, span := tr.Start(t.Context(), "op")
		telemetry.End(span, c.err)
	}
	_, span := tr.Start(t.Context(), "ok")
	telemetry.End(span, nil)
	ended := rec.Ended()
	require.Len(t, ended, 3)
	for i, want := range []string{"invalid", "internal"} {
		s := ended[i]
		assert.Equal(t, codes.Error, s.Status().Code)
		assert.Equal(t, want, s.Status().Description)
		require.Len(t, s.Events(), 1)
		for _, kv := range append(s.Attributes(), s.Events()[0].Attributes...) {
			assert.False(t, strings.Contains(kv.Value.String(), "王伟"), "%s carries the message", kv.Key)
		}
	}
	assert.Equal(t, codes.Unset, ended[2].Status().Code)
	assert.Empty(t, ended[2].Events())
}
