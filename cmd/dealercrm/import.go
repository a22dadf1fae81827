package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/importer"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/xuri/excelize/v2"
)

// maxInFlight bounds --in-flight: each batch in flight holds its rows in
// memory and a connection of the pool, and two already keep both cores of
// a small host's Postgres busy.
const maxInFlight = 8

var importCommand = &command{
	name:    "import",
	summary: "import a dealership's customers and vehicles from XLSX, CSV or a JSON batch",
	help: `Usage: dealercrm import --dealer ID [--mapping FILE] [--dry-run] [--partial] [--errors FILE] [--batch N] [--in-flight N] [--sheet NAME] FILE

Imports FILE into the dealer: a spreadsheet (.xlsx, .csv) with one row per
customer and car, or a JSON batch (.json, crm.Batch, as the HTTP API's
POST /v1/import takes it). Each spreadsheet row makes a customer and, when
it has a VIN (车架号) or a plate (车牌号), the customer's vehicle. Records
are matched on their external IDs, so importing a file twice changes
nothing the second time.

Columns are found by their headers. Common headers need no mapping file:
  客户编号/外部编号  姓名/客户姓名  手机号/手机/联系电话  身份证号  性别  生日
  省份 城市 区县 职业 行业  车辆编号  车架号/VIN  车牌号  品牌  车型  配置
  购车日期  交车日期  上牌日期  购车价格/成交价
Other headers are named in a JSON mapping file (see docs/import.md):
  {"sheet": "客户资料", "columns": {"会员姓名": "customer.name", "联系方式": "customer.mobile"}}

Values are converted as dealerships write them: dates 2024/3/5,
2024-03-05, 2024.3.5, 2024年3月5日, 20240305 or an Excel date cell;
性别 男/女; amounts ¥259,800, 259800元, 25.98万; phones with spaces,
dashes or +86; full-width digits and spaces. dealercrm then checks them as
it checks any record (a mobile number, a purchase date not in the
future, a name). A row without 客户编号 gets an ID derived from its name
and mobile (or VIN): the same person typed twice with the phone
formatted differently is one customer.

Rows are committed --batch at a time, --in-flight batches at once (2 by
default: two transactions on two connections, so that Postgres writes on
two cores; 1 writes one batch at a time). Batches that share a customer,
a vehicle or a VIN are written one after the other, so the later row
wins. A checkpoint file (FILE.checkpoint, or --checkpoint) records the
last row up to which every batch is committed: after an interruption, run
the same command again and it resumes after that row; it is removed when
the import completes.

  dealercrm import --dealer sh01 --dry-run 客户资料.xlsx      # what would change, and the bad rows; writes nothing
  dealercrm import --dealer sh01 --partial 客户资料.xlsx      # the good rows; bad rows to 客户资料.errors.xlsx
  dealercrm import --dealer sh01 --mapping mapping.json --sheet 客户资料 export.xlsx
  dealercrm import --dealer sh01 customers.csv                # UTF-8 or GBK
  dealercrm import --dealer sh01 batch.json

Without --partial, a bad row stops the import at its batch and lists the
first bad rows (the batches before it stay imported and checkpointed; a
later batch written at the same time may have been committed too, which a
re-run finds unchanged).
With --partial, the error spreadsheet has the original columns, the row
number (行号) and the reason (错误原因) per rejected row: correct it and
import it like the original.

The garbage collector runs with GOGC=400 under GOMEMLIMIT=256MiB unless
either is set in the environment: a CSV import keeps little live, and a
workbook of a million rows stays under 300 MB of memory.`,
	run: runImport,
}

// importFlags are the flags of the import command.
type importFlags struct {
	dealer, mapping, errors, sheet, checkpoint string
	dryRun, partial                            bool
	batch, inFlight                            int
}

