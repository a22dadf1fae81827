package crmtest

import (
	"reflect"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRefs are parents with fresh IDs, for checking fixtures without a store.
func fakeRefs() refs {
	id := dealercrm.NewID
	return refs{
		dealer:    crm.DealerID(id()),
		customers: [2]crm.CustomerID{crm.CustomerID(id()), crm.CustomerID(id())},
		vehicles:  [2]crm.VehicleID{crm.VehicleID(id()), crm.VehicleID(id())},
		lead:      crm.LeadID(id()),
		sale:      crm.SaleID(id()),
		order:     crm.ServiceOrderID(id()),
	}
}

func TestVIN(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range []int{0, 1, 2, 7, 10, 42, 900, 999999, 1000001} {
		vin := VIN(n)
		assert.Len(t, vin, 17, "VIN(%d) has 17 characters", n)
		assert.Empty(t, crm.CheckVIN(vin), "VIN(%d) = %s passes crm.CheckVIN", n, vin)
		seen[vin] = true
	}
	assert.Len(t, seen, 8, "distinct serials give distinct VINs; 1000001 wraps to 1")

	// Worked example of the check digit: 1M8GDM9AXKP042788 is the classic
	// valid VIN with check digit X.
	b := []byte("1M8GDM9A0KP042788")
	assert.Equal(t, byte('X'), vinCheckDigit(b), "check digit of the classic example")
}

// validator is what every fixture is: an entity with Validate.
type validator interface{ Validate() error }

func TestFixturesAreValid(t *testing.T) {
	r := fakeRefs()
	d := Dealer(r.dealer)
	fixtures := map[string]validator{
		"Dealer":        &d,
		"Customer":      ptr(Customer(r.dealer, 1)),
		"Lead":          ptr(Lead(r.dealer, 1)),
		"Vehicle":       ptr(Vehicle(r.dealer, r.customers[0], 1)),
		"Sale":          ptr(Sale(r.dealer, r.customers[0], r.vehicles[0], 1)),
		"ServiceOrder":  ptr(ServiceOrder(r.dealer, r.customers[0], r.vehicles[0], 1)),
		"Policy":        ptr(Policy(r.dealer, r.customers[0], r.vehicles[0], 1)),
		"Interaction":   ptr(Interaction(r.dealer, r.customers[0], 1)),
		"Complaint":     ptr(Complaint(r.dealer, r.customers[0], 1)),
		"Participation": ptr(Participation(r.dealer, r.customers[0], 1)),
	}
	for name, v := range fixtures {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, v.Validate(), "the fixture is valid")
			assert.Empty(t, nonUTC(v), "fixture times are in UTC")
			eachTime(reflect.ValueOf(v), "", func(path string, tv reflect.Value) {
				tt := tv.Interface().(time.Time)
				assert.Equal(t, tt.Truncate(time.Microsecond), tt, "%s is truncated to microseconds", path)
			})
			assert.Empty(t, zeroFields(reflect.ValueOf(v).Elem(), ""), "every field of the fixture is set")
		})
	}
}

