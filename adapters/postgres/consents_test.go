package postgres

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// jsonConsents is the reference decoding of parseConsents.
func jsonConsents(s string) ([]crm.Consent, error) { return unmarshalList(jsonDoc(s), toConsent) }

func TestScanConsentsMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		var cs []crm.Consent
		for range r.IntN(8) {
			cs = append(cs, crm.Consent{Purpose: crm.Purposes()[r.IntN(len(crm.Purposes()))], Channel: crm.Channels()[r.IntN(len(crm.Channels()))],
				Granted: r.IntN(2) == 0, At: time.Unix(r.Int64N(2e9), r.Int64N(1e9)).UTC().Truncate(time.Microsecond), Source: []string{"", "contract", "app 签约"}[r.IntN(3)]})
		}
		doc, err := marshalList(cs, fromConsent)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanConsents(string(doc))
		if !ok {
			t.Fatalf("case %d: the scanner refused its own format: %s", n, doc)
		}
		want, err := jsonConsents(string(doc))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: %s\n got %+v\nwant %+v (%v)", n, doc, got, want, err)
		}
	}
	// jsonb's layout: keys reordered, ", " and ": " separators, offsets.
	for _, doc := range []string{
		`[{"at": "2020-01-01T08:00:00+08:00", "source": "contract", "channel": "sms", "granted": true, "purpose": "marketing"}]`,
		` [ ] `, `[]`, `null`, ``,
	} {
		got, ok := scanConsents(doc)
		want, err := jsonConsents(doc)
		if !ok || err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v (%v)\nwant %+v (%v)", doc, got, ok, want, err)
		}
	}
	// Left to encoding/json: escapes, missing, unknown, duplicate or null
	// keys, other layouts of time.
	for _, doc := range []string{
		`[{"purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":"a\"b"}]`,
		`[{"purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z"}]`,
		`[{"purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":"","x":1}]`,
		`[{"purpose":"marketing","purpose":"care","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":""}]`,
		`[{"purpose":null,"channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":""}]`,
		`[{"Purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":""}]`,
	} {
		if _, ok := scanConsents(doc); ok {
			t.Errorf("the scanner took %s", doc)
		}
	}
	got, err := parseConsents(`[{"Purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":"a\"b"}]`)
	if err != nil || len(got) != 1 || got[0].Purpose != "marketing" || got[0].Source != `a"b` {
		t.Fatalf("fallback: %+v, %v", got, err)
	}
}

// FuzzConsentScanner: whatever the scanner accepts, encoding/json decodes
// to the same consents.
func FuzzConsentScanner(f *testing.F) {
	f.Add(`[{"purpose":"marketing","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":"contract"}]`)
	f.Add(`[{"at": "2020-01-01T08:00:00.123+08:00", "source": "", "channel": "phone", "granted": false, "purpose": "care"}, {"at": "2021-02-03T04:05:06Z", "source": "x", "channel": "sms", "granted": true, "purpose": "survey"}]`)
	f.Add(`[]`)
	// Consents sharing their time (parsed once), then one without.
	f.Add(`[{"purpose":"care","channel":"sms","granted":true,"at":"2020-01-01T00:00:00Z","source":""},{"purpose":"care","channel":"phone","granted":true,"at":"2020-01-01T00:00:00Z","source":""},{"purpose":"care","channel":"app","granted":true,"at":"","source":""}]`)
	f.Add(`[{"purpose":"care","channel":"sms","granted":true,"at":"","source":""}]`)
	f.Add(`[{"at":"2020-01-01T00:00:00,5Z"}]`)
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := scanConsents(doc)
		if !ok {
			return
		}
		want, err := jsonConsents(doc)
		if err != nil {
			var v any
			if json.Unmarshal([]byte(doc), &v) == nil {
				t.Fatalf("the scanner took %q, which encoding/json refuses: %v", doc, err)
			}
			t.Fatalf("the scanner took invalid JSON %q", doc)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", doc, got, want)
		}
	})
}
