package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/require"
)

// FuzzImportBody sends random bodies to POST /v1/import, on a handler with
// the default limits and on one with tiny limits (5 records, 256-byte
// records, a 4 KiB body) so that every limit is within reach: none may
// panic or answer 5xx, and every answer is JSON. The seed corpus is in
// testdata/fuzz/FuzzImportBody.
func FuzzImportBody(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	def := newEnv(f)
	svc := crm.NewService(memory.New(), crm.WithMaxImportRecords(5))
	_, err := svc.CreateDealer(context.Background(), crm.Dealer{ID: dealerA, Name: "上海浦东 4S 店"})
	require.NoError(f, err)
	tiny := &env{t: f, svc: svc, h: httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA}),
		httpapi.WithMaxBodyBytes(256), httpapi.WithMaxImportBytes(4<<10))}
	f.Fuzz(func(t *testing.T, body string) {
		for _, e := range []*env{def, tiny} {
			te := *e
			te.t = t
			checkAnswer(t, http.MethodPost, "/v1/import", body, te.do(http.MethodPost, "/v1/import", keyA, body))
		}
	})
}