func runImport(ctx context.Context, e *env, c *command, args []string) error {
	var d database
	var f importFlags
	fs := e.flags(c)
	d.flags(fs, e)
	fs.StringVar(&f.dealer, "dealer", "", "the dealer to import into (required)")
	fs.StringVar(&f.mapping, "mapping", "", "JSON file mapping the spreadsheet's headers to fields (default: the built-in Chinese headers)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "report what would change and the bad rows; write nothing")
	fs.BoolVar(&f.partial, "partial", false, "import the good rows; write the bad ones with their reasons to the error spreadsheet")
	fs.StringVar(&f.errors, "errors", "", "the error spreadsheet of --partial (default: FILE.errors.xlsx, or .csv for a CSV)")
	fs.IntVar(&f.batch, "batch", importer.DefaultBatchRows, "rows per transaction")
	fs.IntVar(&f.inFlight, "in-flight", importer.DefaultInFlight, "batches written at once, each in its own transaction and held in memory (1: one at a time; at most 8)")
	fs.StringVar(&f.sheet, "sheet", "", "the XLSX sheet to read (default: the mapping's, else the first)")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "the checkpoint file (default: FILE.checkpoint)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 1:
		return usagef("name one file to import")
	case f.dealer == "":
		return usagef("--dealer is required")
	case f.batch <= 0:
		return usagef("--batch must be positive")
	case f.inFlight <= 0 || f.inFlight > maxInFlight:
		return usagef("--in-flight must be 1 to %d", maxInFlight)
	}
	path := fs.Arg(0)
	format := strings.ToLower(filepath.Ext(path))
	switch format {
	case ".xlsx", ".csv":
	case ".json":
		if f.partial || f.mapping != "" || f.sheet != "" {
			return usagef("a JSON batch is imported whole: --partial, --mapping and --sheet are for spreadsheets")
		}
	default:
		return usagef("cannot import %q: name a .xlsx, .csv or .json file", path)
	}
	app.SetImportGC(e.getenv)
	a, _, closeDB, err := d.openApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	if format == ".json" {
		return importJSON(ctx, e, a.CRM, f, path)
	}
	return importSheet(ctx, e, a.CRM, f, path, format)
}

// importJSON imports a crm.Batch as one transaction.
func importJSON(ctx context.Context, e *env, svc *crm.Service, f importFlags, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b crm.Batch
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	do := svc.Import
	if f.dryRun {
		do = svc.ImportDryRun
	}
	res, err := do(ctx, crm.DealerID(f.dealer), b)
	if err != nil {
		return err
	}
	n := res.Counts()
	if f.dryRun {
		fmt.Fprintln(e.stdout, "dry run: nothing was written")
	}
	fmt.Fprintf(e.stdout, "records: %d created, %d updated, %d unchanged\n", n[crm.Created], n[crm.Updated], n[crm.Unchanged])
	return nil
}

// checkpoint is the file that lets an interrupted import resume: the
// input it is for and the last row committed, with the bad rows up to it
// (for the error spreadsheet of the resumed run).
type checkpoint struct {
	Input    string               `json:"input"`
	Size     int64                `json:"size"`
	Dealer   string               `json:"dealer"`
	Line     int                  `json:"line"`
	Rejected []importer.Rejection `json:"rejected,omitempty"`
}

