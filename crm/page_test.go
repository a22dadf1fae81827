package crm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllWalksEveryPage(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	var cursors []string
	list := func(after string) (crm.Page[string], error) {
		cursors = append(cursors, after)
		start := 0
		for i, v := range items {
			if v == after {
				start = i + 1
			}
		}
		return crm.NewPage(items[start:min(start+3, len(items))], 2, func(s string) string { return s }), nil
	}
	// NewPage keeps 2 of up to 3 fetched items and points past the last kept.
	got, err := crm.All(context.Background(), func(after string) (crm.Page[string], error) {
		p, err := list(decode(t, after))
		return p, err
	})
	require.NoError(t, err)
	assert.Equal(t, items, got)
	assert.Len(t, cursors, 3, "pages of 2 over 5 items")

	boom := errors.New("boom")
	n := 0
	err = crm.Each(context.Background(), func(after string) (crm.Page[string], error) {
		return crm.Page[string]{Items: []string{"x", "y"}, Next: "more"}, nil
	}, func(*string) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	assert.ErrorIs(t, err, boom, "fn's error stops the walk")
	assert.Equal(t, 3, n)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = crm.All(ctx, list)
	assert.ErrorIs(t, err, context.Canceled)
}

// decode turns a cursor of NewPage back into the ID it points past.
func decode(t *testing.T, cursor string) string {
	t.Helper()
	id, err := crm.PageRequest{After: cursor}.AfterID()
	require.NoError(t, err)
	return id
}
