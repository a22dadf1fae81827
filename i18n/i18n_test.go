package i18n_test

import (
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

// requiredCodes are the codes dealercrm produces or its templates look up:
// a new one (a new kind, an outcome, a lifecycle reason) fails the test
// below until it has a template in every language.
func requiredCodes() []string {
	codes := append(lifecycle.MessageCodes(), grading.ChangeCodes()...)
	codes = append(codes, satisfaction.FollowUpCodes()...)
	add := func(prefix string, vs ...string) {
		for _, v := range vs {
			codes = append(codes, prefix+"."+v)
		}
	}
	for _, k := range lifecycle.Kinds() {
		add("kind", string(k))
	}
	for _, v := range crm.ServiceKinds() {
		add("service_kind", string(v))
	}
	for _, v := range crm.InsuranceKinds() {
		add("insurance_kind", string(v))
	}
	for _, v := range crm.Outcomes() {
		add("outcome", string(v))
	}
	for _, v := range crm.Purposes() {
		add("purpose", string(v))
	}
	for _, v := range lifecycle.FestivalKeys() {
		add("festival", string(v))
	}
	for _, v := range lifecycle.Stages() {
		add("stage", string(v))
	}
	for _, v := range lifecycle.RepairClasses() {
		add("repair_class", string(v))
	}
	return codes
}

func TestEveryCodeHasEveryLanguage(t *testing.T) {
	cat := i18n.Default()
	require.Equal(t, []language.Tag{i18n.Chinese, i18n.English}, cat.Languages(), "Chinese first: the default")
	codes := cat.Codes()
	for _, code := range requiredCodes() {
		assert.Contains(t, codes, code, "dealercrm produces %s: it needs a template", code)
	}
	for _, code := range codes {
		for _, tag := range cat.Languages() {
			tmpl, ok := cat.Template(tag, code)
			if assert.True(t, ok, "%s has no %s template", code, tag) {
				assert.NotEmpty(t, tmpl, "%s in %s", code, tag)
				// Every built-in template is well formed: Set accepts it.
				assert.NoError(t, i18n.New(tag).Set(tag, code, tmpl), "%s in %s", code, tag)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	cat := i18n.Default()
	for header, want := range map[string]language.Tag{
		"":                           i18n.Chinese, // absent: the default
		"zh-CN":                      i18n.Chinese,
		"zh":                         i18n.Chinese,
		"zh-Hans-CN,zh;q=0.9":        i18n.Chinese,
		"en":                         i18n.English,
		"en-US,en;q=0.9":             i18n.English,
		"en-GB":                      i18n.English,
		"fr-FR, en;q=0.5":            i18n.English, // the best the catalog has
		"zh-CN;q=0.4, en;q=0.8":      i18n.English, // q-values decide
		"fr":                         i18n.Chinese, // nothing the catalog has
		"*":                          i18n.Chinese,
		";;q=garbage,,==":            i18n.Chinese, // malformed: the default, no error
		"\x00\xff":                   i18n.Chinese,
		"en;q=2, zh-CN;q=abc, x-123": i18n.Chinese,
	} {
		assert.Equal(t, want, cat.Match(header), "Accept-Language %q", header)
	}
}

func TestRender(t *testing.T) {
	cat := i18n.Default()
	p := map[string]string{"insurance_kind": "compulsory", "policy": "P1", "end": "2026-05-01", "n": "2"}
	assert.Equal(t, "交强险将于2026-05-01到期，第2次续保提醒", cat.Render(i18n.Chinese, "lifecycle.reason.insurance_renewal", p))
	assert.Equal(t, "compulsory insurance ends on 2026-05-01: renewal reminder 2", cat.Render(i18n.English, "lifecycle.reason.insurance_renewal", p))

	t.Run("an enumeration value without a name stays as it is", func(t *testing.T) {
		p := map[string]string{"insurance_kind": "liability", "policy": "P1", "end": "2026-05-01", "n": "1"}
		assert.Equal(t, "liability将于2026-05-01到期，第1次续保提醒", cat.Render(i18n.Chinese, "lifecycle.reason.insurance_renewal", p))
	})
	t.Run("a missing parameter shows its placeholder", func(t *testing.T) {
		assert.Equal(t, "会员资格将于{end}到期", cat.Render(i18n.Chinese, "lifecycle.reason.membership_renewal", nil))
	})
	t.Run("an unknown code renders as itself", func(t *testing.T) {
		assert.Equal(t, "no.such.code", cat.Render(i18n.English, "no.such.code", map[string]string{"a": "b"}))
	})
	t.Run("a language the catalog lacks gets the default", func(t *testing.T) {
		assert.Equal(t, "会员资格将于2027-01-01到期", cat.Render(language.French, "lifecycle.reason.membership_renewal", map[string]string{"end": "2027-01-01"}))
	})
	t.Run("percent signs and braces are literal", func(t *testing.T) {
		c := i18n.New(i18n.English)
		require.NoError(t, c.Set(i18n.English, "x", "100% {{sure}} of {who}"))
		assert.Equal(t, "100% {sure} of %d", c.Render(i18n.English, "x", map[string]string{"who": "%d"}))
	})
	t.Run("parameters in another order per language", func(t *testing.T) {
		c := i18n.New(i18n.Chinese, i18n.English)
		require.NoError(t, c.Set(i18n.English, "x", "{a} then {b}"))
		require.NoError(t, c.Set(i18n.Chinese, "x", "{b}之后{a}"))
		ps := map[string]string{"a": "A", "b": "B"}
		assert.Equal(t, "A then B", c.Render(i18n.English, "x", ps))
		assert.Equal(t, "B之后A", c.Render(i18n.Chinese, "x", ps))
	})
}

// A host overrides a message, and adds a language; the override is its
// own catalog's, not every Default's.
func TestSet(t *testing.T) {
	cat := i18n.Default()
	p := map[string]string{"days": "3", "delivered": "2026-03-01"}
	require.NoError(t, cat.Set(i18n.Chinese, "lifecycle.reason.delivery_3dc", "新车交付第{days}天关怀电话（{delivered}交车）"))
	assert.Equal(t, "新车交付第3天关怀电话（2026-03-01交车）", cat.Render(i18n.Chinese, "lifecycle.reason.delivery_3dc", p))
	assert.Equal(t, "交车后第3天感谢回访（2026-03-01交车）", i18n.Default().Render(i18n.Chinese, "lifecycle.reason.delivery_3dc", p), "other catalogs keep the built-in text")

	require.NoError(t, cat.Set(language.Japanese, "kind.birthday_care", "誕生日のお祝い"))
	assert.Equal(t, language.Japanese, cat.Match("ja-JP, en;q=0.5"))
	assert.Equal(t, "誕生日のお祝い", cat.Render(language.Japanese, "kind.birthday_care", nil))
	assert.Equal(t, "节日关怀", cat.Render(language.Japanese, "kind.holiday_care", nil), "a code missing in Japanese falls back to Chinese")

	for _, bad := range []string{"{unclosed", "a } b", "{Bad Name}", "{}", "{a:}"} {
		assert.Error(t, cat.Set(i18n.English, "kind.birthday_care", bad), "template %q", bad)
	}
	assert.Equal(t, "birthday care", cat.Render(i18n.English, "kind.birthday_care", nil), "a rejected template changes nothing")
	assert.Error(t, cat.Set(i18n.English, "", "x"), "a code is required")
}

// Rendering while a host sets messages is safe (go test -race).
func TestConcurrentRenderAndSet(t *testing.T) {
	cat := i18n.Default()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				if i == 0 {
					_ = cat.Set(i18n.English, "kind.grade_care", "grade care")
				}
				_ = cat.Render(i18n.English, "lifecycle.reason.membership_renewal", map[string]string{"end": "2027-01-01"})
				_ = cat.Match("en")
				_ = j
			}
		})
	}
	wg.Wait()
	assert.Equal(t, "grade care", cat.Render(i18n.English, "kind.grade_care", nil))
}

