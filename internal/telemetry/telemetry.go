package telemetry

import (
	"log/slog"
	"time"

	"github.com/dealercrm/dealercrm"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// The attribute keys of dealercrm's spans and metrics. Their values are
// IDs the library generates, enumerations, days and counts: never personal
// data.
const (
	Dealer     = attribute.Key("dealercrm.dealer.id")
	JobKind    = attribute.Key("dealercrm.job.kind")
	Day        = attribute.Key("dealercrm.day")
	Outcome    = attribute.Key("dealercrm.outcome")
	RecordKind = attribute.Key("dealercrm.record.kind")
	// ErrorType is OpenTelemetry's error.type, here the error's
	// dealercrm.Code.
	ErrorType = attribute.Key("error.type")
)

// The outcomes of a run.
const (
	OutcomeDone   = "done"
	OutcomeFailed = "failed"
)

// OutcomeOf returns OutcomeFailed when err is not nil, else OutcomeDone.
func OutcomeOf(err error) string {
	if err != nil {
		return OutcomeFailed
	}
	return OutcomeDone
}

// codeError is an error reduced to its code: what a span records of a
// failure, since the message may quote the input (a name, a mobile).
type codeError struct{ code dealercrm.Code }

func (e codeError) Error() string { return "dealercrm: " + string(e.code) }

// Fail records err on span as an exception and sets its status to Error,
// both carrying only the error's dealercrm.Code (error.type), never its
// message. A nil err does nothing.
func Fail(span trace.Span, err error) {
	if err == nil {
		return
	}
	code := dealercrm.ErrorCode(err)
	span.RecordError(codeError{code}, trace.WithAttributes(ErrorType.String(string(code))))
	span.SetAttributes(ErrorType.String(string(code)))
	span.SetStatus(codes.Error, string(code))
}

// End ends span after recording err (Fail).
func End(span trace.Span, err error) {
	Fail(span, err)
	span.End()
}

// ProgressEvery and ProgressInterval are how often Progress logs: every
// ProgressEvery items, or after ProgressInterval, whichever comes first.
const (
	ProgressEvery    = 1000
	ProgressInterval = 10 * time.Second
)

// Progress logs the progress of a long batch run at Info: a line when
// ProgressEvery items more are done or ProgressInterval passed since the
// last line, and a summary at the end. A nil Progress logs nothing. It is
// not safe for concurrent use.
type Progress struct {
	log   *slog.Logger
	msg   string
	attrs []any
	total int

	start, last time.Time
	done, at    int
}

// NewProgress starts the progress of a run of total items (0 when unknown)
// named msg ("lifecycle run"), whose lines carry attrs (slog key-value
// pairs: "dealer", id).
// Without a logger it returns nil, a Progress that does nothing.
func NewProgress(log *slog.Logger, msg string, total int, attrs ...any) *Progress {
	if log == nil {
		return nil
	}
	now := time.Now()
	return &Progress{log: log, msg: msg, attrs: attrs, total: total, start: now, last: now}
}

// Add counts n items more done and logs a progress line when one is due.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.done += n
	now := time.Now()
	if p.done-p.at < ProgressEvery && now.Sub(p.last) < ProgressInterval {
		return
	}
	p.at, p.last = p.done, now
	args := append([]any{"done", p.done}, p.attrs...)
	if p.total > 0 {
		args = append(args, "total", p.total)
	}
	p.log.Info(p.msg+" progress", append(args, "elapsed", now.Sub(p.start).Round(time.Millisecond))...)
}

// Done logs the summary line: the items done, the time taken, err's code
// when the run failed, and attrs (the run's counts).
func (p *Progress) Done(err error, attrs ...any) {
	if p == nil {
		return
	}
	args := append([]any{"done", p.done}, p.attrs...)
	args = append(args, attrs...)
	args = append(args, "elapsed", time.Since(p.start).Round(time.Millisecond))
	if err != nil {
		p.log.Warn(p.msg+" failed", append(args, "error_type", string(dealercrm.ErrorCode(err)))...)
		return
	}
	p.log.Info(p.msg+" done", args...)
}
