package httpapi

import (
	"net/http"
	"reflect"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// WithCampaigns adds the routes of package campaign, served by svc:
//
//	POST  /v1/campaigns                                   create a draft campaign
//	GET   /v1/campaigns                                   list campaigns (status, kind)
//	GET   /v1/campaigns/{id}                              a campaign
//	PATCH /v1/campaigns/{id}                              change a draft's plan
//	DELETE /v1/campaigns/{id}                             delete a draft
//	POST  /v1/campaigns/{id}/transitions                  move along draft → approved → running → completed → evaluated
//	POST  /v1/campaigns/{id}/costs                        book a cost line (Idempotency-Key required)
//	POST  /v1/campaigns/{id}/audience                     freeze the audience (consent exclusions, holdout)
//	GET   /v1/campaigns/{id}/members                      the frozen audience, one page at a time
//	POST  /v1/campaigns/{id}/members/{customer}/responses record a response, visit or conversion
//	POST  /v1/campaigns/{id}/attribution                  attribute sales and service orders to members
//	GET   /v1/campaigns/{id}/funnel                       the funnel per segment against its targets
//	GET   /v1/campaigns/{id}/uplift                       contacted vs holdout, with a confidence interval
//	POST  /v1/campaign-segments/preview                   count and sample a segment
//	POST  /v1/campaign-profiles/refresh                   rebuild the profile snapshot segments read
//	GET   /v1/reports/channels                            channel and lead-source effectiveness
//	GET   /v1/reports/value-chain                         accessory sales of a month (2025-03) by model and consultant vs targets
//	PUT   /v1/value-chain-targets                         set accessory targets
func WithCampaigns(svc *campaign.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return campaignRoutes(svc) }, schemas: campaignSchemas})
	}
}

// campaignSchemas registers the enumerations, names and descriptions of the
// campaign types.
func campaignSchemas(r *schemaRegistry) {
	addEnum(r, campaign.Kinds()...)
	addEnum(r, campaign.Statuses()...)
	addEnum(r, campaign.Responded, campaign.Visited, campaign.Converted)
	addEnum(r, campaign.NoConsent)
	addEnum(r, campaign.ConvertedBySale, campaign.ConvertedByService, campaign.ConvertedByRecord)
	addEnum(r, campaign.ByChannel, campaign.BySource, campaign.ByModel, campaign.ByConsultant)
	var fields []campaign.Field
	for _, f := range campaign.Fields() {
		fields = append(fields, f.Field)
	}
	addEnum(r, fields...)
	addEnum[campaign.Op](r, "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "has", "has_any", "has_all", "has_none")
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[campaign.Kind]():             "CampaignKind",
		reflect.TypeFor[campaign.Status]():           "CampaignStatus",
		reflect.TypeFor[campaign.ResponseKind]():     "CampaignResponseKind",
		reflect.TypeFor[campaign.Exclusion]():        "CampaignExclusion",
		reflect.TypeFor[campaign.ConversionKind]():   "CampaignConversionKind",
		reflect.TypeFor[campaign.Dimension]():        "CampaignReportDimension",
		reflect.TypeFor[campaign.Field]():            "SegmentField",
		reflect.TypeFor[campaign.Op]():               "SegmentOperator",
		reflect.TypeFor[campaign.Campaign]():         "Campaign",
		reflect.TypeFor[campaign.CostLine]():         "CampaignCostLine",
		reflect.TypeFor[costInput]():                 "CampaignCostInput",
		reflect.TypeFor[campaign.Target]():           "CampaignTarget",
		reflect.TypeFor[campaign.Segment]():          "CampaignSegment",
		reflect.TypeFor[campaign.Update]():           "CampaignUpdate",
		reflect.TypeFor[campaign.Member]():           "CampaignMember",
		reflect.TypeFor[campaign.Response]():         "CampaignResponse",
		reflect.TypeFor[campaign.Profile]():          "CampaignProfile",
		reflect.TypeFor[campaign.Preview]():          "SegmentPreview",
		reflect.TypeFor[campaign.AudienceSummary]():  "CampaignAudienceSummary",
		reflect.TypeFor[campaign.ExclusionCount]():   "CampaignExclusionCount",
		reflect.TypeFor[campaign.SegmentCount]():     "CampaignSegmentCount",
		reflect.TypeFor[campaign.FunnelReport]():     "CampaignFunnelReport",
		reflect.TypeFor[campaign.FunnelRow]():        "CampaignFunnelRow",
		reflect.TypeFor[campaign.Uplift]():           "CampaignUplift",
		reflect.TypeFor[campaign.Interval]():         "CampaignUpliftInterval",
		reflect.TypeFor[campaign.ChannelReport]():    "ChannelEffectivenessReport",
		reflect.TypeFor[campaign.ChannelRow]():       "ChannelEffectivenessRow",
		reflect.TypeFor[campaign.ValueChainReport](): "ValueChainReport",
		reflect.TypeFor[campaign.ValueChainRow]():    "ValueChainRow",
		reflect.TypeFor[campaign.CategoryAmount]():   "AccessoryCategoryAmount",
		reflect.TypeFor[campaign.AccessoryTarget]():  "AccessoryTarget",
	})
	r.docs["Campaign"] = "A marketing or care campaign: plan, target segments with success rates, channels, budget, cost lines and lifecycle status."
	r.docs["CampaignSegment"] = "A segment: exactly one of and, or, not, or a leaf {field, op, value}. Text fields take eq, ne (a string), in, not_in (a list); number fields (age, vehicle.age in years, vehicle.odometer in km, last_visit in days) eq, ne, lt, lte, gt, gte (an integer) and between ([from, to]); set fields (hobby, abnormal, tag, consent as \"purpose:channel\") has, has_any, has_all, has_none. The empty object matches everyone."
	r.docs["CampaignFunnelRow"] = "One segment's funnel (seed 004): invited is the traffic, converted the successes; percent is the whole percent rounded down."
	r.docs["CampaignUplift"] = "Conversion of contacted members against the holdout; ci is the 95% Newcombe hybrid score interval of the difference."
}