func importSheet(ctx context.Context, e *env, svc *crm.Service, f importFlags, path, format string) error {
	m := importer.DefaultMapping()
	if f.mapping != "" {
		mf, err := os.Open(f.mapping)
		if err != nil {
			return err
		}
		m, err = importer.ReadMapping(mf)
		mf.Close()
		if err != nil {
			return err
		}
	}
	if f.sheet != "" {
		m.Sheet = f.sheet
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	var src importer.Source
	if format == ".csv" {
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		if src, err = importer.NewCSV(in); err != nil {
			in.Close()
			return err
		}
	} else if src, err = importer.OpenXLSX(path, m.Sheet); err != nil {
		return err
	}
	defer src.Close()

	// The checkpoint: resume after its row when it is this input's.
	cpPath := f.checkpoint
	if cpPath == "" {
		cpPath = path + ".checkpoint"
	}
	cp := checkpoint{Input: filepath.Base(path), Size: info.Size(), Dealer: f.dealer}
	if !f.dryRun {
		if data, err := os.ReadFile(cpPath); err == nil {
			var old checkpoint
			if err := json.Unmarshal(data, &old); err != nil || old.Input != cp.Input || old.Size != cp.Size || old.Dealer != cp.Dealer {
				return fmt.Errorf("checkpoint %s is not of %s for dealer %s; delete it to import from the start", cpPath, path, f.dealer)
			}
			cp = old
			fmt.Fprintf(e.stderr, "resuming after row %d (checkpoint %s)\n", cp.Line, cpPath)
		}
	}
	earlier := map[int]importer.Rejection{}
	for _, r := range cp.Rejected {
		earlier[r.Line] = r
	}

	errPath := f.errors
	if errPath == "" && f.partial {
		errPath = strings.TrimSuffix(path, filepath.Ext(path)) + ".errors" + map[bool]string{true: ".csv", false: ".xlsx"}[format == ".csv"]
	}
	var sheet *errorSheet
	if errPath != "" {
		sheet = &errorSheet{path: errPath, header: src.Header()}
		defer sheet.abort()
	}
	cat := i18n.Default()
	var listed []importer.Rejection // a dry run's bad rows, printed when there is no sheet
	reject := func(r importer.Rejection) error {
		if sheet == nil {
			if len(listed) < importer.MaxListed {
				listed = append(listed, r)
			}
			return nil
		}
		return sheet.add(r.Line, r.Cells, r.Text(cat, i18n.Chinese))
	}

	prog := &progress{e: e, start: e.now()}
	opts := importer.Options{
		Dealer: crm.DealerID(f.dealer), Mapping: m, BatchRows: f.batch, InFlight: f.inFlight, DryRun: f.dryRun, Partial: f.partial,
		After: cp.Line,
		Skipped: func(row importer.Row) (bool, error) {
			if r, ok := earlier[row.Line]; ok {
				r.Cells = row.Cells
				return true, reject(r)
			}
			return false, nil
		},
		Rejected: reject,
		Committed: func(p importer.Progress) error {
			prog.show(p)
			if f.dryRun {
				return nil
			}
			cp.Line = p.Line
			for _, r := range p.Rejected {
				cp.Rejected = append(cp.Rejected, importer.Rejection{Line: r.Line, Reasons: r.Reasons})
			}
			return writeCheckpoint(cpPath, cp)
		},
	}
	if !e.terminal {
		opts.Logger = e.logger("text", slog.LevelInfo)
	}
	rep, err := importer.Run(ctx, svc, src, opts)
	prog.done()
	if err != nil {
		if re, ok := errors.AsType[*importer.RowsError](err); ok {
			var b strings.Builder
			done := "nothing was imported"
			if re.Committed > 0 {
				done = fmt.Sprintf("rows through %d are imported, and a re-run resumes after them", re.Committed)
			} else if f.inFlight > 1 {
				done = "no row before it was imported"
			}
			if f.inFlight > 1 {
				// importer.RowsError: a batch in flight with the bad one may have committed.
				done += "; a later batch written at the same time (--in-flight) may be imported too, which the re-run finds unchanged"
			}
			fmt.Fprintf(&b, "%d bad rows in the batch after row %d, which was not written (%s); fix them and run again, or import with --partial (--dry-run lists every bad row):", re.Total, re.Committed, done)
			for _, r := range re.Rows {
				fmt.Fprintf(&b, "\n  row %d: %s", r.Line, r.Text(cat, i18n.Chinese))
			}
			if re.Total > len(re.Rows) {
				fmt.Fprintf(&b, "\n  and %d more", re.Total-len(re.Rows))
			}
			return errors.New(b.String())
		}
		return err
	}
	if sheet != nil {
		if err := sheet.close(); err != nil {
			return err
		}
	}
	if !f.dryRun {
		if err := os.Remove(cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	printReport(e.stdout, rep, sheet, e.now().Sub(prog.start))
	if len(listed) > 0 {
		fmt.Fprintf(e.stdout, "bad rows (--partial imports the others; --errors FILE lists every one with its cells):\n")
		for _, r := range listed {
			fmt.Fprintf(e.stdout, "  row %d: %s\n", r.Line, r.Text(cat, i18n.Chinese))
		}
		if rep.Rejected > len(listed) {
			fmt.Fprintf(e.stdout, "  and %d more\n", rep.Rejected-len(listed))
		}
	}
	return nil
}

// printReport writes the summary of an import.
func printReport(w io.Writer, rep importer.Report, sheet *errorSheet, took time.Duration) {
	if rep.DryRun {
		fmt.Fprintln(w, "dry run: nothing was written; an import would do this:")
	}
	fmt.Fprintf(w, "rows:      %d read, %d imported, %d rejected", rep.Rows, rep.Imported, rep.Rejected)
	if rep.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped (done before the checkpoint)", rep.Skipped)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "customers: %d created, %d updated, %d unchanged\n", rep.Customers.Created, rep.Customers.Updated, rep.Customers.Unchanged)
	fmt.Fprintf(w, "vehicles:  %d created, %d updated, %d unchanged\n", rep.Vehicles.Created, rep.Vehicles.Updated, rep.Vehicles.Unchanged)
	if len(rep.Unmapped) > 0 {
		fmt.Fprintf(w, "columns left out (no mapping): %s\n", strings.Join(rep.Unmapped, ", "))
	}
	if sheet != nil && sheet.rows > 0 {
		fmt.Fprintf(w, "bad rows:  %d, with their reasons in %s\n", sheet.rows, sheet.path)
	}
	if s := took.Seconds(); s > 0 && rep.Rows > 0 {
		fmt.Fprintf(w, "took:      %s (%d rows/s)\n", took.Round(time.Millisecond), int(float64(rep.Rows)/s))
	}
}

func writeCheckpoint(path string, cp checkpoint) error {
	data, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// progress draws the progress of an import on a terminal, one line
// redrawn with \r; elsewhere the importer logs plain lines.
type progress struct {
	e     *env
	start time.Time
	drawn bool
}

func (p *progress) show(x importer.Progress) {
	if !p.e.terminal {
		return
	}
	rate := 0.0
	if s := p.e.now().Sub(p.start).Seconds(); s > 0 {
		rate = float64(x.Report.Rows) / s
	}
	fmt.Fprintf(p.e.stderr, "\r导入中：第 %d 行，已导入 %d 行，拒绝 %d 行，%d 行/秒   ", x.Line, x.Report.Imported, x.Report.Rejected, int(rate))
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.e.stderr)
	}
}

// errorSheet is the spreadsheet of rejected rows: 行号, the original
// columns and 错误原因. It is created at the first row, as XLSX (with
// excelize's stream writer, so that it costs no memory per row) or, for a
// path ending in .csv, as CSV.
type errorSheet struct {
	path   string
	header []string
	rows   int
	file   *excelize.File
	sw     *excelize.StreamWriter
	csv    *os.File
	csvw   *csv.Writer
}

func (s *errorSheet) add(line int, cells []string, reason string) error {
	if s.rows == 0 {
		if err := s.open(); err != nil {
			return err
		}
	}
	s.rows++
	rec := make([]string, 0, len(s.header)+2)
	rec = append(rec, strconv.Itoa(line))
	for i := range s.header {
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		rec = append(rec, v)
	}
	rec = append(rec, reason)
	if s.csvw != nil {
		return s.csvw.Write(rec)
	}
	vals := make([]any, len(rec))
	for i, v := range rec {
		vals[i] = v
	}
	cell, _ := excelize.CoordinatesToCellName(1, s.rows+1)
	return s.sw.SetRow(cell, vals)
}

func (s *errorSheet) open() error {
	head := append(append([]string{"行号"}, s.header...), "错误原因")
	if strings.EqualFold(filepath.Ext(s.path), ".csv") {
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		s.csv, s.csvw = f, csv.NewWriter(f)
		// A byte-order mark, so that Excel opens the CSV as UTF-8.
		if _, err := f.WriteString("\ufeff"); err != nil {
			return err
		}
		return s.csvw.Write(head)
	}
	s.file = excelize.NewFile()
	sw, err := s.file.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	s.sw = sw
	vals := make([]any, len(head))
	for i, v := range head {
		vals[i] = v
	}
	return sw.SetRow("A1", vals)
}

func (s *errorSheet) close() error {
	switch {
	case s.csvw != nil:
		s.csvw.Flush()
		err := s.csvw.Error()
		if cerr := s.csv.Close(); err == nil {
			err = cerr
		}
		s.csvw = nil
		return err
	case s.sw != nil:
		if err := s.sw.Flush(); err != nil {
			return err
		}
		s.sw = nil
		if err := s.file.SaveAs(s.path); err != nil {
			return err
		}
		return s.file.Close()
	}
	return nil
}

// abort saves what was written when the import failed halfway, so that
// the bad rows found are not lost.
func (s *errorSheet) abort() { _ = s.close() }
