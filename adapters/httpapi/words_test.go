package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The call list through the real handler: reasons in Chinese by default
// and for zh-CN, in English for en, the codes and parameters the same in
// every language (issue 14 item 4).
func TestTaskReasonsByAcceptLanguage(t *testing.T) {
	ctx := context.Background()
	e, crmSvc, lc := newLifecycleEnv(t, time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC))
	_, err := crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生", ConsultantID: "S01",
		Consents: []crm.Consent{{Purpose: crm.PurposeSurvey, Channel: crm.ChannelPhone, Granted: true, At: time.Date(2026, 1, 28, 0, 0, 0, 0, time.UTC), Source: "contract"}}})
	require.NoError(t, err)
	_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: lcDate("2026-01-28"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	_, err = lc.Run(ctx, dealerA, lcDate("2026-01-31"))
	require.NoError(t, err)

	list := func(lang ...string) (map[lifecycle.Kind]lifecycle.Task, http.Header) {
		t.Helper()
		rec := e.do(http.MethodGet, "/v1/tasks?owner=S01", keyA, nil, append([]string{"Accept-Language"}, lang...)...)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var page crm.Page[lifecycle.Task]
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
		out := map[lifecycle.Kind]lifecycle.Task{}
		for _, tk := range page.Items {
			out[tk.Kind] = tk
		}
		return out, rec.Header()
	}
	zh, hd := list("zh-CN")
	assert.Equal(t, "zh-CN", hd.Get("Content-Language"))
	assert.Contains(t, hd.Values("Vary"), "Accept-Language")
	tdc := zh[lifecycle.KindThankYou3DC]
	assert.Equal(t, "交车后第3天感谢回访（2026-01-28交车）", tdc.Reason)
	assert.Equal(t, "lifecycle.reason.delivery_3dc", tdc.ReasonCode)
	assert.Equal(t, map[string]string{"kind": "delivery_3dc", "n": "1", "days": "3", "months": "0", "delivered": "2026-01-28"}, tdc.ReasonParams)
	assert.Equal(t, "交车后一对一拜访（2026-01-28交车）", zh[lifecycle.KindOneOnOneVisit].Reason)

	absent, _ := list("")
	assert.Equal(t, zh, absent, "no Accept-Language: Chinese, the default")
	garbage, hd := list(";;q=x,,=")
	assert.Equal(t, zh, garbage, "a header that does not parse: the default, no error")
	assert.Equal(t, "zh-CN", hd.Get("Content-Language"))

	en, hd := list("en-US,en;q=0.9,zh;q=0.5")
	assert.Equal(t, "en", hd.Get("Content-Language"))
	assert.Equal(t, "thank-you call 3 days after delivery (delivered on 2026-01-28)", en[lifecycle.KindThankYou3DC].Reason)
	assert.Equal(t, tdc.ReasonCode, en[lifecycle.KindThankYou3DC].ReasonCode, "the code is the same in every language")
	assert.Equal(t, tdc.ReasonParams, en[lifecycle.KindThankYou3DC].ReasonParams)

	// The outcome's status reason, rendered in the reply.
	rec := e.do(http.MethodPost, "/v1/tasks/"+string(tdc.ID)+"/outcome", keyA, map[string]any{"outcome": "appointment_booked", "appointment_date": "2026-02-03"}, "Accept-Language", "zh-CN")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var reply struct{ Task lifecycle.Task }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &reply))
	assert.Equal(t, "已预约：2026-02-03到店", reply.Task.StatusReason)
	assert.Equal(t, lifecycle.CodeAppointment, reply.Task.StatusReasonCode)
	assert.Equal(t, "交车后第3天感谢回访（2026-01-28交车）", reply.Task.Reason)
	stored, err := lc.ListTasks(ctx, dealerA, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusDone}})
	require.NoError(t, err)
	require.Len(t, stored.Items, 1)
	assert.Equal(t, "outcome appointment_booked for 2026-02-03", stored.Items[0].StatusReason, "the store keeps the English; only the answer is rendered")

	// A vehicle's plan: rows and gone reasons.
	rec = e.do(http.MethodGet, "/v1/vehicles/v1/plan?date=2026-01-28", keyA, nil, "Accept-Language", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var plan lifecycle.Plan
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &plan))
	assert.Equal(t, "lifecycle.stage.honeymoon.none", plan.Stage.ReasonCode)
	assert.Equal(t, "2026-01-28交车，尚未首保；车龄0个月、里程0公里，未达6个月/5000公里", plan.Stage.Reason)
	assert.Equal(t, "尚无保养记录", plan.Gone[lifecycle.KindMaintenance])
	assert.Equal(t, lifecycle.Message{Code: lifecycle.CodeGoneNoMaintenance}, plan.GoneCodes[lifecycle.KindMaintenance])
	assert.Equal(t, "未登记生日", plan.Gone[lifecycle.KindBirthdayCare])
	for _, row := range plan.Tasks {
		if row.Kind == lifecycle.Kind7DC {
			assert.Equal(t, "交车后第7天回访（2026-01-28交车）", row.Reason)
		}
	}
}

