package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
)

// ExampleNewHandler serves the API on the memory backend with one dealer's
// key, creates a customer and shows the problem answer to a bad VIN.
func ExampleNewHandler() {
	ctx := context.Background()
	svc := crm.NewService(memory.New())
	if _, err := svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "Shanghai Pudong 4S"}); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(svc,
		httpapi.WithAPIKeys(map[string]crm.DealerID{"sh01-secret": "SH01"})))
	defer srv.Close()

	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sh01-secret")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		return res
	}

	res := post("/v1/customers", `{"name": "王伟", "mobile": "+86 139 1234 5678"}`)
	var c crm.Customer
	_ = json.NewDecoder(res.Body).Decode(&c)
	res.Body.Close()
	fmt.Println(res.StatusCode, c.Name, c.Mobile, c.DealerID)

	res = post("/v1/vehicles", `{"vin": "1M8GDM9A1KP042788", "model": "A4L", "owner_id": "`+string(c.ID)+`"}`)
	var p struct {
		Code   string           `json:"code"`
		Errors []crm.FieldError `json:"errors"`
	}
	_ = json.NewDecoder(res.Body).Decode(&p)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"), p.Code, p.Errors[0].Field, p.Errors[0].Rule)
	// Output:
	// 201 王伟 13912345678 SH01
	// 422 application/problem+json invalid vin vin_check_digit
}

// ExampleMaskAttr keeps phone numbers out of logs.
func ExampleMaskAttr() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // for a stable example
			}
			return httpapi.MaskAttr(groups, a)
		},
	}))
	logger.Info("callback requested by 13800138000", "mobile", "+86 139 1234 5678")
	// Output:
	// level=INFO msg="callback requested by 138****8000" mobile=139****5678
}

// ExampleWithAudit keeps the audit trail in the backend's store: a manager
// reads a customer, a consultant is refused an erasure, and the admin reads
// what happened, newest first.
func ExampleWithAudit() {
	ctx := context.Background()
	stores := memory.NewStores()
	svc := crm.NewService(stores.CRM)
	if _, err := svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "Shanghai Pudong 4S"}); err != nil {
		panic(err)
	}
	c, err := svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "王伟", Kind: crm.Individual, Mobile: "13912345678"})
	if err != nil {
		panic(err)
	}
	h := httpapi.NewHandler(svc, httpapi.WithAudit(stores.Audit), httpapi.WithPrincipals(map[string]crm.Principal{
		"admin-key":      {Dealer: "SH01", Roles: []crm.Role{crm.RoleAdmin}, KeyID: "admin-key"},
		"manager-key":    {Dealer: "SH01", Staff: "M01", Roles: []crm.Role{crm.RoleManager}, KeyID: "manager-key"},
		"consultant-key": {Dealer: "SH01", Staff: "S07", Roles: []crm.Role{crm.RoleConsultant}, KeyID: "consultant-key"},
	}))
	send := func(method, path, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	send(http.MethodGet, "/v1/customers/"+string(c.ID), "manager-key")
	send(http.MethodPost, "/v1/customers/"+string(c.ID)+"/erase", "consultant-key")

	var page crm.Page[crm.AuditRecord]
	_ = json.Unmarshal(send(http.MethodGet, "/v1/audit", "admin-key").Body.Bytes(), &page)
	for _, r := range page.Items {
		fmt.Println(r.StaffID, r.Operation, r.Outcome, r.Reason, r.Records[0] == string(c.ID))
	}
	// Output:
	// S07 eraseCustomer denied permission_denied: privacy true
	// M01 getCustomer ok  true
}
