package demo

import "github.com/dealercrm/dealercrm/crm"

// This file holds the fixed tables the generator draws from: names, places,
// the model line, staff rosters, events. They are data, not rules.

// surnames are common Chinese family names, roughly by frequency (the
// first ones are drawn more often, see pickSkewed).
var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
	"吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石",
	"廖", "贾", "夏", "韦", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫",
	"段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱",
	"严", "戴", "莫", "孔", "汤", "欧阳", "司马",
}

var maleGivenNames = []string{
	"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "斌", "鹏", "浩", "辉", "刚",
	"浩然", "子轩", "俊杰", "志强", "建国", "建华", "文博", "宇航", "晨阳", "鹏飞", "国强",
	"海涛", "立新", "振华", "思远", "家豪", "一鸣", "天佑", "明轩", "志刚", "永康", "嘉伟",
}

var femaleGivenNames = []string{
	"芳", "娜", "敏", "静", "丽", "艳", "婷", "雪", "慧", "颖", "琳", "洁", "倩", "玲", "蕾",
	"佳怡", "欣怡", "梓涵", "雨萱", "思琪", "晓燕", "秀英", "美玲", "丽娟", "雅琴", "诗涵",
	"玉兰", "春梅", "海燕", "婉婷", "雨桐", "梦瑶", "静怡", "晓雯", "嘉欣", "紫薇",
}

// mobilePrefixes are the first three digits of Chinese mobile numbers in
// use by the three carriers.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
	"173", "177", "180", "181", "182", "183", "185", "186", "187", "188",
	"189", "191", "198", "199",
}

// place is where customers live: a region and the plate prefixes issued there.
type place struct {
	province, city string
	districts      []string
	plates         []string // e.g. "沪A"
	weight         int
}

// site describes one demo store: the dealer and the places its customers
// come from.
type site struct {
	code   string // the DMS's store code, prefix of every external ID
	id     crm.DealerID
	name   string
	apiKey string
	places []place
	roster []Staff
	city   string // short city name, prefix of company names
}

// companyKind is the business of a generated company customer.
type companyKind struct {
	suffix, industry string
	fleet            bool
}

var companyPrefixes = []string{"申达", "恒通", "瑞丰", "华信", "远航", "金桥", "博瑞", "鼎盛", "合众", "新锐", "启明", "天成", "永盛", "宏图", "嘉禾", "诚通"}

var companyKinds = []companyKind{
	{"物流有限公司", "交通物流", true}, {"汽车租赁有限公司", "租赁服务", true},
	{"建设工程有限公司", "建筑房地产", false}, {"信息科技有限公司", "信息技术", false},
	{"国际贸易有限公司", "批发零售", false}, {"精密制造有限公司", "制造业", false},
	{"医药科技有限公司", "医疗卫生", false}, {"商务服务有限公司", "商务服务", false},
}

var shanghaiDistricts = []string{"浦东新区", "闵行区", "徐汇区", "长宁区", "静安区", "普陀区", "杨浦区", "宝山区", "嘉定区", "松江区", "青浦区", "奉贤区", "虹口区"}

