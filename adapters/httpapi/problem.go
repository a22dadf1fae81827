package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Codes of the errors of the HTTP layer itself, next to the dealercrm codes
// in the problem "code" member.
const (
	codeMalformed            = "malformed_request"
	codeUnauthenticated      = "unauthenticated"
	codeRouteNotFound        = "route_not_found"
	codeMethodNotAllowed     = "method_not_allowed"
	codeTooLarge             = "body_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	// codeRateLimited (ratelimit.go) is 429.
)

// statusOf is the one table from error codes to HTTP status codes. A failed
// precondition (a closed lead, a record still in use, a state transition
// the state machine forbids) is 409 like a conflict: the request is well
// formed but clashes with the record's current state; the "code" member
// tells the two apart.
var statusOf = map[string]int{
	string(dealercrm.Invalid):            http.StatusUnprocessableEntity,
	string(dealercrm.NotFound):           http.StatusNotFound,
	string(dealercrm.Conflict):           http.StatusConflict,
	string(dealercrm.FailedPrecondition): http.StatusConflict,
	string(dealercrm.PermissionDenied):   http.StatusForbidden,
	string(dealercrm.Unavailable):        http.StatusServiceUnavailable,
	string(dealercrm.Internal):           http.StatusInternalServerError,
	codeMalformed:                        http.StatusBadRequest,
	codeUnauthenticated:                  http.StatusUnauthorized,
	codeRouteNotFound:                    http.StatusNotFound,
	codeMethodNotAllowed:                 http.StatusMethodNotAllowed,
	codeTooLarge:                         http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType:             http.StatusUnsupportedMediaType,
	codeRateLimited:                      http.StatusTooManyRequests,
	codeCursorExpired:                    http.StatusGone,
}

// StatusOf returns the HTTP status the API answers a domain error with
// (a dealercrm.Error's code, by the table the problem details use): 422
// for invalid input, 404, 409 for a conflict or a failed precondition,
// 403, 503 for an unavailable store or a deadline passed, and 500 for
// anything else. The web console answers its pages with it too.
func StatusOf(err error) int {
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	if status, ok := statusOf[string(dealercrm.ErrorCode(err))]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// apiError is an error of the HTTP layer (a malformed body, a missing key)
// rather than of the domain.
type apiError struct {
	code   string
	detail string
	// fields optionally names the fields at fault (a JSON type mismatch).
	fields []crm.FieldError
	// header holds headers the answer must carry (Allow, WWW-Authenticate).
	header http.Header
}

func (e *apiError) Error() string { return "httpapi: " + e.detail }

// problem is an RFC 9457 problem details object. Type is always
// "about:blank", so Title is the status text; Code is the machine-readable
// error code (a dealercrm.Code or one of the HTTP layer's).
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	// Errors lists the fields that broke a rule (422), could not be
	// decoded (400) or hold a value another record has (409, rule
	// "unique"), by JSON name or query parameter name.
	Errors []crm.FieldError `json:"errors,omitempty"`
	// TotalErrors counts the broken rules when errors lists only the
	// first of them (an import lists the first 100).
	TotalErrors int `json:"total_errors,omitempty"`
	// Permission is the permission the API key's roles lack (a 403 of
	// the permission table, or a group view asked without PermGroup).
	Permission crm.Permission `json:"permission,omitempty"`
}

// writeProblem is the one place that turns an error into a response. The
// detail of an internal error is generic; the error itself is logged,
// masked.
func (h *handler) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problem{Type: "about:blank", Instance: r.URL.Path}
	var ae *apiError
	var ve *crm.ValidationError
	var ce *crm.ConflictError
	var pe *crm.PermissionError
	var tooLarge *http.MaxBytesError
	var expired *crm.CursorExpiredError
	switch {
	case errors.As(err, &expired):
		p.Code, p.Detail = codeCursorExpired, expired.Error()
	case errors.As(err, &tooLarge):
		p.Code = codeTooLarge
		p.Detail = "the request body exceeds " + strconv.FormatInt(tooLarge.Limit, 10) + " bytes"
	case errors.As(err, &ae):
		p.Code, p.Detail, p.Errors = ae.code, ae.detail, ae.fields
		for k, v := range ae.header {
			w.Header()[k] = v
		}
	case errors.As(err, &ve):
		p.Code = string(dealercrm.Invalid)
		p.Detail = "invalid " + ve.Entity + ": see errors"
		p.Errors = ve.Fields
		if ve.Total > len(ve.Fields) {
			p.TotalErrors = ve.Total
		}
	case errors.As(err, &pe):
		p.Code, p.Detail, p.Permission = string(dealercrm.PermissionDenied), pe.Message, pe.Permission
		if pe.Field != "" {
			p.Errors = []crm.FieldError{{Field: pe.Field, Rule: pe.Rule, Message: pe.Message}}
		}
	case errors.As(err, &ce):
		// The detail says in words which field is taken; errors names it
		// for programs.
		p.Code = string(dealercrm.Conflict)
		p.Detail = ce.Error()
		p.Errors = []crm.FieldError{{Field: ce.Field, Rule: crm.RuleUnique, Message: strings.TrimPrefix(ce.Error(), ce.Field+" ")}}
	default:
		p.Code = string(dealercrm.ErrorCode(err))
		p.Detail = dealercrm.ErrorMessage(err)
	}
	status, ok := statusOf[p.Code]
	if !ok {
		p.Code, status = string(dealercrm.Internal), http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		route, dealer := "", crm.DealerID("")
		if sw, ok := w.(*statusWriter); ok {
			route, dealer = sw.route, sw.dealer
		}
		h.log.LogAttrs(r.Context(), slog.LevelError, "httpapi: internal error",
			slog.String("method", r.Method), slog.String("route", route), slog.String("dealer", string(dealer)),
			slog.String("error", maskString(err.Error())))
		p.Detail = "internal error"
	}
	if status == http.StatusServiceUnavailable {
		// Retry-After and a log line with the cause (resource limits).
		h.unavailable(w, r, err)
	}
	p.Status, p.Title = status, http.StatusText(status)
	if sw, ok := w.(*statusWriter); ok {
		sw.reason = auditReason(&p)
	}
	lang := h.cfg.catalog.Match(r.Header.Get("Accept-Language"))
	localizeProblem(h.cfg.catalog, lang, &p, err)
	body, _ := json.Marshal(p)
	hd := w.Header()
	setLanguageHeaders(hd, lang)
	hd.Set("Content-Type", "application/problem+json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
