package memory

import (
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChunksKeepValuesInPlace pushes past the growing chunks and checks
// that every value is found where it was pushed, that chunks have the
// sizes 4, 8, … chunkLen, chunkLen, and that no value moves while the
// list grows.
func TestChunksKeepValuesInPlace(t *testing.T) {
	require.Equal(t, growingChunks, bits.Len(chunkLen/4))
	var l chunks[int]
	// Well past 64 chunks, where 4 << k would overflow.
	const n = 100*chunkLen + grown + 7
	first := (*int)(nil)
	for i := range n {
		l.push(i)
		if i == 0 {
			first = l.at(0)
		}
	}
	assert.Equal(t, n, l.len())
	assert.Same(t, first, l.at(0), "the first value never moved")
	for i := range n {
		require.Equal(t, i, *l.at(i), "value %d", i)
	}
	for k, c := range l.c {
		if k < len(l.c)-1 {
			assert.Equal(t, cap(c), len(c), "chunk %d is full", k)
		}
		want := chunkLen
		if k < growingChunks {
			want = 4 << k
		}
		assert.Equal(t, want, cap(c), "chunk %d", k)
	}
}

// TestTextRefsSurviveGrowth stores strings of every size around the chunk
// size, including one longer than a chunk, and reads each back.
func TestTextRefsSurviveGrowth(t *testing.T) {
	var tx text
	var refs []textRef
	var want []string
	for i, size := range []int{0, 1, 63, 64, 65, textChunk - 1, textChunk, textChunk + 1, 3, 5 * textChunk, 7} {
		s := string(make([]byte, size))
		if size > 0 {
			b := []byte(s)
			b[0], b[size-1] = byte('a'+i), byte('A'+i)
			s = string(b)
		}
		require.True(t, tx.room(1, len(s)))
		refs, want = append(refs, tx.add(s)), append(want, s)
	}
	for i, r := range refs {
		assert.Equal(t, want[i], tx.str(r), "string %d", i)
		assert.True(t, tx.is(r, want[i]))
		assert.False(t, tx.is(r, want[i]+"x"))
	}
}