var sites = []*site{
	{
		code:   "SH01",
		city:   "上海",
		id:     ShanghaiDealerID,
		name:   "上海天澜汽车销售服务有限公司（闵行4S店）",
		apiKey: ShanghaiAPIKey,
		places: []place{
			{"上海市", "上海市", shanghaiDistricts, []string{"沪A", "沪B", "沪D", "沪E", "沪F", "沪G", "沪H", "沪J", "沪K", "沪L", "沪M", "沪N"}, 85},
			{"江苏省", "苏州市", []string{"昆山市", "太仓市"}, []string{"苏E", "苏U"}, 10},
			{"浙江省", "嘉兴市", []string{"南湖区", "嘉善县", "平湖市"}, []string{"浙F"}, 5},
		},
		roster: roster("SH01", []string{"王磊", "李娜", "张伟", "刘洋", "陈静", "赵鹏"}, []string{"周建华", "吴敏", "孙浩", "朱丽"},
			[]string{"徐婷", "胡晓燕"}, "郑国强", "马志刚"),
	},
	{
		code:   "SZ01",
		city:   "苏州",
		id:     SuzhouDealerID,
		name:   "苏州天澜汽车销售服务有限公司（园区4S店）",
		apiKey: SuzhouAPIKey,
		places: []place{
			{"江苏省", "苏州市", []string{"姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "苏州工业园区", "昆山市", "常熟市", "张家港市", "太仓市"}, []string{"苏E", "苏U"}, 85},
			{"江苏省", "无锡市", []string{"梁溪区", "新吴区", "滨湖区"}, []string{"苏B"}, 10},
			{"上海市", "上海市", []string{"嘉定区", "青浦区"}, []string{"沪A", "沪B", "沪D"}, 5},
		},
		roster: roster("SZ01", []string{"顾晨", "沈佳怡", "陆俊杰", "钱文博", "姚雪", "蒋宇航"}, []string{"许海涛", "曹美玲", "彭立新", "潘思琪"},
			[]string{"金雅琴", "叶欣怡"}, "范振华", "戴永刚"),
	},
}

// roster builds a store's staff list with IDs like "SH01-SC01".
func roster(code string, consultants, advisors, cr []string, salesManager, serviceManager string) []Staff {
	var out []Staff
	add := func(prefix string, role Role, names []string) {
		for i, n := range names {
			out = append(out, Staff{ID: crm.StaffID(code + "-" + prefix + twoDigits(i+1)), Name: n, Role: role})
		}
	}
	add("SC", RoleConsultant, consultants)
	add("SA", RoleAdvisor, advisors)
	add("CR", RoleCR, cr)
	add("SM", RoleSalesManager, []string{salesManager})
	add("AM", RoleServiceManager, []string{serviceManager})
	return out
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }

// Brand is the brand both demo stores sell: a fictional make, so that no
// real manufacturer's prices or codes are implied.
const Brand = "天澜"

// model is one line of the demo brand.
type model struct {
	code   string // Vehicle.Model, e.g. "X5"
	vds    string // positions 4–8 of the VIN
	trims  []trim
	seats  int
	class  int // 1 compact … 4 large; scales workshop bills
	ev     bool
	weight int
	// interval of regular maintenance: 10,000 km / 12 months for models on
	// full-synthetic oil, 5,000 km / 6 months otherwise (SPEC §2.2).
	intervalKM     int64
	intervalMonths int
	// sinceDays limits how long ago the model can have been delivered
	// (0: no limit): the EV was launched two years ago.
	sinceDays int
}

type trim struct {
	name  string
	price int64 // guide price in CNY
}

var models = []*model{
	{code: "A3", vds: "GA315", seats: 5, class: 1, weight: 22, intervalKM: 5000, intervalMonths: 6,
		trims: []trim{{"1.5L 自动舒适版", 109800}, {"1.5L 自动豪华版", 122800}, {"1.5T 运动版", 132800}}},
	{code: "A5", vds: "GA520", seats: 5, class: 2, weight: 14, intervalKM: 10000, intervalMonths: 12,
		trims: []trim{{"2.0T 精英版", 179800}, {"2.0T 豪华版", 199800}, {"2.0T 旗舰版", 219800}}},
	{code: "X3", vds: "GX315", seats: 5, class: 1, weight: 24, intervalKM: 5000, intervalMonths: 6,
		trims: []trim{{"1.5T 两驱舒适版", 129800}, {"1.5T 两驱豪华版", 142800}, {"1.5T 四驱尊享版", 159800}}},
	{code: "X5", vds: "GX520", seats: 5, class: 3, weight: 16, intervalKM: 10000, intervalMonths: 12,
		trims: []trim{{"2.0T 两驱豪华版", 199800}, {"2.0T 四驱旗舰版", 239800}}},
	{code: "X7", vds: "GX720", seats: 7, class: 4, weight: 8, intervalKM: 10000, intervalMonths: 12,
		trims: []trim{{"2.0T 四驱豪华版", 269800}, {"2.0T 四驱旗舰版", 319800}}},
	{code: "M6", vds: "GM620", seats: 7, class: 3, weight: 7, intervalKM: 10000, intervalMonths: 12,
		trims: []trim{{"2.0T 商务版", 229800}, {"2.0T 尊贵版", 269800}}},
	{code: "E5", vds: "GE5E0", seats: 5, class: 2, ev: true, weight: 9, intervalKM: 20000, intervalMonths: 12, sinceDays: 730,
		trims: []trim{{"长续航版", 179800}, {"四驱性能版", 219800}}},
}

// occupation pairs a job with its industry and a typical income band index
// (into incomeBands).
type occupation struct {
	name, industry string
	income         int
}

var occupations = []occupation{
	{"企业职员", "制造业", 1}, {"工程师", "制造业", 2}, {"软件工程师", "信息技术", 3}, {"产品经理", "信息技术", 3},
	{"教师", "教育", 1}, {"医生", "医疗卫生", 3}, {"护士", "医疗卫生", 1}, {"公务员", "公共管理", 2},
	{"个体经营者", "批发零售", 2}, {"企业主", "制造业", 4}, {"销售经理", "批发零售", 2}, {"银行职员", "金融", 2},
	{"投资经理", "金融", 4}, {"律师", "法律服务", 3}, {"设计师", "文化创意", 2}, {"建筑工程师", "建筑房地产", 2},
	{"物流主管", "交通物流", 1}, {"餐饮店主", "餐饮服务", 2}, {"外贸业务员", "批发零售", 1}, {"自由职业", "文化创意", 1},
}

// incomeBands are annual household income bands.
var incomeBands = []string{"10万以下", "10-20万", "20-30万", "30-50万", "50-100万", "100万以上"}

var hobbies = []string{"自驾游", "摄影", "钓鱼", "高尔夫", "跑步", "健身", "羽毛球", "美食", "亲子活动", "露营",
	"阅读", "音乐", "登山", "骑行", "茶道", "书法", "网球", "游泳"}

var insurers = []string{"中国人保财险", "中国平安财产保险", "太平洋财产保险", "中华联合财产保险", "大地财产保险", "国寿财险"}

var visitTriggers = []string{"路过展厅", "网络广告", "朋友推荐", "车展", "老客户转介绍", "试驾活动", "电话邀约", "短视频直播", "汽车网站询价", "置换补贴活动"}

var complaintCategories = []string{"维修质量", "服务态度", "等待时间过长", "收费争议", "配件缺货", "车辆质量问题"}

// event is a recurring yearly customer event; audience filters whom it invites.
type event struct {
	name       string
	month, day int
	audience   audience
}

type audience int

const (
	audienceAll audience = iota
	audienceTravel
	audienceFamily
	audienceRepurchase
	audienceTop
)

var events = []event{
	{"新春关怀·免费检测", 1, 18, audienceAll},
	{"车主自驾游·安吉竹海", 4, 20, audienceTravel},
	{"亲子DIY嘉年华", 6, 1, audienceFamily},
	{"爱车讲堂·夏季空调养护", 7, 12, audienceAll},
	{"金秋置换品鉴会", 9, 22, audienceRepurchase},
	{"冬季安全检测周", 11, 16, audienceAll},
	{"车主俱乐部年会", 12, 20, audienceTop},
}

var lostNotes = map[crm.LostReason][]string{
	crm.LostCompetitor:  {"已购买竞品合资SUV", "选择了其他品牌的新能源车", "对比后购买了竞品，价格更低"},
	crm.LostOtherDealer: {"在外地4S店购买，优惠更大", "在同品牌其他经销商提车"},
	crm.LostFrozen:      {"购车计划推迟到明年", "家庭原因暂缓购车"},
	crm.LostNoBudget:    {"预算不足，暂不考虑", "贷款审批未通过"},
	crm.LostUnreachable: {"多次致电无人接听", "号码已停机"},
	crm.LostOther:       {"客户已摇号失败，暂无牌照", "客户移居外地"},
}

var followUpNotes = map[crm.IntentLevel][]string{
	crm.LevelH: {"客户确认本周来店签约", "已谈妥价格，等待家人确认", "约定周末来店付定金"},
	crm.LevelA: {"试驾满意，对比金融方案中", "客户关注置换补贴，下周再谈", "已报价，客户考虑中"},
	crm.LevelB: {"客户在对比两款车型", "预计一个月内决定", "邀约试驾，客户有兴趣"},
	crm.LevelC: {"客户计划三个月内购车", "关注新车型上市时间", "发送车型资料，客户已读"},
	crm.LevelN: {"首次来电咨询价格", "留资客户，暂无明确购车时间", "客户表示先了解一下"},
	crm.LevelO: {"客户已签订单，等待到车", "定金已付，安排交车日期"},
}
