package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// benchRows is the number of rows of the import benchmarks: 100,000
// (issue 17), or DEALERCRM_BENCH_ROWS.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("DEALERCRM_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// benchVIN returns a valid VIN with serial n: the ISO 3779 check digit in
// position 9, the model-year letter in position 10 varying with n/1e6, so
// that up to 30 million VINs are distinct.
func benchVIN(n int) string {
	const years = "ABCDEFGHJKLMNPRSTVWXY123456789"
	b := []byte(fmt.Sprintf("LSVAB12C0%c1%06d", years[(n/1_000_000)%len(years)], n%1_000_000))
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	values := [...]int{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9}
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, c := range b {
		v := int(c - '0')
		if c >= 'A' {
			for j := range letters {
				if letters[j] == c {
					v = values[j]
				}
			}
		}
		sum += v * weights[i]
	}
	if r := sum % 11; r == 10 {
		b[8] = 'X'
	} else {
		b[8] = byte('0' + r)
	}
	return string(b)
}

// benchRow is row i of the benchmark spreadsheets: a customer with one
// car, written as a dealership writes it.
func benchRow(i int) []string {
	return []string{"B" + strconv.Itoa(i), "客户" + strconv.Itoa(i), fmt.Sprintf("13%09d", i), []string{"男", "女"}[i%2],
		benchVIN(i), fmt.Sprintf("沪A%05d", i%100000), "大众", "帕萨特", fmt.Sprintf("2024/%d/%d", 1+i%12, 1+i%28), "¥259,800"}
}

var benchHeader = []string{"客户编号", "客户姓名", "手机号", "性别", "车架号", "车牌号", "品牌", "车型", "购车日期", "购车价格"}

// writeBenchFile writes n rows to path, .xlsx (excelize's stream writer)
// or .csv, with a 备注 column of note hex digits per row when note > 0 (a
// column the import leaves out, which makes a file of a million rows — an
// XLSX sheet holds at most 1,048,576 — about 100 MB).
func writeBenchFile(tb testing.TB, path string, n, note int) {
	header, row := benchHeader, benchRow
	if note > 0 {
		header = append(slices.Clone(benchHeader), "备注")
		row = func(i int) []string {
			var b strings.Builder
			for j := 0; b.Len() < note; j++ {
				sum := sha256.Sum256([]byte(strconv.Itoa(i*1000 + j)))
				b.WriteString(hex.EncodeToString(sum[:]))
			}
			return append(benchRow(i), b.String()[:note])
		}
	}
	if filepath.Ext(path) == ".csv" {
		f, err := os.Create(path)
		require.NoError(tb, err)
		bw := bufio.NewWriter(f)
		w := csv.NewWriter(bw)
		require.NoError(tb, w.Write(header))
		for i := range n {
			require.NoError(tb, w.Write(row(i)))
		}
		w.Flush()
		require.NoError(tb, bw.Flush())
		require.NoError(tb, f.Close())
		return
	}
	if os.Getenv("DEALERCRM_BENCH_SHARED") != "" {
		writeSharedStrings(tb, path, header, row, n)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(tb, err)
	vals := func(cells []string) []any {
		out := make([]any, len(cells))
		for i, c := range cells {
			out[i] = c
		}
		return out
	}
	require.NoError(tb, sw.SetRow("A1", vals(header)))
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(tb, sw.SetRow(cell, vals(row(i))))
	}
	require.NoError(tb, sw.Flush())
	require.NoError(tb, f.SaveAs(path))
}

