package crm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSearchText is the longest text, in characters, that a substring
// filter (CustomerFilter.Name, VehicleFilter.Plate) accepts.
const MaxSearchText = 64

// plateSeparators are what people write between a plate's parts: 沪A·12345,
// 沪A•12345, 沪A 12345, 沪A-12345, 沪A.12345, and the forms a Chinese
// input method types: 沪A・12345, 沪A･12345, 沪A　12345 (the ideographic
// space), 沪A－12345, 沪A．12345 (full-width hyphen and full stop).
const plateSeparators = "·• -.・･　－．"

// PlateKey returns a licence plate as plates are searched: without the
// separators (plateSeparators), full-width letters and digits as ASCII
// (沪Ａ１２３４５, typed with a Chinese input method, is 沪A12345), and
// ASCII letters in upper case (沪A·12345, 沪a12345 and 沪A 12345 all give
// 沪A12345). Only these characters change, so that every store computes
// the same key whatever its locale; the Postgres store computes it in SQL
// with translate() (migration 0035, checked against PlateKey for every
// character by TestPlateKeyColumn).
func PlateKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case strings.ContainsRune(plateSeparators, r):
		case r >= 'a' && r <= 'z':
			b.WriteByte(byte(r - 'a' + 'A'))
		case r >= 'ａ' && r <= 'ｚ':
			b.WriteByte(byte(r - 'ａ' + 'A'))
		case r >= 'Ａ' && r <= 'Ｚ':
			b.WriteByte(byte(r - 'Ａ' + 'A'))
		case r >= '０' && r <= '９':
			b.WriteByte(byte(r - '０' + '0'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NameSearchKey returns a name as names are searched: ASCII letters in
// lower case (Zhang, ZHANG and zhang all give zhang). Every other
// character stays, so that every store computes the same key whatever
// its locale; the Postgres store computes it in SQL as lower() in the C
// collation (checked against NameSearchKey for every character). NameKey,
// which compares names for duplicates, is another, looser key.
func NameSearchKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// MatchName reports whether NameSearchKey(name) contains
// NameSearchKey(f.Name) (empty matches everything): character for
// character, but for the case of ASCII letters.
func (f *CustomerFilter) MatchName(name string) bool {
	return f.Name == "" || strings.Contains(NameSearchKey(name), NameSearchKey(f.Name))
}

// MatchPlate reports whether PlateKey(plate) contains PlateKey(f.Plate)
// (an empty f.Plate matches everything).
func (f *VehicleFilter) MatchPlate(plate string) bool {
	return f.Plate == "" || strings.Contains(PlateKey(plate), PlateKey(f.Plate))
}

// Validate returns a *ValidationError naming the fields of f no store
// accepts: a name longer than MaxSearchText characters or holding a
// control character, or a malformed cursor. Every store runs it in List.
func (f CustomerFilter) Validate() error {
	var c Checker
	checkSearchText(&c, "name", f.Name)
	if _, err := f.AfterID(); err != nil {
		c.Add("after", RuleFormat, "is not a cursor returned by a previous page")
	}
	return c.Err("customer filter")
}

// Validate returns a *ValidationError naming the fields of f no store
// accepts: a plate longer than MaxSearchText characters, holding a control
// character or nothing but separators (PlateKey is empty), or a malformed
// cursor. Every store runs it in List.
func (f VehicleFilter) Validate() error {
	var c Checker
	if checkSearchText(&c, "plate", f.Plate) && f.Plate != "" && PlateKey(f.Plate) == "" {
		c.Add("plate", RuleFormat, "must hold a letter or a digit, not only separators")
	}
	if _, err := f.AfterID(); err != nil {
		c.Add("after", RuleFormat, "is not a cursor returned by a previous page")
	}
	return c.Err("vehicle filter")
}

// CheckFilter returns the error every store answers a list filter f of
// entity with: a *ValidationError for text CheckTexts refuses, else the
// error of f's Validate method when it has one (CustomerFilter,
// VehicleFilter). Stores run it in List, so that each backend refuses the
// same filters alike.
func CheckFilter(entity string, f any) error {
	if fields := CheckTexts("", f); fields != nil {
		return &ValidationError{Entity: entity + " filter", Fields: fields}
	}
	if v, ok := f.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// checkSearchText adds to c the error of a substring filter's text s:
// invalid UTF-8 or a NUL (CheckText), another control character, or more
// than MaxSearchText characters. It reports whether s is fine.
func checkSearchText(c *Checker, field, s string) bool {
	if fe, bad := CheckText(field, s); bad {
		c.Append(fe)
		return false
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		c.Add(field, RuleText, "must not contain a control character")
		return false
	}
	if n := utf8.RuneCountInString(s); n > MaxSearchText {
		c.Add(field, RuleMaxLength, "must be at most %d characters, got %d", MaxSearchText, n)
		return false
	}
	return true
}
