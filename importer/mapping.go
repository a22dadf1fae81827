package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Field is what a column holds: a field of the row's customer or of its
// vehicle.
type Field string

// The fields a column maps to. A row makes one customer and, when it has a
// VIN or a plate, one vehicle owned by that customer.
const (
	CustomerExternalID Field = "customer.external_id" // the DMS's customer number
	CustomerName       Field = "customer.name"
	CustomerMobile     Field = "customer.mobile"
	CustomerIDNumber   Field = "customer.id_number" // 居民身份证号码
	CustomerGender     Field = "customer.gender"    // 男/女
	CustomerBirthday   Field = "customer.birthday"
	CustomerProvince   Field = "customer.province"
	CustomerCity       Field = "customer.city"
	CustomerDistrict   Field = "customer.district"
	CustomerOccupation Field = "customer.occupation"
	CustomerIndustry   Field = "customer.industry"
	VehicleExternalID  Field = "vehicle.external_id" // the DMS's vehicle number; the VIN when absent
	VehicleVIN         Field = "vehicle.vin"
	VehiclePlate       Field = "vehicle.plate"
	VehicleBrand       Field = "vehicle.brand"
	VehicleModel       Field = "vehicle.model"
	VehicleTrim        Field = "vehicle.trim"
	VehiclePurchase    Field = "vehicle.purchase_date"
	VehicleDelivery    Field = "vehicle.delivery_date"
	VehicleRegistered  Field = "vehicle.registration_date"
	VehiclePrice       Field = "vehicle.price"
	// Ignore maps a column to nothing: it is read and left out.
	Ignore Field = "ignore"
)

// Fields lists every field a mapping may name, Ignore last.
func Fields() []Field {
	return []Field{CustomerExternalID, CustomerName, CustomerMobile, CustomerIDNumber, CustomerGender, CustomerBirthday,
		CustomerProvince, CustomerCity, CustomerDistrict, CustomerOccupation, CustomerIndustry,
		VehicleExternalID, VehicleVIN, VehiclePlate, VehicleBrand, VehicleModel, VehicleTrim,
		VehiclePurchase, VehicleDelivery, VehicleRegistered, VehiclePrice, Ignore}
}

// Valid reports whether f is one of Fields.
func (f Field) Valid() bool { return slices.Contains(Fields(), f) }

// defaultColumns maps the headers common in Chinese DMS exports (and a
// few English ones) to fields; headers are compared after normalising
// (see normalizeHeader).
var defaultColumns = map[string]Field{
	"客户编号": CustomerExternalID, "外部编号": CustomerExternalID, "客户id": CustomerExternalID, "客户代码": CustomerExternalID,
	"customer_id": CustomerExternalID, "external_id": CustomerExternalID,
	"客户姓名": CustomerName, "姓名": CustomerName, "客户名称": CustomerName, "车主姓名": CustomerName, "车主": CustomerName,
	"name": CustomerName,
	"手机号":  CustomerMobile, "手机": CustomerMobile, "手机号码": CustomerMobile, "联系电话": CustomerMobile, "移动电话": CustomerMobile,
	"电话": CustomerMobile, "mobile": CustomerMobile,
	"性别": CustomerGender, "gender": CustomerGender,
	"生日": CustomerBirthday, "出生日期": CustomerBirthday, "birthday": CustomerBirthday,
	"省": CustomerProvince, "省份": CustomerProvince, "城市": CustomerCity, "市": CustomerCity,
	"区县": CustomerDistrict, "区": CustomerDistrict, "职业": CustomerOccupation, "行业": CustomerIndustry,
	// A resident ID card number; 证件号码 may name a passport or another
	// document, which crm would refuse, so it is left out unless mapped.
	"身份证号": CustomerIDNumber, "身份证": CustomerIDNumber, "身份证号码": CustomerIDNumber, "id_number": CustomerIDNumber,
	"证件号码": Ignore,
	"车辆编号": VehicleExternalID,
	"车架号":  VehicleVIN, "车架号/vin": VehicleVIN, "vin": VehicleVIN, "vin码": VehicleVIN, "车辆识别代号": VehicleVIN,
	"车牌号": VehiclePlate, "车牌": VehiclePlate, "车牌号码": VehiclePlate, "plate": VehiclePlate,
	"品牌": VehicleBrand, "brand": VehicleBrand,
	"车型": VehicleModel, "车系": VehicleModel, "model": VehicleModel,
	"配置": VehicleTrim, "车款": VehicleTrim, "trim": VehicleTrim,
	"购车日期": VehiclePurchase, "购买日期": VehiclePurchase, "开票日期": VehiclePurchase, "purchase_date": VehiclePurchase,
	"交车日期": VehicleDelivery, "delivery_date": VehicleDelivery,
	"上牌日期": VehicleRegistered, "注册日期": VehicleRegistered, "registration_date": VehicleRegistered,
	"购车价格": VehiclePrice, "车价": VehiclePrice, "成交价": VehiclePrice, "成交价格": VehiclePrice, "price": VehiclePrice,
}

