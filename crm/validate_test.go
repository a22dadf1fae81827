package crm_test

import (
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckVIN(t *testing.T) {
	cases := []struct {
		vin, rule string
	}{
		// Published example of the North American check digit: weighted sum
		// 351, 351 mod 11 = 10, written X in position 9.
		{"1M8GDM9AXKP042788", ""},
		{"11111111111111111", ""},                 // sum 1×Σweights = 89, 89 mod 11 = 1
		{"LSVAU218XN2183294", ""},                 // a Chinese-style VIN (GB 16735 uses the same check digit): sum mod 11 = 10 → X
		{"1M8GDM9A1KP042788", crm.RuleVINCheck},   // wrong check digit
		{"1M8GDM9AXKP04278", crm.RuleVINLength},   // 16 characters
		{"1M8GDM9AXKP0427888", crm.RuleVINLength}, // 18 characters
		{"1M8GDM9AXKPO42788", crm.RuleVINChars},   // letter O
		{"1M8GDM9AXKP04278-", crm.RuleVINChars},
		{"", crm.RuleVINLength},
	}
	for _, c := range cases {
		t.Run(c.vin, func(t *testing.T) {
			assert.Equal(t, c.rule, crm.CheckVIN(c.vin))
		})
	}
	assert.Equal(t, "1M8GDM9AXKP042788", crm.NormalizeVIN(" 1m8gdm9axkp042788 "))
}

func TestMobile(t *testing.T) {
	cases := []struct {
		in, norm string
		ok       bool
	}{
		{"13800138000", "13800138000", true},
		{"138 0013 8000", "13800138000", true},
		{"+86 138-0013-8000", "13800138000", true},
		{"008613800138000", "13800138000", true},
		{"19912345678", "19912345678", true},
		{"12800138000", "12800138000", false}, // 12x is not a mobile prefix
		{"1380013800", "1380013800", false},   // 10 digits
		{"+4915112345678", "+4915112345678", true},
		{"+0123456789", "+0123456789", false},
		{"+1", "+1", false},
		{"021-12345678", "02112345678", false}, // a landline
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n := crm.NormalizeMobile(c.in)
			assert.Equal(t, c.norm, n)
			assert.Equal(t, c.ok, crm.CheckMobile(n))
		})
	}
	assert.Equal(t, "138****8000", crm.MaskMobile("13800138000"))
	assert.Equal(t, "+49*******5678", crm.MaskMobile("+4915112345678"))
}

func TestValidationListsEveryBadField(t *testing.T) {
	v := crm.Vehicle{
		ID:           "v1",
		Record:       crm.Record{DealerID: "d1"},
		VIN:          "1M8GDM9A1KP042788",
		Price:        decimal.NewFromInt(-1),
		PurchaseDate: dealercrm.MustParseDate("2024-05-01"),
		DeliveryDate: dealercrm.MustParseDate("2024-04-01"),
		Odometer:     []crm.OdometerReading{{KM: -5}},
	}
	err := v.Validate()
	require.Error(t, err)
	assert.True(t, errors.Is(err, dealercrm.ErrInvalid))
	assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err))
	var ve *crm.ValidationError
	require.True(t, errors.As(err, &ve))
	for _, want := range [][2]string{
		{"vin", crm.RuleVINCheck},
		{"model", crm.RuleRequired},
		{"price", crm.RuleNonNegative},
		{"delivery_date", crm.RuleOrder},
		{"odometer[0].date", crm.RuleRequired},
		{"odometer[0].km", crm.RuleNonNegative},
	} {
		assert.True(t, ve.Has(want[0], want[1]), "want %s broken by %s in %v", want[0], want[1], ve.Fields)
	}
	assert.Len(t, ve.Fields, 6, "no other field is reported: %v", ve.Fields)
}

func TestCustomerValidation(t *testing.T) {
	at := dealercrm.MustParseDate("2024-01-01").Time(nil)
	c := crm.Customer{
		ID: "c1", Record: crm.Record{DealerID: "d1"},
		Name: "王伟", Mobile: "+86 139 1234 5678", Gender: "robot",
		Consents: []crm.Consent{
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "contract"},
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false, At: at, Source: "call"},
			{Purpose: "spam", Channel: crm.ChannelPhone, At: at, Source: "x"},
		},
	}
	c.Normalize()
	assert.Equal(t, "13912345678", c.Mobile)
	assert.Equal(t, crm.Individual, c.Kind, "an empty kind defaults to individual")
	var ve *crm.ValidationError
	require.ErrorAs(t, c.Validate(), &ve)
	assert.True(t, ve.Has("gender", crm.RuleEnum))
	assert.True(t, ve.Has("consents[1]", crm.RuleUnique))
	assert.True(t, ve.Has("consents[2].purpose", crm.RuleEnum))
	assert.Len(t, ve.Fields, 3, "%v", ve.Fields)
}

func TestConsent(t *testing.T) {
	t0 := dealercrm.MustParseDate("2024-01-01").Time(nil)
	var c crm.Customer
	assert.False(t, c.Allows(crm.PurposeMarketing, crm.ChannelSMS), "no record means no consent")

	assert.True(t, c.SetConsent(crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: t0, Source: "contract"}))
	assert.True(t, c.Allows(crm.PurposeMarketing, crm.ChannelSMS))
	assert.False(t, c.Allows(crm.PurposeMarketing, crm.ChannelPhone), "consent is per channel")
	assert.False(t, c.Allows(crm.PurposeSurvey, crm.ChannelSMS), "consent is per purpose")

	// Withdrawal a day later wins; a replayed older answer does not.
	assert.True(t, c.SetConsent(crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: false, At: t0.AddDate(0, 0, 1), Source: "call"}))
	assert.False(t, c.SetConsent(crm.Consent{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: t0, Source: "contract"}))
	assert.False(t, c.Allows(crm.PurposeMarketing, crm.ChannelSMS))
	assert.Len(t, c.Consents, 1)
}

func TestComplaintTransitions(t *testing.T) {
	assert.True(t, crm.ComplaintOpen.CanMove(crm.ComplaintInProgress))
	assert.True(t, crm.ComplaintInProgress.CanMove(crm.ComplaintResolved))
	assert.True(t, crm.ComplaintResolved.CanMove(crm.ComplaintOpen), "a resolved complaint may be reopened")
	assert.False(t, crm.ComplaintClosed.CanMove(crm.ComplaintOpen), "closed is final")
	assert.False(t, crm.ComplaintOpen.CanMove(crm.ComplaintClosed), "resolve before closing")
}

func TestParseEnum(t *testing.T) {
	g, err := crm.ParseGender("female")
	require.NoError(t, err)
	assert.Equal(t, crm.Female, g)
	_, err = crm.ParseIntentLevel("Z")
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	assert.Len(t, crm.IntentLevels(), 8)
}
