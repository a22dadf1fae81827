package satisfaction

import "strings"

// DefaultHierarchyID is the ID of the hierarchy DefaultHierarchy returns.
const DefaultHierarchyID HierarchyID = "default-4s"

// DefaultHierarchy returns the default 4S-store satisfaction hierarchy, a
// starting point that a dealer edits (reweigh with its own comparison
// matrices, add or drop indicators):
//
//   - goal: overall satisfaction, split evenly between sales (SSI) and
//     after-sales (CSI);
//   - sales: the J.D. Power China Sales Satisfaction Index (SSI) 2015
//     factors and weights — delivery 23%, sales initiation 21%, deal 20%,
//     facility 19%, salesperson 17%;
//   - after-sales: the J.D. Power China Customer Service Index (CSI) 2014
//     factors and weights — service quality 24%, service facility 21%,
//     vehicle pick-up 21%, service advisor 18%, service initiation 17%
//     (published rounded; they sum to 101% and are normalised);
//   - indicators under each factor, including the items of the
//     post-service return-visit call 回访 (explanation before work,
//     reception speed, quality and on-time delivery, price clarity,
//     overall) plus price transparency and complaint handling, weighed
//     equally within their factor until the dealer compares them.
//
// Its names are in Chinese, for Chinese dealers (DefaultHierarchyIn gives
// them in English). Every call returns a fresh copy.
func DefaultHierarchy() Hierarchy { return DefaultHierarchyIn("zh-CN") }

// DefaultHierarchyIn is DefaultHierarchy with its names and description in
// English when lang, a BCP 47 tag ("en", "en-GB", "zh-CN"), is English,
// else in Chinese. A name is a single
// language: it is dealer data, shown as it is in the reports and in the
// texts of follow-up tasks whatever their reader's language.
func DefaultHierarchyIn(lang string) Hierarchy {
	t := inLanguage(lang)
	leaf := func(id, zh, eng string) Node { return Node{ID: id, Name: t(zh, eng)} }
	even := func(n int) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	factor := func(id, zh, eng string, leaves ...Node) Node {
		n := Node{ID: id, Name: t(zh, eng), Children: leaves}
		if len(leaves) > 1 {
			n.Weights = even(len(leaves))
		}
		return n
	}
	sales := Node{ID: "sales", Name: t("销售满意度（SSI 2015）", "Sales (SSI 2015)"), Weights: []float64{23, 21, 20, 19, 17}, Children: []Node{
		factor("sales.delivery", "交车", "Delivery",
			leaf("sales.delivery.on_time", "按约定时间交车", "Delivered on time"),
			leaf("sales.delivery.explanation", "交车讲解", "Vehicle features explained"),
			leaf("sales.delivery.condition", "车辆清洁完好", "Vehicle clean and complete")),
		factor("sales.initiation", "销售启动", "Sales initiation",
			leaf("sales.initiation.greeting", "及时接待", "Greeted promptly"),
			leaf("sales.initiation.needs", "了解需求", "Needs understood"),
			leaf("sales.initiation.test_drive", "试乘试驾", "Test drive offered")),
		factor("sales.deal", "成交", "Deal",
			leaf("sales.deal.price_transparency", "价格透明", "Price transparency"),
			leaf("sales.deal.paperwork", "手续办理效率", "Paperwork efficiency"),
			leaf("sales.deal.finance", "金融保险说明", "Finance and insurance explained")),
		factor("sales.facility", "展厅设施", "Facility",
			leaf("sales.facility.comfort", "展厅舒适", "Showroom comfort"),
			leaf("sales.facility.display", "展车陈列", "Vehicle display")),
		factor("sales.salesperson", "销售顾问", "Salesperson",
			leaf("sales.salesperson.knowledge", "产品知识", "Product knowledge"),
			leaf("sales.salesperson.courtesy", "礼貌诚信", "Courtesy and honesty")),
	}}
	service := Node{ID: "service", Name: t("售后满意度（CSI 2014）", "After-sales (CSI 2014)"), Weights: []float64{24, 21, 21, 18, 17}, Children: []Node{
		factor("service.quality", "服务质量", "Service quality",
			leaf("service.quality.fixed_right", "一次修复", "Fixed right the first time"),
			leaf("service.quality.on_time", "按时交车", "Ready when promised")),
		factor("service.facility", "服务设施", "Service facility",
			leaf("service.facility.lounge", "休息区舒适", "Lounge comfort"),
			leaf("service.facility.access", "进出方便", "Easy access and parking")),
		factor("service.pickup", "交车", "Vehicle pick-up",
			leaf("service.pickup.price_clarity", "费用清楚", "Price clarity"),
			leaf("service.pickup.work_explained", "完工说明", "Work done explained"),
			leaf("service.pickup.clean", "车辆清洁", "Vehicle returned clean")),
		factor("service.advisor", "服务顾问", "Service advisor",
			leaf("service.advisor.explanation", "施工前说明", "Explanation before work"),
			leaf("service.advisor.courtesy", "服务态度", "Courtesy"),
			leaf("service.advisor.complaint_handling", "抱怨处理", "Complaint handling")),
		factor("service.initiation", "服务启动", "Service initiation",
			leaf("service.initiation.reception_speed", "接待速度", "Reception speed"),
			leaf("service.initiation.appointment", "预约便利", "Easy appointment")),
	}}
	overall := leaf("overall", "总体满意度", "Overall satisfaction")
	return Hierarchy{
		ID:   DefaultHierarchyID,
		Name: t("4S 店客户满意度（J.D. Power 中国 SSI 2015 / CSI 2014）", "4S store customer satisfaction (J.D. Power China SSI 2015 / CSI 2014)"),
		Description: t("默认起点：J.D. Power 中国 SSI 2015 与 CSI 2014 的因素权重；各因素内的指标权重相等。可修改权重，或以判断矩阵代替。",
			"Default starting point: J.D. Power China SSI 2015 and CSI 2014 factor weights; indicators weighed equally within each factor. Edit the weights or replace them with comparison matrices."),
		Root: Node{ID: "goal", Name: t("客户满意度", "Customer satisfaction"), Weights: []float64{45, 45, 10},
			Children: []Node{sales, service, overall}},
	}
}

