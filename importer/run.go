package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/internal/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Service is what an import needs of crm: *crm.Service.
type Service interface {
	Import(ctx context.Context, dealer crm.DealerID, b crm.Batch) (crm.ImportResult, error)
	ImportDryRun(ctx context.Context, dealer crm.DealerID, b crm.Batch) (crm.ImportResult, error)
	MaxImportRecords() int
}

var _ Service = (*crm.Service)(nil)

// DefaultBatchRows is how many rows one transaction takes unless
// Options.BatchRows says otherwise: 5,000 rows are up to 10,000 records,
// crm.DefaultMaxImportRecords.
const DefaultBatchRows = 5000

// DefaultInFlight is how many batches Run writes at once unless
// Options.InFlight says otherwise: two transactions on two connections, so
// that Postgres writes on two cores.
const DefaultInFlight = 2

// Options say how Run imports.
type Options struct {
	// Dealer receives the records.
	Dealer crm.DealerID
	// Mapping maps the columns; DefaultMapping when its Columns are nil.
	Mapping Mapping
	// BatchRows is how many rows one transaction takes (DefaultBatchRows);
	// it is lowered so that a batch holds at most the Service's
	// MaxImportRecords records.
	BatchRows int
	// DryRun writes nothing: each batch goes through ImportDryRun, and the
	// report says what an import would do. Bad rows are listed as in
	// Partial mode.
	DryRun bool
	// InFlight is how many batches are written at once, each in a
	// transaction of its own (DefaultInFlight); 1 writes one batch at a
	// time. Whatever it is, the report, Rejected, Committed and the
	// checkpoint follow row order, and two batches that share a customer,
	// a vehicle or a VIN are written one after the other, in row order.
	InFlight int
	// Partial imports the good rows of every batch and hands each bad row
	// to Rejected. Without it, the first batch with a bad row stops the
	// import with a *RowsError; the batches before it stay imported. With
	// InFlight above 1, batches after it that were being written when it
	// failed may have been committed too (see RowsError).
	Partial bool
	// After is the last row an earlier run committed (a checkpoint): rows
	// up to it are read and handed to Skipped, not imported.
	After int
	// Skipped, when set, receives each row up to After and says whether
	// the earlier run rejected it. The vehicles of the rows it did not
	// reject count as imported by this run: a later row giving one of
	// their VINs to another customer is rejected, as without the
	// checkpoint.
	Skipped func(Row) (rejected bool, err error)
	// Rejected, when set, receives each bad row, in row order per batch.
	Rejected func(Rejection) error
	// Committed, when set, is called after each batch is committed (or
	// dry-run): the place for a checkpoint and progress.
	Committed func(Progress) error
	// Logger logs progress, every batch; nothing when nil.
	Logger *slog.Logger
}

// Outcomes counts what an import did with the records of one kind.
type Outcomes struct {
	Created   int `json:"created"`   // new records
	Updated   int `json:"updated"`   // existing records that changed
	Unchanged int `json:"unchanged"` // existing records equal to the row
}

func (o *Outcomes) add(rs []crm.UpsertResult) {
	for _, r := range rs {
		switch r.Outcome {
		case crm.Created:
			o.Created++
		case crm.Updated:
			o.Updated++
		default:
			o.Unchanged++
		}
	}
}

// Report says what an import did (or, dry, would do).
type Report struct {
	// DryRun says that nothing was written: the counts are what an
	// import would do.
	DryRun bool `json:"dry_run"`
	// Rows counts the rows read after the header and the checkpoint;
	// Skipped those up to the checkpoint.
	Rows    int `json:"rows"`
	Skipped int `json:"skipped,omitempty"`
	// Imported counts the rows whose records were written; Rejected the
	// bad rows.
	Imported int `json:"imported"`
	Rejected int `json:"rejected"`
	// Customers and Vehicles count the records by outcome. A customer on
	// several rows of one batch is one record.
	Customers Outcomes `json:"customers"`
	Vehicles  Outcomes `json:"vehicles"`
	// LastLine is the last row read.
	LastLine int `json:"last_line"`
	// Unmapped are the headers no mapping names; their columns were left out.
	Unmapped []string `json:"unmapped,omitempty"`
}

// Progress is the state after a committed batch.
type Progress struct {
	// Line is the last row of the batch: every row up to it is done.
	Line int
	// Report is the report so far.
	Report Report
	// Rejected are the batch's bad rows.
	Rejected []Rejection
}

