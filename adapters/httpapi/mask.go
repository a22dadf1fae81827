package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dealercrm/dealercrm/crm"
)

// MaskAttr is a slog.HandlerOptions.ReplaceAttr function that keeps phone
// numbers and ID-card numbers out of logs in full (PIPL), using
// crm.MaskMobile (13800138000 → 138****8000, 11010519491231002X →
// 110***********002X):
//
//   - an attribute whose key contains "mobile" or "phone" (any case) is
//     masked whatever its value looks like;
//   - in every other string — the message too — digit runs that look like
//     a Chinese mobile number (11 digits 13…–19…, also written 138 0013
//     8000 or with +86/0086), an E.164 number (+ and 7 to 15 digits) or a
//     PRC resident ID-card number (18 characters: 17 digits and a digit or
//     X, the 7th to 14th a birth date 18xx–20xx, also written in groups
//     such as 110105 19491231 002X) are masked; a run glued to more digits
//     (a timestamp, an order number) is left alone;
//   - errors, Stringers and other values (structs, maps) are masked through
//     their text or JSON form.
//
// Use it as
//
//	slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}))
func MaskAttr(groups []string, a slog.Attr) slog.Attr {
	if isPhoneKey(a.Key) {
		if s := valueText(a.Value); s != "" {
			a.Value = slog.StringValue(MaskPhone(s))
		}
		return a
	}
	switch a.Value.Kind() {
	case slog.KindString:
		s := a.Value.String()
		if m := maskString(s); m != s {
			a.Value = slog.StringValue(m)
		}
	case slog.KindAny:
		a.Value = maskAny(a.Value.Any())
	}
	return a
}

// MaskPhone masks a value known to be a phone number, as every answer to a
// principal without crm.PermPersonalData shows it: in its canonical form
// when it is a mobile (13800138000 → 138****8000), else every number in
// it, else all of it but the ends. Other adapters (the web console) mask
// with it, so that a number looks the same wherever it is masked.
func MaskPhone(s string) string {
	n := crm.NormalizeMobile(s)
	if crm.CheckMobile(n) {
		return crm.MaskMobile(n)
	}
	if m := maskString(s); m != s {
		return m
	}
	return crm.MaskMobile(n)
}

func isPhoneKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "mobile") || strings.Contains(k, "phone")
}

// valueText returns the text of a non-group value.
func valueText(v slog.Value) string {
	switch v.Kind() {
	case slog.KindGroup:
		return ""
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		return fmt.Sprint(v.Any())
	}
	return v.String()
}

// maskAny masks the phone numbers in an arbitrary value, keeping it as it
// is when it holds none.
func maskAny(v any) slog.Value {
	var s string
	switch x := v.(type) {
	case nil:
		return slog.AnyValue(v)
	case error:
		s = x.Error()
	case fmt.Stringer:
		s = x.String()
	case []byte:
		s = string(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s = fmt.Sprint(v)
			break
		}
		m := maskString(string(b))
		if m == string(b) {
			return slog.AnyValue(v)
		}
		// Keep structured output structured.
		var out any
		if json.Unmarshal([]byte(m), &out) == nil {
			return slog.AnyValue(out)
		}
		return slog.StringValue(m)
	}
	if m := maskString(s); m != s {
		return slog.StringValue(m)
	}
	return slog.AnyValue(v)
}

