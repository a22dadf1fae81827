package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
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

// TestWriteBenchFile writes the benchmark's spreadsheet to
// DEALERCRM_BENCH_FILE (DEALERCRM_BENCH_ROWS rows, a 备注 column of
// DEALERCRM_BENCH_NOTE characters), for measuring the built binary's
// memory (docs/benchmarks.md); skipped without it.
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
// database, reading, converting, validating and writing.
//
//	go test ./cmd/dealercrm -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	n := benchRows()
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
				out := c.must("import", "--dealer", "bench", file)
				first := time.Since(start)
				start = time.Now()
				again := c.must("import", "--dealer", "bench", file)
				second := time.Since(start)
				require.Contains(b, out, fmt.Sprintf("customers: %d created, 0 updated, 0 unchanged", n))
				require.Contains(b, again, fmt.Sprintf("vehicles:  0 created, 0 updated, %d unchanged", n))
				b.ReportMetric(float64(n)/first.Seconds(), "rows/s")
				b.ReportMetric(float64(n)/second.Seconds(), "rows/s-again")
			}
		})
	}
}
