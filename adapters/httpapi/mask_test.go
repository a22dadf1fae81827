package httpapi_test

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestMaskAttr(t *testing.T) {
	cases := []struct {
		name string
		attr slog.Attr
		want slog.Value
	}{
		{"mobile key", slog.String("mobile", "13800138000"), slog.StringValue("138****8000")},
		{"mobile key, +86 form", slog.String("Mobile", "+86 139 1234 5678"), slog.StringValue("139****5678")},
		{"phone key, integer", slog.Int64("phone", 13700137000), slog.StringValue("137****7000")},
		{"phone key, landline", slog.String("contactPhone", "021-5555-1234"), slog.StringValue("021****1234")},
		{"phone key, E.164", slog.String("phone_number", "+4915112345678"), slog.StringValue("+49*******5678")},
		{"phone key, short", slog.String("phone", "110"), slog.StringValue("***")},
		{"phone key, empty", slog.String("phone", ""), slog.StringValue("")},
		{"other key, number inside", slog.String("note", "call back on 136 0013 6000 after 6pm"), slog.StringValue("call back on 136****6000 after 6pm")},
		{"other key, no number", slog.String("note", "order 2025-0001 of 2025-03-10"), slog.StringValue("order 2025-0001 of 2025-03-10")},
		{"other key, integer", slog.Int64("count", 13800138000), slog.Int64Value(13800138000)},
		{"error", slog.Any("err", errors.New("duplicate mobile 13500135000")), slog.StringValue("duplicate mobile 135****5000")},
		{"stringer", slog.Any("who", stringer("+8613300133000")), slog.StringValue("+86*******3000")},
		{"struct", slog.Any("customer", crm.Region{City: "13800138000"}), slog.AnyValue(map[string]any{"city": "138****8000"})},
		{"struct without numbers", slog.Any("region", crm.Region{City: "上海"}), slog.AnyValue(crm.Region{City: "上海"})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := httpapi.MaskAttr(nil, c.attr)
			assert.Equal(t, c.attr.Key, got.Key)
			assert.Equal(t, c.want.Kind(), got.Value.Kind())
			assert.Equal(t, c.want.Any(), got.Value.Any())
		})
	}
}

func TestMaskAttrInAHandler(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}))
	l.Info("customer 13800138000 asked for a call", "mobile", "+86 139 1234 5678",
		slog.Group("lead", "mobile", "13300133000", "note", "wife's number 13200132000"),
		"customer", crm.Customer{Name: "王", Mobile: "13600136000"})
	out := buf.String()
	for _, full := range []string{"13800138000", "13912345678", "13300133000", "13200132000", "13600136000"} {
		assert.NotContains(t, out, full)
	}
	for _, masked := range []string{"138****8000", "139****5678", "133****3000", "132****2000", "136****6000"} {
		assert.Contains(t, out, masked)
	}
}

// TestMaskAttrIDCard: 18-character PRC resident ID-card numbers (17 digits
// and a digit or X) are masked in logs like phone numbers (issue 12), the
// example number of GB 11643-1999 among them.
func TestMaskAttrIDCard(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"with X", "id 11010519491231002X on file", "id 110***********002X on file"},
		{"with x", "id:11010519491231002x", "id:110***********002x"},
		{"all digits", "身份证号110105194912310021。", "身份证号110***********0021。"},
		{"grouped", "ID 110105 19491231 002X", "ID 110***********002X"},
		{"hyphens", "440524-18800101-0014", "440***********0014"},
		{"next to a mobile", "11010519491231002X, 13800138000", "110***********002X, 138****8000"},
		{"in JSON", `{"id_card":"11010519491231002X"}`, `{"id_card":"110***********002X"}`},
		{"order number, no birth date", "order 202503100000012345", "order 202503100000012345"},
		{"19 digits", "trace 1101051949123100211", "trace 1101051949123100211"},
		{"glued to a letter", "ref 11010519491231002XY", "ref 11010519491231002XY"},
		{"17 digits", "part 11010519491231002", "part 11010519491231002"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := httpapi.MaskAttr(nil, slog.String("note", c.in))
			assert.Equal(t, c.want, got.Value.String())
		})
	}
	err := httpapi.MaskAttr(nil, slog.Any("err", errors.New("customer 11010519491231002X exists")))
	assert.Equal(t, "customer 110***********002X exists", err.Value.String(), "errors are masked too")
}
