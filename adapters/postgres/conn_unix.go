//go:build unix

package postgres

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// alive peeks at c's socket without blocking: nothing to read means the
// connection is live; end of file, an error or unexpected data (an idle
// Postgres connection receives nothing unasked but a goodbye) mean it is
// not.
func alive(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	live := true
	err = raw.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
			live = true
		case err != nil, n == 0, n > 0:
			live = false
		}
		return true // never wait for the socket to become readable
	})
	return err == nil && live
}
