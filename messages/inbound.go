package messages

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// ConsentSource is the crm.Consent Source of a consent withdrawn by a
// reply.
const ConsentSource = "sms_reply"

// Reply is a message a customer sent back through the gateway.
type Reply struct {
	// Channel is the channel it came on; empty means SMS.
	Channel crm.Channel `json:"channel,omitempty"`
	// From is the sender's address (a mobile number for SMS).
	From string `json:"from"`
	Text string `json:"text"`
	// At is when it was sent; zero means now.
	At time.Time `json:"at,omitzero"`
}

// InboundResult says what a reply did.
type InboundResult struct {
	// OptOut says the text was an opt-out ("T", "TD", "退订").
	OptOut bool `json:"opt_out"`
	// Customers are the dealer's customers with the sender's address;
	// empty for an unknown sender.
	Customers []crm.CustomerID `json:"customers"`
	// Withdrawn are those whose marketing consent on the channel the
	// reply withdrew.
	Withdrawn []crm.CustomerID `json:"withdrawn"`
}

// IsOptOut reports whether text is an opt-out reply: "T", "TD" or "退订",
// trimmed, in any case.
func IsOptOut(text string) bool {
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "T", "TD", "退订":
		return true
	}
	return false
}

// Inbound takes a customer's reply. The dealer's customers whose mobile
// number is From (after crm.NormalizeMobile) each get the reply recorded
// as an inbound crm.Interaction (purpose "reply", the text as its note);
// an opt-out (IsOptOut) also withdraws their marketing consent on the
// reply's channel through crm.Service.SetConsent, with source
// ConsentSource and the reply's time, so the next marketing send is
// refused (ReasonNoConsent). A reply from an unknown sender changes
// nothing and is logged with the number masked. Bad input is a
// *crm.ValidationError.
func (s *Service) Inbound(ctx context.Context, dealer crm.DealerID, r Reply) (InboundResult, error) {
	res := InboundResult{OptOut: IsOptOut(r.Text), Customers: []crm.CustomerID{}, Withdrawn: []crm.CustomerID{}}
	if r.Channel == "" {
		r.Channel = crm.ChannelSMS
	}
	if r.At.IsZero() {
		r.At = s.clock()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	from := crm.NormalizeMobile(r.From)
	var c crm.Checker
	crm.CheckEnum(&c, "channel", r.Channel, crm.Channel.Valid, true)
	if from == "" {
		c.Add("from", crm.RuleRequired, "is required")
	} else if len(from) > 256 {
		c.Add("from", crm.RuleMaxLength, "is longer than 256 bytes")
	}
	if len(r.Text) > 4000 {
		c.Add("text", crm.RuleMaxLength, "is longer than 4000 bytes")
	}
	for f, v := range map[string]string{"from": from, "text": r.Text} {
		if fe, bad := crm.CheckText(f, v); bad {
			c.Append(fe)
		}
	}
	if err := c.Err("reply"); err != nil {
		return res, err
	}
	if _, err := s.crm.GetDealer(ctx, dealer); err != nil {
		return res, fmt.Errorf("messages: inbound for %s: %w", dealer, err)
	}
	var found []crm.Customer
	if crm.CheckMobile(from) {
		err := crm.Each(ctx, func(after string) (crm.Page[crm.Customer], error) {
			return s.crm.ListCustomers(ctx, dealer, crm.CustomerFilter{Mobile: from, PageRequest: crm.PageRequest{After: after}})
		}, func(cu *crm.Customer) error {
			found = append(found, *cu)
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("messages: inbound for %s: %w", dealer, err)
		}
	}
	if len(found) == 0 {
		s.log.InfoContext(ctx, "messages: reply from an unknown sender", "dealer", dealer, "from", MaskRecipient(r.Channel, from),
			"opt_out", res.OptOut, "at", r.At)
		return res, nil
	}
	for _, cu := range found {
		res.Customers = append(res.Customers, cu.ID)
		if _, err := s.crm.CreateInteraction(ctx, dealer, crm.Interaction{CustomerID: cu.ID, Channel: r.Channel, Direction: crm.Inbound,
			Purpose: "reply", Outcome: crm.OutcomeReached, Note: r.Text, At: r.At}); err != nil {
			return res, fmt.Errorf("messages: inbound for %s: %w", cu.ID, err)
		}
		if !res.OptOut {
			continue
		}
		if _, err := s.crm.SetConsent(ctx, dealer, cu.ID, crm.Consent{Purpose: crm.PurposeMarketing, Channel: r.Channel,
			Granted: false, At: r.At, Source: ConsentSource}); err != nil {
			return res, fmt.Errorf("messages: opt-out of %s: %w", cu.ID, err)
		}
		res.Withdrawn = append(res.Withdrawn, cu.ID)
	}
	return res, nil
}