// Problem details through the real handler: the detail and each error's
// message in the request's language; type, code, field and rule the same.
func TestProblemDetailsByAcceptLanguage(t *testing.T) {
	e := newEnv(t)
	type fieldError struct{ Field, Rule, Message string }
	type prob struct {
		Type, Title, Detail, Code string
		Status                    int
		Errors                    []fieldError
	}
	post := func(lang string) (prob, http.Header) {
		t.Helper()
		rec := e.do(http.MethodPost, "/v1/customers", keyA, map[string]any{"mobile": "13912345678"}, "Accept-Language", lang)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		var p prob
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
		return p, rec.Header()
	}
	en, hd := post("en")
	assert.Equal(t, "en", hd.Get("Content-Language"))
	assert.Equal(t, "invalid customer: see errors", en.Detail)
	require.NotEmpty(t, en.Errors)
	assert.Equal(t, fieldError{"name", "required", "is required"}, en.Errors[0])

	zh, hd := post("zh-CN")
	assert.Equal(t, "zh-CN", hd.Get("Content-Language"))
	assert.Equal(t, "请求数据有误（customer），详见 errors", zh.Detail)
	assert.Equal(t, fieldError{"name", "required", "必填"}, zh.Errors[0])
	assert.Equal(t, []any{en.Type, en.Title, en.Code, en.Status, len(en.Errors)}, []any{zh.Type, zh.Title, zh.Code, zh.Status, len(zh.Errors)},
		"the machine members do not change with the language")
	for i := range en.Errors {
		assert.Equal(t, []string{en.Errors[i].Field, en.Errors[i].Rule}, []string{zh.Errors[i].Field, zh.Errors[i].Rule})
	}
	absent, _ := post("")
	assert.Equal(t, zh, absent, "no Accept-Language: Chinese")
	garbage, _ := post("q=;;,x-@@@")
	assert.Equal(t, zh, garbage, "a malformed header: the default, no error")

	// A state transition, a route that does not exist and a body too large.
	rec := e.do(http.MethodGet, "/v1/nowhere", keyA, nil, "Accept-Language", "zh")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), "没有匹配的接口：no route matches GET /v1/nowhere")
	rec = e.do(http.MethodGet, "/v1/nowhere", keyA, nil)
	assert.Contains(t, rec.Body.String(), `"detail":"no route matches GET /v1/nowhere"`)
	rec = e.do(http.MethodGet, "/v1/customers", "", nil, "Accept-Language", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `"detail":"未认证：请提供有效的 API 密钥"`)
	assert.Contains(t, rec.Body.String(), `"code":"unauthenticated"`)
}

// A host's own wording (WithCatalog) reaches the answers.
func TestWithCatalogOverridesWording(t *testing.T) {
	cat := i18n.Default()
	require.NoError(t, cat.Set(i18n.Chinese, "rule.required", "{field}不能为空"))
	e := newEnv(t, httpapi.WithCatalog(cat))
	rec := e.do(http.MethodPost, "/v1/customers", keyA, map[string]any{"mobile": "13912345678"}, "Accept-Language", "zh-CN")
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), `{"field":"name","rule":"required","message":"name不能为空"}`)
}