// RowsError is the error of an import without Partial that met bad rows:
// it lists them (the first MaxListed). Nothing of their batch was
// written; the batches before it were, up to row Committed. With
// Options.InFlight above 1, up to InFlight-1 batches after it were being
// written at the same time: Run cancels them and waits for them before it
// returns, but one may have committed already. Its rows are past
// Committed, so a re-run (which is idempotent) goes over them again and
// finds them Unchanged.
type RowsError struct {
	// Rows are the first MaxListed bad rows of the batch, in row order.
	Rows []Rejection
	// Total counts the bad rows of the batch.
	Total int
	// Committed is the last row of the batches written before it (the
	// checkpoint); 0 when none was.
	Committed int
}

// MaxListed is how many bad rows a RowsError lists.
const MaxListed = 20

// Error implements error, in Chinese like the reasons.
func (e *RowsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "importer: %d bad rows in a batch, which was not imported (rows through %d are)", e.Total, e.Committed)
	cat := i18n.Default()
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\n  row %d: %s", r.Line, r.Text(cat, i18n.Chinese))
	}
	if e.Total > len(e.Rows) {
		fmt.Fprintf(&b, "\n  and %d more", e.Total-len(e.Rows))
	}
	return b.String()
}

// Scope is the instrumentation scope of the import's spans and metrics.
const Scope = "github.com/dealercrm/dealercrm/importer"

// attrDryRun marks the spans and metrics of a dry run.
const attrDryRun = attribute.Key("dealercrm.import.dry_run")

