package dealercrm

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// NewID returns a new random identifier in the UUID version 7 layout: 48 bits
// of Unix milliseconds followed by random bits, formatted as 36 lowercase
// characters. IDs made later sort after IDs made earlier (byte order), which
// keeps B-tree inserts local and gives cursor pagination a stable order.
// Within one process, IDs are strictly increasing.
func NewID() string {
	idMu.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= idLastMS {
		// Same millisecond (or a clock step back): keep order by counting on
		// from the last timestamp instead of trusting the clock.
		ms = idLastMS
		idSeq++
		if idSeq > 0xfff {
			ms++
			idSeq = 0
		}
	} else {
		idSeq = 0
	}
	idLastMS = ms
	seq := idSeq
	idMu.Unlock()

	var b [16]byte
	_, _ = rand.Read(b[8:])
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	b[6] = 0x70 | byte(seq>>8)&0x0f
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

var (
	idMu     sync.Mutex
	idLastMS uint64
	idSeq    uint64
)
