package crm

import (
	"strings"

	"github.com/dealercrm/dealercrm"
)

// NormalizeIDNumber returns the canonical form of a resident ID card
// number: without spaces, with an upper-case check character X.
// Anything else is left as it is, for CheckIDNumber to judge.
func NormalizeIDNumber(s string) string {
	if s == "" {
		return ""
	}
	s = strings.Join(strings.Fields(s), "")
	return strings.ToUpper(s)
}

// idWeights are the weights of the 17 digits of an 18-character number
// in its check character, 2^(17-i) mod 11 (ISO 7064 MOD 11-2, GB 11643).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheck maps the weighted sum mod 11 to the check character.
const idCheck = "10X98765432"

// CheckIDNumber reports whether s (normalised) is a PRC resident identity
// card number: 17 digits and the GB 11643 check character (a digit or X),
// or the 15 digits of a first-generation card (a two-digit year of the
// 1900s); in both the birth date (positions 7–14, or 7–12) must be a
// calendar date. It cannot tell whether such a card was ever issued.
func CheckIDNumber(s string) bool {
	switch len(s) {
	case 18:
		sum := 0
		for i := range 17 {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
			sum += int(s[i]-'0') * idWeights[i]
		}
		if s[17] != idCheck[sum%11] {
			return false
		}
		return idBirth(s[6:10], s[10:12], s[12:14])
	case 15:
		for i := range 15 {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return idBirth("19"+s[6:8], s[8:10], s[10:12])
	}
	return false
}

// idBirth reports whether year, month and day (digits) are a date from
// 1900 on.
func idBirth(year, month, day string) bool {
	d, err := dealercrm.ParseDate(year + "-" + month + "-" + day)
	return err == nil && d.Year >= 1900
}