// Run imports the rows of src into crm, opts.BatchRows rows per
// transaction. Each row converts to a customer and, when it has a VIN or a
// plate, a vehicle (see Mapping, ParseDate, ParseAmount, ParseGender);
// crm validates them as Service.Import does. Rows are read while the
// previous batch is written. Run is idempotent by external ID: running it
// again over the same rows leaves every record Unchanged.
//
// A row without a customer number gets a derived external ID (see the
// package documentation).
func Run(ctx context.Context, svc Service, src Source, opts Options) (rep Report, err error) {
	start := time.Now()
	tracer, meter := otel.Tracer(Scope), otel.Meter(Scope)
	ctx, span := tracer.Start(ctx, "import", trace.WithAttributes(telemetry.Dealer.String(string(opts.Dealer)),
		attrDryRun.Bool(opts.DryRun), attribute.Bool("dealercrm.import.partial", opts.Partial)))
	defer func() {
		span.SetAttributes(attribute.Int("dealercrm.import.rows", rep.Rows), attribute.Int("dealercrm.import.rejected", rep.Rejected))
		telemetry.End(span, err)
		if h, herr := meter.Float64Histogram("dealercrm.import.file.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of spreadsheet imports (importer.Run), by outcome (done, failed) and dry run.")); herr == nil {
			h.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(telemetry.Outcome.String(telemetry.OutcomeOf(err)),
				attrDryRun.Bool(opts.DryRun)))
		}
	}()
	// The records are counted by crm.Service.Import
	// (dealercrm.import.records); the rows are counted here.
	rows, _ := meter.Int64Counter("dealercrm.import.rows", metric.WithUnit("{row}"),
		metric.WithDescription("Spreadsheet rows imported and rejected, by outcome (imported, rejected) and dry run."))

	m := opts.Mapping
	if m.Columns == nil {
		m = DefaultMapping()
	}
	p, err := m.compile(src.Header())
	if err != nil {
		return Report{}, err
	}
	rep.DryRun = opts.DryRun
	rep.Unmapped = p.unmapped()
	size := opts.BatchRows
	if size <= 0 {
		size = DefaultBatchRows
	}
	size = max(1, min(size, svc.MaxImportRecords()/2))
	inFlight := opts.InFlight
	if inFlight <= 0 {
		inFlight = DefaultInFlight
	}
	ctx, cancel := context.WithCancel(ctx)
	// Unbuffered: the reader holds one batch, the one it converts or the
	// one waiting for a place in flight, so that memory holds InFlight+1
	// batches at most.
	chunks := make(chan chunk)
	go read(ctx, src, p, opts, size, chunks)
	var workers sync.WaitGroup
	defer func() {
		// The reader and the batches in flight stop before Run returns, so
		// the caller may close src, and nothing is written after.
		cancel()
		for range chunks {
		}
		workers.Wait()
	}()

	vins := newVinOwners()
	keys := &flightKeys{n: map[uint64]int{}}
	committed := opts.After
	// deliver takes the result of a batch, in row order: the report,
	// the bad rows, the checkpoint.
	deliver := func(f *flight) error {
		<-f.done
		rep.Rows += len(f.recs)
		rep.LastLine = f.recs[len(f.recs)-1].row.Line
		if f.err != nil {
			return f.err
		}
		bad, res := f.bad, f.res
		if len(bad) > 0 && !opts.Partial && !opts.DryRun {
			e := &RowsError{Total: len(bad), Committed: committed}
			e.Rows = bad[:min(len(bad), MaxListed)]
			return e
		}
		if f.written != nil {
			f.written.remember(vins)
		}
		keys.leave(f.keys)
		close(f.delivered)
		rep.Imported += len(f.recs) - len(bad)
		rep.Rejected += len(bad)
		rep.Customers.add(res.Customers)
		rep.Vehicles.add(res.Vehicles)
		if rows != nil {
			for outcome, n := range map[string]int{"imported": len(f.recs) - len(bad), "rejected": len(bad)} {
				if n > 0 {
					rows.Add(ctx, int64(n), metric.WithAttributes(telemetry.Outcome.String(outcome), attrDryRun.Bool(opts.DryRun)))
				}
			}
		}
		for _, r := range bad {
			if opts.Rejected != nil {
				if err := opts.Rejected(r); err != nil {
					return err
				}
			}
		}
		committed = rep.LastLine
		if opts.Logger != nil {
			opts.Logger.InfoContext(ctx, "import progress", "dealer", opts.Dealer, "dry_run", opts.DryRun,
				"rows", rep.Rows, "last_row", rep.LastLine, "rejected", rep.Rejected,
				"rows_per_second", int(float64(rep.Rows)/max(time.Since(start).Seconds(), 1e-3)))
		}
		if opts.Committed != nil {
			return opts.Committed(Progress{Line: committed, Report: rep, Rejected: bad})
		}
		return nil
	}

	// queue holds the batches in flight, oldest first; each is delivered
	// when it and every batch before it are done.
	var queue []*flight
	before := make(chan struct{}) // delivered: the batch before the next
	close(before)
	var readErr error
	reading := true
	for reading || len(queue) > 0 {
		var in <-chan chunk
		if reading && len(queue) < inFlight {
			in = chunks
		}
		var oldest <-chan struct{}
		if len(queue) > 0 {
			oldest = queue[0].done
		}
		select {
		case ch, ok := <-in:
			if !ok || ch.err != nil {
				reading, readErr = false, ch.err
				continue
			}
			rep.Skipped += ch.skipped
			vins.see(ch.seen)
			if len(ch.recs) == 0 {
				continue
			}
			f := &flight{recs: ch.recs, keys: vins.keysOf(ch.recs), before: before,
				done: make(chan struct{}), delivered: make(chan struct{})}
			before = f.delivered
			shared := keys.enter(f.keys)
			queue = append(queue, f)
			workers.Add(1)
			go func() {
				defer workers.Done()
				defer close(f.done)
				if shared {
					// A customer, vehicle or VIN of a batch still in flight:
					// written after it, so that the later row wins.
					if f.err = waitFor(ctx, f.before); f.err != nil {
						return
					}
				}
				f.bad, f.res, f.written, f.err = importChunk(ctx, tracer, svc, opts, p, f.recs, vins, f.before)
			}()
		case <-oldest:
			f := queue[0]
			queue = queue[1:]
			if err := deliver(f); err != nil {
				return rep, err
			}
		}
	}
	if readErr != nil {
		return rep, readErr
	}
	return rep, ctx.Err()
}

// flight is a batch being written, from its rows to its result.
type flight struct {
	recs []*record
	// keys are the hashes of the batch's customer and vehicle external
	// IDs and VINs (see vinOwners.keysOf).
	keys []uint64
	// before is closed once the batch before it is delivered (and so
	// every batch before it).
	before <-chan struct{}
	// done is closed when the batch is written or failed; delivered when
	// Run has taken its result, in row order.
	done, delivered chan struct{}

	bad     []Rejection
	res     crm.ImportResult
	written *built // the batch as written (or dry-run); nil when it was not
	err     error
}

