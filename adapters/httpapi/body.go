package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dealercrm/dealercrm/i18n"
	"golang.org/x/text/language"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// call is one authenticated request to a route.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	dealer crm.DealerID
	// principal is whom the request acts for (its Dealer is dealer), with
	// its permissions resolved; zero on a public route.
	principal crm.Principal
	// mask hides phone and ID numbers in the answer: the principal lacks
	// crm.PermPersonalData (maskJSON).
	mask bool
	// limit is the body limit of the route.
	limit int64
	// key is the checked Idempotency-Key of an idempotent route, "" when
	// the request has none.
	key string
	// again is set by the work of a route with an again status when the
	// request found its record already there: the answer has that status.
	again bool
	// cat renders words in the request's language, lang (words.go),
	// matched on first use (langSet).
	cat     *i18n.Catalog
	lang    language.Tag
	langSet bool
	// heavyTurn waits for the heavy turn of a route that takes it on
	// demand (route.heavyOnDemand); nil for every other route.
	heavyTurn func() error
}

// heavy waits for the request's heavy turn when its route takes it on
// demand (a 503 when none comes); other routes took theirs already.
func (c *call) heavy() error {
	if c.heavyTurn == nil {
		return nil
	}
	return c.heavyTurn()
}

// reply writes v as the JSON body of a response with status; a nil v
// writes no body (204).
func (c *call) reply(status int, v any) error {
	if v == nil {
		c.w.WriteHeader(status)
		return nil
	}
	// The reply is encoded into a pooled buffer: json.Marshal's copy of
	// a 50-task page, and the second one that appending the newline
	// made, were a sixth of the call list's allocations.
	buf := replyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledReply {
			replyBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("httpapi: encode response: %w", err)
	}
	body := buf.Bytes()
	if c.mask {
		body = append(maskJSON(body[:len(body)-1]), '\n')
	}
	hd := c.w.Header()
	setLanguageHeaders(hd, c.language())
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
	return nil
}

// replyBuffers are the buffers replies are encoded in; one that grew
// beyond maxPooledReply (a large export) is left to the collector.
var replyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledReply = 1 << 20

// decode reads the request body into dst: JSON (application/json), exactly
// one value, no unknown fields, no read-only fields (see rejectDerived),
// then dst's own shape checks when it has a validate method. The IDs of
// records it names go to the request's audit record (noteBodyIDs).
func (c *call) decode(dst any) error {
	if err := c.checkContentType(false); err != nil {
		return err
	}
	body, err := c.readBody()
	if err != nil {
		return err
	}
	if err := checkBodyText(body); err != nil {
		return err
	}
	if err := decodeStrict(body, dst); err != nil {
		return err
	}
	if err := rejectDerived(dst); err != nil {
		return err
	}
	noteBodyIDs(c.r.Context(), dst)
	if v, ok := dst.(interface{ validate() error }); ok {
		return v.validate()
	}
	return nil
}

// checkContentType accepts a missing Content-Type and application/json, and
// for a patch application/merge-patch+json too.
func (c *call) checkContentType(patch bool) error {
	ct := c.r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || patch && mt == "application/merge-patch+json") {
		return nil
	}
	e := &apiError{code: codeUnsupportedMediaType, detail: "the body must be application/json"}
	if patch {
		e.detail = "the body must be application/merge-patch+json or application/json"
		e.header = http.Header{"Accept-Patch": {"application/merge-patch+json, application/json"}}
	}
	return e
}

// readBody reads the whole body within the route's limit; a larger body is
// an *http.MaxBytesError (413).
func (c *call) readBody() ([]byte, error) {
	if c.r.ContentLength > c.limit {
		return nil, &http.MaxBytesError{Limit: c.limit}
	}
	w := c.w
	if sw, ok := w.(*statusWriter); ok {
		// The server's own writer, so that it closes the connection after
		// a body that was too large.
		w = sw.ResponseWriter
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, c.r.Body, c.limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, &apiError{code: codeMalformed, detail: "the request body could not be read"}
	}
	return body, nil
}

// decodeStrict decodes exactly one JSON value from body into dst, rejecting
// fields dst does not have. A malformed judgment of a comparison matrix is
// the *satisfaction.MatrixError naming its cell (422), not a malformed
// body (400).
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if me, ok := errors.AsType[*satisfaction.MatrixError](err); ok {
			return locateMatrixError(me, body, reflect.TypeOf(dst))
		}
		return locatedError(decodeError(err), body, reflect.TypeOf(dst))
	}
	return expectEOF(dec)
}

// locatedError names the field of a decoding error that encoding/json
// left unnamed: an unknown field, or a value whose own decoding failed.
func locatedError(err error, body []byte, t reflect.Type) error {
	e, ok := err.(*apiError)
	if !ok || len(e.fields) > 0 || e.code != codeMalformed || t == nil {
		return err
	}
	path, unknown := locateError(body, t)
	if path == "" {
		return err
	}
	rule := "type"
	if unknown {
		rule = "unknown"
	}
	e.fields = []crm.FieldError{{Field: path, Rule: rule, Message: e.detail}}
	if !strings.HasPrefix(e.detail, path+":") {
		e.detail = path + ": " + e.detail
	}
	return e
}

// expectEOF fails when anything but white space follows the first value.
func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return &apiError{code: codeMalformed, detail: "the body must hold exactly one JSON value"}
	}
	return nil
}

