package crm_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAfterIDRefusesForeignCursors: a cursor that decodes to text no ID
// holds — "AAAA" is three NULs (issue 12) — is a *crm.ValidationError on
// "after" like one that does not decode, so every store answers 422.
func TestAfterIDRefusesForeignCursors(t *testing.T) {
	for _, after := range []string{"AAAA", "YQBi", "_w", "%%%", "==", "AAAA="} {
		_, err := crm.PageRequest{After: after}.AfterID()
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve, "cursor %q", after)
		assert.Equal(t, []crm.FieldError{{Field: "after", Rule: crm.RuleFormat, Message: "is not a cursor returned by a previous page"}}, ve.Fields)
	}
	id, err := crm.PageRequest{After: base64.RawURLEncoding.EncodeToString([]byte("客户-01"))}.AfterID()
	require.NoError(t, err, "a cursor NewPage makes")
	assert.Equal(t, "客户-01", id)
}

func TestCheckTexts(t *testing.T) {
	c := crm.Customer{
		ID: "c\x00", Name: "王伟", Hobbies: []string{"golf", "a\xff"},
		Region:   crm.Region{City: "上\x00海"},
		Consents: []crm.Consent{{Source: "ok"}, {Source: "\x00"}},
	}
	c.ExternalID = "e\x00"
	assert.Equal(t, []crm.FieldError{
		{Field: "items[3].id", Rule: crm.RuleText, Message: "must not contain a NUL character"},
		{Field: "items[3].external_id", Rule: crm.RuleText, Message: "must not contain a NUL character"},
		{Field: "items[3].region.city", Rule: crm.RuleText, Message: "must not contain a NUL character"},
		{Field: "items[3].hobbies[1]", Rule: crm.RuleText, Message: "is not valid UTF-8"},
		{Field: "items[3].consents[1].source", Rule: crm.RuleText, Message: "must not contain a NUL character"},
	}, crm.CheckTexts("items[3].", &c), "every bad string by its JSON path, embedded Record promoted")

	assert.Nil(t, crm.CheckTexts("", crm.Customer{Name: "王伟", Hobbies: []string{"golf"}}), "good text")
	assert.Equal(t, []crm.FieldError{{Field: "mobile", Rule: crm.RuleText, Message: "must not contain a NUL character"}},
		crm.CheckTexts("", crm.CustomerFilter{Mobile: "138\x00"}), "a filter")
	assert.Equal(t, []crm.FieldError{{Field: "ids[1]", Rule: crm.RuleText, Message: "is not valid UTF-8"}},
		crm.CheckTexts("ids", []string{"a", "\xff"}), "a slice under a name")
	p := crm.DefaultLeadPolicy()
	p.CadenceDays["\x00"] = 1
	assert.Equal(t, []crm.FieldError{{Field: "lead_policy.cadence_days", Rule: crm.RuleText, Message: "must not contain a NUL character"}},
		crm.CheckTexts("", crm.Dealer{Name: "x", LeadPolicy: &p}), "a map key")
	assert.Nil(t, crm.CheckTexts("", nil), "nil")
}

func TestConflictError(t *testing.T) {
	var err error = &crm.ConflictError{Entity: "vehicle", Field: "vin"}
	assert.Equal(t, "vin is already registered to another vehicle of this dealer", err.Error())
	assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(err))
	assert.ErrorIs(t, err, crm.ErrConflict)
	assert.False(t, errors.Is(err, dealercrm.ErrInvalid))
	assert.Equal(t, "vin is already registered to another vehicle of this dealer", dealercrm.ErrorMessage(err))
	assert.Equal(t, "id is already registered to another dealer", (&crm.ConflictError{Entity: "dealer", Field: "id"}).Error())
}
