package importer

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// readAll reads every row of src.
func readAll(t testing.TB, src Source) []Row {
	t.Helper()
	var rows []Row
	for {
		r, err := src.Next()
		if err == io.EOF {
			return rows
		}
		require.NoError(t, err)
		rows = append(rows, r)
	}
}

// TestXLSXAsExcelizeReadsIt reads a workbook written by excelize the way
// a user's Excel writes one (text in the shared strings table, sparse
// rows and cells, a date, a formula, a second sheet) and compares every
// row with what excelize itself reads raw.
func TestXLSXAsExcelizeReadsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "book.xlsx")
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetName("Sheet1", "客户"))
	cells := map[string]any{
		"A1": "客户编号", "B1": "客户姓名", "C1": "手机号", "D1": "购车日期", "E1": "购车价格", "F1": "VIP",
		"A2": "C001", "B2": "王伟", "C2": "13800000001", "D2": 45356, "E2": 259800.5, "F2": true,
		// row 3 blank; row 4 skips column B
		"A4": "C002", "C4": "13800000002", "F4": false,
		"A5": "C001", "B5": "王伟", "D5": "2024/3/5", "E5": "¥259,800",
	}
	for cell, v := range cells {
		require.NoError(t, f.SetCellValue("客户", cell, v))
	}
	require.NoError(t, f.SetCellFormula("客户", "E4", "1+2"))
	_, err := f.NewSheet("备注")
	require.NoError(t, err)
	require.NoError(t, f.SetCellValue("备注", "A1", "说明"))
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())

	want, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer want.Close()
	rows, err := want.GetRows("客户", excelize.Options{RawCellValue: true})
	require.NoError(t, err)

	src, err := OpenXLSX(path, "")
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, rows[0], src.Header())
	require.Equal(t, 1, src.HeaderLine())
	got := readAll(t, src)
	require.Len(t, got, 3)
	for _, r := range got {
		require.Equal(t, trimEnd(rows[r.Line-1]), trimEnd(r.Cells), "row %d", r.Line)
	}
	require.Equal(t, []int{2, 4, 5}, []int{got[0].Line, got[1].Line, got[2].Line})
	require.Equal(t, []string{"C002", "", "13800000002", "", "", "0"}, got[1].Cells) // a formula without a cached value

	other, err := OpenXLSX(path, "备注")
	require.NoError(t, err)
	require.Equal(t, []string{"说明"}, other.Header())
	require.NoError(t, other.Close())

	_, err = OpenXLSX(path, "车辆")
	require.ErrorContains(t, err, `the workbook has no sheet "车辆" (sheets: [客户 备注])`)
}

func trimEnd(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// zipBook writes a minimal workbook whose parts are given, filling in the
// usual ones that are not, and returns its path.
func zipBook(t testing.TB, parts map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "book.xlsx")
	require.NoError(t, os.WriteFile(path, zipBytes(t, parts), 0o600))
	return path
}

// zipBytes is zipBook's workbook, in memory.
func zipBytes(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	defaults := map[string]string{
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/></Relationships>`,
	}
	for k, v := range defaults {
		if _, ok := parts[k]; !ok {
			parts[k] = v
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = io.WriteString(w, body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestXLSXWhatExcelWrites reads what Excel and other producers put in a
// sheet that excelize's writer does not: rich text with phonetic runs,
// _xHHHH_ escapes, namespace prefixes, inline strings, rows without
// numbers, an absolute part name.
func TestXLSXWhatExcelWrites(t *testing.T) {
	path := zipBook(t, map[string]string{
		"xl/sharedStrings.xml": `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">` +
			`<si><t>姓名</t></si>` +
			`<si><r><rPr><b/></rPr><t>王</t></r><r><t xml:space="preserve">伟 </t></r><rPh sb="0" eb="1"><t>ワン</t></rPh><phoneticPr fontId="1"/></si>` +
			`<si><t>A_x000D_B_x005F_x0041_&amp;&lt;</t></si>` +
			`<si><t/></si></sst>`,
		"xl/worksheets/sheet1.xml": `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
			`<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>备注</x:t></x:is></x:c></x:row>` +
			`<x:row><x:c t="s"><x:v>1</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c><x:c t="s"><x:v>3</x:v></x:c></x:row>` +
			`<x:row r="7"><x:c r="C7" t="str"><x:f>A1</x:f><x:v>x</x:v></x:c><x:c r="D7" t="e"><x:v>#N/A</x:v></x:c>` +
			`<x:c r="E7" t="d"><x:v>2024-03-05T00:00:00Z</x:v></x:c></x:row>` +
			`</x:sheetData></x:worksheet>`,
	})
	src, err := OpenXLSX(path, "S")
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, []string{"姓名", "备注"}, src.Header())
	rows := readAll(t, src)
	require.Equal(t, []Row{
		{Line: 2, Cells: []string{"王伟 ", "A\rB_x0041_&<", ""}},
		{Line: 7, Cells: []string{"", "", "x", "#N/A", "2024-03-05T00:00:00Z"}},
	}, rows)
	d, err := ParseDate(rows[1].Cells[4])
	require.NoError(t, err)
	require.Equal(t, "2024-03-05", d.String())
}