// decodeError turns a JSON decoding error into a 400 problem that says what
// was wrong and where, without Go type names.
func decodeError(err error) error {
	e := &apiError{code: codeMalformed}
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		e.detail = fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
		return e
	}
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		want := jsonKind(typ.Type)
		e.detail = fmt.Sprintf("a JSON %s is not allowed here; want %s", typ.Value, want)
		if typ.Field != "" {
			e.detail = typ.Field + ": " + e.detail
			e.fields = []crm.FieldError{{Field: typ.Field, Rule: "type", Message: "want " + want}}
		}
		return e
	}
	switch {
	case errors.Is(err, io.EOF):
		e.detail = "the request body is empty; want a JSON value"
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.detail = "the JSON body ends too early"
	default:
		// Unknown fields and errors of the value types (a date, an amount).
		e.detail = strings.TrimPrefix(err.Error(), "json: ")
	}
	return e
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t {
	case typeDecimal:
		return "a decimal string or number"
	case typeDate:
		return "a date string YYYY-MM-DD"
	case typeTime:
		return "an RFC 3339 date-time string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON value"
}

// decodePatch reads a JSON merge patch (RFC 7396) for a record whose
// writable view is In, and checks it against In before any transaction
// starts: unknown fields and type mismatches are 400, read-only fields 422.
func decodePatch[In any](c *call) (map[string]any, error) {
	if err := c.checkContentType(true); err != nil {
		return nil, err
	}
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	if err := checkBodyText(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers stay literal, so amounts keep every digit through the merge.
	dec.UseNumber()
	var patch any
	if err := dec.Decode(&patch); err != nil {
		return nil, decodeError(err)
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	obj, ok := patch.(map[string]any)
	if !ok {
		return nil, &apiError{code: codeMalformed, detail: "a merge patch must be a JSON object"}
	}
	var probe In
	if err := applyPatch(&probe, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// applyPatch applies a merge patch to the JSON of *dst and decodes the
// result back into *dst, strictly.
func applyPatch[In any](dst *In, patch map[string]any) error {
	raw, err := json.Marshal(dst)
	if err != nil {
		return fmt.Errorf("httpapi: encode record for patch: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("httpapi: decode record for patch: %w", err)
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return fmt.Errorf("httpapi: encode patched record: %w", err)
	}
	var out In
	if err := decodeStrict(merged, &out); err != nil {
		return err
	}
	if err := rejectDerived(&out); err != nil {
		return err
	}
	*dst = out
	return nil
}

// mergePatch is RFC 7396 MergePatch. It may change target (a freshly
// decoded document) but never patch, which is applied more than once.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// Request types mark read-only fields with a struct tag:
//
//   - api:"server": set by the server (id, dealer_id, created_at,
//     updated_at). A body may carry it — a client may send back what it
//     read — and it is ignored.
//   - api:"derived": business state with its own operation (a lead's
//     status, a customer's consents); hint:"…" says which. A body that
//     carries it is rejected with 422 (rule immutable), since silently
//     ignoring it would mislead the caller.
//
// Both are json.RawMessage fields, so that any value decodes.

// derivedField is an api:"derived" field of a request type.
type derivedField struct {
	index []int
	name  string
	hint  string
}

var (
	derivedCache sync.Map // reflect.Type → []derivedField
	thisPackage  = reflect.TypeFor[apiError]().PkgPath()
)

// rejectDerived returns a *crm.ValidationError naming every api:"derived"
// field that *v (a pointer to a request type) carries.
func rejectDerived(v any) error {
	rv := reflect.ValueOf(v).Elem()
	var fields []crm.FieldError
	for _, f := range derivedFields(rv.Type()) {
		if rv.FieldByIndex(f.index).Len() > 0 {
			fields = append(fields, crm.FieldError{Field: f.name, Rule: crm.RuleImmutable, Message: "is read-only: " + f.hint})
		}
	}
	if len(fields) > 0 {
		return &crm.ValidationError{Entity: "request", Fields: fields}
	}
	return nil
}

func derivedFields(t reflect.Type) []derivedField {
	if v, ok := derivedCache.Load(t); ok {
		return v.([]derivedField)
	}
	var out []derivedField
	if t.Kind() == reflect.Struct {
		collectDerived(t, nil, "", &out)
	}
	derivedCache.Store(t, out)
	return out
}

// collectDerived walks the request types of this package nested in t.
func collectDerived(t reflect.Type, index []int, prefix string, out *[]derivedField) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "-" {
			continue
		}
		idx := append(slices.Clone(index), i)
		if f.Tag.Get("api") == "derived" {
			*out = append(*out, derivedField{index: idx, name: prefix + name, hint: f.Tag.Get("hint")})
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == thisPackage {
			p := prefix
			if !f.Anonymous {
				p = prefix + name + "."
			}
			collectDerived(f.Type, idx, p, out)
		}
	}
}

// jsonName returns the JSON name of a struct field, "-" when it has none.
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "-"
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name
}

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 255

// idempotencyKey reads and checks the Idempotency-Key header of r; required
// makes a missing one a 400 naming the header.
func idempotencyKey(r *http.Request, required bool) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" && required {
		return "", &apiError{code: codeMalformed, detail: "Idempotency-Key: this request moves points or money and needs an Idempotency-Key header, so that a retry posts nothing twice",
			fields: []crm.FieldError{{Field: "Idempotency-Key", Rule: crm.RuleRequired, Message: "is required"}}}
	}
	if len(k) > maxIdempotencyKey {
		return "", &crm.ValidationError{Entity: "request", Fields: []crm.FieldError{{Field: "Idempotency-Key", Rule: crm.RuleMaxLength,
			Message: "is longer than 255 characters"}}}
	}
	for _, r := range k {
		if r < 0x20 || r > 0x7e {
			return "", &crm.ValidationError{Entity: "request", Fields: []crm.FieldError{{Field: "Idempotency-Key", Rule: crm.RuleFormat,
				Message: "must be printable ASCII"}}}
		}
	}
	return k, nil
}
