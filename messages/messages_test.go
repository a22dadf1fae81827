package messages_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var shanghai = time.FixedZone("CST", 8*3600)

// TestTemplateOptOutHint: a marketing or care template without 退订回T is
// refused when registered, naming the field; a reminder needs none.
func TestTemplateOptOutHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		tpl  messages.Template
		ok   bool
	}{
		{"marketing with the hint", messages.Template{ID: "offer", Purpose: messages.PurposeMarketing, Text: "春季保养八折。退订回T"}, true},
		{"marketing without", messages.Template{ID: "offer", Purpose: messages.PurposeMarketing, Text: "春季保养八折。"}, false},
		{"care without", messages.Template{ID: "birthday", Purpose: messages.PurposeCare, Text: "生日快乐！"}, false},
		{"reminder without", messages.Template{ID: "maintenance", Purpose: messages.PurposeReminder, Text: "请按时保养。"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := messages.NewTemplates()
			require.NoError(t, err)
			err = r.Register(tc.tpl)
			_, registered := r.Get(tc.tpl.ID)
			if tc.ok {
				assert.NoError(t, err)
				assert.True(t, registered)
				return
			}
			var ve *crm.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.True(t, ve.Has("text", messages.RuleOptOutHint), "field text, rule opt_out_hint: %v", err)
			assert.False(t, registered, "a refused template is not registered")
		})
	}
}

// TestQuietHours: 21:00–08:00 Shanghai time holds reminders, marketing
// and care until 08:00 (the next morning when held in the evening); a
// service message goes at any hour.
func TestQuietHours(t *testing.T) {
	p := messages.DefaultPolicy()
	cust := &crm.Customer{ID: "c1", Consents: []crm.Consent{
		{Purpose: crm.PurposeServiceReminder, Channel: crm.ChannelSMS, Granted: true},
		{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true}}}
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, 4+d, h, m, 0, 0, shanghai) }
	for _, tc := range []struct {
		name    string
		purpose messages.Purpose
		now     time.Time
		until   time.Time // zero: sent
	}{
		{"20:59 goes", messages.PurposeReminder, at(0, 20, 59), time.Time{}},
		{"21:00 held until 08:00 next morning", messages.PurposeReminder, at(0, 21, 0), at(1, 8, 0)},
		{"21:30 held until 08:00 next morning", messages.PurposeMarketing, at(0, 21, 30), at(1, 8, 0)},
		{"00:10 held until 08:00 the same morning", messages.PurposeCare, at(0, 0, 10), at(0, 8, 0)},
		{"07:59 held until 08:00", messages.PurposeReminder, at(0, 7, 59), at(0, 8, 0)},
		{"08:00 goes", messages.PurposeReminder, at(0, 8, 0), time.Time{}},
		{"a service message at 23:00 goes", messages.PurposeService, at(0, 23, 0), time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &messages.Send{Message: messages.Message{CustomerID: "c1", Channel: crm.ChannelSMS, Purpose: tc.purpose}}
			d := p.Check(s, messages.Facts{Now: tc.now, Zone: shanghai, Customer: cust, Recipient: "13800138000"})
			if tc.until.IsZero() {
				assert.True(t, d.Go, "sent: %+v", d)
				return
			}
			assert.Equal(t, messages.StatusHeld, d.Status)
			assert.Equal(t, messages.ReasonQuietHours, d.Reason)
			assert.True(t, d.Until.Equal(tc.until), "until %s, want %s", d.Until, tc.until)
		})
	}
}

// TestCheckOrder: the checks stop at the first that applies, in the
// documented order: holdout, consent, quiet hours, frequency cap,
// reminder limit.
func TestCheckOrder(t *testing.T) {
	p := messages.DefaultPolicy()
	night := time.Date(2026, 5, 4, 22, 0, 0, 0, shanghai)
	noConsent := &crm.Customer{ID: "c1"}
	s := &messages.Send{CampaignID: "camp", Series: "maintenance|v:1|2026-05-11",
		Message: messages.Message{CustomerID: "c1", Channel: crm.ChannelSMS, Purpose: messages.PurposeMarketing}}
	f := messages.Facts{Now: night, Zone: shanghai, Customer: noConsent, NotContacted: true, Recipient: "13800138000",
		Capped: []time.Time{night.Add(-time.Hour)}, SeriesSent: 2}
	assert.Equal(t, messages.ReasonHoldout, p.Check(s, f).Reason)
	f.NotContacted = false
	assert.Equal(t, messages.ReasonNoConsent, p.Check(s, f).Reason)
	f.Customer = &crm.Customer{ID: "c1", Consents: []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true}}}
	assert.Equal(t, messages.ReasonQuietHours, p.Check(s, f).Reason)
	f.Now = night.Add(-3 * time.Hour)
	d := p.Check(s, f)
	assert.Equal(t, messages.ReasonFrequencyCap, d.Reason)
	assert.True(t, d.Until.Equal(night.Add(-time.Hour).Add(7*24*time.Hour)), "the cap frees 7 days after the capped message")
	f.Capped = nil
	d = p.Check(s, f)
	assert.Equal(t, messages.ReasonReminderLimit, d.Reason)
	assert.Equal(t, messages.StatusRefused, d.Status)
	f.SeriesSent = 1
	assert.True(t, p.Check(s, f).Go)
}