// DefaultServiceQuestionnaire returns the post-service return-visit call
// questionnaire (售后回访) on the default hierarchy: the five call items
// explanation before work, reception speed, quality and on-time delivery
// (two questions), price clarity and overall, on a 5-point Likert scale.
// Its name and questions are in Chinese (DefaultServiceQuestionnaireIn
// gives them in English).
func DefaultServiceQuestionnaire() Questionnaire {
	return DefaultServiceQuestionnaireIn("zh-CN")
}

// DefaultServiceQuestionnaireIn is DefaultServiceQuestionnaire in English
// when lang (as for DefaultHierarchyIn) is English, else in Chinese.
func DefaultServiceQuestionnaireIn(lang string) Questionnaire {
	t := inLanguage(lang)
	item := func(id, indicator, zh, eng string) Item {
		return Item{ID: id, Text: t(zh, eng), IndicatorID: indicator}
	}
	name := t("售后回访", "Post-service call")
	return Questionnaire{
		ID: "default-service-call", Name: name, Department: DepartmentService,
		Scale: Likert5, HierarchyID: DefaultHierarchyID,
		Items: []Item{
			item("q1", "service.advisor.explanation", "施工前服务顾问是否向您说明了维修项目和费用？", "Was the work explained before it started?"),
			item("q2", "service.initiation.reception_speed", "您到店后接待是否及时？", "Were you received promptly?"),
			item("q3", "service.quality.fixed_right", "车辆问题是否一次修好？", "Was the car fixed right the first time?"),
			item("q4", "service.quality.on_time", "是否按承诺时间交车？", "Was the car ready when promised?"),
			item("q5", "service.pickup.price_clarity", "结算费用是否清楚明白？", "Were the charges clear?"),
			item("q6", "overall", "您对本次服务总体是否满意？", "Overall, how satisfied are you?"),
		},
	}
}

// DefaultSalesQuestionnaire returns the delivery follow-up call
// questionnaire (交车回访) on the default hierarchy, on a 5-point scale,
// in Chinese (DefaultSalesQuestionnaireIn gives it in English).
func DefaultSalesQuestionnaire() Questionnaire { return DefaultSalesQuestionnaireIn("zh-CN") }

// DefaultSalesQuestionnaireIn is DefaultSalesQuestionnaire in English when
// lang (as for DefaultHierarchyIn) is English, else in Chinese.
func DefaultSalesQuestionnaireIn(lang string) Questionnaire {
	t := inLanguage(lang)
	item := func(id, indicator, zh, eng string) Item {
		return Item{ID: id, Text: t(zh, eng), IndicatorID: indicator}
	}
	name := t("交车回访", "Delivery call")
	return Questionnaire{
		ID: "default-sales-call", Name: name, Department: DepartmentSales,
		Scale: Likert5, HierarchyID: DefaultHierarchyID,
		Items: []Item{
			item("s1", "sales.delivery.on_time", "是否按约定时间交车？", "Was the car delivered on time?"),
			item("s2", "sales.delivery.explanation", "交车时是否讲解车辆功能？", "Were the features explained?"),
			item("s3", "sales.deal.price_transparency", "价格是否透明？", "Was the price transparent?"),
			item("s4", "sales.salesperson.knowledge", "销售顾问是否专业？", "Did the consultant know the product?"),
			item("s5", "sales.initiation.greeting", "到店是否及时接待？", "Were you greeted promptly?"),
			item("s6", "overall", "您对购车经历总体是否满意？", "Overall, how satisfied are you?"),
		},
	}
}

// inLanguage returns a choice between a Chinese and an English text: the
// English one when lang's primary language subtag is en.
func inLanguage(lang string) func(zh, en string) string {
	primary, _, _ := strings.Cut(strings.ReplaceAll(lang, "_", "-"), "-")
	english := strings.EqualFold(strings.TrimSpace(primary), "en")
	return func(zh, en string) string {
		if english {
			return en
		}
		return zh
	}
}