// Mapping says which column of a spreadsheet holds which field. Its JSON
// form is the mapping file of the import command:
//
//	{
//	  "sheet": "客户资料",
//	  "columns": {"会员姓名": "customer.name", "联系方式": "customer.mobile", "备注": "ignore"}
//	}
//
// Columns extend the built-in mapping of common headers (DefaultMapping)
// and win over it; a column neither names is left out and listed in the
// report.
type Mapping struct {
	// Sheet is the XLSX sheet to read; the first sheet when empty.
	Sheet string `json:"sheet,omitempty"`
	// Columns maps a header, as the spreadsheet writes it, to a field.
	Columns map[string]Field `json:"columns"`
}

// DefaultMapping returns the built-in mapping: 客户姓名/姓名, 手机号/手机,
// 性别, 客户编号/外部编号, 车架号/VIN, 车牌号, 品牌, 车型, 购车日期, 购车价格
// and their usual variants.
func DefaultMapping() Mapping {
	m := Mapping{Columns: make(map[string]Field, len(defaultColumns))}
	for h, f := range defaultColumns {
		m.Columns[h] = f
	}
	return m
}

// ReadMapping reads a mapping file (JSON, see Mapping) and returns it on
// top of DefaultMapping. An unknown field is an error naming the column.
func ReadMapping(r io.Reader) (Mapping, error) {
	var file Mapping
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return Mapping{}, fmt.Errorf("importer: mapping: %w", err)
	}
	m := DefaultMapping()
	m.Sheet = file.Sheet
	for h, f := range file.Columns {
		if f == "" {
			f = Ignore
		}
		if !f.Valid() {
			return Mapping{}, fmt.Errorf("importer: mapping: column %q: unknown field %q; the fields are %v", h, f, Fields())
		}
		m.Columns[normalizeHeader(h)] = f
	}
	return m, nil
}

// normalizeHeader folds a header for comparison: full-width letters to
// ASCII, lower case, no spaces, and no required-marker or unit in
// brackets: " 手机号码* " and "手机号码（必填）" are "手机号码".
func normalizeHeader(h string) string {
	h = strings.ToLower(width.Narrow.String(CleanText(h)))
	if i := strings.IndexAny(h, "(（"); i > 0 {
		h = h[:i]
	}
	h = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '*' {
			return -1
		}
		return r
	}, h)
	return h
}

// plan is a mapping applied to one header row: the field of each column.
type plan struct {
	header []string
	fields []Field // per column; "" for a column no mapping names
	column map[Field]int
}

// compile matches m against header. A header must map a column to
// customer.name; a field named by two columns is an error.
func (m Mapping) compile(header []string) (*plan, error) {
	p := &plan{header: header, fields: make([]Field, len(header)), column: map[Field]int{}}
	for i, h := range header {
		f := m.Columns[normalizeHeader(h)]
		if f == "" {
			f = m.Columns[h]
		}
		p.fields[i] = f
		if f == "" || f == Ignore {
			continue
		}
		if j, ok := p.column[f]; ok {
			return nil, fmt.Errorf("importer: columns %q and %q both map to %s; map one of them to %q in the mapping file", header[j], h, f, Ignore)
		}
		p.column[f] = i
	}
	if _, ok := p.column[CustomerName]; !ok {
		return nil, fmt.Errorf("importer: no column maps to %s (headers: %s); name it in a mapping file", CustomerName, strings.Join(header, ", "))
	}
	return p, nil
}

// Unmapped returns the headers no mapping names, which the import leaves out.
func (p *plan) unmapped() []string {
	var out []string
	for i, f := range p.fields {
		if f == "" && CleanText(p.header[i]) != "" {
			out = append(out, p.header[i])
		}
	}
	return out
}

// header returns the header of the column of f, or f itself when no
// column holds it.
func (p *plan) headerOf(f Field) string {
	if i, ok := p.column[f]; ok {
		return p.header[i]
	}
	return string(f)
}
