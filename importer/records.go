package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"golang.org/x/text/language"
)

// Reason is why a row was rejected, one per cell: the spreadsheet's
// header of the cell and a message code of package i18n with its
// parameters ("import.date" {value}, "rule.mobile"), rendered by Text.
type Reason struct {
	// Column is the header of the cell, or the field when no column holds it.
	Column string `json:"column"`
	// Code is the i18n message code.
	Code string `json:"code"`
	// Params are the code's parameters.
	Params map[string]string `json:"params,omitempty"`
	// Detail is crm's English message, for a code the catalog lacks.
	Detail string `json:"detail,omitempty"`
}

// Text renders the reason in lang: "手机号：手机号码格式不正确".
func (r Reason) Text(cat *i18n.Catalog, lang language.Tag) string {
	text := r.Detail
	if _, ok := cat.Template(lang, r.Code); ok || text == "" {
		text = cat.Render(lang, r.Code, r.Params)
	}
	return cat.Render(lang, "import.reason", map[string]string{"column": r.Column, "text": text})
}

// Rejection is a row the import left out and why.
type Rejection struct {
	// Line is the row's number in the spreadsheet.
	Line int `json:"line"`
	// Cells are the row's cells as read.
	Cells []string `json:"-"`
	// Reasons say what is wrong, one per cell.
	Reasons []Reason `json:"reasons"`
}

// Text renders the reasons in lang, joined with "；".
func (r Rejection) Text(cat *i18n.Catalog, lang language.Tag) string {
	parts := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		parts[i] = x.Text(cat, lang)
	}
	return strings.Join(parts, "；")
}

// record is one converted row: its customer and, when the row names a VIN
// or a plate, its vehicle. Reasons are the cells that did not convert.
type record struct {
	row      Row
	customer crm.Customer
	vehicle  *crm.Vehicle
	reasons  []Reason
}

// convert turns a row into its records. Conversion errors are collected
// as reasons; what crm checks (a mobile number's form, a date in the
// future, a missing name) is left to crm.
func (p *plan) convert(row Row) *record {
	rec := &record{row: row}
	cell := func(f Field) string {
		i, ok := p.column[f]
		if !ok || i >= len(row.Cells) {
			return ""
		}
		return row.Cells[i]
	}
	fail := func(f Field, code, value string) {
		rec.reasons = append(rec.reasons, Reason{Column: p.headerOf(f), Code: code, Params: map[string]string{"value": value}})
	}
	date := func(f Field) dealercrm.Date {
		v, err := ParseDate(cell(f))
		if err != nil {
			fail(f, "import.date", CleanText(cell(f)))
		}
		return v
	}
	c := &rec.customer
	c.ExternalID = narrow(cell(CustomerExternalID))
	c.Name = CleanText(cell(CustomerName))
	c.Mobile = CleanMobile(cell(CustomerMobile))
	c.IDNumber = narrow(cell(CustomerIDNumber))
	if g, err := ParseGender(cell(CustomerGender)); err != nil {
		fail(CustomerGender, "import.gender", CleanText(cell(CustomerGender)))
	} else {
		c.Gender = g
	}
	c.Birthday = date(CustomerBirthday)
	c.Region = crm.Region{Province: CleanText(cell(CustomerProvince)), City: CleanText(cell(CustomerCity)), District: CleanText(cell(CustomerDistrict))}
	c.Occupation = CleanText(cell(CustomerOccupation))
	c.Industry = CleanText(cell(CustomerIndustry))

	vin, plate := narrow(cell(VehicleVIN)), narrow(cell(VehiclePlate))
	if vin != "" || plate != "" {
		v := &crm.Vehicle{VIN: vin, Plate: plate, Brand: CleanText(cell(VehicleBrand)), Model: CleanText(cell(VehicleModel)),
			Trim: CleanText(cell(VehicleTrim))}
		v.ExternalID = narrow(cell(VehicleExternalID))
		if v.ExternalID == "" {
			v.ExternalID = crm.NormalizeVIN(vin)
		}
		if v.ExternalID == "" {
			v.ExternalID = "plate:" + plate
		}
		v.PurchaseDate = date(VehiclePurchase)
		v.DeliveryDate = date(VehicleDelivery)
		v.RegistrationDate = date(VehicleRegistered)
		if amt, err := ParseAmount(cell(VehiclePrice)); err != nil {
			fail(VehiclePrice, "import.amount", CleanText(cell(VehiclePrice)))
		} else {
			v.Price = amt
		}
		rec.vehicle = v
	}
	if c.ExternalID == "" {
		c.ExternalID = derivedID(c.Name, c.Mobile, rec.vehicle)
		if c.ExternalID == "" {
			rec.reasons = append(rec.reasons, Reason{Column: p.headerOf(CustomerExternalID), Code: "import.no_key"})
		}
	}
	if rec.vehicle != nil {
		rec.vehicle.OwnerID = crm.CustomerID(c.ExternalID)
	}
	return rec
}

