package crm_test

import (
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12: a batch is capped in records, and a failed import lists the
// first MaxImportErrors field errors with the total count.

func TestImportCapsRecordsPerBatch(t *testing.T) {
	svc, ctx := newService(t)
	assert.Equal(t, crm.DefaultMaxImportRecords, svc.MaxImportRecords())
	assert.Equal(t, 10_000, crm.DefaultMaxImportRecords, "the documented default")

	small := crm.NewService(svc.Store(), crm.WithMaxImportRecords(3))
	assert.Equal(t, 3, small.MaxImportRecords())
	// 2 customers + 2 vehicles: the fourth record, in vehicles, passes the cap.
	b := importBatch()
	b.Leads, b.Sales, b.ServiceOrders = nil, nil, nil
	require.Equal(t, 4, b.Len())
	_, err := small.Import(ctx, dealerA, b)
	ve := validationFields(t, err)
	assert.Equal(t, []crm.FieldError{{Field: "vehicles", Rule: crm.RuleMax,
		Message: "the batch holds 4 records; at most 3 are allowed in one batch"}}, ve.Fields)
	cs, err := small.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	assert.Empty(t, cs.Items, "nothing is written")

	b.Vehicles = b.Vehicles[:1]
	_, err = small.Import(ctx, dealerA, b)
	require.NoError(t, err, "3 records fit")

	assert.Equal(t, crm.DefaultMaxImportRecords, crm.NewService(memory.New(), crm.WithMaxImportRecords(0)).MaxImportRecords(),
		"n ≤ 0 keeps the default")
}

func TestImportListsFirstErrorsAndCount(t *testing.T) {
	svc, ctx := newService(t)
	// 150 customers, each without a name and with a bad mobile: 300
	// errors, and one more for the external ID the last one lacks.
	var b crm.Batch
	for i := range 150 {
		b.Customers = append(b.Customers, crm.Customer{Record: crm.Record{ExternalID: fmt.Sprintf("C%03d", i)}, Mobile: "1"})
	}
	b.Customers[149].ExternalID = ""
	_, err := svc.Import(ctx, dealerA, b)
	ve := validationFields(t, err)
	require.Len(t, ve.Fields, crm.MaxImportErrors, "the first 100 are listed")
	assert.Equal(t, 100, crm.MaxImportErrors)
	assert.Equal(t, 301, ve.Total, "every broken rule is counted")
	assert.Equal(t, crm.FieldError{Field: "customers[0].name", Rule: crm.RuleRequired, Message: "is required"}, ve.Fields[0])
	assert.Equal(t, "customers[49].mobile", ve.Fields[99].Field, "in batch order")
	assert.Contains(t, ve.Error(), "and 201 more")

	// A short list is complete and says so.
	_, err = svc.Import(ctx, dealerA, crm.Batch{Customers: b.Customers[:2]})
	ve = validationFields(t, err)
	assert.Len(t, ve.Fields, 4)
	assert.Zero(t, ve.Total, "Total is set only when Fields is cut short")
}

// Issue 14: a DMS import carries a customer's birthday calendar; a change
// of it alone updates the customer, and a value outside the enum is
// rejected by the one checker.
func TestImportBirthdayCalendar(t *testing.T) {
	svc, ctx := newService(t)
	c := crm.Customer{Record: crm.Record{ExternalID: "C1"}, Name: "王伟", Birthday: dealercrm.MustParseDate("1990-10-03"), BirthdayCalendar: crm.BirthdayLunar}
	res, err := svc.Import(ctx, dealerA, crm.Batch{Customers: []crm.Customer{c}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Counts()[crm.Created])
	cs, err := svc.ListCustomers(ctx, dealerA, crm.CustomerFilter{})
	require.NoError(t, err)
	require.Len(t, cs.Items, 1)
	assert.Equal(t, crm.BirthdayLunar, cs.Items[0].BirthdayCalendar)

	c.BirthdayCalendar = crm.BirthdaySolar
	res, err = svc.Import(ctx, dealerA, crm.Batch{Customers: []crm.Customer{c}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Counts()[crm.Updated], "the calendar alone changed")

	c.BirthdayCalendar = "chinese"
	_, err = svc.Import(ctx, dealerA, crm.Batch{Customers: []crm.Customer{c}})
	ve := validationFields(t, err)
	require.NotEmpty(t, ve.Fields)
	assert.Equal(t, crm.FieldError{Field: "customers[0].birthday_calendar", Rule: crm.RuleEnum}, crm.FieldError{Field: ve.Fields[0].Field, Rule: ve.Fields[0].Rule})
	_, err = crm.ParseBirthdayCalendar("lunar")
	assert.NoError(t, err)
}