// campaignInput is the body of POST /v1/campaigns.
type campaignInput struct {
	// ID is optional; a new one is made when empty.
	ID              campaign.ID       `json:"id,omitempty"`
	Name            string            `json:"name"`
	Kind            campaign.Kind     `json:"kind"`
	Purpose         crm.Purpose       `json:"purpose,omitempty"`
	Channels        []crm.Channel     `json:"channels"`
	Owner           crm.StaffID       `json:"owner,omitempty"`
	Start           dealercrm.Date    `json:"start"`
	End             dealercrm.Date    `json:"end"`
	AttributionDays int               `json:"attribution_days"`
	Budget          decimal.Decimal   `json:"budget"`
	Targets         []campaign.Target `json:"targets"`
	Holdout         float64           `json:"holdout"`
	Seed            uint64            `json:"seed"`
}

// costInput is the body of POST /v1/campaigns/{id}/costs: a cost line
// without its key, which is the Idempotency-Key header.
type costInput struct {
	// ID names the line; the Idempotency-Key when empty. A line is booked
	// once: the same ID under another key is a conflict.
	ID          string          `json:"id,omitempty"`
	Date        dealercrm.Date  `json:"date"`
	Description string          `json:"description"`
	Amount      decimal.Decimal `json:"amount"`
	Channel     crm.Channel     `json:"channel,omitempty"`
	Source      crm.Source      `json:"source,omitempty"`
}

type campaignTransition struct {
	Status campaign.Status `json:"status"`
}

type campaignAsOf struct {
	// AsOf is the evaluation date; null or absent means today in the dealer's zone.
	AsOf dealercrm.Date `json:"as_of"`
}

type segmentPreviewInput struct {
	Segment campaign.Segment `json:"segment"`
	AsOf    dealercrm.Date   `json:"as_of"`
	// Sample is how many matching profiles to return (0 to 100, default 20).
	Sample *int `json:"sample,omitempty"`
}

type campaignCount struct {
	Count int `json:"count"`
}

type accessoryTargetsInput struct {
	Targets []campaign.AccessoryTarget `json:"targets"`
}

// channelReportQuery is the query of GET /v1/reports/channels.
type channelReportQuery struct{ From, To dealercrm.Date }

func (q *channelReportQuery) validate() error {
	var c crm.Checker
	if q.From.IsZero() || q.To.IsZero() {
		c.Add("from", crm.RuleRequired, "from and to are required")
	}
	return c.Err("query")
}