// derivedID is the external ID of a customer row without one: "row-"
// and the first 20 hex digits of the SHA-256 of the name (spaces removed)
// and the normalised mobile — or, without a mobile, the VIN. The same
// person typed twice with the mobile formatted differently
// ("138 0013 8000", "+86-13800138000") is one customer; two people sharing
// a phone under different names are two. Without mobile and VIN there is
// nothing to tell the customer by: "".
func derivedID(name, mobile string, v *crm.Vehicle) string {
	key := mobile
	if key == "" && v != nil {
		key = crm.NormalizeVIN(v.VIN)
	}
	if key == "" {
		return ""
	}
	name = strings.Join(strings.Fields(name), "")
	sum := sha256.Sum256([]byte(name + "\x00" + key))
	return "row-" + hex.EncodeToString(sum[:10])
}

// built is a crm.Batch made of rows, with the row of each record so that
// crm's field paths ("customers[3].mobile") lead back to a row.
type built struct {
	batch    crm.Batch
	custLine []int
	vehLine  []int
	// rejected are rows left out while building: a VIN another row of
	// the import gave to another customer.
	rejected map[int][]Reason
}

// vinOwners remembers, for the whole import, which customer and row each
// vehicle's external ID went to. It keeps 64-bit hashes of the IDs, not
// the IDs: about 30 bytes a vehicle, so that a million rows cost 30 MB.
// Batches in flight build against it while Run adds the batches delivered.
type vinOwners struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[uint64]vinOwner
}

func newVinOwners() *vinOwners {
	return &vinOwners{seed: maphash.MakeSeed(), m: map[uint64]vinOwner{}}
}

func (v *vinOwners) hash(s string) uint64 { return maphash.String(v.seed, s) }

// see records the vehicles of rows an earlier run imported.
func (v *vinOwners) see(seen []seenVehicle) {
	if len(seen) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range seen {
		v.m[v.hash(s.ext)] = vinOwner{owner: v.hash(s.owner), line: s.line}
	}
}

