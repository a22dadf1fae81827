package importer

import (
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want string // want "" with ok: the zero date; "error": refused
	}{
		{"2024/3/5", "2024-03-05"},
		{"2024-03-05", "2024-03-05"},
		{"2024.3.5", "2024-03-05"},
		{"20240305", "2024-03-05"},
		{"2024年3月5日", "2024-03-05"},
		{"２０２４／３／５", "2024-03-05"},          // full-width digits and slash
		{"　2024/3/5 ", "2024-03-05"},        // full-width space
		{"2024/3/5 14:30:00", "2024-03-05"}, // a time after the date
		{"2024-03-05T08:00:00Z", "2024-03-05"},
		{"45356", "2024-03-05"},    // Excel serial: 45356 days after 1899-12-30
		{"45356.75", "2024-03-05"}, // 18:00 that day
		{"61", "1900-03-01"},       // the first serial after Excel's 1900-02-29
		{"2958465", "9999-12-31"},  // the last date Excel shows
		{"", ""},
		{"2023/2/29", "error"}, // not a leap year
		{"2024/13/45", "error"},
		{"3/5/2024", "error"}, // month/day/year is ambiguous
		{"24/3/5", "error"},
		{"60", "error"}, // Excel's 1900-02-29, which did not exist
		{"2958466", "error"},
		{"-45356", "error"},
		{"2024/3", "error"},
		{"明天", "error"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if tc.want == "error" {
				require.Error(t, err, "ParseDate(%q)", tc.in)
				assert.True(t, errors.Is(err, ErrValue), "the error wraps ErrValue")
				return
			}
			require.NoError(t, err, "ParseDate(%q)", tc.in)
			if tc.want == "" {
				assert.True(t, got.IsZero(), "an empty cell is no date")
				return
			}
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"¥259,800", "259800"},
		{"￥259,800.50", "259800.5"},
		{"259800元", "259800"},
		{"25.98万", "259800"},
		{"¥ 25.98 万", "259800"},
		{"RMB 1,234.56", "1234.56"},
		{"１２３，４５６", "123456"}, // full-width digits and comma
		{"-500", "-500"},      // negative: crm refuses it, with the field named
		{"", "0"},
		{"abc", "error"},
		{"1e9", "error"},
		{"¥", "error"},
		{"12,34.5.6", "error"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if tc.want == "error" {
				require.ErrorIs(t, err, ErrValue, "ParseAmount(%q)", tc.in)
				return
			}
			require.NoError(t, err, "ParseAmount(%q)", tc.in)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestParseGender(t *testing.T) {
	for in, want := range map[string]crm.Gender{"男": crm.Male, " 女 ": crm.Female, "男性": crm.Male, "女士": crm.Female,
		"M": crm.Male, "female": crm.Female, "未知": crm.GenderUnknown, "保密": crm.GenderUnknown, "": ""} {
		got, err := ParseGender(in)
		require.NoError(t, err, "ParseGender(%q)", in)
		assert.Equal(t, want, got, "ParseGender(%q)", in)
	}
	_, err := ParseGender("男的")
	assert.ErrorIs(t, err, ErrValue, "an unknown gender is refused")
}

func TestCleanMobileAndText(t *testing.T) {
	for in, want := range map[string]string{
		"13800138000":          "13800138000",
		"138 0013 8000":        "13800138000",
		"138-0013-8000":        "13800138000",
		"+86 138-0013-8000":    "13800138000",
		"0086 13800138000":     "13800138000",
		"+8613800138000":       "13800138000",
		"１３８００１３８０００":          "13800138000", // full-width digits
		"(138) 0013\u30008000": "13800138000", // a full-width space inside
		"+44 20 7946 0958":     "+442079460958",
		"139001380":            "139001380", // too short: crm says so
	} {
		assert.Equal(t, want, CleanMobile(in), "CleanMobile(%q)", in)
	}
	assert.Equal(t, "张三", CleanText("\u3000张三\u00a0\ufeff "), "full-width, no-break spaces and a BOM trimmed")
	assert.Equal(t, "张 三", CleanText(" 张 三 "), "spaces inside a name stay")
}

func TestNormalizeHeader(t *testing.T) {
	m := DefaultMapping()
	for h, want := range map[string]Field{
		"手机号码*": CustomerMobile, " 手机号（必填） ": CustomerMobile, "ＶＩＮ": VehicleVIN, "车架号/VIN": VehicleVIN,
		"客户 姓名": CustomerName, "购车日期": VehiclePurchase, "身份证号": CustomerIDNumber, "证件号码": Ignore,
	} {
		assert.Equal(t, want, m.Columns[normalizeHeader(h)], "header %q", h)
	}
}

// FuzzParsers: no input makes a parser panic, and what parses is in range.
// go test ./importer -run '^$' -fuzz FuzzParsers -fuzztime 30s
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"2024/3/5", "20240305", "45356.5", "2024年3月5日", "¥259,800", "25.98万", "男",
		"+86 138-0013-8000", "１２３", "\u3000", "9999999999999999999", "2024/02/30", ".5", "1.", "万", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil && !d.IsZero() {
			if !d.Valid() || d.Year > 9999 {
				t.Fatalf("ParseDate(%q) = %v, not a date Excel or a clerk writes", s, d)
			}
		}
		_, _ = ParseAmount(s)
		_, _ = ParseGender(s)
		_ = CleanMobile(s)
		_ = normalizeHeader(s)
		p, err := DefaultMapping().compile([]string{"姓名", "手机号", "车架号", "购车日期", "购车价格", "性别"})
		if err != nil {
			t.Fatal(err)
		}
		_ = p.convert(Row{Line: 2, Cells: []string{s, s, s, s, s, s}})
	})
}
