package importer_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/importer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyBadRows is a CSV of 250 customers with a car each, rows 2–251;
// every row whose number is not a multiple of 10 has a 9-digit mobile: 25
// good rows, 225 bad — more than the 100 field errors one crm.Import lists.
func manyBadRows() string {
	var b strings.Builder
	b.WriteString("客户编号,姓名,手机号,车架号,车型\n")
	for i := range 250 {
		line := i + 2
		mobile := fmt.Sprintf("13%09d", i)
		if line%10 != 0 {
			mobile = mobile[:9]
		}
		fmt.Fprintf(&b, "C%d,客户%d,%s,%s,帕萨特\n", i, i, mobile, crmtest.VIN(i+1))
	}
	return b.String()
}

func newService(t *testing.T) *crm.Service {
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }))
	_, err := svc.CreateDealer(t.Context(), crm.Dealer{ID: "SH01", Name: "上海4S店"})
	require.NoError(t, err)
	return svc
}

// Partial mode finds every bad row although crm lists 100 field errors per
// Import: 225 rejected (rows 2–9, 11–19, …), 25 imported (10, 20, …, 250).
func TestRunPartialFindsEveryBadRow(t *testing.T) {
	svc := newService(t)
	src, err := importer.NewCSV(strings.NewReader(manyBadRows()))
	require.NoError(t, err)
	var lines []int
	rep, err := importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", Partial: true,
		Rejected: func(r importer.Rejection) error {
			lines = append(lines, r.Line)
			require.Len(t, r.Reasons, 1, "row %d", r.Line)
			assert.Equal(t, importer.Reason{Column: "手机号", Code: "rule.mobile", Detail: r.Reasons[0].Detail}, r.Reasons[0], "row %d", r.Line)
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, 250, rep.Rows)
	assert.Equal(t, 25, rep.Imported)
	assert.Equal(t, 225, rep.Rejected)
	assert.Equal(t, importer.Outcomes{Created: 25}, rep.Customers)
	assert.Equal(t, importer.Outcomes{Created: 25}, rep.Vehicles)
	require.Len(t, lines, 225)
	assert.Equal(t, []int{2, 3, 4, 5, 6, 7, 8, 9, 11}, lines[:9], "in row order")
	page, err := svc.ListCustomers(t.Context(), "SH01", crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 100}})
	require.NoError(t, err)
	assert.Len(t, page.Items, 25)
}

// Without Partial the batch with bad rows is not written and the error
// lists the first 20 of all 225; a batch before it stays written.
func TestRunWholeStopsAtTheBadBatch(t *testing.T) {
	svc := newService(t)
	src, err := importer.NewCSV(strings.NewReader(manyBadRows()))
	require.NoError(t, err)
	var committed []int
	_, err = importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", BatchRows: 7,
		Committed: func(p importer.Progress) error { committed = append(committed, p.Line); return nil }})
	var re *importer.RowsError
	require.True(t, errors.As(err, &re), "want a *RowsError, got %v", err)
	// Rows 2–8 are all bad: the first batch already fails.
	assert.Equal(t, 7, re.Total)
	assert.Equal(t, 0, re.Committed)
	assert.Empty(t, committed)

	src, err = importer.NewCSV(strings.NewReader(manyBadRows()))
	require.NoError(t, err)
	_, err = importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", BatchRows: 1000})
	require.True(t, errors.As(err, &re))
	assert.Equal(t, 225, re.Total, "every bad row of the batch is counted")
	assert.Len(t, re.Rows, importer.MaxListed)
	page, err := svc.ListCustomers(t.Context(), "SH01", crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "the refused batch wrote nothing")
}

// A mapping file adds headers to the defaults; an unknown field is refused
// naming the column; a sheet without a name column is refused naming the
// headers.
func TestMapping(t *testing.T) {
	m, err := importer.ReadMapping(strings.NewReader(`{"columns": {"会员姓名": "customer.name", "联系方式": "customer.mobile", "备注": ""}}`))
	require.NoError(t, err)
	assert.Equal(t, importer.CustomerName, m.Columns["会员姓名"])
	assert.Equal(t, importer.Ignore, m.Columns["备注"])
	assert.Equal(t, importer.VehicleVIN, m.Columns["车架号"], "the defaults stay")

	_, err = importer.ReadMapping(strings.NewReader(`{"columns": {"会员姓名": "customer.nickname"}}`))
	assert.ErrorContains(t, err, `column "会员姓名": unknown field "customer.nickname"`)

	svc := newService(t)
	src, err := importer.NewCSV(strings.NewReader("会员姓名,联系方式,备注,等级\n张三,13800138000,老客户,A\n"))
	require.NoError(t, err)
	_, err = importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01"})
	assert.ErrorContains(t, err, "no column maps to customer.name (headers: 会员姓名, 联系方式, 备注, 等级)")

	src, err = importer.NewCSV(strings.NewReader("会员姓名,联系方式,备注,等级\n张三,13800138000,老客户,A\n"))
	require.NoError(t, err)
	rep, err := importer.Run(t.Context(), svc, src, importer.Options{Dealer: "SH01", Mapping: m})
	require.NoError(t, err)
	assert.Equal(t, importer.Outcomes{Created: 1}, rep.Customers)
	assert.Equal(t, []string{"等级"}, rep.Unmapped)
}
