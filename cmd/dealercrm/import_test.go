package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/importer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite testdata/customers.xlsx from sampleRows")

// sampleRows are the rows of testdata/customers.xlsx, a dealership's export
// with Chinese headers: good rows written every way dealerships write
// them, deliberate bad rows and duplicates. On 2026-12-04 an import takes
// rows 2, 3, 4, 8, 9, 10, 12, 13 (6 customers, 5 vehicles) and rejects
// 5 (bad mobile), 6 (purchase date in the future), 7 (no name), 11 (the VIN
// of row 2 under another customer) and 14 (a date that does not exist).
// Rows 8–10 are one person typed three times (no 客户编号; the mobile
// formatted three ways, a full-width space in the name): one customer.
func sampleRows() [][]any {
	return [][]any{
		{"客户编号", "客户姓名", "手机号", "性别", "身份证号", "车架号", "车牌号", "品牌", "车型", "购车日期", "购车价格"},
		{"C001", "张三", "13800138000", "男", "110101199003071233", crmtest.VIN(1), "沪A12345", "大众", "帕萨特", "2024/3/5", "¥259,800"},
		{"C002", "李四", "138 0013 8001", "女", "", crmtest.VIN(2), "沪B23456", "丰田", "凯美瑞", "2024-03-05", "18.98万"},
		{"C003", "王五", "+86 139-0013-8002", "男", "", crmtest.VIN(3), "沪C34567", "本田", "雅阁", "20240305", "199800元"},
		{"C004", "赵六", "139001380", "女", "", crmtest.VIN(4), "沪D45678", "别克", "君越", "2024.3.5", "209,900"},
		{"C005", "孙七", "13700137005", "男", "", crmtest.VIN(5), "沪E56789", "大众", "途观", "2027/1/15", "￥239,800"},
		{"C006", "", "13700137006", "女", "", crmtest.VIN(6), "沪F67890", "丰田", "汉兰达", "2023/6/1", "289,800"},
		{"", "周八", "13600136008", "男", "", crmtest.VIN(8), "沪G78901", "奥迪", "A6L", "2023/5/20", "¥419,800"},
		{"", "周八", "136 0013 6008", "男", "", "", "", "", "", "", ""},
		{"", "周\u3000八", "+86-136-0013-6008", "男", "", "", "", "", "", "", ""},
		{"C009", "吴九", "13500135009", "男", "", crmtest.VIN(1), "沪A12345", "大众", "帕萨特", "2025/1/1", "¥259,800"},
		{"C010", "郑十", "13400134010", "女", "", crmtest.VIN(11), "沪H89012", "宝马", "5系", 45356, 159800},
		{"C011", "钱十一", "13300133011", "未知", "", "", "", "", "", "", ""},
		{"C012", "冯十二", "13300133012", "男", "", crmtest.VIN(12), "沪J90123", "奔驰", "E级", "2024/13/45", "¥459,800"},
	}
}

// writeSample writes sampleRows to path with excelize's stream writer.
func writeSample(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetName("Sheet1", "客户资料"))
	sw, err := f.NewStreamWriter("客户资料")
	require.NoError(t, err)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, sw.SetRow(cell, r))
	}
	require.NoError(t, sw.Flush())
	require.NoError(t, f.SaveAs(path))
}