func TestIsOptOut(t *testing.T) {
	for text, want := range map[string]bool{"T": true, "t": true, " TD ": true, "td": true, "退订": true, " 退订\n": true,
		"TT": false, "退订吧": false, "": false, "好的": false} {
		assert.Equal(t, want, messages.IsOptOut(text), "%q", text)
	}
}

// TestLogSender: one line per message, the number masked, the rendered
// text shown.
func TestLogSender(t *testing.T) {
	tpls, err := messages.NewTemplates(messages.Template{ID: "maintenance", Purpose: messages.PurposeReminder, Text: "{customer}您好，请于{due}前保养。"})
	require.NoError(t, err)
	var buf bytes.Buffer
	l := messages.NewLogSender(&buf, tpls)
	res, err := l.Send(context.Background(), messages.Message{DealerID: "d1", CustomerID: "c1", Channel: crm.ChannelSMS,
		Purpose: messages.PurposeReminder, Template: "maintenance", Params: map[string]string{"customer": "王先生", "due": "2026-05-11"},
		Recipient: "13800138000", Key: "task:k1"})
	require.NoError(t, err)
	assert.Equal(t, "log-1", res.ProviderID)
	assert.Equal(t, "短信 sms → 138****8000 客户 c1 模板 maintenance 参数 customer=王先生 due=2026-05-11 键 task:k1 「王先生您好，请于2026-05-11前保养。」\n", buf.String())
	assert.NotContains(t, buf.String(), "13800138000")
}

func TestMaskRecipient(t *testing.T) {
	assert.Equal(t, "138****8000", messages.MaskRecipient(crm.ChannelSMS, "13800138000"))
	assert.Equal(t, "w***@example.com", messages.MaskRecipient(crm.ChannelEmail, "wang@example.com"))
	assert.Equal(t, "***xyz9", messages.MaskRecipient(crm.ChannelWeChat, "oAbcdxyz9"))
}

func TestPolicyValidate(t *testing.T) {
	require.NoError(t, messages.DefaultPolicy().Validate())
	p := messages.DefaultPolicy()
	p.QuietStart, p.CapDays, p.MaxAttempts = 25*time.Hour, 0, 0
	var ve *crm.ValidationError
	require.ErrorAs(t, p.Validate(), &ve)
	assert.True(t, ve.Has("quiet_start", crm.RuleRange))
	assert.True(t, ve.Has("cap_days", crm.RuleRange))
	assert.True(t, ve.Has("max_attempts", crm.RuleRange))
}

func TestSeries(t *testing.T) {
	assert.Equal(t, "maintenance|v:V1|2026-05-11", messages.Series("maintenance|v:V1|2026-05-11|2"))
	assert.Equal(t, "plain", messages.Series("plain"))
}

func TestMessageValidate(t *testing.T) {
	m := messages.Message{Channel: "pigeon", Purpose: "spam"}
	var ve *crm.ValidationError
	require.True(t, errors.As(m.Validate(), &ve))
	for _, f := range []string{"dealer_id", "customer_id", "template", "recipient", "key"} {
		assert.True(t, ve.Has(f, crm.RuleRequired), "%s required", f)
	}
	assert.True(t, ve.Has("channel", crm.RuleEnum))
	assert.True(t, ve.Has("purpose", crm.RuleEnum))
}

// TestDefaultTemplates: every default template registers (the marketing
// and care ones carry 退订回T), one per reminder and care kind of the
// default plan that may be sent and one per campaign kind.
func TestDefaultTemplates(t *testing.T) {
	tpls, err := messages.NewTemplates(messages.DefaultTemplates()...)
	require.NoError(t, err)
	require.Len(t, tpls.All(), 8+9, "8 reminder and care kinds, 9 campaign kinds")
	for _, tpl := range tpls.All() {
		if tpl.Purpose.NeedsOptOut() {
			require.Contains(t, tpl.Text, "退订回T", tpl.ID)
		}
	}
}
