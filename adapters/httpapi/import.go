package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// POST /v1/import takes up to 64 MiB of JSON, and the Go values of a JSON
// document may take many times its size: a 3-byte "{}" in a list becomes
// an 80-byte struct, a field error a 150-byte value. The body is therefore
// decoded as a stream, one record at a time, within three limits that
// bound the memory of one import whatever the body holds, each a 413
// naming where it was passed:
//
//   - the records of a batch, all kinds together: the crm.Service's
//     MaxImportRecords (crm.DefaultMaxImportRecords, 10,000; change it
//     with crm.WithMaxImportRecords);
//   - the entries of the records' lists (odometer readings, value-chain
//     items, consents, hobbies, follow-ups, …), all records together:
//     ImportListEntriesPerRecord times the record cap;
//   - the size of one record: the body limit of every other route
//     (WithMaxBodyBytes, 1 MiB).
//
// A batch that breaks rules lists the first crm.MaxImportErrors field
// errors, and total_errors counts them all.

// ImportListEntriesPerRecord is the budget of list entries per record of
// an import: the lists of a batch's records (odometer readings, value-chain
// items, consents, hobbies, follow-ups, …) may hold this many entries times
// the record cap in all, 100,000 by default. A batch with more is 413.
const ImportListEntriesPerRecord = 10

// errRecordTooLarge is the read error of a record longer than its limit.
var errRecordTooLarge = errors.New("httpapi: import record too large")

// batchSection is a member of crm.Batch: a list of records of one kind.
type batchSection struct {
	index int
	elem  reflect.Type
}

// batchSections maps the JSON names of crm.Batch's members to them.
var batchSections = func() map[string]batchSection {
	t := reflect.TypeFor[crm.Batch]()
	out := map[string]batchSection{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Slice {
			panic(fmt.Sprintf("httpapi: crm.Batch.%s is not a list of records", f.Name))
		}
		out[jsonName(f)] = batchSection{index: i, elem: f.Type.Elem()}
	}
	return out
}()

// importBatch answers POST /v1/import.
func importBatch(h *handler, c *call) error {
	b, err := h.decodeBatch(c)
	if err != nil {
		return err
	}
	res, err := h.svc.Import(c.r.Context(), c.dealer, b)
	if err != nil {
		return err
	}
	n := res.Counts()
	return c.reply(http.StatusOK, importReply{
		Counts:  importCounts{Created: n[crm.Created], Updated: n[crm.Updated], Unchanged: n[crm.Unchanged]},
		Results: res,
	})
}

// decodeBatch reads the body of an import record by record, with the
// checks of call.decode (strict JSON, text) applied to each record and
// errors named by the record's path (vehicles[3].vin).
func (h *handler) decodeBatch(c *call) (crm.Batch, error) {
	var b crm.Batch
	if err := c.checkContentType(false); err != nil {
		return b, err
	}
	if c.r.ContentLength > c.limit {
		return b, &http.MaxBytesError{Limit: c.limit}
	}
	w := c.w
	if sw, ok := w.(*statusWriter); ok {
		// The server's own writer, so that it closes the connection after
		// a body that was too large.
		w = sw.ResponseWriter
	}
	d := batchDecoder{
		rd:         &recordReader{r: http.MaxBytesReader(w, c.r.Body, c.limit), left: -1},
		maxRecords: h.svc.MaxImportRecords(),
		maxRecord:  h.cfg.maxBody,
		batch:      reflect.ValueOf(&b).Elem(),
	}
	d.maxEntries = math.MaxInt
	if d.maxRecords < math.MaxInt/ImportListEntriesPerRecord {
		d.maxEntries = d.maxRecords * ImportListEntriesPerRecord
	}
	d.dec = json.NewDecoder(d.rd)
	if err := d.decode(); err != nil {
		return crm.Batch{}, err
	}
	return b, nil
}

// batchDecoder decodes one import body.
type batchDecoder struct {
	rd  *recordReader
	dec *json.Decoder
	// batch is the crm.Batch being filled.
	batch reflect.Value
	// The limits, and what was read so far.
	maxRecords, maxEntries int
	maxRecord              int64
	records, entries       int
}

func (d *batchDecoder) decode() error {
	tok, err := d.dec.Token()
	if err != nil {
		return readError(err) // an empty body says so
	}
	switch tok {
	case nil: // null: an empty batch
		return expectEOF(d.dec)
	case json.Delim('{'):
	default:
		return &apiError{code: codeMalformed, detail: "a JSON " + tokenKind(tok) + " is not allowed here; want an object"}
	}
	seen := map[string]bool{}
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		sec, ok := batchSections[name]
		if !ok {
			return fieldError(name, "unknown", `unknown field "`+name+`"`)
		}
		if seen[name] {
			return fieldError(name, crm.RuleUnique, "appears twice")
		}
		seen[name] = true
		if err := d.section(name, sec); err != nil {
			return err
		}
	}
	if _, err := d.token(); err != nil { // the closing brace
		return err
	}
	return expectEOF(d.dec)
}

// token reads the next token after the first: the body may not end there.
func (d *batchDecoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return tok, readError(err)
}

