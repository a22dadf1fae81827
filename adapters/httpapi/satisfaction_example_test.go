package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// ExampleWithSatisfaction weighs a comparison matrix written with fraction
// strings and shows the problem answer to an inconsistent one.
func ExampleWithSatisfaction() {
	svc := crm.NewService(memory.New())
	if _, err := svc.CreateDealer(context.Background(), crm.Dealer{ID: "SH01", Name: "Shanghai Pudong 4S"}); err != nil {
		panic(err)
	}
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore(),
		satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.CRMComplaints{CRM: svc}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(svc,
		httpapi.WithAPIKeys(map[string]crm.DealerID{"sh01-secret": "SH01"}), httpapi.WithSatisfaction(sat)))
	defer srv.Close()

	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/ahp/weights", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sh01-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}

	status, r := post(`{"matrix": [[1, 3, 5], ["1/3", 1, 2], [null, null, 1]], "labels": ["quality", "speed", "price"]}`)
	fmt.Printf("%d weights %.3f CR %.3f\n", status, r["weights"], r["cr"])
	status, p := post(`{"matrix": [[1, 9, "1/9"], [null, 1, 9], [null, null, 1]]}`)
	e := p["errors"].([]any)[0].(map[string]any)
	fmt.Println(status, p["code"], e["field"], e["rule"])
	fmt.Println(e["message"])
	// Output:
	// 200 weights [0.648 0.230 0.122] CR 0.003
	// 422 invalid matrix[0][1] consistency
	// consistency ratio 6.130 is not below 0.10; revise judgment [0][1] from 9 to 0.1111 (consistency ratio then 0.483)
}
