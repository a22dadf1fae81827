package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
)

// The peak memory of the worst imports at the body limit (issue 12: a
// 46 MB invalid import took the server from 24 MB to 2.3 GB of RSS and
// answered with a 118 MB error body). Each case writes its body to a file
// and runs the test binary again as a child process that sends the file
// through the real handler (memory store) and prints its peak RSS
// (VmHWM of /proc/self/status): a fresh process, so nothing the parent
// allocated counts.
//
//	go test ./adapters/httpapi -run TestImportPeakRSS -v
//	go test ./adapters/httpapi -run '^$' -bench BenchmarkImportPeakRSS -benchtime 1x

// maxImportRSS is the bound on the peak RSS of one worst-case import.
const maxImportRSS = 512 << 20

// envRSSBody names the body file of the child process.
const envRSSBody = "DEALERCRM_IMPORT_RSS_BODY"

// rssCase is one worst-case import.
type rssCase struct {
	name string
	// status is the expected answer.
	status int
	// write writes a body of at most limit bytes.
	write func(w *bufio.Writer, limit int64)
}

// pad returns n bytes of text for a JSON string.
func pad(n int) string {
	if n < 0 {
		n = 0
	}
	return strings.Repeat("x", n)
}

// writeRecords writes {"section": [records...]} with n records of about
// size bytes each; record(i, padding) writes one with padding bytes of text.
func writeRecords(w *bufio.Writer, section string, n int, size int, record func(i int, padding string) string) {
	w.WriteString(`{"` + section + `": [`)
	probe := len(record(0, ""))
	padding := pad(size - probe - 1)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(record(i, padding))
	}
	w.WriteString("]}")
}

// cjk200 is a 200-character (600-byte) text, the longest name a customer
// may have.
var cjk200 = strings.Repeat("长", 200)

func rssCases() []rssCase {
	records := crm.DefaultMaxImportRecords
	return []rssCase{
		{
			// The import: as many small invalid records as the body
			// limit holds (about 1.4 million). Stopped at the record cap.
			name: "invalid-small-records", status: http.StatusRequestEntityTooLarge,
			write: func(w *bufio.Writer, limit int64) {
				const rec = `{"external_id": "C0000000", "name": "", "mobile": "1"}`
				writeRecords(w, "customers", int(limit-64)/(len(rec)+1), len(rec)+1, func(i int, _ string) string {
					return fmt.Sprintf(`{"external_id": "C%07d", "name": "", "mobile": "1"}`, i)
				})
			},
		},
		{
			// As many records as a batch may hold, filling the body limit,
			// each with two errors (a name too long, a bad mobile).
			name: "invalid-records-at-cap", status: http.StatusUnprocessableEntity,
			write: func(w *bufio.Writer, limit int64) {
				writeRecords(w, "customers", records, int(limit-64)/records, func(i int, p string) string {
					return fmt.Sprintf(`{"external_id": "C%07d", "name": "%s", "mobile": "1"}`, i, p)
				})
			},
		},
		{
			// Records at the cap whose lists hold the batch's whole budget of
			// list entries, each entry broken four ways (an empty consent),
			// padded to the body limit.
			name: "invalid-list-entries-at-budget", status: http.StatusUnprocessableEntity,
			write: func(w *bufio.Writer, limit int64) {
				per := httpapi.ImportListEntriesPerRecord
				consents := strings.TrimSuffix(strings.Repeat("{},", per), ",")
				writeRecords(w, "customers", records, int(limit-64)/records, func(i int, p string) string {
					return fmt.Sprintf(`{"external_id": "C%07d", "name": "x", "occupation": "%s", "consents": [%s]}`, i, p, consents)
				})
			},
		},
		{
			// The largest valid batch: records at the cap, each with lists
			// at the budget and long text in fields of at most 200
			// characters, stored in the memory store.
			name: "valid-records-at-cap", status: http.StatusOK,
			write: func(w *bufio.Writer, limit int64) {
				hobby := `"` + strings.Repeat("长", 90) + `",`
				hobbies := strings.TrimSuffix(strings.Repeat(hobby, httpapi.ImportListEntriesPerRecord), ",")
				writeRecords(w, "customers", records, 0, func(i int, _ string) string {
					return fmt.Sprintf(`{"external_id": "C%07d", "name": "%s", "mobile": "139%08d", "occupation": "%s", "industry": "%s",`+
						` "income_band": "%s", "region": {"province": "%s", "city": "%s", "district": "浦东新区"}, "hobbies": [%s]}`,
						i, cjk200, i, cjk200, cjk200, cjk200, cjk200, cjk200, hobbies)
				})
			},
		},
		{
			// One record as large as the body limit.
			name: "one-huge-record", status: http.StatusRequestEntityTooLarge,
			write: func(w *bufio.Writer, limit int64) {
				writeRecords(w, "customers", 1, int(limit-64), func(i int, p string) string {
					return `{"external_id": "C1", "name": "` + p + `"}`
				})
			},
		},
	}
}