// TestSampleSpreadsheetIsCurrent checks that testdata/customers.xlsx holds
// sampleRows; go test ./cmd/dealercrm -run TestSampleSpreadsheet -update
// rewrites it.
func TestSampleSpreadsheetIsCurrent(t *testing.T) {
	path := filepath.Join("testdata", "customers.xlsx")
	if *update {
		writeSample(t, path, sampleRows())
	}
	f, err := excelize.OpenFile(path)
	require.NoError(t, err, "testdata/customers.xlsx: run go test ./cmd/dealercrm -run TestSampleSpreadsheet -update")
	defer f.Close()
	got, err := f.GetRows("客户资料", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	want := sampleRows()
	require.Len(t, got, len(want), "rows of testdata/customers.xlsx; run with -update")
	for i, row := range want {
		for j, v := range row {
			cell := ""
			if j < len(got[i]) {
				cell = got[i][j]
			}
			assert.Equal(t, fmt.Sprint(v), cell, "row %d column %d of testdata/customers.xlsx; run with -update", i+1, j+1)
		}
	}
}

// customers returns the dealer's customers by external ID.
func (c *cli) customers(dealer string) map[string]crm.Customer {
	c.t.Helper()
	e := c.env(io.Discard, io.Discard)
	d := database{dsn: c.vars["DEALERCRM_POSTGRES_DSN"], schema: c.vars["DEALERCRM_SCHEMA"]}
	a, _, closeDB, err := d.openApp(c.t.Context(), e)
	require.NoError(c.t, err)
	defer closeDB()
	page, err := a.CRM.ListCustomers(c.t.Context(), crm.DealerID(dealer), crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(c.t, err)
	out := map[string]crm.Customer{}
	for _, x := range page.Items {
		out[x.ExternalID] = x
	}
	return out
}

// TestImportOnboarding is the "done when" as a new vendor tries
// it: migrate, add a dealer, import the sample spreadsheet dry, whole
// (refused for its bad rows), partial (the error spreadsheet names each
// bad row), again (nothing changes), resumed from a checkpoint, run the
// jobs and export one imported customer.
func TestImportOnboarding(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	sample, err := os.ReadFile(filepath.Join("testdata", "customers.xlsx"))
	require.NoError(t, err)
	file := filepath.Join(dir, "客户资料.xlsx")
	require.NoError(t, os.WriteFile(file, sample, 0o600))
	errorsFile := filepath.Join(dir, "客户资料.errors.xlsx")

	c.must("migrate")
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")

	out := c.must("import", "--dealer", "sh01", "--dry-run", file)
	assert.Contains(t, out, "dry run: nothing was written")
	assert.Contains(t, out, "rows:      13 read, 8 imported, 5 rejected")
	assert.Contains(t, out, "customers: 6 created, 0 updated, 0 unchanged")
	assert.Contains(t, out, "vehicles:  5 created, 0 updated, 0 unchanged")
	assert.Contains(t, out, "row 5: 手机号：手机号码格式不正确")
	assert.Contains(t, out, "row 7: 客户姓名：必填")
	assert.Contains(t, out, "row 11: 车架号：该车架号已在第2行登记在另一位客户名下")
	assert.Contains(t, out, "row 14: 购车日期：无法识别的日期“2024/13/45”")
	assert.Empty(t, c.customers("sh01"), "the dry run wrote no customer")
	assert.NoFileExists(t, file+".checkpoint", "a dry run keeps no checkpoint")

	r := c.run("import", "--dealer", "sh01", file)
	assert.Equal(t, 1, r.code, "an import with bad rows and without --partial fails")
	assert.Contains(t, r.stderr, "5 bad rows")
	assert.Contains(t, r.stderr, "row 6: 购车日期：不能是将来的时间")
	assert.Empty(t, c.customers("sh01"), "the refused batch wrote nothing")
	assert.NoFileExists(t, file+".checkpoint", "no batch was committed")

	out = c.must("import", "--dealer", "sh01", "--partial", file)
	assert.Contains(t, out, "rows:      13 read, 8 imported, 5 rejected")
	assert.Contains(t, out, "customers: 6 created, 0 updated, 0 unchanged")
	assert.Contains(t, out, "vehicles:  5 created, 0 updated, 0 unchanged")
	assert.NotContains(t, out, "columns left out", "every header is known")
	assert.NoFileExists(t, file+".checkpoint", "a completed import removes its checkpoint")
	got := c.customers("sh01")
	assert.Len(t, got, 6, "C001, C002, C003, C010, C011 and 周八 once")
	assert.Equal(t, "13900138002", got["C003"].Mobile, "+86 139-0013-8002 normalised")
	assert.Equal(t, crm.Male, got["C003"].Gender, "男")
	bad := readErrors(t, errorsFile)
	require.Len(t, bad, 6, "the header and the 5 bad rows")
	assert.Equal(t, []string{"行号", "客户编号", "客户姓名", "手机号", "性别", "身份证号", "车架号", "车牌号", "品牌", "车型", "购车日期", "购车价格", "错误原因"}, bad[0])
	wantReasons := map[string]string{"5": "手机号：手机号码格式不正确", "6": "购车日期：不能是将来的时间", "7": "客户姓名：必填",
		"11": "车架号：该车架号已在第2行登记在另一位客户名下", "14": "购车日期：无法识别的日期“2024/13/45”"}
	for _, r := range bad[1:] {
		require.Len(t, r, 13, "row %s of the error sheet", r[0])
		assert.Contains(t, r[12], wantReasons[r[0]], "the reason of row %s", r[0])
		delete(wantReasons, r[0])
	}
	assert.Empty(t, wantReasons, "every bad row is in the error spreadsheet")
	assert.Equal(t, "赵六", bad[1][2], "the error sheet keeps the original cells")

	c.terminal = true
	r = c.run("import", "--dealer", "sh01", "--partial", file)
	c.terminal = false
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "customers: 0 created, 0 updated, 6 unchanged", "a re-run changes nothing")
	assert.Contains(t, r.stdout, "vehicles:  0 created, 0 updated, 5 unchanged")
	assert.Equal(t, "\r导入中：第 14 行，已导入 8 行，拒绝 5 行，0 行/秒   \n", r.stderr, "on a terminal, one progress line redrawn (the test clock stands still)")

	// An import interrupted after row 8: its checkpoint is there, with the
	// bad rows up to it. The re-run skips rows 2–8 and the error
	// spreadsheet still lists rows 5–7.
	cp := checkpoint{Input: filepath.Base(file), Size: int64(len(sample)), Dealer: "sh01", Line: 8}
	for _, r := range bad[1:4] {
		cp.Rejected = append(cp.Rejected, rejection(t, r))
	}
	require.NoError(t, writeCheckpoint(file+".checkpoint", cp))
	r = c.run("import", "--dealer", "sh01", "--partial", "--batch", "2", file)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "resuming after row 8")
	assert.Contains(t, r.stdout, "rows:      6 read, 4 imported, 2 rejected, 7 skipped")
	assert.Contains(t, r.stdout, "customers: 0 created, 0 updated, 3 unchanged", "rows 9 and 10 (周八 once), 12 and 13")
	assert.Contains(t, r.stdout, "vehicles:  0 created, 0 updated, 1 unchanged", "row 12's; row 11 still may not take row 2's VIN")
	assert.Len(t, readErrors(t, errorsFile), 6, "rows 5–7 from the checkpoint, 11 and 14 from the run")
	assert.NoFileExists(t, file+".checkpoint")

	c.must("jobs", "run", "--dealer", "sh01", "--date", "2026-12-04")

	id := got["C001"].ID
	out = c.must("export", "--dealer", "sh01", "--customer", string(id), "--by", "wangfang")
	var x map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &x), "the export is JSON")
	assert.Contains(t, out, "张三")
	assert.Contains(t, out, crmtest.VIN(1), "the export holds the imported vehicle")
}