// section decodes the list of records of one Batch member.
func (d *batchDecoder) section(name string, sec batchSection) error {
	tok, err := d.token()
	if err != nil {
		return err
	}
	switch tok {
	case nil:
		return nil
	case json.Delim('['):
	default:
		return fieldError(name, "type", "a JSON "+tokenKind(tok)+" is not allowed here; want an array")
	}
	list := d.batch.Field(sec.index)
	for i := 0; d.dec.More(); i++ {
		if d.records++; d.records > d.maxRecords {
			return tooLarge(name, fmt.Sprintf("the batch holds more than %d records; at most %d records are allowed in one batch, send the rest in another",
				d.maxRecords, d.maxRecords))
		}
		path := name + "[" + strconv.Itoa(i) + "]"
		v, err := d.record(path, sec.elem)
		if err != nil {
			return err
		}
		list.Set(reflect.Append(list, v))
	}
	_, err = d.token() // the closing bracket
	return err
}

// record decodes the next record, of type t, at path.
func (d *batchDecoder) record(path string, t reflect.Type) (reflect.Value, error) {
	var raw json.RawMessage
	d.rd.limit(d.maxRecord)
	err := d.dec.Decode(&raw)
	d.rd.limit(-1)
	if errors.Is(err, errRecordTooLarge) || err == nil && int64(len(raw)) > d.maxRecord {
		return reflect.Value{}, tooLarge(path, "the record is larger than "+strconv.FormatInt(d.maxRecord, 10)+
			" bytes, the limit of one record")
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return reflect.Value{}, readError(err)
	}
	if err := checkBodyText(raw); err != nil {
		return reflect.Value{}, atPath(err, path)
	}
	if d.entries += listEntries(raw); d.entries > d.maxEntries {
		return reflect.Value{}, tooLarge(path, fmt.Sprintf("the lists of the batch's records (odometer readings, items, consents, hobbies, follow-ups, …) "+
			"hold more than %d entries, %d per record on average; send fewer records in one batch", d.maxEntries, ImportListEntriesPerRecord))
	}
	v := reflect.New(t)
	if err := decodeStrict(raw, v.Interface()); err != nil {
		return reflect.Value{}, atPath(err, path)
	}
	return v.Elem(), nil
}

// readError is the answer to a failed read of the import body: 413 past
// the body limit, else a 400 saying what was wrong.
func readError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); !ok && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return &apiError{code: codeMalformed, detail: "the request body could not be read"}
	}
	return decodeError(err)
}

// fieldError is a 400 naming field.
func fieldError(field, rule, msg string) error {
	return &apiError{code: codeMalformed, detail: field + ": " + msg, fields: []crm.FieldError{{Field: field, Rule: rule, Message: msg}}}
}

// tooLarge is a 413 naming field.
func tooLarge(field, msg string) error {
	return &apiError{code: codeTooLarge, detail: field + ": " + msg, fields: []crm.FieldError{{Field: field, Rule: crm.RuleMax, Message: msg}}}
}

// atPath puts the fields of a 400 about one record under the record's
// path: name becomes customers[3].name.
func atPath(err error, path string) error {
	e, ok := err.(*apiError)
	if !ok {
		return err
	}
	join := func(field string) string {
		switch {
		case field == "" || field == "body":
			return path
		case strings.HasPrefix(field, "["):
			return path + field
		}
		return path + "." + field
	}
	out := &apiError{code: e.code, header: e.header}
	for _, f := range e.fields {
		f.Field = join(f.Field)
		out.fields = append(out.fields, f)
	}
	detail := e.detail
	if len(e.fields) > 0 {
		detail = strings.TrimPrefix(detail, e.fields[0].Field+": ")
	}
	if len(out.fields) == 0 {
		// The record itself has the wrong JSON type.
		out.fields = []crm.FieldError{{Field: path, Rule: "type", Message: detail}}
	}
	out.detail = out.fields[0].Field + ": " + detail
	return out
}

// tokenKind names the JSON kind of a token.
func tokenKind(tok json.Token) string {
	switch tok.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case json.Delim:
		if tok == json.Delim('[') {
			return "array"
		}
		return "object"
	}
	return "null"
}

// listEntries counts the entries of the arrays in raw, a valid JSON value.
func listEntries(raw []byte) int {
	n := 0
	// arrays[i] tells whether nesting level i is an array.
	var arrays []bool
	inString, escaped, valueNext := false, false, false
	for _, c := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if valueNext && c != ']' {
			n++
		}
		valueNext = false
		switch c {
		case '"':
			inString = true
		case '[':
			arrays = append(arrays, true)
			valueNext = true
		case '{':
			arrays = append(arrays, false)
		case ']', '}':
			arrays = arrays[:len(arrays)-1]
		case ',':
			valueNext = len(arrays) > 0 && arrays[len(arrays)-1]
		}
	}
	return n
}

// recordReader reads the import body and can limit the bytes read for one
// record, so that a record larger than its limit is refused after reading
// no more than the limit, whatever the body's size.
type recordReader struct {
	r io.Reader
	// left is what may still be read for the current record; < 0 when
	// there is no limit.
	left int64
}

func (r *recordReader) limit(n int64) { r.left = n }

func (r *recordReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, errRecordTooLarge
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	if r.left > 0 {
		r.left -= int64(n)
	}
	return n, err
}
