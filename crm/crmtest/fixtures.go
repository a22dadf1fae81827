package crmtest

import (
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Base is the instant fixture times count from: record n is created n hours
// after it. It has microseconds, which Postgres keeps, and no nanoseconds,
// which it would drop.
var Base = time.Date(2024, 3, 1, 1, 30, 0, 123456000, time.UTC)

// at returns Base plus n hours plus extra.
func at(n int, extra time.Duration) time.Time {
	return Base.Add(time.Duration(n)*time.Hour + extra)
}

// money parses a decimal constant with cents.
func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// record returns the Record of fixture n of a kind: external ID prefix-n,
// created at(n) and updated 90.5 seconds later.
func record(dealer crm.DealerID, prefix string, n int) crm.Record {
	return crm.Record{
		DealerID:   dealer,
		ExternalID: fmt.Sprintf("%s-%04d", prefix, n),
		CreatedAt:  at(n, 0),
		UpdatedAt:  at(n, 90*time.Second+500*time.Millisecond),
	}
}

// VIN returns a valid 17-character VIN with serial number n (modulo
// 1,000,000): a Chinese WMI, a fixed descriptor and the ISO 3779 check digit
// in position 9. Distinct n below 1,000,000 give distinct VINs.
func VIN(n int) string {
	b := []byte(fmt.Sprintf("LSVAB12C0R1%06d", n%1000000))
	b[8] = vinCheckDigit(b)
	return string(b)
}

// vinWeights are the ISO 3779 position weights.
var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinCheckDigit computes position 9 of a 17-character VIN of digits and the
// letters a VIN may hold.
func vinCheckDigit(vin []byte) byte {
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	values := [...]int{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9}
	sum := 0
	for i, c := range vin {
		v := 0
		if c >= '0' && c <= '9' {
			v = int(c - '0')
		}
		for j := range letters {
			if letters[j] == c {
				v = values[j]
			}
		}
		sum += v * vinWeights[i]
	}
	if sum%11 == 10 {
		return 'X'
	}
	return byte('0' + sum%11)
}

// Dealer returns a dealer with ID id, its own lead policy and two brands.
func Dealer(id crm.DealerID) crm.Dealer {
	policy := crm.DefaultLeadPolicy()
	policy.CadenceDays[crm.LevelH] = 3
	return crm.Dealer{
		ID:         id,
		ExternalID: "DLR-" + string(id),
		Name:       "Hangzhou Xihu Volkswagen 4S",
		GroupID:    "",
		TimeZone:   "Asia/Shanghai",
		Brands:     []string{"Volkswagen", "Audi"},
		LeadPolicy: &policy,
		CreatedAt:  Base,
		UpdatedAt:  Base.Add(time.Minute + 250*time.Microsecond),
	}
}

// Customer returns individual customer n of dealer: mobile 138 followed by
// n in eight digits, an ID card number of its own (IDNumber), two hobbies
// and two consents.
func Customer(dealer crm.DealerID, n int) crm.Customer {
	return crm.Customer{
		ID:               crm.CustomerID(dealercrm.NewID()),
		Record:           record(dealer, "C", n),
		Kind:             crm.Individual,
		Name:             fmt.Sprintf("Customer %d", n),
		Mobile:           fmt.Sprintf("138%08d", n),
		IDNumber:         IDNumber(n),
		Gender:           crm.Female,
		Birthday:         dealercrm.NewDate(1985, time.Month(1+n%12), 1+n%28),
		BirthdayCalendar: crm.BirthdayLunar,
		FamilyStage:      crm.YoungChildren,
		Region:           crm.Region{Province: "Zhejiang", City: "Hangzhou", District: "Xihu"},
		Occupation:       "engineer",
		Industry:         "software",
		IncomeBand:       "300k-500k",
		Hobbies:          []string{"golf", "camping"},
		Source:           crm.SourceReferral,
		Consents: []crm.Consent{
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at(n, time.Minute), Source: "sales contract"},
			{Purpose: crm.PurposeServiceReminder, Channel: crm.ChannelWeChat, Granted: false, At: at(n, 2*time.Minute+7*time.Microsecond), Source: "wechat form"},
		},
		ConsultantID: "S-01",
		AdvisorID:    "A-01",
	}
}

