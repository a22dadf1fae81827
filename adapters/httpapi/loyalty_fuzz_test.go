package httpapi_test

import (
	"net/http"
	"testing"
)

// FuzzLoyaltyBodies posts arbitrary bodies (and Idempotency-Keys) to every
// loyalty POST: the answer is never a 5xx and always JSON.
func FuzzLoyaltyBodies(f *testing.F) {
	f.Add(`{"customer_id":"c1","method":"sale"}`, "k1")
	f.Add(`{"points":100,"purpose":"voucher"}`, "")
	f.Add(`{"service_order_id":"o1"}`, "x")
	f.Add(`{"method":"points","fee_paid":"-1"}`, "renew")
	f.Add(`{"labour":"1e9999","parts":"x"}`, "")
	f.Add(`{"customer_id":"c1","method":"fee","fee_paid":"800","spend_rank":"0.1","date":"2025-13-01"}`, "\x00")
	f.Fuzz(func(t *testing.T, body, key string) {
		e := newLoyaltyEnv(t)
		for _, path := range []string{"/v1/loyalty/members", "/v1/loyalty/members/c1/renew", "/v1/loyalty/members/c1/upgrade",
			"/v1/loyalty/members/c1/cancel", "/v1/loyalty/members/c1/quote", "/v1/loyalty/members/c1/redemptions",
			"/v1/loyalty/earnings", "/v1/loyalty/entries/c1.1/reverse"} {
			w := e.do(http.MethodPost, path, keyA, body, "Idempotency-Key", key)
			checkAnswer(t, http.MethodPost, path, body, w)
		}
	})
}
