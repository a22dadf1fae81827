package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
)

// WithMessages serves the messages sent through the Sender port (package
// messages, SPEC §8) and takes the customers' replies:
//
//	POST /v1/messages/inbound   a reply from the gateway (messages.inbound: the gateway's key); "T", "TD", "退订" withdraw the channel's marketing consent
//	GET  /v1/messages           the dealer's sends in ID order (messages.read), filtered by status, customer_id, from, to
//
// Recipients are answered masked (138****8000): the list is for seeing
// what was sent, held and refused, not for harvesting numbers.
func WithMessages(svc *messages.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return messageRoutes(svc) }, schemas: messageSchemas})
	}
}

func messageSchemas(r *schemaRegistry) {
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[messages.Send]():          "MessageSend",
		reflect.TypeFor[messages.Message]():       "Message",
		reflect.TypeFor[messages.Result]():        "MessageResult",
		reflect.TypeFor[messages.Reply]():         "MessageReply",
		reflect.TypeFor[messages.InboundResult](): "MessageReplyResult",
		reflect.TypeFor[messages.Purpose]():       "MessagePurpose",
		reflect.TypeFor[messages.Status]():        "MessageStatus",
	})
	addEnum(r, messages.Statuses()...)
	addEnum(r, messages.Purposes()...)
	r.docs["MessageSend"] = "One message through the Sender port: what (channel, purpose, template and parameters), to whom (recipient masked), why (task, campaign), its status (queued, held until next, sent, failed with a retry at next, refused) with the reason code and parameters, the attempts and the Sender's answer."
	r.docs["MessageReply"] = "A customer's reply handed in by the gateway: from (a mobile number for SMS), text, at (now when omitted), channel (sms when omitted)."
	r.docs["MessageReplyResult"] = "What a reply did: whether it was an opt-out, the customers with the sender's number and those whose marketing consent on the channel it withdrew."
}

func messageRoutes(svc *messages.Service) []route {
	params := paged(func(f *messages.Filter) *crm.PageRequest { return &f.PageRequest },
		enumParam("status", "The sends in this status.", func(f *messages.Filter) *messages.Status { return &f.Status }),
		textParam("customer_id", "The sends to this customer.", strings.TrimSpace, func(f *messages.Filter) *crm.CustomerID { return &f.CustomerID }),
		timeParam("from", "The sends created at or after this instant.", func(f *messages.Filter) *time.Time { return &f.From }),
		timeParam("to", "The sends created before this instant.", func(f *messages.Filter) *time.Time { return &f.To }),
	)
	const tag = "Messages"
	return []route{
		command(route{method: http.MethodPost, path: "/v1/messages/inbound", op: "postMessageReply", tag: tag,
			summary: "Hand in a customer's reply: recorded as an inbound interaction of the customers with that number; \"T\", \"TD\" or \"退订\" (trimmed, any case) withdraw their marketing consent on the channel (source sms_reply, the reply's time); an unknown sender changes nothing",
			status:  http.StatusOK},
			func(c *call, in messages.Reply) (messages.InboundResult, error) {
				return svc.Inbound(c.r.Context(), c.dealer, in)
			}),
		query(route{method: http.MethodGet, path: "/v1/messages", op: "listMessages", tag: tag,
			summary: "List the dealer's messages in ID order (oldest first): sent, held (quiet hours, frequency cap), refused (no consent, holdout, reminder limit) and failed, recipients masked",
			status:  http.StatusOK, result: reflect.TypeFor[messages.Send](), list: true},
			params, func(c *call, f messages.Filter) (crm.Page[messages.Send], error) {
				p, err := svc.List(c.r.Context(), c.dealer, f)
				for i := range p.Items {
					p.Items[i].Recipient = messages.MaskRecipient(p.Items[i].Channel, p.Items[i].Recipient)
				}
				return p, err
			}),
	}
}
