package grading

import (
	"math"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Metric names one value metric of a customer. The set is closed; a model
// that names another metric is rejected.
type Metric string

// The value metrics (seed 000: four components of customer value; seed 002:
// potential value and loyalty). Each metric's formula is documented on Values.
const (
	NewCarValue       Metric = "new_car_value"       // 新车销售收益 of the first purchase
	AddPurchaseValue  Metric = "add_purchase_value"  // 增购/换购 value of later purchases
	AddPurchases      Metric = "add_purchases"       // number of later purchases
	AfterSalesRevenue Metric = "after_sales_revenue" // 售后收益 in the trailing window
	AfterSalesVisits  Metric = "after_sales_visits"  // 入厂次数 in the trailing window
	Referrals         Metric = "referrals"           // 转介绍数量
	ReferralValue     Metric = "referral_value"      // 转介绍价值
	Events            Metric = "events"              // 活动参与度 in the trailing window
	Potential         Metric = "potential"           // 潜在价值 by region, industry, occupation
	Tenure            Metric = "tenure"              // years since the customer's first purchase
	Renewals          Metric = "renewals"            // insurance renewals 续保 through the dealer
	Survey            Metric = "survey"              // satisfaction survey score, 0–100
)

// NumMetrics is the number of metrics; Values has one slot per metric.
const NumMetrics = 12

var allMetrics = [NumMetrics]Metric{
	NewCarValue, AddPurchaseValue, AddPurchases, AfterSalesRevenue, AfterSalesVisits,
	Referrals, ReferralValue, Events, Potential, Tenure, Renewals, Survey,
}

// Metrics returns every metric, in the order of the slots of Values.
func Metrics() []Metric { return slices.Clone(allMetrics[:]) }

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool { return m.Index() >= 0 }

// Index returns the slot of m in Values, or -1 for an unknown metric.
func (m Metric) Index() int {
	for i, x := range allMetrics {
		if x == m {
			return i
		}
	}
	return -1
}

// ParseMetric returns s as a Metric, or a validation error naming it.
func ParseMetric(s string) (Metric, error) {
	m := Metric(s)
	if !m.Valid() {
		return "", invalid("metric", "enum", "%q is not a known metric", s)
	}
	return m, nil
}

// Values holds one customer's metric values, indexed by Metric.Index. Values
// are float64: they are scores' inputs, not money (money stays decimal in Facts).
//
// The formulas, for a run as of date T with a window of W months
// (Params.WindowMonths) starting at T − W months (inclusive) and ending the
// day before T:
//
//   - new_car_value: gross profit of the customer's first sale plus the
//     profit of its value-chain items (accessories, insurance, finance,
//     extended warranty, registration), in CNY.
//   - add_purchase_value: the same sum over every later sale (add or
//     replacement purchases), in CNY.
//   - add_purchases: the number of later sales.
//   - after_sales_revenue: Σ over service orders in the window of
//     (labour + parts) × Params.PayerWeights[payer], in CNY; by default the
//     customer's and the insurer's money count fully, a manufacturer's
//     warranty claim half and the dealer's own goodwill not at all.
//   - after_sales_visits: the number of service orders in the window.
//   - referrals: the number of leads the customer introduced (介绍客).
//   - referral_value: Σ over the sales those leads converted into of gross
//     profit plus value-chain profit, in CNY.
//   - events: the number of events attended in the window.
//   - potential: the mean of the points (0–100) the lookup tables of
//     Params.Potential give the customer's region (city, else province),
//     industry and occupation; a missing entry scores the table's default.
//   - tenure: years (days / 365.25) from the customer's first sale (or, with
//     none, the customer's creation date) to T.
//   - renewals: the number of insurance policies renewed through the dealer.
//   - survey: the customer's latest survey score 0–100 when a SurveySource
//     gives one, else Params.SurveyDefault.
type Values [NumMetrics]float64

// Get returns the value of metric m (0 for an unknown metric).
func (v *Values) Get(m Metric) float64 {
	if i := m.Index(); i >= 0 {
		return v[i]
	}
	return 0
}

// Set sets the value of metric m; unknown metrics are ignored.
func (v *Values) Set(m Metric, x float64) {
	if i := m.Index(); i >= 0 {
		v[i] = x
	}
}

// Facts are what the crm records say about one customer, aggregated for a
// run: the inputs of the metric formulas (see Values). Money is decimal.
type Facts struct {
	DealerID   crm.DealerID   `json:"dealer_id"`
	CustomerID crm.CustomerID `json:"customer_id"`
	Region     crm.Region     `json:"region"`
	Industry   string         `json:"industry,omitempty"`
	Occupation string         `json:"occupation,omitempty"`
	// Since is the first sale's date, or the customer's creation date.
	Since dealercrm.Date `json:"since"`
	// NewCarValue is the first sale's gross profit plus value-chain profit.
	NewCarValue decimal.Decimal `json:"new_car_value"`
	// AddPurchases and AddPurchaseValue count and value the later sales.
	AddPurchases     int             `json:"add_purchases"`
	AddPurchaseValue decimal.Decimal `json:"add_purchase_value"`
	// SalesRevenue is Σ price + value-chain amount over every sale.
	SalesRevenue decimal.Decimal `json:"sales_revenue"`
	// ServiceByPayer is the window's service revenue (labour + parts) per
	// payer, in the order of crm.Payers(); ServiceByKind per service kind,
	// in the order of crm.ServiceKinds().
	ServiceByPayer [4]decimal.Decimal `json:"service_by_payer"`
	ServiceByKind  [6]decimal.Decimal `json:"service_by_kind"`
	// Visits is the number of service orders in the window.
	Visits int `json:"visits"`
	// LastVisit is the date of the latest service order (ever); zero for none.
	LastVisit dealercrm.Date `json:"last_visit"`
	// Referrals counts the leads the customer introduced, ReferralsConverted
	// those that bought, ReferralValue the profit of those sales.
	Referrals          int             `json:"referrals"`
	ReferralsConverted int             `json:"referrals_converted"`
	ReferralValue      decimal.Decimal `json:"referral_value"`
	// Events is the number of events attended in the window.
	Events int `json:"events"`
	// Renewals is the number of insurance policies renewed through the dealer.
	Renewals int `json:"renewals"`
	// Survey is the latest survey score (0–100); HasSurvey says whether there is one.
	Survey    float64 `json:"survey"`
	HasSurvey bool    `json:"has_survey"`
}

// ServiceRevenue returns the window's service revenue of every payer, unweighted.
func (f *Facts) ServiceRevenue() decimal.Decimal {
	var sum decimal.Decimal
	for _, d := range f.ServiceByPayer {
		sum = sum.Add(d)
	}
	return sum
}

// PayerIndex returns the slot of p in Facts.ServiceByPayer, or -1.
func PayerIndex(p crm.Payer) int { return slices.Index(crm.Payers(), p) }

// KindIndex returns the slot of k in Facts.ServiceByKind, or -1.
func KindIndex(k crm.ServiceKind) int { return slices.Index(crm.ServiceKinds(), k) }

// LookupTable gives points (0–100) to a key such as a city or an industry;
// keys not in Points score Default.
type LookupTable struct {
	Points  map[string]float64 `json:"points,omitempty"`
	Default float64            `json:"default"`
}

// lookup returns the points of the first key found, else the default.
func (t LookupTable) lookup(keys ...string) float64 {
	for _, k := range keys {
		if p, ok := t.Points[k]; ok && k != "" {
			return p
		}
	}
	return t.Default
}

// PotentialTables are the lookup tables of the potential metric (seed 002:
// 客户潜在价值 by region, industry and position).
type PotentialTables struct {
	// Region is keyed by city, then by province.
	Region     LookupTable `json:"region"`
	Industry   LookupTable `json:"industry"`
	Occupation LookupTable `json:"occupation"`
}

// Params are the parameters of the metric formulas (see Values).
type Params struct {
	// WindowMonths is the trailing window of after-sales revenue, visits
	// and events; default 24.
	WindowMonths int `json:"window_months"`
	// PayerWeights weigh service revenue by payer; a payer not listed
	// counts 1. Default: customer 1, insurer 1, manufacturer 0.5, dealer 0.
	PayerWeights map[crm.Payer]float64 `json:"payer_weights,omitempty"`
	// Potential holds the lookup tables of the potential metric.
	Potential PotentialTables `json:"potential"`
	// SurveyDefault is the survey value of a customer without a survey; default 80.
	SurveyDefault float64 `json:"survey_default"`
}

// DefaultParams returns the default metric parameters: a 24-month window,
// the default payer weights, lookup tables that give tier-1 and new tier-1
// cities, finance and IT industries and business owners and investment managers
// more potential, and a survey default of 80.
func DefaultParams() Params {
	return Params{
		WindowMonths: 24,
		PayerWeights: map[crm.Payer]float64{
			crm.PayerCustomer: 1, crm.PayerInsurer: 1, crm.PayerManufacturer: 0.5, crm.PayerDealer: 0,
		},
		Potential: PotentialTables{
			Region: LookupTable{Default: 40, Points: map[string]float64{
				"上海市": 90, "北京市": 90, "深圳市": 90, "广州市": 85,
				"杭州市": 80, "苏州市": 80, "南京市": 75, "成都市": 75, "武汉市": 70,
			}},
			Industry: LookupTable{Default: 40, Points: map[string]float64{
				"金融": 90, "信息技术": 85, "建筑房地产": 70, "医疗卫生": 70, "法律服务": 70, "制造业": 60,
				"交通物流": 60, "租赁服务": 60, "商务服务": 55, "公共管理": 55, "批发零售": 50, "教育": 50,
				"文化创意": 50, "餐饮服务": 45,
			}},
			Occupation: LookupTable{Default: 40, Points: map[string]float64{
				"企业主": 95, "投资经理": 90, "医生": 75, "律师": 75, "软件工程师": 70, "产品经理": 70,
				"个体经营者": 65, "销售经理": 60, "建筑工程师": 60, "工程师": 60, "银行职员": 55, "公务员": 55,
				"设计师": 50, "餐饮店主": 50, "物流主管": 45, "教师": 45, "企业职员": 40, "护士": 40,
				"外贸业务员": 40, "自由职业": 40,
			}},
		},
		SurveyDefault: 80,
	}
}

// withDefaults fills zero parameters.
func (p Params) withDefaults() Params {
	d := DefaultParams()
	if p.WindowMonths == 0 {
		p.WindowMonths = d.WindowMonths
	}
	if p.PayerWeights == nil {
		p.PayerWeights = d.PayerWeights
	}
	return p
}

// Window returns the trailing window of a run as of asOf: from asOf minus
// WindowMonths to the day before asOf, inclusive.
func (p Params) Window(asOf dealercrm.Date) crm.DateRange {
	months := p.WindowMonths
	if months == 0 {
		months = DefaultParams().WindowMonths
	}
	return crm.DateRange{From: asOf.AddMonths(-months), To: asOf.AddDays(-1)}
}

// Compute returns the metric values of f for a run as of asOf (see Values).
func (p Params) Compute(f *Facts, asOf dealercrm.Date) Values {
	var v Values
	v[0] = toFloat(f.NewCarValue)
	v[1] = toFloat(f.AddPurchaseValue)
	v[2] = float64(f.AddPurchases)
	var rev float64
	for i, d := range f.ServiceByPayer {
		if d.IsZero() {
			continue
		}
		w, ok := p.PayerWeights[payers[i]]
		if !ok {
			w = 1
		}
		rev += toFloat(d) * w
	}
	v[3] = rev
	v[4] = float64(f.Visits)
	v[5] = float64(f.Referrals)
	v[6] = toFloat(f.ReferralValue)
	v[7] = float64(f.Events)
	v[8] = (p.Potential.Region.lookup(f.Region.City, f.Region.Province) +
		p.Potential.Industry.lookup(f.Industry) + p.Potential.Occupation.lookup(f.Occupation)) / 3
	if !f.Since.IsZero() && f.Since.Before(asOf) {
		v[9] = float64(asOf.DaysSince(f.Since)) / 365.25
	}
	v[10] = float64(f.Renewals)
	if f.HasSurvey {
		v[11] = f.Survey
	} else {
		v[11] = p.SurveyDefault
	}
	return v
}

var payers = crm.Payers()

// toFloat converts money to float64 for scoring, without big.Rat for the
// usual amounts (an int64 coefficient).
func toFloat(d decimal.Decimal) float64 {
	if d.IsZero() {
		return 0
	}
	if d.NumDigits() <= 15 {
		return float64(d.CoefficientInt64()) * math.Pow10(int(d.Exponent()))
	}
	return d.InexactFloat64()
}
