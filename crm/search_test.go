package crm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
)

func TestPlateKey(t *testing.T) {
	for in, want := range map[string]string{
		"沪A·12345":    "沪A12345",
		"沪a12345":     "沪A12345",
		"沪A•12345":    "沪A12345",
		" 沪a-123.45 ": "沪A12345",
		"粤B D12345":   "粤BD12345",
		"é":           "é",       // only ASCII letters change case, as in SQL
		"沪Ａ１２３４５":     "沪A12345", // full-width, as a Chinese input method types
		"沪ａ・１２３-45":   "沪A12345",
		"粤Ｂ　Ｄ１２３４５":   "粤BD12345",
		"浙Ｃ－１２．３４５":   "浙C12345",
		"沪A･12345":    "沪A12345",
		"！":           "！", // other full-width forms stay
		"·":           "",
	} {
		assert.Equal(t, want, crm.PlateKey(in), "PlateKey(%q)", in)
	}
}

func TestSearchFiltersValidate(t *testing.T) {
	ok := []error{
		crm.CustomerFilter{}.Validate(),
		crm.CustomerFilter{Name: strings.Repeat("马", crm.MaxSearchText)}.Validate(),
		crm.VehicleFilter{Plate: "沪A·1"}.Validate(),
	}
	for i, err := range ok {
		assert.NoError(t, err, "filter %d is valid", i)
	}
	for _, tc := range []struct {
		err         error
		field, rule string
	}{
		{crm.CustomerFilter{Name: strings.Repeat("马", crm.MaxSearchText+1)}.Validate(), "name", crm.RuleMaxLength},
		{crm.CustomerFilter{Name: "a\x7fb"}.Validate(), "name", crm.RuleText},
		{crm.CustomerFilter{Name: "a\x00"}.Validate(), "name", crm.RuleText},
		{crm.CustomerFilter{Name: "a\xff"}.Validate(), "name", crm.RuleText},
		{crm.VehicleFilter{Plate: "·-"}.Validate(), "plate", crm.RuleFormat},
		{crm.VehicleFilter{Plate: "\t1"}.Validate(), "plate", crm.RuleText},
		{crm.VehicleFilter{PageRequest: crm.PageRequest{After: "%%"}}.Validate(), "after", crm.RuleFormat},
	} {
		var ve *crm.ValidationError
		if assert.True(t, errors.As(tc.err, &ve), "a *ValidationError naming %s, got %v", tc.field, tc.err) {
			assert.True(t, ve.Has(tc.field, tc.rule), "names %s/%s, got %v", tc.field, tc.rule, ve.Fields)
		}
	}
}

// A plate as the console's search box and the vehicles' plate filter
// compare it.
func ExamplePlateKey() {
	fmt.Println(crm.PlateKey("沪a·12345"))
	fmt.Println(strings.Contains(crm.PlateKey("沪A 12345"), crm.PlateKey("a1234")))
	// Output:
	// 沪A12345
	// true
}

func TestNameSearchKey(t *testing.T) {
	for in, want := range map[string]string{
		"Zhang 50%_Off": "zhang 50%_off",
		"马洁":            "马洁",
		"ＺＨＡＮＧ":         "ＺＨＡＮＧ", // only ASCII letters change, as in SQL
		"É":             "É",
	} {
		assert.Equal(t, want, crm.NameSearchKey(in), "NameSearchKey(%q)", in)
	}
}
