package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm/crm"
)

// Text a request carries (path values, query parameters, JSON strings) must
// be valid UTF-8 without NUL characters: PostgreSQL cannot store a NUL in
// text, and encoding/json would silently replace invalid bytes, changing
// what the caller wrote. Both are refused with 400 naming the field, on
// every route, before any store sees them, so that every backend answers
// the same.

// textError is the 400 of text that broke crm.CheckText in the request part
// named by field.
func textError(fe crm.FieldError) error {
	return &apiError{code: codeMalformed, detail: fe.Field + ": " + fe.Message, fields: []crm.FieldError{fe}}
}

// checkRequestText checks the path values of pattern and the query string
// of r.
func checkRequestText(r *http.Request, pattern string) error {
	for _, name := range pathParams(pattern) {
		if fe, bad := crm.CheckText(name, r.PathValue(name)); bad {
			return textError(fe)
		}
	}
	raw := r.URL.RawQuery
	if raw == "" {
		return nil
	}
	for part := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue // parseQuery answers a malformed query string
		}
		if fe, bad := crm.CheckText(key, key); bad {
			return textError(fe)
		}
		if fe, bad := crm.CheckText(key, val); bad {
			return textError(fe)
		}
	}
	return nil
}

// maxNumberLen is the longest number a body may carry, as a JSON number or
// a string holding one: decoding a decimal of a million digits takes
// seconds (big.Int parsing is quadratic), and no amount, count or rate
// needs more than a few dozen.
const maxNumberLen = 64

// checkBodyText returns a 400 naming the first member of the JSON body
// whose text is not valid UTF-8 or holds a NUL character (keys included),
// or that holds a number longer than maxNumberLen characters; nil when
// there is none. A malformed body is left to the decoder.
func checkBodyText(body []byte) error {
	bad := -1
	if !utf8.Valid(body) {
		bad = firstInvalidUTF8(body)
	} else if !bytes.Contains(body, []byte(`\u0000`)) && !hasDigitRun(body, maxNumberLen) {
		return nil // the common case: nothing to look for
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var path jsonPath
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		after := dec.InputOffset()
		s, isString := tok.(string)
		isKey := isString && path.expectsKey()
		if isKey {
			path.setKey(s)
		}
		field := path.String()
		if field == "" {
			field = "body"
		}
		if bad >= 0 && int64(bad) >= before && int64(bad) < after {
			return textError(crm.FieldError{Field: field, Rule: crm.RuleText, Message: "is not valid UTF-8"})
		}
		if isString && strings.IndexByte(s, 0) >= 0 {
			return textError(crm.FieldError{Field: field, Rule: crm.RuleText, Message: "must not contain a NUL character"})
		}
		if n, isNumber := tok.(json.Number); (isNumber && len(n) > maxNumberLen) || (isString && !isKey && len(s) > maxNumberLen && numeric(s)) {
			return textError(crm.FieldError{Field: field, Rule: crm.RuleFormat, Message: "is a number longer than " + strconv.Itoa(maxNumberLen) + " characters"})
		}
		switch tok {
		case json.Delim('{'):
			path.push(true)
		case json.Delim('['):
			path.push(false)
		case json.Delim('}'), json.Delim(']'):
			path.pop()
			path.advance()
		default:
			if !isKey {
				path.advance()
			}
		}
	}
}

// hasDigitRun reports whether b holds more than n digits in a row.
func hasDigitRun(b []byte, n int) bool {
	run := 0
	for _, c := range b {
		if c >= '0' && c <= '9' {
			run++
			if run > n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// numeric reports whether s looks like a number: digits, signs, a point
// and an exponent only.
func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// firstInvalidUTF8 returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonPath tracks where a token walk is: region.city, vehicles[3].vin.
type jsonPath struct {
	frames []pathFrame
}

type pathFrame struct {
	object bool
	key    string
	index  int
	// keyNext is true in an object when the next string is a member name.
	keyNext bool
}

func (p *jsonPath) push(object bool) {
	p.frames = append(p.frames, pathFrame{object: object, keyNext: object, index: 0})
}

func (p *jsonPath) pop() {
	if len(p.frames) > 0 {
		p.frames = p.frames[:len(p.frames)-1]
	}
}

func (p *jsonPath) expectsKey() bool {
	return len(p.frames) > 0 && p.frames[len(p.frames)-1].object && p.frames[len(p.frames)-1].keyNext
}

func (p *jsonPath) setKey(k string) {
	f := &p.frames[len(p.frames)-1]
	f.key, f.keyNext = k, false
}

// advance moves past a value: to the next member name, or array index.
func (p *jsonPath) advance() {
	if len(p.frames) == 0 {
		return
	}
	f := &p.frames[len(p.frames)-1]
	if f.object {
		f.keyNext = true
	} else {
		f.index++
	}
}

func (p *jsonPath) String() string {
	var b strings.Builder
	for _, f := range p.frames {
		if f.object {
			if f.key == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	return b.String()
}
