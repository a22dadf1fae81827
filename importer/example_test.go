package importer_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/importer"
)

func ExampleRun() {
	ctx := context.Background()
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }))
	_, _ = svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})

	src, _ := importer.NewCSV(strings.NewReader(`客户编号,客户姓名,手机号,性别,车架号,车型,购车日期,购车价格
C1,张三,+86 138-0013-8000,男,1M8GDM9AXKP042788,帕萨特,2024/3/5,"¥259,800"
C2,李四,1380013,女,,,,
C3,王五,13900139000,男,1G1ZT53826F109149,凯美瑞,45356,18.98万
`))
	cat := i18n.Default()
	rep, err := importer.Run(ctx, svc, src, importer.Options{
		Dealer:  "SH01",
		Partial: true,
		Rejected: func(r importer.Rejection) error {
			fmt.Printf("row %d: %s\n", r.Line, r.Text(cat, i18n.Chinese))
			return nil
		},
	})
	fmt.Println(err)
	fmt.Printf("%d imported, %d rejected; customers %+v, vehicles %+v\n", rep.Imported, rep.Rejected, rep.Customers, rep.Vehicles)
	v, _ := svc.ListVehicles(ctx, "SH01", crm.VehicleFilter{})
	for _, x := range v.Items {
		fmt.Println(x.VIN, x.PurchaseDate, x.Price)
	}
	// Output:
	// row 3: 手机号：手机号码格式不正确
	// <nil>
	// 2 imported, 1 rejected; customers {Created:2 Updated:0 Unchanged:0}, vehicles {Created:2 Updated:0 Unchanged:0}
	// 1M8GDM9AXKP042788 2024-03-05 259800
	// 1G1ZT53826F109149 2024-03-05 189800
}
