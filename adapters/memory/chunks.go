package memory

import (
	"math"
	"math/bits"
)

// chunks is an append-only list that never moves what it holds: values
// live in chunks of 4, 8, 16, … up to chunkLen values, then of chunkLen,
// so that a short list stays small and appending to a long one copies
// nothing. A list of values without pointers costs the garbage collector
// nothing however long it is.
type chunks[T any] struct {
	c [][]T
	n int
}

const (
	chunkLen = 512
	// growingChunks is the number of chunks of 4, 8, … chunkLen values,
	// which hold the first grown values of a list.
	growingChunks = 8 // bits.Len(chunkLen / 4)
	grown         = 2*chunkLen - 4
)

func (l *chunks[T]) len() int { return l.n }

// locate returns the chunk and the position in it of value i.
func locate(i int) (int, int) {
	if i < grown {
		k := bits.Len(uint(i+4)) - 3
		return k, i + 4 - 4<<k
	}
	i -= grown
	return growingChunks + i/chunkLen, i % chunkLen
}

// at returns value i (0-based) in place.
func (l *chunks[T]) at(i int) *T {
	k, j := locate(i)
	return &l.c[k][j]
}

func (l *chunks[T]) push(v T) {
	k, _ := locate(l.n)
	if k == len(l.c) {
		size := chunkLen
		if k < growingChunks {
			size = 4 << k
		}
		l.c = append(l.c, make([]T, 0, size))
	}
	l.c[k] = append(l.c[k], v)
	l.n++
}

// text is an append-only store of strings in byte chunks of textChunk
// (the first grows up to it; a longer string gets a chunk of its own), so
// that storing never copies what is stored and holds no pointers.
type text struct{ c [][]byte }

// textRef locates a string: n bytes at off (chunk × 2¹⁶ + position) of a
// text, or, when n is dictRef, entry off of a ledger's dictionary.
type textRef struct{ off, n uint32 }

const (
	textChunk = 1 << 16
	// maxChunks bounds a text (4 GiB) so that offsets fit in a textRef.
	maxChunks = 1<<16 - 1
	dictRef   = math.MaxUint32
)

// room reports whether strings strs more bytes in all can be added.
func (t *text) room(strs, bytes int) bool {
	return len(t.c)+strs+bytes/textChunk < maxChunks && bytes < dictRef
}

// add stores s, which room allowed.
func (t *text) add(s string) textRef {
	if s == "" {
		return textRef{}
	}
	k := len(t.c) - 1
	if k < 0 || len(t.c[k])+len(s) > textChunk {
		size := max(textChunk, len(s))
		if k < 0 {
			size = max(64, len(s))
		}
		t.c = append(t.c, make([]byte, 0, size))
		k++
	}
	pos := len(t.c[k])
	t.c[k] = append(t.c[k], s...)
	return textRef{off: uint32(k)<<16 | uint32(pos), n: uint32(len(s))}
}

// bytes returns the bytes r refers to, in place.
func (t *text) bytes(r textRef) []byte {
	k, pos := r.off>>16, r.off&(textChunk-1)
	return t.c[k][pos : pos+r.n]
}

func (t *text) str(r textRef) string {
	if r.n == 0 {
		return ""
	}
	return string(t.bytes(r))
}

// is reports whether r refers to s, without allocating.
func (t *text) is(r textRef, s string) bool {
	return int(r.n) == len(s) && (r.n == 0 || string(t.bytes(r)) == s)
}