// Lead returns open lead n of dealer at level H, with two follow-ups and a
// rejected lost request. It has no customer, referrer or sale.
func Lead(dealer crm.DealerID, n int) crm.Lead {
	return crm.Lead{
		ID:              crm.LeadID(dealercrm.NewID()),
		Record:          record(dealer, "L", n),
		Name:            fmt.Sprintf("Prospect %d", n),
		Mobile:          fmt.Sprintf("139%08d", n),
		Level:           crm.LevelH,
		Status:          crm.LeadOpen,
		ModelOfInterest: "ID.4",
		Source:          crm.SourceWalkIn,
		VisitTrigger:    "test drive event",
		Purchase:        crm.FirstPurchase,
		ExpectedClose:   dealercrm.NewDate(2024, 3, 8),
		ConsultantID:    "S-01",
		FollowUps: []crm.FollowUp{
			{At: at(n, time.Hour), StaffID: "S-01", Channel: crm.ChannelVisit, Note: "test drive", Level: crm.LevelA, Visit: true},
			{At: at(n, 20*time.Hour+3*time.Microsecond), StaffID: "S-01", Channel: crm.ChannelPhone, Note: "first call", Level: crm.LevelH,
				ExpectedClose: dealercrm.NewDate(2024, 3, 8)},
		},
		LastContactAt:  at(n, 20*time.Hour+3*time.Microsecond),
		NextFollowUpAt: at(n, 68*time.Hour+3*time.Microsecond),
		LostRequests: []crm.LostRequest{{
			Reason:       crm.LostFrozen,
			Note:         "postponed",
			RequestedBy:  "S-01",
			RequestedAt:  at(n, 2*time.Hour),
			Decision:     crm.Rejected,
			DecidedBy:    "M-01",
			DecidedAt:    at(n, 3*time.Hour),
			DecisionNote: "keep following",
		}},
	}
}

// Vehicle returns vehicle n of dealer owned by owner (empty for a car in
// stock), with VIN(n) and two odometer readings.
func Vehicle(dealer crm.DealerID, owner crm.CustomerID, n int) crm.Vehicle {
	return crm.Vehicle{
		ID:               crm.VehicleID(dealercrm.NewID()),
		Record:           record(dealer, "V", n),
		VIN:              VIN(n),
		Plate:            fmt.Sprintf("浙A%05d", n%100000),
		Brand:            "Volkswagen",
		Model:            "ID.4",
		Trim:             "Pro",
		OwnerID:          owner,
		PurchaseDate:     dealercrm.NewDate(2023, 5, 10),
		DeliveryDate:     dealercrm.NewDate(2023, 5, 20),
		RegistrationDate: dealercrm.NewDate(2023, 5, 25),
		Price:            money("189900.50"),
		Odometer: []crm.OdometerReading{
			{Date: dealercrm.NewDate(2023, 5, 20), KM: 12, Source: crm.OdometerSale},
			{Date: dealercrm.NewDate(2023, 11, 2), KM: 5012, Source: crm.OdometerService},
		},
	}
}

// Sale returns sale n of dealer: vehicle sold to customer with two
// value-chain items, a trade-in and a negative gross profit. It has no lead.
func Sale(dealer crm.DealerID, customer crm.CustomerID, vehicle crm.VehicleID, n int) crm.Sale {
	return crm.Sale{
		ID:           crm.SaleID(dealercrm.NewID()),
		Record:       record(dealer, "S", n),
		VehicleID:    vehicle,
		CustomerID:   customer,
		ConsultantID: "S-01",
		Date:         dealercrm.NewDate(2024, 3, 2),
		Price:        money("189900.50"),
		GrossProfit:  money("-1200.00"),
		Items: []crm.ValueChainItem{
			{Kind: crm.ItemAccessory, Description: "floor mats", Amount: money("1200.00"), Profit: money("600.00")},
			{Kind: crm.ItemInsurance, Description: "commercial policy", Amount: money("5600.50"), Profit: money("840.10")},
		},
		TradeIn: true,
	}
}