// keysOf returns the hashes of what two batches written at once must not
// share: the external IDs of the customers and vehicles of recs and their
// VINs, sorted, each once. (A clash between hashes of two different
// keys only makes a batch wait.)
func (v *vinOwners) keysOf(recs []*record) []uint64 {
	keys := make([]uint64, 0, 3*len(recs))
	for _, r := range recs {
		if r.customer.ExternalID != "" { // "": a row without a key, rejected
			keys = append(keys, v.hash(r.customer.ExternalID))
		}
		if r.vehicle != nil {
			keys = append(keys, v.hash(r.vehicle.ExternalID))
			if vin := crm.NormalizeVIN(r.vehicle.VIN); vin != "" {
				keys = append(keys, v.hash(vin))
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// vinOwner is the hashed customer ID and the row of a vehicle.
type vinOwner struct {
	owner uint64
	line  int
}

// build makes the batch of recs, leaving out the rows in skip. A customer
// given by several rows (the same external ID) is taken from the last of
// them; each row still adds its vehicle. A vehicle given by several rows
// under the same customer is taken from the last; under another customer,
// the later row is rejected (import.vin_other_owner), also when the
// earlier row was in an earlier batch of the import.
func build(recs []*record, skip map[int]bool, vins *vinOwners, p *plan) built {
	// Sized for a row of a customer and a vehicle each, the usual file.
	n := len(recs)
	b := built{rejected: map[int][]Reason{}, custLine: make([]int, 0, n), vehLine: make([]int, 0, n),
		batch: crm.Batch{Customers: make([]crm.Customer, 0, n), Vehicles: make([]crm.Vehicle, 0, n)}}
	cust := make(map[string]int, n)
	veh := make(map[string]int, n)
	local := make(map[uint64]vinOwner, n)
	vins.mu.Lock()
	defer vins.mu.Unlock()
	for _, r := range recs {
		line := r.row.Line
		if skip[line] {
			continue
		}
		if r.vehicle != nil {
			ext, owner := vins.hash(r.vehicle.ExternalID), vins.hash(r.customer.ExternalID)
			prev, ok := local[ext]
			if !ok {
				prev, ok = vins.m[ext]
			}
			if ok && prev.owner != owner {
				b.rejected[line] = append(b.rejected[line], Reason{Column: p.headerOf(VehicleVIN), Code: "import.vin_other_owner",
					Params: map[string]string{"line": strconv.Itoa(prev.line)}})
				continue
			}
			local[ext] = vinOwner{owner: owner, line: line}
		}
		if i, ok := cust[r.customer.ExternalID]; ok {
			b.batch.Customers[i], b.custLine[i] = r.customer, line
		} else {
			cust[r.customer.ExternalID] = len(b.batch.Customers)
			b.batch.Customers = append(b.batch.Customers, r.customer)
			b.custLine = append(b.custLine, line)
		}
		if r.vehicle == nil {
			continue
		}
		if i, ok := veh[r.vehicle.ExternalID]; ok {
			b.batch.Vehicles[i], b.vehLine[i] = *r.vehicle, line
			continue
		}
		veh[r.vehicle.ExternalID] = len(b.batch.Vehicles)
		b.batch.Vehicles = append(b.batch.Vehicles, *r.vehicle)
		b.vehLine = append(b.vehLine, line)
	}
	return b
}

// remember records the vehicles of a written batch in vins.
func (b *built) remember(vins *vinOwners) {
	vins.mu.Lock()
	defer vins.mu.Unlock()
	for i, v := range b.batch.Vehicles {
		vins.m[vins.hash(v.ExternalID)] = vinOwner{owner: vins.hash(string(v.OwnerID)), line: b.vehLine[i]}
	}
}

// blame maps crm's error for the batch to the rows it names. It returns
// nil when the error names no record (the dealer does not exist, the
// database is down): the import cannot go on.
func (b *built) blame(err error, p *plan) map[int][]Reason {
	out := map[int][]Reason{}
	add := func(path, rule, detail string) bool {
		section, idx, rest, ok := splitPath(path)
		if !ok {
			return false
		}
		var line int
		var prefix string
		switch {
		case section == "customers" && idx < len(b.custLine):
			line, prefix = b.custLine[idx], "customer."
		case section == "vehicles" && idx < len(b.vehLine):
			line, prefix = b.vehLine[idx], "vehicle."
		default:
			return false
		}
		field := strings.TrimPrefix(rest, "region.")
		if i := strings.IndexAny(field, ".["); i >= 0 {
			field = field[:i]
		}
		r := Reason{Column: p.headerOf(Field(prefix + field)), Code: "rule." + rule, Detail: detail}
		if prefix == "vehicle." && field == "owner_id" {
			r = Reason{Column: p.headerOf(CustomerName), Code: "import.owner_rejected"}
		}
		out[line] = append(out[line], r)
		return true
	}
	if ve, ok := errors.AsType[*crm.ValidationError](err); ok {
		for _, f := range ve.Fields {
			if !add(f.Field, f.Rule, f.Message) {
				return nil
			}
		}
		return out
	}
	if ce, ok := errors.AsType[*crm.ConflictError](err); ok {
		if add(ce.Field, crm.RuleUnique, ce.Error()) {
			return out
		}
	}
	return nil
}

// splitPath splits "vehicles[3].odometer[1].date" into "vehicles", 3 and
// "odometer[1].date".
func splitPath(path string) (section string, idx int, rest string, ok bool) {
	open := strings.IndexByte(path, '[')
	closing := strings.IndexByte(path, ']')
	if open <= 0 || closing < open {
		return "", 0, "", false
	}
	idx, err := strconv.Atoi(path[open+1 : closing])
	if err != nil {
		return "", 0, "", false
	}
	return path[:open], idx, strings.TrimPrefix(path[closing+1:], "."), true
}
