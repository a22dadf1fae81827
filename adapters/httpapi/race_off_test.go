//go:build !race

package httpapi_test

// raceEnabled: the race detector multiplies memory use (shadow memory), so
// tests that bound a process's peak memory only report it.
const raceEnabled = false
