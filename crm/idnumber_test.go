package crm_test

import (
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
)

// TestCheckIDNumber: GB 11643's own example 11010519491231002X — weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 1101051949123100 2 give 167,
// 167 mod 11 = 2, and the check character of 2 is X.
func TestCheckIDNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"11010519491231002X": true,
		"110105194912310021": false, // wrong check character
		"11010519491331002X": false, // month 13
		"11010518991231002X": false, // before 1900 (and its check differs)
		"110105491231002":    true,  // 15 digits: 1949-12-31
		"110105490231002":    false, // 1949-02-31
		"1101051949123100":   false,
		"11010519491231002x": false, // CheckIDNumber takes the normalised form
		"":                   false,
	} {
		assert.Equal(t, want, crm.CheckIDNumber(s), s)
	}
	assert.Equal(t, "11010519491231002X", crm.NormalizeIDNumber(" 110105 19491231 002x "))
}

// TestCustomerIDNumber: a customer's ID number is normalised and checked
// by field.
func TestCustomerIDNumber(t *testing.T) {
	c := crm.Customer{ID: "c1", Record: crm.Record{DealerID: "d1"}, Name: "王伟", IDNumber: "110105 19491231 002x"}
	c.Normalize()
	assert.Equal(t, "11010519491231002X", c.IDNumber)
	assert.NoError(t, c.Validate())
	c.IDNumber = "110105194912310021"
	ve, ok := errors.AsType[*crm.ValidationError](c.Validate())
	if assert.True(t, ok) && assert.Len(t, ve.Fields, 1) {
		assert.Equal(t, "id_number", ve.Fields[0].Field)
		assert.Equal(t, crm.RuleFormat, ve.Fields[0].Rule)
	}
}