func campaignRoutes(svc *campaign.Service) []route {
	const tag = "Campaigns"
	id := func(c *call) campaign.ID { return campaign.ID(c.r.PathValue("id")) }
	listParams := paged(func(f *campaign.Filter) *crm.PageRequest { return &f.PageRequest },
		enumParam("status", "Lifecycle status.", func(f *campaign.Filter) *campaign.Status { return &f.Status }),
		enumParam("kind", "Campaign kind.", func(f *campaign.Filter) *campaign.Kind { return &f.Kind }),
	)
	memberParams := paged(func(f *campaign.MemberFilter) *crm.PageRequest { return &f.PageRequest })
	chParams := []filterParam[channelReportQuery]{
		dateParam("from", "First day of the period (required).", func(q *channelReportQuery) *dealercrm.Date { return &q.From }),
		dateParam("to", "Last day of the period (required).", func(q *channelReportQuery) *dealercrm.Date { return &q.To }),
	}
	monthParams := []filterParam[dealercrm.Date]{
		monthParam("month", "The month, YYYY-MM (2025-03), or any day of it YYYY-MM-DD; this month when omitted.", false, func(d *dealercrm.Date) *dealercrm.Date { return d }),
	}
	return []route{
		command(route{method: http.MethodPost, path: "/v1/campaigns", op: "createCampaign", tag: tag, summary: "Create a draft campaign",
			status: http.StatusCreated, location: "the campaign"},
			func(c *call, in campaignInput) (campaign.Campaign, error) {
				k, err := svc.Create(c.r.Context(), c.dealer, campaign.Campaign{ID: in.ID, Name: in.Name, Kind: in.Kind, Purpose: in.Purpose,
					Channels: in.Channels, Owner: in.Owner, Start: in.Start, End: in.End, AttributionDays: in.AttributionDays,
					Budget: in.Budget, Targets: in.Targets, Holdout: in.Holdout, Seed: in.Seed})
				return created(c, "campaigns", k.ID, k, err)
			}),
		query(route{method: http.MethodGet, path: "/v1/campaigns", op: "listCampaigns", tag: tag, summary: "List campaigns in ID order, one page at a time",
			status: http.StatusOK, result: reflect.TypeFor[campaign.Campaign](), list: true},
			listParams, forDealer(svc.List)),
		byID(route{method: http.MethodGet, path: "/v1/campaigns/{id}", op: "getCampaign", tag: tag, summary: "Get a campaign",
			status: http.StatusOK}, svc.Get),
		command(route{method: http.MethodPatch, path: "/v1/campaigns/{id}", op: "updateCampaign", tag: tag,
			summary: "Change a draft campaign's plan; absent fields are left alone", status: http.StatusOK},
			forID(svc.Update)),
		fetch(route{method: http.MethodDelete, path: "/v1/campaigns/{id}", op: "deleteCampaign", tag: tag, summary: "Delete a draft campaign",
			status: http.StatusNoContent},
			func(c *call) (struct{}, error) { return struct{}{}, svc.Delete(c.r.Context(), c.dealer, id(c)) }),
		command(route{method: http.MethodPost, path: "/v1/campaigns/{id}/transitions", op: "transitionCampaign", tag: tag,
			summary: "Move a campaign along draft → approved → running → completed → evaluated (evaluating attributes conversions)",
			status:  http.StatusOK},
			func(c *call, in campaignTransition) (campaign.Campaign, error) {
				return svc.Transition(c.r.Context(), c.dealer, id(c), in.Status)
			}),
		command(route{method: http.MethodPost, path: "/v1/campaigns/{id}/costs", op: "addCampaignCost", tag: tag, keyRequired: true,
			summary: "Book an actual cost line on a running or completed campaign, dated by today; the Idempotency-Key header makes a retry book nothing twice, and a line ID is booked once whatever the key",
			status:  http.StatusOK},
			func(c *call, in costInput) (campaign.Campaign, error) {
				k, replayed, err := svc.BookCost(c.r.Context(), c.dealer, id(c), campaign.CostLine{ID: in.ID, Date: in.Date,
					Description: in.Description, Amount: in.Amount, Channel: in.Channel, Source: in.Source, Key: c.key})
				c.markReplayed(err == nil && replayed)
				return k, err
			}),
		command(route{method: http.MethodPost, path: "/v1/campaigns/{id}/audience", op: "freezeCampaignAudience", tag: tag, heavy: true,
			summary: "Freeze the audience: match the target segments, exclude customers without consent for the channels, keep the holdout out",
			status:  http.StatusCreated},
			func(c *call, in campaignAsOf) (campaign.AudienceSummary, error) {
				return svc.Freeze(c.r.Context(), c.dealer, id(c), in.AsOf)
			}),
		query(route{method: http.MethodGet, path: "/v1/campaigns/{id}/members", op: "listCampaignMembers", tag: tag,
			summary: "The frozen audience in customer ID order, one page at a time",
			status:  http.StatusOK, result: reflect.TypeFor[campaign.Member](), list: true},
			memberParams, forID(svc.ListMembers)),
		command(route{method: http.MethodPost, path: "/v1/campaigns/{id}/members/{customer}/responses", op: "recordCampaignResponse", tag: tag,
			summary: "Record a contacted member's response, visit or conversion (the first date of each is kept)",
			status:  http.StatusOK},
			func(c *call, in campaign.Response) (campaign.Member, error) {
				return svc.RecordResponse(c.r.Context(), c.dealer, id(c), crm.CustomerID(c.r.PathValue("customer")), in)
			}),
		fetch(route{method: http.MethodPost, path: "/v1/campaigns/{id}/attribution", op: "attributeCampaign", tag: tag, heavy: true,
			summary: "Attribute the first sale or service order inside the attribution window to each member (contacted and holdout)",
			status:  http.StatusOK},
			func(c *call) (campaignCount, error) {
				n, err := svc.Attribute(c.r.Context(), c.dealer, id(c))
				return campaignCount{Count: n}, err
			}),
		byID(route{method: http.MethodGet, path: "/v1/campaigns/{id}/funnel", op: "getCampaignFunnel", tag: tag, heavy: true,
			summary: "Invited → responded → visited → converted per segment, against each segment's target (seed 004)",
			status:  http.StatusOK}, svc.Funnel),
		byID(route{method: http.MethodGet, path: "/v1/campaigns/{id}/uplift", op: "getCampaignUplift", tag: tag, heavy: true,
			summary: "Conversion of contacted members against the holdout, with a 95% confidence interval",
			status:  http.StatusOK}, svc.Uplift),
		command(route{method: http.MethodPost, path: "/v1/campaign-segments/preview", op: "previewSegment", tag: tag, heavy: true,
			summary: "Count the customers a segment selects and return a sample; errors name the JSON path (segment.and[2].value)",
			status:  http.StatusOK},
			func(c *call, in segmentPreviewInput) (campaign.Preview, error) {
				sample := 20
				if in.Sample != nil {
					sample = *in.Sample
				}
				return svc.Preview(c.r.Context(), c.dealer, in.Segment, in.AsOf, sample)
			}),
		command(route{method: http.MethodPost, path: "/v1/campaign-profiles/refresh", op: "refreshCampaignProfiles", tag: tag, heavy: true,
			summary: "Rebuild the per-customer profile snapshot segments are evaluated on",
			status:  http.StatusOK},
			func(c *call, in campaignAsOf) (campaignCount, error) {
				n, err := svc.RefreshProfiles(c.r.Context(), c.dealer, in.AsOf)
				return campaignCount{Count: n}, err
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/channels", op: "getChannelReport", tag: tag, heavy: true,
			summary: "Channel and lead-source effectiveness over a period: cost, responses, visits, leads, sales, cost per lead and sale, revenue, ROI",
			status:  http.StatusOK},
			chParams, func(c *call, q channelReportQuery) (campaign.ChannelReport, error) {
				return svc.Channels(c.r.Context(), c.dealer, crm.DateRange{From: q.From, To: q.To})
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/value-chain", op: "getValueChainReport", tag: tag, heavy: true,
			summary: "Accessory (精品) sales of a month by model and by sales consultant against targets, with completion rates",
			status:  http.StatusOK},
			monthParams, forDealer(svc.ValueChain)),
		command(route{method: http.MethodPut, path: "/v1/value-chain-targets", op: "setValueChainTargets", tag: tag,
			summary: "Set monthly accessory targets per model or consultant (replacing the same month, dimension and key)",
			status:  http.StatusNoContent},
			func(c *call, in accessoryTargetsInput) (struct{}, error) {
				return struct{}{}, svc.SetAccessoryTargets(c.r.Context(), c.dealer, in.Targets)
			}),
	}
}