// rejection rebuilds the checkpoint entry of an error-sheet row.
func rejection(t *testing.T, row []string) importer.Rejection {
	t.Helper()
	var line int
	_, err := fmt.Sscan(row[0], &line)
	require.NoError(t, err)
	return importer.Rejection{Line: line, Reasons: []importer.Reason{{Column: row[3], Code: "rule.required"}}}
}

// readErrors reads the error spreadsheet.
func readErrors(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	require.NoError(t, err, "the error spreadsheet opens")
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	require.NoError(t, err)
	return rows
}

// TestImportCSVAndJSON: the sample as CSV — UTF-8 with a byte-order mark,
// and GB18030 (GBK as Excel on a Chinese Windows saves it) — reads as the XLSX does
// (a dry run reports the same), the --partial error file of a CSV is CSV,
// and a JSON batch is imported whole.
func TestImportCSVAndJSON(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range sampleRows() {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = fmt.Sprint(v)
		}
		require.NoError(t, w.Write(rec))
	}
	w.Flush()
	utf := filepath.Join(dir, "customers.csv")
	require.NoError(t, os.WriteFile(utf, []byte("\ufeff"+b.String()), 0o600))
	gbkText, err := simplifiedchinese.GB18030.NewEncoder().String(b.String())
	require.NoError(t, err)
	gbk := filepath.Join(dir, "gbk.csv")
	require.NoError(t, os.WriteFile(gbk, []byte(gbkText), 0o600))

	c.must("migrate")
	c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")
	for _, file := range []string{utf, gbk} {
		out := c.must("import", "--dealer", "sh01", "--dry-run", file)
		assert.Contains(t, out, "rows:      13 read, 8 imported, 5 rejected", file)
		assert.Contains(t, out, "customers: 6 created, 0 updated, 0 unchanged", file)
		assert.Contains(t, out, "row 5: 手机号：手机号码格式不正确", file)
	}
	out := c.must("import", "--dealer", "sh01", "--partial", utf)
	assert.Contains(t, out, "vehicles:  5 created, 0 updated, 0 unchanged")
	data, err := os.ReadFile(filepath.Join(dir, "customers.errors.csv"))
	require.NoError(t, err, "the error file of a CSV is CSV")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 6, "the header and the 5 bad rows")
	assert.Equal(t, []string{"5", "C004", "赵六"}, rows[1][:3])
	assert.Equal(t, "手机号：手机号码格式不正确", rows[1][12])

	batch := filepath.Join(dir, "batch.json")
	require.NoError(t, os.WriteFile(batch, []byte(`{"customers":[{"external_id":"J1","name":"陈一","mobile":"13100131001"}]}`), 0o600))
	out = c.must("import", "--dealer", "sh01", "--dry-run", batch)
	assert.Contains(t, out, "records: 1 created, 0 updated, 0 unchanged")
	assert.NotContains(t, c.customers("sh01"), "J1", "the dry run wrote nothing")
	out = c.must("import", "--dealer", "sh01", batch)
	assert.Contains(t, out, "records: 1 created, 0 updated, 0 unchanged")
	assert.Contains(t, c.customers("sh01"), "J1")
	r := c.run("import", "--dealer", "sh01", "--partial", batch)
	assert.Equal(t, 2, r.code, "--partial is for spreadsheets")
	assert.Contains(t, r.stderr, "imported whole")

	r = c.run("import", "--dealer", "nosuch", "--partial", utf)
	assert.Equal(t, 1, r.code, "an unknown dealer fails the import")
	assert.Contains(t, r.stderr, "dealer nosuch not found")
	assert.NoFileExists(t, utf+".checkpoint")
}

