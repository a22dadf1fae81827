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

// TestAuditPendingFinish: after a request, its record is written unless a
// transaction committed it with the change; a request that failed after
// that commit gets a second record with an ID of its own and the reason.
func TestAuditPendingFinish(t *testing.T) {
	rec := crm.AuditRecord{ID: "a1", DealerID: "d1", Operation: "customers.erase", Records: []string{"c1"}}

	p := crm.NewAuditPending(rec, true)
	got, ok := p.Finish(crm.AuditFailed, "invalid")
	assert.True(t, ok)
	assert.Equal(t, "a1", got.ID)
	assert.Equal(t, crm.AuditFailed, got.Outcome)
	assert.Equal(t, "invalid", got.Reason)
	got, ok = p.Finish(crm.AuditOK, "ignored")
	assert.True(t, ok)
	assert.Equal(t, "", got.Reason, "an ok record has no reason")

	ctx := crm.WithAudit(context.Background(), p)
	crm.NoteAudit(ctx, "c9")
	claimed, ok := crm.ClaimAudit(ctx)
	assert.True(t, ok)
	assert.Equal(t, []string{"c1", "c9"}, claimed.Records)
	_, ok = p.Finish(crm.AuditOK, "")
	assert.False(t, ok, "committed with the change")
	got, ok = p.Finish(crm.AuditFailed, "internal")
	assert.True(t, ok)
	assert.NotEqual(t, "a1", got.ID)
	assert.Equal(t, []string{"c1"}, got.Records, "a failed request created nothing")
	assert.Equal(t, "internal", got.Reason)
}