// ServiceOrder returns closed maintenance order n of dealer for vehicle and
// customer.
func ServiceOrder(dealer crm.DealerID, customer crm.CustomerID, vehicle crm.VehicleID, n int) crm.ServiceOrder {
	return crm.ServiceOrder{
		ID:         crm.ServiceOrderID(dealercrm.NewID()),
		Record:     record(dealer, "O", n),
		VehicleID:  vehicle,
		CustomerID: customer,
		Date:       dealercrm.NewDate(2024, 3, 5),
		ClosedDate: dealercrm.NewDate(2024, 3, 6),
		OdometerKM: int64(5012 + n),
		Kind:       crm.ServiceMaintenance,
		Labour:     money("380.00"),
		Parts:      money("420.50"),
		Payer:      crm.PayerCustomer,
		AdvisorID:  "A-01",
		Complaint:  true,
	}
}

// Policy returns commercial insurance policy n of dealer for vehicle and
// customer, a renewal running a year from 2024-05-20.
func Policy(dealer crm.DealerID, customer crm.CustomerID, vehicle crm.VehicleID, n int) crm.InsurancePolicy {
	return crm.InsurancePolicy{
		ID:         crm.PolicyID(dealercrm.NewID()),
		Record:     record(dealer, "P", n),
		VehicleID:  vehicle,
		CustomerID: customer,
		Kind:       crm.Commercial,
		Insurer:    "PICC",
		Start:      dealercrm.NewDate(2024, 5, 20),
		End:        dealercrm.NewDate(2025, 5, 19),
		Premium:    money("5600.50"),
		Renewal:    true,
	}
}

// Interaction returns outbound call n of dealer to customer, at(n) plus
// three hours. It has no lead or vehicle.
func Interaction(dealer crm.DealerID, customer crm.CustomerID, n int) crm.Interaction {
	return crm.Interaction{
		ID:         crm.InteractionID(dealercrm.NewID()),
		Record:     record(dealer, "I", n),
		CustomerID: customer,
		Channel:    crm.ChannelPhone,
		Direction:  crm.Outbound,
		Purpose:    "3DC",
		Outcome:    crm.OutcomeReached,
		Note:       "happy with the car",
		StaffID:    "S-01",
		At:         at(n, 3*time.Hour+11*time.Microsecond),
		TaskKey:    fmt.Sprintf("3dc:%d", n),
	}
}

// Complaint returns resolved complaint n of dealer from customer. It has no
// vehicle or service order.
func Complaint(dealer crm.DealerID, customer crm.CustomerID, n int) crm.Complaint {
	return crm.Complaint{
		ID:          crm.ComplaintID(dealercrm.NewID()),
		Record:      record(dealer, "Q", n),
		CustomerID:  customer,
		Category:    "service quality",
		Severity:    crm.SeverityMedium,
		Description: "car returned dirty",
		Status:      crm.ComplaintResolved,
		Opened:      dealercrm.NewDate(2024, 3, 7),
		Resolved:    dealercrm.NewDate(2024, 3, 9),
	}
}

// Participation returns participation n of dealer: customer attended a
// car-care class, an event with a new ID.
func Participation(dealer crm.DealerID, customer crm.CustomerID, n int) crm.EventParticipation {
	return crm.EventParticipation{
		ID:         crm.ParticipationID(dealercrm.NewID()),
		Record:     record(dealer, "E", n),
		CustomerID: customer,
		EventID:    crm.EventID(dealercrm.NewID()),
		EventName:  "Spring car-care class",
		Date:       dealercrm.NewDate(2024, 4, 13),
		Attended:   true,
	}
}

// IDNumber returns a valid resident ID card number of its own for each n
// below ten million: an area code "33" and n's thousands, the birth date
// 1985-MM-DD of Customer(n), n's last three digits and the check
// character crm.CheckIDNumber accepts.
func IDNumber(n int) string {
	body := fmt.Sprintf("33%04d1985%02d%02d%03d", n/1000%10000, 1+n%12, 1+n%28, n%1000)
	for _, c := range "0123456789X" {
		if id := body + string(c); crm.CheckIDNumber(id) {
			return id
		}
	}
	panic("crmtest: no check character for " + body) // one of the 11 always fits
}