// writeSharedStrings writes n rows to the .xlsx path as Excel saves a
// workbook: every text cell an index into the shared-strings table
// (xl/sharedStrings.xml), which excelize's stream writer never makes (it
// writes text inline). The reader's memory depends on that table: excelize
// indexes every distinct string of it.
func writeSharedStrings(tb testing.TB, path string, header []string, row func(int) []string, n int) {
	f, err := os.Create(path)
	require.NoError(tb, err)
	z := zip.NewWriter(f)
	part := func(name, body string) {
		w, err := z.Create(name)
		require.NoError(tb, err)
		_, err = io.WriteString(w, body)
		require.NoError(tb, err)
	}
	const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`
	part("[Content_Types].xml", xmlHead+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	part("_rels/.rels", xmlHead+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", xmlHead+`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="客户资料" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", xmlHead+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	index := map[string]int{}
	var table []string
	sheet, err := z.Create("xl/worksheets/sheet1.xml")
	require.NoError(tb, err)
	w := bufio.NewWriter(sheet)
	w.WriteString(xmlHead + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	writeRow := func(r int, cells []string) {
		fmt.Fprintf(w, `<row r="%d">`, r)
		for c, v := range cells {
			ref, _ := excelize.CoordinatesToCellName(c+1, r)
			k, ok := index[v]
			if !ok {
				k = len(table)
				index[v] = k
				table = append(table, v)
			}
			fmt.Fprintf(w, `<c r="%s" t="s"><v>%d</v></c>`, ref, k)
		}
		w.WriteString(`</row>`)
	}
	writeRow(1, header)
	for i := range n {
		writeRow(i+2, row(i))
	}
	w.WriteString(`</sheetData></worksheet>`)
	require.NoError(tb, w.Flush())
	sst, err := z.Create("xl/sharedStrings.xml")
	require.NoError(tb, err)
	w = bufio.NewWriter(sst)
	fmt.Fprintf(w, xmlHead+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(table), len(table))
	for _, v := range table {
		w.WriteString(`<si><t>`)
		require.NoError(tb, xml.EscapeText(w, []byte(v)))
		w.WriteString(`</t></si>`)
	}
	w.WriteString(`</sst>`)
	require.NoError(tb, w.Flush())
	require.NoError(tb, z.Close())
	require.NoError(tb, f.Close())
}

// TestWriteBenchFile writes the benchmark's spreadsheet to
// DEALERCRM_BENCH_FILE (DEALERCRM_BENCH_ROWS rows, a 备注 column of
// DEALERCRM_BENCH_NOTE characters; with DEALERCRM_BENCH_SHARED set, an
// XLSX's text in a shared-strings table, as Excel saves it), for
// measuring the built binary's memory (docs/benchmarks.md); skipped
// without it.
func TestWriteBenchFile(t *testing.T) {
	path := os.Getenv("DEALERCRM_BENCH_FILE")
	if path == "" {
		t.Skip("set DEALERCRM_BENCH_FILE to write the benchmark spreadsheet")
	}
	note, _ := strconv.Atoi(os.Getenv("DEALERCRM_BENCH_NOTE"))
	writeBenchFile(t, path, benchRows(), note)
}

// BenchmarkImport imports 100,000 rows (a customer and a vehicle each)
// through the import command into a fresh Postgres schema, from XLSX and
// from CSV, first into an empty schema and then again (every record
// unchanged). rows/s counts spreadsheet rows, end to end: opening the
// database, reading, converting, validating and writing. The command's
// defaults apply (two batches in flight); DEALERCRM_BENCH_IN_FLIGHT sets
// --in-flight.
//
//	go test ./cmd/dealercrm -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	n := benchRows()
	args := []string{"import", "--dealer", "bench"}
	if v := os.Getenv("DEALERCRM_BENCH_IN_FLIGHT"); v != "" {
		args = append(args, "--in-flight", v)
	}
	for _, ext := range []string{".xlsx", ".csv"} {
		b.Run(ext[1:], func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "bench"+ext)
			writeBenchFile(b, file, n, 0)
			info, err := os.Stat(file)
			require.NoError(b, err)
			b.Logf("%s: %d rows, %.1f MB", filepath.Base(file), n, float64(info.Size())/1e6)
			for b.Loop() {
				b.StopTimer()
				c := newCLI(b)
				c.must("migrate")
				c.must("dealers", "add", "--id", "bench", "--name", "基准店")
				b.StartTimer()
				start := time.Now()
				out := c.must(append(args, file)...)
				first := time.Since(start)
				start = time.Now()
				again := c.must(append(args, file)...)
				second := time.Since(start)
				require.Contains(b, out, fmt.Sprintf("customers: %d created, 0 updated, 0 unchanged", n))
				require.Contains(b, again, fmt.Sprintf("vehicles:  0 created, 0 updated, %d unchanged", n))
				b.ReportMetric(float64(n)/first.Seconds(), "rows/s")
				b.ReportMetric(float64(n)/second.Seconds(), "rows/s-again")
			}
		})
	}
}