// maskString masks the phone numbers in s (see MaskAttr).
func maskString(s string) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	if digits < 7 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if (s[i] != '+' && !isDigit(s[i])) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		plus, groups, end := scanNumber(s, i)
		if len(groups) == 0 {
			i++
			continue
		}
		spans := phoneSpans(s, plus, groups)
		if n := len(spans); n > 0 && spans[n-1].end > end {
			end = spans[n-1].end // an ID number's final X
		}
		for _, sp := range spans {
			b.WriteString(s[last:sp.start])
			b.WriteString(sp.masked)
			last = sp.end
		}
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber reads a number starting at s[i]: an optional +, then groups of
// digits separated by single spaces or hyphens. It returns the groups'
// [start, end) offsets and the end of the number.
func scanNumber(s string, i int) (plus bool, groups [][2]int, end int) {
	j := i
	if s[j] == '+' {
		plus = true
		j++
	}
	for {
		start := j
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == start {
			break
		}
		groups = append(groups, [2]int{start, j})
		if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	if len(groups) == 0 {
		return plus, nil, i + 1
	}
	return plus, groups, groups[len(groups)-1][1]
}

// span is a phone number found in a string, and its masked form.
type span struct {
	start, end int
	masked     string
}

// phoneSpans finds the phone and ID-card numbers among consecutive digit
// groups, longest first from the left: in "2025 138 0013 8000" the last
// three groups are one.
func phoneSpans(s string, plus bool, groups [][2]int) []span {
	var out []span
	for a := 0; a < len(groups); {
		found := false
		for b := len(groups); b > a; b-- {
			var d strings.Builder
			for _, g := range groups[a:b] {
				d.WriteString(s[g[0]:g[1]])
			}
			digits, withPlus := d.String(), plus && a == 0
			if id, end, ok := idCard(s, digits, groups[b-1][1], b == len(groups)); ok {
				out = append(out, span{start: groups[a][0], end: end, masked: crm.MaskMobile(id)})
				a, found = b, true
				break
			}
			if !isPhone(digits, withPlus) {
				continue
			}
			start := groups[a][0]
			if withPlus {
				start--
				digits = "+" + digits
			}
			out = append(out, span{start: start, end: groups[b-1][1], masked: crm.MaskMobile(digits)})
			a, found = b, true
			break
		}
		if !found {
			a++
		}
	}
	return out
}

// idCard reports whether digits, which end at s[end], are a PRC resident
// ID-card number: 18 digits, or 17 followed in s by X (when last says no
// digit group follows) and then by no letter or digit. It returns the
// number and where it ends in s. The birth date (characters 7 to 14) must
// look like one, so that order numbers and timestamps of 18 digits are
// rarely taken for ID numbers; the check digit is not checked, as a
// mistyped number is personal data all the same.
func idCard(s, digits string, end int, last bool) (string, int, bool) {
	switch {
	case len(digits) == 18:
	case len(digits) == 17 && last && end < len(s) && (s[end] == 'X' || s[end] == 'x') &&
		(end+1 == len(s) || !isAlnum(s[end+1])):
		digits += s[end : end+1]
		end++
	default:
		return "", 0, false
	}
	year, month, day := atoi(digits[6:10]), atoi(digits[10:12]), atoi(digits[12:14])
	if year < 1800 || year > 2099 || month < 1 || month > 12 || day < 1 || day > 31 {
		return "", 0, false
	}
	return digits, end, true
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// atoi reads a run of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isPhone reports whether digits (after a + when plus) look like a phone
// number: E.164 after a +, else a Chinese mobile, bare or with 86 / 0086.
func isPhone(digits string, plus bool) bool {
	if plus {
		return len(digits) >= 7 && len(digits) <= 15 && digits[0] != '0'
	}
	switch {
	case len(digits) == 11:
		return crm.CheckMobile(digits)
	case len(digits) == 13 && strings.HasPrefix(digits, "86"):
		return crm.CheckMobile(digits[2:])
	case len(digits) == 15 && strings.HasPrefix(digits, "0086"):
		return crm.CheckMobile(digits[4:])
	}
	return false
}

// maskJSON masks the phone and ID-card numbers of a JSON answer for a
// principal without crm.PermPersonalData (SPEC §9: in full only for the
// roles that contact or manage customers), with the rules of MaskAttr: a
// member whose name contains "mobile" or "phone" is masked whatever it
// holds, and numbers that look like phone or ID-card numbers are masked
// in every other string (a note quoting a number). Numbers, names and
// the rest are kept; members come out in name order. A body that is not
// JSON is returned as it is.
func maskJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	out, err := json.Marshal(maskValue(v, false))
	if err != nil {
		return body
	}
	return out
}

// maskValue masks the strings of a decoded JSON value; phone says the
// value is (inside) a phone member.
func maskValue(v any, phone bool) any {
	switch x := v.(type) {
	case string:
		if phone && x != "" {
			return MaskPhone(x)
		}
		return maskString(x)
	case []any:
		for i := range x {
			x[i] = maskValue(x[i], phone)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = maskValue(e, phone || isPhoneKey(k))
		}
	}
	return v
}