// rssResult is what the child process reports.
type rssResult struct {
	status   int
	bodySize int
	bodyHead string
	vmHWM    int64 // bytes
	bodyFile int64 // bytes
	handler  int64 // milliseconds in the handler
}

// runRSSCase writes the body of c to a file and imports it in a child
// process.
func runRSSCase(tb testing.TB, c rssCase) rssResult {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "body.json")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	c.write(w, httpapi.DefaultMaxImportBytes)
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	_ = f.Close()
	if st.Size() > httpapi.DefaultMaxImportBytes {
		tb.Fatalf("%s: body of %d bytes is over the limit", c.name, st.Size())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportPeakRSSChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envRSSBody+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: child: %v\n%s", c.name, err, out)
	}
	var res rssResult
	for line := range strings.SplitSeq(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "RSS "); ok {
			if _, err := fmt.Sscanf(rest, "status=%d body=%d vmhwm_kb=%d ms=%d", &res.status, &res.bodySize, &res.vmHWM, &res.handler); err != nil {
				tb.Fatalf("%s: child said %q: %v", c.name, rest, err)
			}
			res.vmHWM <<= 10
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "HEAD "); ok {
			res.bodyHead = rest
		}
	}
	if res.vmHWM == 0 {
		tb.Fatalf("%s: no RSS line from the child:\n%s", c.name, out)
	}
	res.bodyFile = st.Size()
	return res
}

// TestImportPeakRSS holds the peak RSS of each worst-case import under
// 512 MiB and checks its answer. Under the race detector, whose shadow
// memory inflates every process, it checks the answers and only reports
// the peak.
func TestImportPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 64 MiB bodies in child processes")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status")
	}
	for _, c := range rssCases() {
		t.Run(c.name, func(t *testing.T) {
			res := runRSSCase(t, c)
			t.Logf("%s: body %.1f MiB → %d in %d ms, answer %d bytes, peak RSS %.0f MiB", c.name,
				float64(res.bodyFile)/(1<<20), res.status, res.handler, res.bodySize, float64(res.vmHWM)/(1<<20))
			if res.status != c.status {
				t.Errorf("status %d, want %d; answer begins %s", res.status, c.status, res.bodyHead)
			}
			if res.vmHWM >= maxImportRSS && !raceEnabled {
				t.Errorf("peak RSS %d MiB, want under %d MiB", res.vmHWM>>20, maxImportRSS>>20)
			}
			if res.status != http.StatusOK && res.bodySize > 64<<10 {
				t.Errorf("answer of %d bytes, want a short problem", res.bodySize)
			}
		})
	}
}

// BenchmarkImportPeakRSS reports the peak RSS (MiB) of each worst-case
// import; run it with -benchtime 1x.
func BenchmarkImportPeakRSS(b *testing.B) {
	for _, c := range rssCases() {
		b.Run(c.name, func(b *testing.B) {
			var res rssResult
			for b.Loop() {
				res = runRSSCase(b, c)
			}
			b.ReportMetric(float64(res.vmHWM)/(1<<20), "MiB-peak-RSS")
			b.ReportMetric(float64(res.bodyFile)/(1<<20), "MiB-body")
			b.ReportMetric(float64(res.bodySize), "answer-bytes")
			b.ReportMetric(float64(res.status), "status")
			b.ReportMetric(float64(res.handler), "handler-ms")
		})
	}
}

// TestImportPeakRSSChild is the child process of TestImportPeakRSS: it
// sends the body file through the handler and prints the status, the
// answer's size and the peak RSS.
func TestImportPeakRSSChild(t *testing.T) {
	path := os.Getenv(envRSSBody)
	if path == "" {
		t.Skip("run by TestImportPeakRSS in a child process")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodPost, "/v1/import", f)
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+keyA)
	w := httptest.NewRecorder()
	start := time.Now()
	e.h.ServeHTTP(w, req)
	elapsed := time.Since(start)
	head := w.Body.Bytes()
	if len(head) > 300 {
		head = head[:300]
	}
	fmt.Printf("HEAD %s\n", bytes.ReplaceAll(head, []byte("\n"), nil))
	fmt.Printf("RSS status=%d body=%d vmhwm_kb=%d ms=%d\n", w.Code, w.Body.Len(), vmHWM(t), elapsed.Milliseconds())
}

// vmHWM returns the peak resident set size of this process in KiB.
func vmHWM(t *testing.T) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