// waitFor waits until ch is closed or ctx is done.
func waitFor(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flightKeys counts, per key hash, the batches in flight that hold it.
// Batches enter in row order and leave when delivered.
type flightKeys struct {
	mu sync.Mutex
	n  map[uint64]int
}

// enter adds keys and reports whether a batch in flight holds one of them.
func (k *flightKeys) enter(keys []uint64) (shared bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, h := range keys {
		if k.n[h] > 0 {
			shared = true
		}
		k.n[h]++
	}
	return shared
}

// leave removes keys.
func (k *flightKeys) leave(keys []uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, h := range keys {
		if k.n[h]--; k.n[h] <= 0 {
			delete(k.n, h)
		}
	}
}

// chunk is one batch of converted rows, or the error that ended reading.
type chunk struct {
	recs    []*record
	skipped int
	// seen are the vehicles of the skipped rows an earlier run imported.
	seen []seenVehicle
	err  error
}

type seenVehicle struct {
	ext, owner string
	line       int
}

// read converts the rows of src, size at a time, into chunks; it closes
// chunks at the end.
func read(ctx context.Context, src Source, p *plan, opts Options, size int, chunks chan<- chunk) {
	defer close(chunks)
	send := func(c chunk) bool {
		select {
		case chunks <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var cur chunk
	for {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			send(chunk{err: err})
			return
		}
		if row.Line <= opts.After {
			cur.skipped++
			rejected := false
			if opts.Skipped != nil {
				if rejected, err = opts.Skipped(row); err != nil {
					send(chunk{err: err})
					return
				}
			}
			if rec := p.convert(row); !rejected && rec.vehicle != nil {
				cur.seen = append(cur.seen, seenVehicle{rec.vehicle.ExternalID, rec.customer.ExternalID, row.Line})
			}
			continue
		}
		cur.recs = append(cur.recs, p.convert(row))
		if len(cur.recs) == size {
			if !send(cur) {
				return
			}
			cur = chunk{}
		}
	}
	if len(cur.recs) > 0 || cur.skipped > 0 {
		send(cur)
	}
}

// importChunk imports the good rows of recs and returns the bad ones,
// sorted by row, and the batch written (nil when none was). A row crm
// refuses is left out and the rest tried again, until crm accepts (or,
// without Partial and DryRun, at the first refusal).
//
// before is closed once the batches before this one are delivered. While
// one of them is still in flight, an error other than a
// *crm.ValidationError (a key taken, a deadlock beyond the store's
// retries, an error naming no row) may be theirs: the batch waits for
// them and is tried again, as it would have run after them one at a time.
func importChunk(ctx context.Context, tracer trace.Tracer, svc Service,
	opts Options, p *plan, recs []*record, vins *vinOwners, before <-chan struct{}) ([]Rejection, crm.ImportResult, *built, error) {
	importFn := svc.Import
	if opts.DryRun {
		importFn = svc.ImportDryRun
	}
	// listing: a batch of an import without Partial has a bad row and
	// will not be written; its other bad rows are found with dry runs.
	listing := false
	ctx, span := tracer.Start(ctx, "import.batch")
	defer span.End()
	span.SetAttributes(attribute.Int("dealercrm.import.rows", len(recs)))
	reasons := map[int][]Reason{}
	for _, r := range recs {
		if len(r.reasons) > 0 {
			reasons[r.row.Line] = r.reasons
		}
	}
	skip := func() map[int]bool {
		s := make(map[int]bool, len(reasons))
		for l := range reasons {
			s[l] = true
		}
		return s
	}
	var res crm.ImportResult
	var written *built
	for {
		b := build(recs, skip(), vins, p)
		for l, rs := range b.rejected {
			reasons[l] = append(reasons[l], rs...)
		}
		if len(reasons) > 0 && !opts.Partial && !opts.DryRun {
			listing, importFn = true, svc.ImportDryRun
		}
		var err error
		res, err = importFn(ctx, opts.Dealer, b.batch)
		if err == nil {
			if !listing {
				written = &b
			}
			break
		}
		if _, invalid := errors.AsType[*crm.ValidationError](err); !invalid && ctx.Err() == nil && !closed(before) {
			if err := waitFor(ctx, before); err != nil {
				return nil, crm.ImportResult{}, nil, err
			}
			continue
		}
		blamed := b.blame(err, p)
		progress := false
		for l, rs := range blamed {
			if _, seen := reasons[l]; !seen {
				progress = true
			}
			reasons[l] = append(reasons[l], rs...)
		}
		if !progress {
			return nil, crm.ImportResult{}, nil, err
		}
	}
	if listing {
		res = crm.ImportResult{}
	}
	var bad []Rejection
	for _, r := range recs {
		if rs, ok := reasons[r.row.Line]; ok {
			bad = append(bad, Rejection{Line: r.row.Line, Cells: r.row.Cells, Reasons: rs})
		}
	}
	slices.SortFunc(bad, func(a, b Rejection) int { return a.Line - b.Line })
	span.SetAttributes(attribute.Int("dealercrm.import.rejected", len(bad)))
	return bad, res, written, nil
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
