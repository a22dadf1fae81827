package importer_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/importer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gated is a crm.Service whose imports can be held back, and which
// records the batches it imports, by the external ID of their first
// customer, and how many ran at once.
type gated struct {
	*crm.Service
	// hold, when set, returns a channel the import of b waits for (nil:
	// no wait).
	hold func(b crm.Batch) <-chan struct{}
	// done, when set, is called after each import, with its error.
	done func(b crm.Batch, err error)

	mu             sync.Mutex
	running, most  int
	starts, finish []string
}

func first(b crm.Batch) string {
	if len(b.Customers) == 0 {
		return ""
	}
	return b.Customers[0].ExternalID
}

func (g *gated) call(ctx context.Context, b crm.Batch, fn func() (crm.ImportResult, error)) (crm.ImportResult, error) {
	g.mu.Lock()
	g.running++
	g.most = max(g.most, g.running)
	g.starts = append(g.starts, first(b))
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.finish = append(g.finish, first(b))
		g.mu.Unlock()
	}()
	if g.hold != nil {
		if ch := g.hold(b); ch != nil {
			select {
			case <-ch:
			case <-ctx.Done():
				return crm.ImportResult{}, ctx.Err()
			case <-time.After(5 * time.Second):
				return crm.ImportResult{}, errors.New("gated: held for 5 s: the batch it waits for never ran")
			}
		}
	}
	res, err := fn()
	if g.done != nil {
		g.done(b, err)
	}
	return res, err
}

func (g *gated) Import(ctx context.Context, dealer crm.DealerID, b crm.Batch) (crm.ImportResult, error) {
	return g.call(ctx, b, func() (crm.ImportResult, error) { return g.Service.Import(ctx, dealer, b) })
}

func (g *gated) ImportDryRun(ctx context.Context, dealer crm.DealerID, b crm.Batch) (crm.ImportResult, error) {
	return g.call(ctx, b, func() (crm.ImportResult, error) { return g.Service.ImportDryRun(ctx, dealer, b) })
}

// sheet is a CSV of customers with a car each: one line per row, rows
// numbered from 2, "ext,name,mobile,vin".
func sheet(rows ...string) string {
	return "客户编号,姓名,手机号,车架号,车型\n" + strings.Join(rows, ",帕萨特\n") + ",帕萨特\n"
}

func row(ext, name, mobile string, vin int) string {
	return fmt.Sprintf("%s,%s,%s,%s", ext, name, mobile, crmtest.VIN(vin))
}

func mobile(i int) string { return fmt.Sprintf("1380000%04d", i) }