// zeroFields lists the exported fields of struct v that hold their zero
// value, except GroupID and the references the fixtures leave to callers
// (MergedInto is set by a merge only).
func zeroFields(v reflect.Value, path string) []string {
	optional := map[string]bool{"GroupID": true, "LeadID": true, "ReferrerID": true, "SaleID": true,
		"VehicleID": true, "ServiceOrderID": true, "CustomerID": true, "LostReason": true, "MergedInto": true}
	var out []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		fv := v.Field(i)
		switch {
		case f.Anonymous:
			out = append(out, zeroFields(fv, path)...)
		case fv.IsZero() && !optional[f.Name]:
			out = append(out, path+f.Name)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// specCheck runs the checks every spec must pass, whatever its types.
func specCheck[T cloner[T], ID ~string, F any](t *testing.T, sp spec[T, ID, F]) {
	t.Run(sp.name, func(t *testing.T) {
		r := fakeRefs()
		v := sp.build(r, 1)
		validate := func(v T, msg string) {
			t.Helper()
			val, ok := any(&v).(validator)
			require.True(t, ok, "%s has Validate", sp.name)
			assert.NoError(t, val.Validate(), msg)
		}
		validate(v, "build returns a valid record")
		assert.Equal(t, r.dealer, sp.rec(&v).DealerID, "build uses the dealer")
		assert.Empty(t, zeroFields(reflect.ValueOf(v), ""), "build sets every field")

		m := v.Clone()
		sp.mutate(&m)
		assert.NotEmpty(t, Diff(v, m), "mutate changes the record")
		validate(m, "a mutated record is still valid")

		b := v.Clone()
		sp.bump(&b)
		assert.Equal(t, sp.bumps(v)+1, sp.bumps(b), "bump counts one")

		if sp.respell != nil {
			s := v.Clone()
			sp.respell(&s)
			assert.Empty(t, Diff(v, s), "respell keeps the values")
			assert.False(t, reflect.DeepEqual(v, s), "respell changes the representation of the decimals")
		}

		recs, cases := sp.filters(r)
		for i := range recs {
			validate(recs[i], "filter records are valid")
			assert.Equal(t, r.dealer, sp.rec(&recs[i]).DealerID, "filter records belong to the dealer")
		}
		names := map[string]bool{}
		for _, c := range cases {
			assert.False(t, names[c.name], "case names are unique: %s", c.name)
			names[c.name] = true
			for _, i := range c.want {
				assert.Less(t, i, len(recs), "case %s refers to a record", c.name)
			}
		}
		assert.True(t, names["All"], "the cases include the empty filter")
		assert.True(t, names["NoMatch"] || names["LevelAndStatusNoMatch"], "the cases include a filter that matches nothing")
	})
}

func TestSpecs(t *testing.T) {
	specCheck(t, customerSpec())
	specCheck(t, leadSpec())
	specCheck(t, vehicleSpec())
	specCheck(t, saleSpec())
	specCheck(t, serviceOrderSpec())
	specCheck(t, policySpec())
	specCheck(t, interactionSpec())
	specCheck(t, complaintSpec())
	specCheck(t, participationSpec())
}

func TestDiff(t *testing.T) {
	d := decimal.RequireFromString
	at := time.Date(2024, 3, 1, 9, 30, 0, 1000, time.UTC)
	tests := []struct {
		name      string
		want, got any
		diffs     int
	}{
		{"DecimalScale", crm.Vehicle{Price: d("100.50")}, crm.Vehicle{Price: d("100.5")}, 0},
		{"DecimalValue", crm.Vehicle{Price: d("100.50")}, crm.Vehicle{Price: d("100.51")}, 1},
		{"TimeZone", crm.Interaction{At: at}, crm.Interaction{At: at.In(otherZone)}, 0},
		{"TimeInstant", crm.Interaction{At: at}, crm.Interaction{At: at.Add(time.Microsecond)}, 1},
		{"NilAndEmptySlice", crm.Customer{Hobbies: nil}, crm.Customer{Hobbies: []string{}}, 0},
		{"SliceElement", crm.Customer{Hobbies: []string{"a", "b"}}, crm.Customer{Hobbies: []string{"a", "c"}}, 1},
		{"SliceLength", crm.Customer{Hobbies: []string{"a"}}, crm.Customer{Hobbies: []string{"a", "b"}}, 1},
		{"NestedTime", crm.Customer{Consents: []crm.Consent{{At: at}}}, crm.Customer{Consents: []crm.Consent{{At: at.Add(1)}}}, 1},
		{"EmbeddedRecord", crm.Customer{Record: crm.Record{ExternalID: "a"}}, crm.Customer{Record: crm.Record{ExternalID: "b"}}, 1},
		{"Date", crm.Sale{Date: dealercrm.NewDate(2024, 3, 1)}, crm.Sale{Date: dealercrm.NewDate(2024, 3, 2)}, 1},
		{"NilPointer", crm.Dealer{}, crm.Dealer{LeadPolicy: &crm.LeadPolicy{}}, 1},
		{"Map", crm.LeadPolicy{CadenceDays: map[crm.IntentLevel]int{"H": 2}}, crm.LeadPolicy{CadenceDays: map[crm.IntentLevel]int{"H": 3}}, 1},
		{"MapKey", crm.LeadPolicy{CadenceDays: map[crm.IntentLevel]int{"H": 2}}, crm.LeadPolicy{CadenceDays: map[crm.IntentLevel]int{"A": 2}}, 1},
		{"Slices", []crm.Customer{{Name: "a"}}, []crm.Customer{{Name: "a"}, {Name: "b"}}, 1},
		{"Type", crm.Customer{}, crm.Lead{}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Len(t, Diff(tc.want, tc.got), tc.diffs, "differences between %v and %v", tc.want, tc.got)
		})
	}
	assert.Equal(t, []string{"Consents[0].Source: want \"a\", got \"b\""},
		Diff(crm.Customer{Consents: []crm.Consent{{Source: "a"}}}, crm.Customer{Consents: []crm.Consent{{Source: "b"}}}),
		"a difference names its path")
}

func TestNonUTCAndInZone(t *testing.T) {
	c := Customer(crm.DealerID(dealercrm.NewID()), 1)
	require.Empty(t, nonUTC(c), "fixtures are in UTC")
	moved := c.Clone()
	inZone(&moved, otherZone)
	assert.Len(t, nonUTC(moved), 4, "CreatedAt, UpdatedAt and two consent times moved")
	assert.Empty(t, Diff(c, moved), "moving to another zone keeps the instants")
}
