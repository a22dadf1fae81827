package messages

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/dealercrm/dealercrm/crm"
)

// LogSender is a Sender that delivers nothing: it writes one readable
// line per message to W, the mobile number masked (PIPL), and the
// rendered text when the template is in Templates:
//
//	短信 sms → 138****8000 客户 C1 模板 maintenance_reminder 参数 customer=王先生 due=2026-05-01 键 task:… 「王先生您好…」
//
// With Log set, each line goes to Log instead (Info, message "messages:
// log sender", the line as attribute "line"): the example server logs
// what it would send today. It is safe for concurrent use.
type LogSender struct {
	W         io.Writer
	Log       *slog.Logger
	Templates *Templates

	mu sync.Mutex
	n  int
}

var _ Sender = (*LogSender)(nil)

// NewLogSender returns a LogSender writing to w.
func NewLogSender(w io.Writer, templates *Templates) *LogSender {
	return &LogSender{W: w, Templates: templates}
}

// channelName is each channel's name in the log line.
var channelName = map[crm.Channel]string{
	crm.ChannelSMS: "短信", crm.ChannelWeChat: "微信", crm.ChannelEmail: "邮件", crm.ChannelPhone: "电话", crm.ChannelVisit: "拜访",
}

// Send writes m's line and returns a ProviderID "log-N".
func (l *LogSender) Send(ctx context.Context, m Message) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s → %s 客户 %s 模板 %s", channelName[m.Channel], m.Channel, MaskRecipient(m.Channel, m.Recipient), m.CustomerID, m.Template)
	if len(m.Params) > 0 {
		b.WriteString(" 参数")
		for _, k := range slices.Sorted(maps.Keys(m.Params)) {
			fmt.Fprintf(&b, " %s=%s", k, m.Params[k])
		}
	}
	fmt.Fprintf(&b, " 键 %s", m.Key)
	if l.Templates != nil {
		if t, ok := l.Templates.Get(m.Template); ok {
			fmt.Fprintf(&b, " 「%s」", t.Render(m.Params))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if l.Log != nil {
		l.Log.InfoContext(ctx, "messages: log sender", "line", b.String())
		return Result{ProviderID: fmt.Sprintf("log-%d", l.n)}, nil
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(l.W, b.String()); err != nil {
		return Result{}, fmt.Errorf("messages: log sender: %w", err)
	}
	return Result{ProviderID: fmt.Sprintf("log-%d", l.n)}, nil
}

// MaskRecipient hides most of an address for logs: a mobile number as
// crm.MaskMobile does (138****8000), an e-mail address but its first
// letter and domain, anything else but its last four characters.
func MaskRecipient(ch crm.Channel, r string) string {
	switch {
	case ch == crm.ChannelSMS || ch == crm.ChannelPhone:
		return crm.MaskMobile(r)
	case strings.Contains(r, "@"):
		local, domain, _ := strings.Cut(r, "@")
		if local == "" {
			return "*@" + domain
		}
		return local[:1] + "***@" + domain
	case len(r) <= 4:
		return strings.Repeat("*", len(r))
	}
	return "***" + r[len(r)-4:]
}