// TestXLSXRefusesBrokenWorkbooks: a damaged or hostile workbook is an
// error naming where, never a panic or a wrong row.
func TestXLSXRefusesBrokenWorkbooks(t *testing.T) {
	sheet := func(rows string) string {
		return `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>h</t></is></c></row>` + rows + `</sheetData></worksheet>`
	}
	for name, c := range map[string]struct {
		parts map[string]string
		err   string
	}{
		"shared string out of the table": {map[string]string{"xl/sharedStrings.xml": `<sst><si><t>a</t></si></sst>`,
			"xl/worksheets/sheet1.xml": sheet(`<row r="2"><c r="A2" t="s"><v>1</v></c></row>`)}, "row 2: cell A2: shared string 1 is not in the table of 1"},
		"negative shared string": {map[string]string{"xl/worksheets/sheet1.xml": sheet(`<row r="2"><c t="s"><v>-1</v></c></row>`)},
			"shared string -1 is not in the table of 0"},
		"rows out of order": {map[string]string{"xl/worksheets/sheet1.xml": sheet(`<row r="1"><c><v>1</v></c></row>`)},
			`bad row number "1"`},
		"cells out of order": {map[string]string{"xl/worksheets/sheet1.xml": sheet(`<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>1</v></c></row>`)},
			`bad cell reference "A2"`},
		"truncated": {map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c><v>1`},
			"after row 2: the sheet is not well-formed"},
		"no sheet part": {map[string]string{"xl/_rels/workbook.xml.rels": `<Relationships/>`,
			"xl/worksheets/sheet1.xml": sheet("")}, `sheet "S": its part is missing`},
	} {
		t.Run(name, func(t *testing.T) {
			path := zipBook(t, c.parts)
			src, err := OpenXLSX(path, "")
			if err == nil {
				defer src.Close()
				for err == nil {
					_, err = src.Next()
				}
			}
			require.ErrorContains(t, err, c.err)
		})
	}
	path := filepath.Join(t.TempDir(), "not.xlsx")
	require.NoError(t, os.WriteFile(path, []byte("客户编号,姓名\n"), 0o600))
	_, err := OpenXLSX(path, "")
	require.ErrorContains(t, err, "is not an XLSX workbook")
}

func TestColumn(t *testing.T) {
	for ref, want := range map[string]int{"A1": 0, "Z9": 25, "AA10": 26, "ab3": 27, "XFD1048576": 16383, "B": 1} {
		got, ok := column(ref)
		require.True(t, ok, ref)
		require.Equal(t, want, got, ref)
		if ref != "B" && ref != "ab3" {
			require.Equal(t, strings.ToUpper(ref[:len(ref)-len(strings.TrimLeft(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]), cellName(want, 1)[:len(cellName(want, 1))-1])
		}
	}
	for _, bad := range []string{"", "1A", "A-1", "ABCD1"} {
		_, ok := column(bad)
		require.False(t, ok, bad)
	}
}

// FuzzXLSX reads fuzzed sheets and shared strings tables: an error or
// rows, never a panic, and never a row number that goes backwards.
func FuzzXLSX(f *testing.F) {
	f.Add(`<sst><si><t>a</t></si><si><r><t>b</t></r><rPh><t>c</t></rPh></si></sst>`,
		`<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row><row><c><v>1</v></c></row></sheetData></worksheet>`)
	f.Add(`<sst><si><t>_x000D__x0</t></si></sst>`, `<worksheet><sheetData><row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>`)
	f.Fuzz(func(t *testing.T, sst, sheet string) {
		b := zipBytes(t, map[string]string{"xl/sharedStrings.xml": sst, "xl/worksheets/sheet1.xml": sheet})
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		require.NoError(t, err)
		src, err := openXLSX(zr, "")
		if err != nil {
			return
		}
		defer src.Close()
		line := src.HeaderLine()
		for range 1000 {
			r, err := src.Next()
			if err != nil {
				return
			}
			if r.Line <= line {
				t.Fatalf("row %d after row %d", r.Line, line)
			}
			line = r.Line
		}
	})
}

// BenchmarkReadXLSX reads a workbook of 20,000 rows of ten cells, text in
// the shared strings table as Excel keeps it, with OpenXLSX and, for
// comparison, with excelize's streaming reader (which OpenXLSX replaced).
func BenchmarkReadXLSX(b *testing.B) {
	const rows = 20_000
	path := filepath.Join(b.TempDir(), "bench.xlsx")
	f := excelize.NewFile()
	require.NoError(b, f.SetSheetRow("Sheet1", "A1", &[]any{"客户编号", "客户姓名", "手机号", "性别", "车架号", "车牌号", "品牌", "车型", "购车日期", "购车价格"}))
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(b, f.SetSheetRow("Sheet1", cell, &[]any{fmt.Sprintf("B%d", i), fmt.Sprintf("客户%d", i),
			fmt.Sprintf("13%09d", i), []string{"男", "女"}[i%2], fmt.Sprintf("LSVAB12C0A1%06d", i), fmt.Sprintf("沪A%05d", i),
			"大众", "帕萨特", 45356 + i%300, 259800}))
	}
	require.NoError(b, f.SaveAs(path))
	require.NoError(b, f.Close())

	b.Run("OpenXLSX", func(b *testing.B) {
		for b.Loop() {
			src, err := OpenXLSX(path, "")
			require.NoError(b, err)
			require.Len(b, readAll(b, src), rows)
			require.NoError(b, src.Close())
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*rows), "µs/row")
	})
	b.Run("excelize", func(b *testing.B) {
		for b.Loop() {
			x, err := excelize.OpenFile(path)
			require.NoError(b, err)
			it, err := x.Rows("Sheet1")
			require.NoError(b, err)
			n := 0
			for it.Next() {
				_, err := it.Columns(excelize.Options{RawCellValue: true})
				require.NoError(b, err)
				n++
			}
			require.Equal(b, rows+1, n)
			require.NoError(b, it.Close())
			require.NoError(b, x.Close())
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*rows), "µs/row")
	})
}
