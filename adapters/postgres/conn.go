package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
)

// A connection that sat idle in the pool while Postgres restarted, or while
// a proxy or firewall dropped it, is dead, and the pool does not know it
// until it is used: the first statement on it fails with EOF or a reset.
// Two things keep such a connection from turning a request into a 503:
//
//   - CheckConn, a pgdriver reset-session hook the host installs, looks at
//     a pooled connection before database/sql hands it out again and
//     discards it when it is dead; database/sql then takes another, and
//     after two dead ones opens a new one. This covers every statement,
//     inside a transaction or not.
//   - InTx runs its transaction again when BEGIN itself fails on a dead
//     connection (without CheckConn, or when a connection died just after
//     the check): nothing of the transaction ran, so running it again is
//     always safe. Each try discards one dead connection; InTx tries at
//     most once per connection the pool held, then once on a new one.
//
// A server that is down fails to connect (connection refused): that is not
// a dead pooled connection, and InTx answers Unavailable at once.

// CheckConn reports a pooled connection that the server or the network has
// closed as driver.ErrBadConn, so that database/sql discards it and uses
// another instead of failing the statement. Install it when opening the
// pool:
//
//	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn),
//		pgdriver.WithResetSessionFunc(postgres.CheckConn)))
//
// The check peeks at the socket without blocking (one system call, no
// round trip); a connection with unexpected data waiting (a server's
// goodbye) is discarded too. On platforms without the peek it reports
// every connection live.
func CheckConn(_ context.Context, cn *pgdriver.Conn) error {
	if !alive(cn.Conn()) {
		return driver.ErrBadConn
	}
	return nil
}

// staleConnError marks the failure to begin a transaction on a pooled
// connection that turned out dead; InTx runs the transaction again.
type staleConnError struct{ err error }

func (e *staleConnError) Error() string { return e.err.Error() }
func (e *staleConnError) Unwrap() error { return e.err }

// beginError translates the failure of BEGIN, marking one on a dead
// pooled connection (see deadConn).
func beginError(err error) error {
	t := translate("begin transaction", err)
	if deadConn(err) {
		return &staleConnError{err: t}
	}
	return t
}

// deadConn reports whether err, from a statement on a pooled connection,
// says the connection itself was dead: closed or reset by the peer, or
// ended by the server with a FATAL error (a restart's "terminating
// connection due to administrator command", 57P01). A failure to connect
// and a cancelled or expired context are not.
func deadConn(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		severity := pgErr.Field('V')
		return severity == "FATAL" || severity == "PANIC"
	}
	return false
}

// staleRetries is how many times InTx begins again after BEGIN failed on a
// dead pooled connection: once per connection idle in the pool (each may
// be dead, and each try discards one), and once more on a new connection.
func (s *Store) staleRetries() int {
	return s.root.DB.Stats().Idle + 1
}
