package client

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// The codes of the HTTP layer's own errors, which the API answers next to
// the dealercrm codes (dealercrm.Invalid, dealercrm.NotFound, …) in a
// problem's code member.
const (
	CodeMalformed            = "malformed_request"      // 400: a body or header that cannot be read
	CodeUnauthenticated      = "unauthenticated"        // 401: a missing or unknown API key
	CodeRouteNotFound        = "route_not_found"        // 404: no such route
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeTooLarge             = "body_too_large"         // 413
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
	CodeRateLimited          = "rate_limited"           // 429: the key's rate is spent; see RetryAfter
	CodeCursorExpired        = "cursor_expired"         // 410: an event cursor older than the retention
)

// Error is an answer of the API that is not a success: its problem
// details (RFC 9457, application/problem+json). Every method of Client
// returns it for such answers; transport failures are other errors.
//
// It works with the dealercrm error codes: dealercrm.ErrorCode(err) is
// its code (those of the HTTP layer mapped to the nearest: malformed →
// Invalid, unauthenticated → PermissionDenied, rate limited →
// Unavailable, …), errors.Is(err, dealercrm.ErrNotFound) and the other
// code sentinels match, and errors.As(err, &ve) with a
// *crm.ValidationError gives the field errors of an invalid request.
type Error struct {
	// Op is the operationId of the call: "createCustomer".
	Op string
	// Status is the HTTP status; Code the API's error code: a
	// dealercrm.Code ("invalid", "not_found", …) or one of the Code…
	// constants of this package.
	Status int
	Code   string
	// Title is the status text; Detail says what went wrong, in the
	// language asked for (WithLanguage); Instance is the request's path.
	Title, Detail, Instance string
	// Fields are the fields that broke a rule (422), could not be read
	// (400) or hold a value another record has (409, rule unique), by JSON
	// path ("customer.vehicles[2].vin") or query parameter name.
	Fields []crm.FieldError
	// TotalErrors counts the broken rules when Fields lists only the first
	// of them (an import lists the first 100); 0 when Fields has them all.
	TotalErrors int
	// Permission is the permission the key's roles lack (403).
	Permission crm.Permission
	// RequestID is the server's id of the request (X-Request-Id), for its
	// logs and the audit trail.
	RequestID string
	// RetryAfter is how long the server asked to wait (503, 429); 0 when
	// it did not say.
	RetryAfter time.Duration
}

// Error says the operation, the status and the detail, and names the
// fields at fault.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dealercrm api: %s: %d %s", e.Op, e.Status, e.Code)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Field, f.Rule)
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// ErrorCode implements dealercrm.Coder: the error's dealercrm code.
func (e *Error) ErrorCode() dealercrm.Code {
	switch e.Code {
	case string(dealercrm.Invalid), string(dealercrm.NotFound), string(dealercrm.Conflict),
		string(dealercrm.FailedPrecondition), string(dealercrm.PermissionDenied),
		string(dealercrm.Unavailable), string(dealercrm.Internal):
		return dealercrm.Code(e.Code)
	case CodeMalformed, CodeMethodNotAllowed, CodeTooLarge, CodeUnsupportedMediaType:
		return dealercrm.Invalid
	case CodeUnauthenticated:
		return dealercrm.PermissionDenied
	case CodeRouteNotFound:
		return dealercrm.NotFound
	case CodeRateLimited:
		return dealercrm.Unavailable
	case CodeCursorExpired:
		return dealercrm.FailedPrecondition
	}
	switch {
	case e.Status == http.StatusNotFound:
		return dealercrm.NotFound
	case e.Status == http.StatusConflict:
		return dealercrm.Conflict
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return dealercrm.PermissionDenied
	case e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests ||
		e.Status == http.StatusBadGateway || e.Status == http.StatusGatewayTimeout:
		return dealercrm.Unavailable
	case e.Status >= 400 && e.Status < 500:
		return dealercrm.Invalid
	}
	return dealercrm.Internal
}

// Is matches the code sentinels of dealercrm (dealercrm.ErrNotFound, …)
// with the error's code. Sentinels with their own message
// (crm.ErrLeadNotOpen) do not match: the answer's detail is in the
// language asked for, so compare Code and Detail where it matters.
func (e *Error) Is(target error) bool {
	t, ok := target.(*dealercrm.Error)
	if !ok || (t.Message != "" && t.Message != string(t.Code)) {
		return false
	}
	return t.Code == e.ErrorCode()
}

// As gives an invalid request's field errors as a *crm.ValidationError,
// the error the server's validation returned, so that code written for
// the embedded SDK reads them alike.
func (e *Error) As(target any) bool {
	ve, ok := target.(**crm.ValidationError)
	if !ok || e.ErrorCode() != dealercrm.Invalid || len(e.Fields) == 0 {
		return false
	}
	*ve = &crm.ValidationError{Entity: "request", Fields: e.Fields, Total: e.TotalErrors}
	return true
}

// problem is the problem details object the API answers.
type problem struct {
	Title       string           `json:"title"`
	Status      int              `json:"status"`
	Detail      string           `json:"detail"`
	Instance    string           `json:"instance"`
	Code        string           `json:"code"`
	Errors      []crm.FieldError `json:"errors"`
	TotalErrors int              `json:"total_errors"`
	Permission  crm.Permission   `json:"permission"`
}

// readProblem reads the *Error of a failed answer. An answer that is not
// problem details (a proxy's error page) keeps its status, and the start
// of its body as the detail.
func readProblem(op string, resp *http.Response) error {
	e := &Error{Op: op, Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
		RequestID: resp.Header.Get("X-Request-Id")}
	if resp.Header.Get("Retry-After") != "" {
		e.RetryAfter = retryAfter(resp.Header)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var p problem
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(body, &p) == nil && p.Code != "" {
		e.Code, e.Detail, e.Instance = p.Code, p.Detail, p.Instance
		e.Fields, e.TotalErrors, e.Permission = p.Errors, p.TotalErrors, p.Permission
		if p.Title != "" {
			e.Title = p.Title
		}
		return e
	}
	e.Detail = strings.TrimSpace(string(body[:min(len(body), 200)]))
	e.Code = string(e.ErrorCode())
	return e
}
