// Package messagestest is the conformance suite of package messages:
// RunStoreTests checks a messages.Store, RunServiceTests runs the
// worked examples of the send-time checks (quiet hours, frequency cap,
// consent re-check, opt-out by "退订", holdout, the two-reminder limit, a
// retried failure) on a whole backend. Every backend (adapters/memory,
// adapters/postgres) runs both. Import it from tests only.
package messagestest