// The reasons of a vehicle's plan, rendered: a car delivered on
// 2026-03-01 with a compulsory policy ending on 2026-05-10, an owner born
// on Mid-Autumn 1990 who keeps a lunar birthday (worked example of
// SPEC §2.2's default plan).
func TestPlannedReasonsRendered(t *testing.T) {
	pl, err := lifecycle.NewPlanner(lifecycle.DefaultPolicy(), nil)
	require.NoError(t, err)
	owner := crm.Customer{ID: "c1", Name: "王先生", Birthday: dealercrm.MustParseDate("1990-10-03"), BirthdayCalendar: crm.BirthdayLunar}
	for _, p := range crm.Purposes() {
		for _, ch := range crm.Channels() {
			owner.Consents = append(owner.Consents, crm.Consent{Purpose: p, Channel: ch, Granted: true, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"})
		}
	}
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "Lavida", Delivery: dealercrm.MustParseDate("2026-03-01"), Owner: &owner,
		Policies: []lifecycle.PolicyTerm{{ID: "P1", Kind: crm.Compulsory, Start: dealercrm.MustParseDate("2025-05-11"), End: dealercrm.MustParseDate("2026-05-10")}}}
	ev := pl.Evaluate(&s, dealercrm.MustParseDate("2026-03-01"), 240)
	cat := i18n.Default()
	got := map[string][2]string{}
	for _, task := range ev.Tasks {
		require.NotEmpty(t, task.ReasonCode, "task %s has a code", task.Key)
		key := string(task.Kind) + " " + task.Due.String()
		got[key] = [2]string{cat.Render(i18n.Chinese, task.ReasonCode, task.ReasonParams), cat.Render(i18n.English, task.ReasonCode, task.ReasonParams)}
	}
	for key, want := range map[string][2]string{
		"delivery_3dc 2026-03-04":      {"交车后第3天感谢回访（2026-03-01交车）", "thank-you call 3 days after delivery (delivered on 2026-03-01)"},
		"delivery_n_plus_1 2026-04-01": {"交车满1个月回访（2026-03-01交车）", "call 1 month(s) after delivery (delivered on 2026-03-01)"},
		"insurance_renewal 2026-03-11": {"交强险将于2026-05-10到期，第1次续保提醒", "compulsory insurance ends on 2026-05-10: renewal reminder 1"},
		"insurance_renewal 2026-05-03": {"交强险将于2026-05-10到期，第3次续保提醒", "compulsory insurance ends on 2026-05-10: renewal reminder 3"},
		// No readings: 5,000 km at the default daily distance, before
		// delivery + 6 months; a week before.
		"first_maintenance 2026-06-27": {"首保到期：预计2026-07-04（行驶5000公里或交车满6个月，以先到为准），第1次提醒",
			"first maintenance due on 2026-07-04 (at 5000 km or 6 months after delivery, whichever comes first), reminder 1"},
		// Lunar 8/15 of 2026 is 2026-09-25; the care call the day before.
		"birthday_care 2026-09-24": {"客户农历生日（农历8月15日）：2026-09-25", "the customer's lunar birthday (lunar 8/15) on 2026-09-25"},
		"holiday_care 2026-04-30":  {"劳动节：2026-05-01", "Labour Day on 2026-05-01"},
	} {
		assert.Equal(t, want, got[key], "%s (planned: %v)", key, got)
	}
}

// Stage, abnormal-customer and comeback explanations rendered: a car
// delivered on 2023-01-01, maintained on 2025-05-01, then only a warranty
// repair on 2026-05-01, assessed as of 2026-06-30 counting paid visits only
// (the abnormal test's worked example: lost, long-absent and repair-only).
func TestExplanationsRendered(t *testing.T) {
	cat := i18n.Default()
	d := dealercrm.MustParseDate
	pol := lifecycle.DefaultAbnormalPolicy()
	pol.PaidOnly = true
	s := lifecycle.Subject{Delivery: d("2023-01-01"), Visits: []lifecycle.Visit{
		{OrderID: "o1", Date: d("2025-05-01"), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer},
		{OrderID: "o2", Date: d("2026-05-01"), Kind: crm.ServiceWarranty, Payer: crm.PayerManufacturer}}}
	a := pol.Assess(&s, d("2026-06-30"))
	got := map[lifecycle.AbnormalClass][2]string{}
	for _, x := range a.Abnormal {
		got[x.Class] = [2]string{cat.Render(i18n.Chinese, x.ReasonCode, x.ReasonParams), cat.Render(i18n.English, x.ReasonCode, x.ReasonParams)}
		assert.Equal(t, x.Reason, got[x.Class][1], "the English template says what the domain's own text says")
	}
	assert.Equal(t, map[lifecycle.AbnormalClass][2]string{
		lifecycle.LongAbsent: {"已13个月未进厂（自2025-05-01起）", "no visit for 13 months (since 2025-05-01)"},
		lifecycle.RepairOnly: {"12个月内维修1次，未做保养", "1 repair visit(s) and no maintenance in 12 months"},
	}, got)

	st := lifecycle.DefaultStagePolicy().Classify(lifecycle.StageInput{Delivery: d("2023-01-01"), KM: 41000, FirstMaintenance: d("2023-06-01")}, d("2026-06-30"))
	assert.Equal(t, "lifecycle.stage.post_warranty.age", st.ReasonCode)
	assert.Equal(t, "车龄41个月，已过厂家质保（36个月/100000公里）", cat.Render(i18n.Chinese, st.ReasonCode, st.ReasonParams))
	assert.Equal(t, st.Reason, cat.Render(i18n.English, st.ReasonCode, st.ReasonParams))
	st = lifecycle.DefaultStagePolicy().Classify(lifecycle.StageInput{Delivery: d("2025-01-01"), KM: 3000, FirstMaintenance: d("2025-04-01")}, d("2025-06-30"))
	assert.Equal(t, "首保已于2025-04-01完成", cat.Render(i18n.Chinese, st.ReasonCode, st.ReasonParams))
	assert.Equal(t, st.Reason, cat.Render(i18n.English, st.ReasonCode, st.ReasonParams))
}