// Two batches are written at once, the later one finishing first; the
// bad rows, the progress and the checkpoint still come in row order, and
// the checkpoint passes a batch only once every batch up to it is done.
func TestRunInFlightDeliversInRowOrder(t *testing.T) {
	svc := newService(t)
	firstStarted, secondDone := make(chan struct{}), make(chan struct{})
	var once, started sync.Once
	g := &gated{Service: svc,
		hold: func(b crm.Batch) <-chan struct{} {
			switch first(b) {
			case "C0":
				// The first batch waits until the second is written, which
				// waits until the first has started.
				started.Do(func() { close(firstStarted) })
				return secondDone
			case "C3":
				return firstStarted
			}
			return nil
		},
		done: func(b crm.Batch, err error) {
			if first(b) == "C3" && err == nil {
				once.Do(func() { close(secondDone) })
			}
		}}
	src, err := importer.NewCSV(strings.NewReader(sheet(
		row("C0", "客户0", mobile(0), 1), row("C1", "客户1", "123", 2), row("C2", "客户2", mobile(2), 3), // rows 2–4, row 3 bad
		row("C3", "客户3", mobile(3), 4), row("C4", "客户4", mobile(4), 5), row("C5", "客户5", "456", 6), // rows 5–7, row 7 bad
	)))
	require.NoError(t, err)
	var events []string
	rep, err := importer.Run(t.Context(), g, src, importer.Options{Dealer: "SH01", BatchRows: 3, InFlight: 2, Partial: true,
		Rejected: func(r importer.Rejection) error {
			events = append(events, fmt.Sprintf("rejected %d", r.Line))
			return nil
		},
		Committed: func(p importer.Progress) error {
			events = append(events, fmt.Sprintf("committed %d: %d rows, %d imported", p.Line, p.Report.Rows, p.Report.Imported))
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, 2, g.most, "both batches were written at once")
	assert.Less(t, indexOf(g.finish, "C3"), indexOf(g.finish, "C0"), "the second batch finished first")
	assert.Equal(t, []string{"rejected 3", "committed 4: 3 rows, 2 imported", "rejected 7", "committed 7: 6 rows, 4 imported"}, events)
	assert.Equal(t, 6, rep.Rows)
	assert.Equal(t, 4, rep.Imported)
	assert.Equal(t, importer.Outcomes{Created: 4}, rep.Customers)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// A batch that shares a customer, a vehicle or a VIN with a batch in
// flight is written after it: the later row wins, as one batch at a time.
func TestRunInFlightSharedKeysWait(t *testing.T) {
	for name, rows := range map[string][]string{
		"customer": {row("C0", "客户0", mobile(0), 1), row("C1", "客户1", mobile(1), 2),
			row("C2", "客户2", mobile(2), 3), row("C1", "客户1改", mobile(1), 4)},
		"vehicle": {row("C0", "客户0", mobile(0), 1), row("C1", "客户1", mobile(1), 2),
			row("C2", "客户2", mobile(2), 3), row("C3", "客户3", mobile(3), 2)},
	} {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			// The first batch takes 100 ms: time for the second to start,
			// were it not to wait.
			g := &gated{Service: svc, hold: func(b crm.Batch) <-chan struct{} {
				if first(b) == "C0" {
					ch := make(chan struct{})
					time.AfterFunc(100*time.Millisecond, func() { close(ch) })
					return ch
				}
				return nil
			}}
			src, err := importer.NewCSV(strings.NewReader(sheet(rows...)))
			require.NoError(t, err)
			_, err = importer.Run(t.Context(), g, src, importer.Options{Dealer: "SH01", BatchRows: 2, InFlight: 2, Partial: true})
			require.NoError(t, err)
			assert.Equal(t, 1, g.most, "the second batch waited for the first")
		})
	}
}

// outcome is everything an import shows: its report, what it handed to
// the callbacks, its error and the records it left.
type outcome struct {
	Report    importer.Report
	Events    []string
	Err       string
	Customers []string
	Vehicles  []string
}

func importWith(t *testing.T, csv string, opts importer.Options) outcome {
	t.Helper()
	svc := newService(t)
	var o outcome
	src, err := importer.NewCSV(strings.NewReader(csv))
	require.NoError(t, err)
	opts.Dealer = "SH01"
	opts.Rejected = func(r importer.Rejection) error {
		o.Events = append(o.Events, fmt.Sprintf("rejected %d %s", r.Line, r.Reasons[0].Code))
		return nil
	}
	opts.Committed = func(p importer.Progress) error {
		o.Events = append(o.Events, fmt.Sprintf("committed %d %+v", p.Line, p.Report))
		return nil
	}
	o.Report, err = importer.Run(t.Context(), svc, src, opts)
	if err != nil {
		o.Err = err.Error()
	}
	custs, err := svc.ListCustomers(t.Context(), "SH01", crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(t, err)
	ext := map[crm.CustomerID]string{}
	for _, c := range custs.Items {
		ext[c.ID] = c.ExternalID
		o.Customers = append(o.Customers, c.ExternalID+" "+c.Name+" "+c.Mobile)
	}
	vehs, err := svc.ListVehicles(t.Context(), "SH01", crm.VehicleFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(t, err)
	for _, v := range vehs.Items {
		o.Vehicles = append(o.Vehicles, v.ExternalID+" → "+ext[v.OwnerID])
	}
	sort.Strings(o.Customers)
	sort.Strings(o.Vehicles)
	return o
}

// Whatever the batches in flight, an import does what it does one batch
// at a time: the same report, bad rows, checkpoints and records — the
// cross-batch VIN check included, and a VIN whose earlier row was refused
// free for a later one. Without Partial it stops at the same batch, with
// the same error.
func TestRunInFlightSameAsOneAtATime(t *testing.T) {
	files := map[string]string{
		"customer repeated in the next batch": sheet(
			row("C1", "张一", mobile(1), 1), row("C2", "李二", mobile(2), 2), row("C3", "王三", mobile(3), 3),
			row("C1", "张一改", mobile(1), 4), row("C4", "赵四", mobile(4), 5), row("C2", "李二改", mobile(2), 2),
			row("C5", "孙五", mobile(5), 6), row("C1", "张一再改", mobile(1), 7)),
		"VIN under another owner two batches on": sheet(
			row("C1", "张一", mobile(1), 1), row("C2", "李二", mobile(2), 2), row("C3", "王三", mobile(3), 3),
			row("C4", "赵四", mobile(4), 4), row("C5", "孙五", mobile(5), 5), row("C6", "周六", mobile(6), 6),
			row("C7", "吴七", mobile(7), 2), row("C8", "郑八", mobile(8), 8)),
		"VIN of a refused row taken later": sheet(
			row("C1", "张一", mobile(1), 1), row("C2", "李二", "123", 2), row("C3", "王三", mobile(3), 3),
			row("C4", "赵四", mobile(4), 2), row("C5", "孙五", mobile(5), 5), row("C6", "周六", "456", 6),
			row("C7", "吴七", mobile(7), 6)),
		"bad rows everywhere": manyBadRows(),
	}
	for name, csv := range files {
		for _, mode := range []importer.Options{{Partial: true}, {DryRun: true}, {}} {
			t.Run(fmt.Sprintf("%s/partial=%v,dry=%v", name, mode.Partial, mode.DryRun), func(t *testing.T) {
				mode.BatchRows = 3
				mode.InFlight = 1
				want := importWith(t, csv, mode)
				for _, n := range []int{2, 3} {
					mode.InFlight = n
					got := importWith(t, csv, mode)
					if want.Err != "" && !mode.Partial && !mode.DryRun {
						// A batch after the bad one may have been written.
						got.Customers, got.Vehicles, want.Customers, want.Vehicles = nil, nil, nil, nil
					}
					assert.Equal(t, want, got, "%d in flight", n)
				}
			})
		}
	}
}

// Without Partial, the first bad batch stops the import; Run returns only
// once the batch that was in flight with it has stopped, and a re-run
// with Partial goes over that batch again, finding it Unchanged if it
// was committed.
func TestRunInFlightWholeStops(t *testing.T) {
	svc := newService(t)
	g := &gated{Service: svc}
	csv := sheet(row("C0", "客户0", mobile(0), 1), row("C1", "客户1", "123", 2),
		row("C2", "客户2", mobile(2), 3), row("C3", "客户3", mobile(3), 4))
	src, err := importer.NewCSV(strings.NewReader(csv))
	require.NoError(t, err)
	var committed []int
	_, err = importer.Run(t.Context(), g, src, importer.Options{Dealer: "SH01", BatchRows: 2, InFlight: 2,
		Committed: func(p importer.Progress) error { committed = append(committed, p.Line); return nil }})
	var re *importer.RowsError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 0, re.Committed)
	assert.Empty(t, committed)
	g.mu.Lock()
	assert.Zero(t, g.running, "no import runs after Run returned")
	g.mu.Unlock()

	src, err = importer.NewCSV(strings.NewReader(csv))
	require.NoError(t, err)
	rep, err := importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", BatchRows: 2, Partial: true})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Imported)
	assert.Equal(t, 3, rep.Customers.Created+rep.Customers.Unchanged)
}

// A batch whose write fails with an error that names no row (a key a
// concurrent writer took, a clash beyond the store's retries) while the
// batch before it is in flight is written again once that one is done,
// as one batch at a time would have written it.
func TestRunInFlightRetriesAfterTheBatchBefore(t *testing.T) {
	svc := newService(t)
	secondFailed := make(chan struct{})
	var once sync.Once
	g := &gated{Service: svc, hold: func(b crm.Batch) <-chan struct{} {
		if first(b) == "C0" {
			return secondFailed // the first batch is written once the second failed
		}
		return nil
	}}
	failing := &failOnce{Service: g, fail: func(b crm.Batch) error {
		if first(b) != "C2" {
			return nil
		}
		var err error
		once.Do(func() {
			err = fmt.Errorf("crm: import: %w", &crm.ConflictError{Entity: "vehicle"})
			close(secondFailed)
		})
		return err
	}}
	src, err := importer.NewCSV(strings.NewReader(sheet(
		row("C0", "客户0", mobile(0), 1), row("C1", "客户1", mobile(1), 2),
		row("C2", "客户2", mobile(2), 3), row("C3", "客户3", mobile(3), 4))))
	require.NoError(t, err)
	rep, err := importer.Run(t.Context(), failing, src, importer.Options{Dealer: "SH01", BatchRows: 2, InFlight: 2})
	require.NoError(t, err, "the clash is not the import's failure")
	assert.Equal(t, 4, rep.Imported)
	assert.Equal(t, importer.Outcomes{Created: 4}, rep.Customers)
	assert.Equal(t, []string{"C0", "C2"}, g.finish, "the second batch's second attempt came after the first batch")
}

// failOnce fails the imports that fail says, before they reach Service.
type failOnce struct {
	importer.Service
	fail func(b crm.Batch) error
}

func (f *failOnce) Import(ctx context.Context, dealer crm.DealerID, b crm.Batch) (crm.ImportResult, error) {
	if err := f.fail(b); err != nil {
		return crm.ImportResult{}, err
	}
	return f.Service.Import(ctx, dealer, b)
}
