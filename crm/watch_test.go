package crm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watchLog records the lead changes it is told of.
type watchLog struct {
	seen []string
	err  error
}

func (w *watchLog) LeadChanged(_ context.Context, dealer crm.DealerID, id crm.LeadID, l *crm.Lead) error {
	s := string(dealer) + " " + string(id) + " "
	if l == nil {
		s += "deleted"
	} else {
		s += string(l.Level) + " " + string(l.Status)
	}
	w.seen = append(w.seen, s)
	return w.err
}

// TestLeadWatchers: every committed lead write tells the watchers, with
// the lead as written; a failed one does not; a watcher's error is
// logged, and the committed change still answers without error.
func TestLeadWatchers(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }), crm.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, err := svc.CreateDealer(ctx, crm.Dealer{ID: dealerA, Name: "上海4S店"})
	require.NoError(t, err)
	w := &watchLog{}
	svc.AddLeadWatchers(w)

	l, err := svc.CreateLead(ctx, dealerA, crm.Lead{ID: "L1", Name: "李娜", Source: crm.SourceWalkIn})
	require.NoError(t, err)
	_, err = svc.SetLeadLevel(ctx, dealerA, l.ID, crm.LevelA)
	require.NoError(t, err)
	_, err = svc.SetLeadLevel(ctx, dealerA, l.ID, crm.LevelD)
	require.Error(t, err, "D is reached by conversion only")
	_, err = svc.LogFollowUp(ctx, dealerA, l.ID, crm.FollowUp{Channel: crm.ChannelPhone, Level: crm.LevelB})
	require.NoError(t, err)
	_, err = svc.UpdateLead(ctx, dealerA, l.ID, func(x *crm.Lead) error { x.ConsultantID = "S09"; return nil })
	require.NoError(t, err)
	_, err = svc.RequestLost(ctx, dealerA, l.ID, crm.LostReasons()[0], "", "S09")
	require.NoError(t, err)
	_, err = svc.DecideLost(ctx, dealerA, l.ID, true, "M01", "")
	require.NoError(t, err)

	w.err = errors.New("task store down")
	require.NoError(t, svc.DeleteLead(ctx, dealerA, l.ID), "the delete is committed: the watcher's error is not the caller's")
	assert.Equal(t, []string{
		"SH01 L1 N open", "SH01 L1 A open", "SH01 L1 B open", "SH01 L1 B open", "SH01 L1 B open", "SH01 L1 F lost", "SH01 L1 deleted",
	}, w.seen, "one call per committed write, none for the refused level D")
	assert.Contains(t, logs.String(), "task store down", "the watcher's error is logged")
	assert.Contains(t, logs.String(), "lead=L1")
}
