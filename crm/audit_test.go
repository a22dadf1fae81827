package crm_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
)

// TestAuditID: an ID a request names is kept as asked, unless no store
// could hold it: a NUL or invalid UTF-8 is quoted, an ID beyond 128 bytes
// cut at a character and marked — and the record then passes the check.
func TestAuditID(t *testing.T) {
	assert.Equal(t, "01a23e0d-5836-70cc", crm.AuditID("01a23e0d-5836-70cc"))
	assert.Equal(t, `"a\x00b"`, crm.AuditID("a\x00b"))
	assert.Equal(t, `"\xff客"`, crm.AuditID("\xff客"))
	long := crm.AuditID(strings.Repeat("客", 100))
	assert.LessOrEqual(t, len(long), crm.MaxAuditIDLength)
	assert.True(t, utf8.ValidString(long))
	assert.True(t, strings.HasSuffix(long, "…"))

	p := crm.NewAuditPending(crm.AuditRecord{Records: []string{"a\x00b", strings.Repeat("x", 10000)}}, true)
	p.Note("c1", "c1", "")
	ctx := crm.WithAudit(context.Background(), p)
	crm.NoteAudit(ctx, "new1")
	assert.Equal(t, []string{`"a\x00b"`, strings.Repeat("x", crm.MaxAuditIDLength-len("…")) + "…", "c1"}, p.Record(crm.AuditFailed).Records,
		"a failure names what was asked, not what it would have created")
	rec := p.Record(crm.AuditOK)
	assert.Equal(t, []string{`"a\x00b"`, strings.Repeat("x", crm.MaxAuditIDLength-len("…")) + "…", "c1", "new1"}, rec.Records)
	rec.ID, rec.DealerID, rec.Operation = "r1", "d1", "getCustomer"
	rec.At = rec.At.AddDate(2026, 0, 0)
	assert.NoError(t, crm.CheckAuditRecord(&rec))
}
