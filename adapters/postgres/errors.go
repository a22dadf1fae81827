package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/uptrace/bun/driver/pgdriver"
)

// SQLSTATE codes the adapter acts on.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// Messages users see for failures without domain meaning.
const (
	msgClash       = "concurrent transactions clashed; retry"
	msgUnavailable = "the database is unavailable; retry later"
)

// sqlState returns the SQLSTATE of the first Postgres error in err's chain,
// or "".
func sqlState(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}

// dbError is a storage failure that has no domain meaning (a lost
// connection, a bug, a value Postgres rejects). Its code and the message end
// users see (dealercrm.ErrorMessage) come from public; Error() and Unwrap
// keep the driver's error for logs and errors.Is(err, context.Canceled).
type dbError struct {
	op     string
	public *dealercrm.Error
	// retry marks serialization failures and deadlocks, which InTx retries.
	retry bool
	err   error
}

func (e *dbError) Error() string             { return "postgres: " + e.op + ": " + e.err.Error() }
func (e *dbError) ErrorCode() dealercrm.Code { return e.public.Code }
func (e *dbError) Unwrap() []error           { return []error{e.public, e.err} }
func newDBError(op string, code dealercrm.Code, msg string, retry bool, err error) error {
	return &dbError{op: op, public: &dealercrm.Error{Code: code, Message: msg}, retry: retry, err: err}
}

// translate turns a driver error into an error with a dealercrm code; what
// names the operation and the entity ("create customer"). Errors that
// already carry a code pass unchanged, nil gives nil. It decides by the
// SQLSTATE alone, never by error text or constraint names (Citus does not
// pass those on from its workers), and the messages users see
// (dealercrm.ErrorMessage) name no SQLSTATE, constraint, table or store:
//
//   - no rows: NotFound;
//   - unique violation (23505): Conflict, naming nothing. Writes find taken
//     keys before they write (insert or detect: see repo.Create), so this is
//     only the race of two writers of one key;
//   - serialization failure (40001), deadlock (40P01): Conflict, retried by InTx;
//   - connection failures, server shutdown, cancelled statements and
//     contexts: Unavailable;
//   - data exceptions (22xxx), not-null and check violations: Invalid;
//   - everything else: Internal.
func translate(what string, err error) error {
	if err == nil {
		return nil
	}
	var coded dealercrm.Coder
	if errors.As(err, &coded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return dealercrm.Errorf(dealercrm.NotFound, "%s: not found", what)
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		state := pgErr.Field('C')
		switch {
		case state == uniqueViolation:
			// The driver's detail holds the key's values (personal data)
			// and is not kept.
			return dealercrm.Errorf(dealercrm.Conflict, "%s: a unique value was taken by another write at the same time; retry or change it", what)
		case state == serializationFailure || state == deadlockDetected:
			return newDBError(what, dealercrm.Conflict, msgClash, true, err)
		case strings.HasPrefix(state, "08"), strings.HasPrefix(state, "53"),
			state == "57P01", state == "57P02", state == "57P03", state == "57014":
			return newDBError(what, dealercrm.Unavailable, msgUnavailable, false, err)
		case strings.HasPrefix(state, "22"), state == "23502", state == "23514":
			return newDBError(what, dealercrm.Invalid, what+": a value is out of range or not valid for the database", false, err)
		}
		return newDBError(what, dealercrm.Internal, "internal error", false, err)
	}
	if unavailable(err) {
		return newDBError(what, dealercrm.Unavailable, msgUnavailable, false, err)
	}
	return newDBError(what, dealercrm.Internal, "internal error", false, err)
}

// unavailable reports whether err means the database could not be reached
// or the caller gave up waiting.
func unavailable(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &netErr)
}

// retryable reports whether err is a serialization failure or a deadlock,
// after which the whole transaction may be run again.
func retryable(err error) bool {
	var de *dbError
	if errors.As(err, &de) {
		return de.retry
	}
	s := sqlState(err)
	return s == serializationFailure || s == deadlockDetected
}

// notFound is the error of a missing record.
func notFound(kind string, id any) error {
	return dealercrm.Errorf(dealercrm.NotFound, "%s %v not found", kind, id)
}
