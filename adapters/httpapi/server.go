package httpapi

import (
	"net/http"
	"time"
)

// NewServer returns an *http.Server for h on addr with timeouts and limits
// suited to this API:
//
//   - ReadHeaderTimeout 10s and MaxHeaderBytes 64 KiB against slow or
//     bloated headers;
//   - ReadTimeout 60s for the whole request, enough for a bulk import at
//     its default 64 MiB limit over a modest link;
//   - WriteTimeout 120s, covering the import's processing and its answer;
//   - IdleTimeout 120s for keep-alive connections.
//
// The caller runs ListenAndServe and Shutdown; NewHandler never owns a
// listener.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