// TestImportHelp: --help teaches the command with Chinese headers and
// examples, and the main help lists it.
func TestImportHelp(t *testing.T) {
	c := &cli{t: t, vars: map[string]string{}}
	out := c.must("import", "--help")
	for _, want := range []string{"客户姓名", "车架号/VIN", "购车日期", "2024/3/5", "25.98万", "--dry-run", "--partial", "错误原因", "FILE.checkpoint", "-batch", "-in-flight", "one at a time"} {
		assert.Contains(t, out, want)
	}
	assert.Contains(t, c.must("--help"), "  import     import a dealership's customers")
}

// TestImportInFlight: two batches written at once into Postgres, with a
// customer on the last row of one batch and the first row of the next
// (every other boundary of batches of 25: rows r and r+1 are one
// customer, renamed on the second), do what one batch at a time does —
// the same report and the later row's name, and again the same on a
// re-run — a re-run of a file whose rows of one customer agree leaves
// every record unchanged, and a dry run writes nothing.
func TestImportInFlight(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pairs.csv")
	var b strings.Builder
	b.WriteString("客户编号,客户姓名,手机号,车架号,车型\n")
	for r := range 190 {
		fmt.Fprintf(&b, "C%03d,客户%d-%d,1380000%04d,%s,帕萨特\n", r/2, r/2, r, r/2, crmtest.VIN(r+1))
	}
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o600))
	same := filepath.Join(dir, "same.csv")
	b.Reset()
	b.WriteString("客户编号,客户姓名,手机号,车架号,车型\n")
	for r := range 190 {
		fmt.Fprintf(&b, "C%03d,客户%d,1380000%04d,%s,帕萨特\n", r/2, r/2, r/2, crmtest.VIN(r+1))
	}
	require.NoError(t, os.WriteFile(same, []byte(b.String()), 0o600))

	var want string
	for _, n := range []string{"1", "2"} {
		c := newCLI(t)
		c.must("migrate")
		c.must("dealers", "add", "--id", "sh01", "--name", "上海浦东店")
		dry := c.must("import", "--dealer", "sh01", "--batch", "25", "--in-flight", n, "--dry-run", file)
		assert.Contains(t, dry, "dry run: nothing was written")
		assert.Empty(t, c.customers("sh01"), "the dry run wrote nothing")
		out := c.must("import", "--dealer", "sh01", "--batch", "25", "--in-flight", n, file) // no "took:" line: the test clock stands still
		if want == "" {
			want = out
			assert.Contains(t, out, "rows:      190 read, 190 imported, 0 rejected")
			assert.Contains(t, out, "customers: 95 created, 4 updated, 0 unchanged", "C012, C037, C062 and C087 are in two batches")
			assert.Contains(t, out, "vehicles:  190 created, 0 updated, 0 unchanged")
		}
		assert.Equal(t, want, out, "--in-flight %s reports what --in-flight 1 does", n)
		got := c.customers("sh01")
		require.Len(t, got, 95)
		for i := range 95 {
			assert.Equal(t, fmt.Sprintf("客户%d-%d", i, 2*i+1), got[fmt.Sprintf("C%03d", i)].Name, "the later row's name")
		}
		again := c.must("import", "--dealer", "sh01", "--batch", "25", "--in-flight", n, file)
		assert.Contains(t, again, "customers: 0 created, 8 updated, 91 unchanged", "the four renamed across batches, twice each, as one batch at a time")
		assert.Contains(t, again, "vehicles:  0 created, 0 updated, 190 unchanged")

		// The same customers without the renaming: a re-run changes nothing.
		c.must("import", "--dealer", "sh01", "--batch", "25", "--in-flight", n, same)
		again = c.must("import", "--dealer", "sh01", "--batch", "25", "--in-flight", n, same)
		assert.Contains(t, again, "customers: 0 created, 0 updated, 99 unchanged")
		assert.Contains(t, again, "vehicles:  0 created, 0 updated, 190 unchanged")
	}
}
