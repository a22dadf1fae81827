package pgtest

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Proxy is a TCP proxy between a test's own connection pool and the test
// server, which the test controls: Reset closes every connection through
// it, as a server restart does, and Cut also refuses new ones until
// Restore, as a server that is down does. Only the connections through the
// proxy are touched, so the tests of other packages sharing the server
// are not disturbed.
//
//	p := pgtest.NewProxy(t)
//	db := p.DB(t, 4) // a pool of at most 4 connections through p
//	…
//	p.Cut()
//	time.Sleep(3 * time.Second)
//	p.Restore()
type Proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
	// open counts the proxied connections, peak its highest value.
	open, peak int
	wg         sync.WaitGroup
}

// NewProxy starts a proxy to the test server on a free local port and
// stops it when t ends. It skips t (or fails it) like DB when no server
// answers.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	DB(t) // skips without a server
	u, err := url.Parse(DSN())
	if err != nil || u.Host == "" {
		t.Fatalf("pgtest: proxy: the DSN names no host:port")
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// DSN returns the test server's DSN with the proxy's address, for code
// that opens its own pool (an example server).
func (p *Proxy) DSN() string {
	u, err := url.Parse(DSN())
	if err != nil {
		return ""
	}
	u.Host = p.addr
	return u.String()
}

// DB returns a new pool of at most maxOpen connections to the test server
// through the proxy, closed when t ends; opts come after the test
// settings. Unlike the shared pool of DB it starts empty, so every
// connection it opens goes through the proxy.
func (p *Proxy) DB(t testing.TB, maxOpen int, opts ...pgdriver.Option) *bun.DB {
	t.Helper()
	sqldb := sql.OpenDB(pgdriver.NewConnector(append([]pgdriver.Option{
		pgdriver.WithDSN(DSN()),
		pgdriver.WithAddr(p.addr),
		pgdriver.WithApplicationName("dealercrm-test-proxy"),
		pgdriver.WithDialTimeout(time.Second),
	}, opts...)...))
	sqldb.SetMaxOpenConns(maxOpen)
	sqldb.SetMaxIdleConns(maxOpen)
	db := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Peak returns the most connections that were open through the proxy at
// once: a pool's bound, seen from the server's side.
func (p *Proxy) Peak() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak
}

// Reset closes every connection through the proxy and keeps accepting new
// ones: the pool's idle connections are dead, as after a server restart.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked()
}

// Cut closes every connection through the proxy and refuses new ones
// (connection refused) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	p.dropLocked()
}

// Restore accepts connections again after Cut, on the same address.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serveLocked(ln)
	return nil
}

func (p *Proxy) dropLocked() {
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *Proxy) close() {
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(ln)
}

func (p *Proxy) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed by Cut
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(client)
			}()
		}
	}()
}

// pipe copies between client and a new connection to the server until
// either side closes or the proxy drops them.
func (p *Proxy) pipe(client net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	server, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.target)
	cancel()
	if err != nil {
		_ = client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		// Cut while dialling.
		p.mu.Unlock()
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.open++
	p.peak = max(p.peak, p.open)
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src) // ends when either side is closed
		done <- struct{}{}
	}
	go cp(server, client)
	go cp(client, server)
	<-done
	_ = client.Close()
	_ = server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.open--
	p.mu.Unlock()
}
