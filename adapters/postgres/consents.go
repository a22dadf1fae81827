package postgres

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm/crm"
)

// Consents are the bulk of a customer row: up to one document per purpose
// and channel, each with a timestamp. Decoding them with encoding/json
// took a quarter of the lifecycle daily run's load of 100,000 customers
// (30 consents each: 6.3 s of 12 s), so the documents the adapter writes
// — flat objects of strings and one boolean, in jsonb's or
// encoding/json's layout — are read by the small scanner below. Anything
// else (escapes, unknown keys, nulls) falls back to encoding/json, and
// FuzzConsentScanner checks that both agree.

// parseConsents decodes a consents document.
func parseConsents(doc jsonDoc) ([]crm.Consent, error) {
	if out, ok := scanConsents(string(doc)); ok {
		return out, nil
	}
	return unmarshalList(doc, toConsent)
}

// scanConsents is the fast path of parseConsents; ok is false when the
// document is not one it handles.
func scanConsents(s string) (out []crm.Consent, ok bool) {
	if s == "" || s == "null" {
		return nil, true
	}
	if strings.IndexByte(s, '\\') >= 0 || !utf8.ValidString(s) {
		return nil, false // escapes, or bytes encoding/json replaces
	}
	sc := scanner{s: s}
	if !sc.next('[') {
		return nil, false
	}
	if sc.next(']') {
		return nil, sc.end()
	}
	out = make([]crm.Consent, 0, strings.Count(s, "{"))
	for {
		c, ok := sc.consent()
		if !ok {
			return nil, false
		}
		out = append(out, c)
		if sc.next(']') {
			return out, sc.end()
		}
		if !sc.next(',') {
			return nil, false
		}
	}
}

// scanner reads JSON tokens from s without allocating.
type scanner struct {
	s string
	i int
	// at and t are the last time read: the consents of one document
	// often share it (given together, at signing), and parsing it was
	// the bulk of the scan.
	at string
	t  time.Time
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// next consumes byte b, after whitespace, if it comes next.
func (sc *scanner) next(b byte) bool {
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == b {
		sc.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (sc *scanner) end() bool {
	sc.ws()
	return sc.i == len(sc.s)
}

// str reads a string without escapes (the caller ruled them out).
func (sc *scanner) str() (string, bool) {
	if !sc.next('"') {
		return "", false
	}
	j := strings.IndexByte(sc.s[sc.i:], '"')
	if j < 0 {
		return "", false
	}
	v := sc.s[sc.i : sc.i+j]
	for k := range len(v) {
		if v[k] < 0x20 {
			return "", false // a control character: invalid JSON
		}
	}
	sc.i += j + 1
	return v, true
}

// boolean reads true or false.
func (sc *scanner) boolean() (bool, bool) {
	sc.ws()
	switch {
	case strings.HasPrefix(sc.s[sc.i:], "true"):
		sc.i += 4
		return true, true
	case strings.HasPrefix(sc.s[sc.i:], "false"):
		sc.i += 5
		return false, true
	}
	return false, false
}

// consent reads one consent object with each of its five keys once.
func (sc *scanner) consent() (crm.Consent, bool) {
	var c crm.Consent
	if !sc.next('{') {
		return c, false
	}
	var seen uint8
	for {
		key, ok := sc.str()
		if !ok || !sc.next(':') {
			return c, false
		}
		var bit uint8
		switch key {
		case "purpose":
			bit = 1
			var v string
			v, ok = sc.str()
			c.Purpose = crm.Purpose(v)
		case "channel":
			bit = 2
			var v string
			v, ok = sc.str()
			c.Channel = crm.Channel(v)
		case "granted":
			bit = 4
			c.Granted, ok = sc.boolean()
		case "at":
			bit = 8
			var v string
			if v, ok = sc.str(); ok {
				if v == "" || v != sc.at {
					var t time.Time
					t, ok = parseJSONTime(v)
					sc.at, sc.t = v, utc(t)
				}
				c.At = sc.t
			}
		case "source":
			bit = 16
			c.Source, ok = sc.str()
		default:
			return c, false
		}
		if !ok || seen&bit != 0 {
			return c, false
		}
		seen |= bit
		if sc.next('}') {
			return c, seen == 31
		}
		if !sc.next(',') {
			return c, false
		}
	}
}

// parseJSONTime parses a time as encoding/json does (RFC 3339 with
// optional fractional seconds), refusing the forms it would refuse.
func parseJSONTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	// time.Parse accepts a few layouts encoding/json rejects (a comma as
	// the decimal separator, a one-digit hour); leave those to it.
	if len(v) < len("2006-01-02T15:04:05Z") || v[10] != 'T' || strings.IndexByte(v, ',') >= 0 {
		return time.Time{}, false
	}
	return t, true
}
