//go:build race

package sqlite

// raceEnabled: the race detector slows the (Go-compiled) SQLite engine about
// twentyfold; tests that need a large table use a smaller one.
const raceEnabled = true
