package main_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeConfigRefused: an invalid configuration stops serve before it
// touches the data directory, naming the setting; nothing is mended silently.
func TestServeConfigRefused(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"burst 0", nil, []string{"--rate-burst", "0"}, "burst 0: must be from 1 to 1000000"},
		{"rate below one an hour", nil, []string{"--rate-limit", "1e-300"}, "rate limit 1e-300: must be 0"},
		{"negative rate from the environment", []string{"CARDVAULT_RATE_LIMIT=-1"}, nil, "rate limit -1"},
		{"ttl 0", nil, []string{"--token-ttl", "0s"}, "--token-ttl 0s: must be positive"},
	}
	for _, tt := range tests {
		data := t.TempDir()
		served, _, stderr := runOnce(t, data, tt.env, tt.args...)
		if served || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: served=%v, stderr %s; want a refusal saying %q", tt.name, served, stderr, tt.want)
		}
		if _, db := mustNotExist(data, "cardvault.db"); !db {
			t.Errorf("%s: a store was created although the configuration is invalid", tt.name)
		}
	}
}

// TestRateLimitZeroIsUnlimited: --rate-limit 0 turns every bucket off, even
// with a burst of 1.
func TestRateLimitZeroIsUnlimited(t *testing.T) {
	p := mustStart(t, t.TempDir(), "--rate-burst", "1") // mustStart passes --rate-limit 0
	pk, sk := p.testKeys(t)
	for i := range 20 {
		if st, _, raw := call(t, "POST", p.base+"/tokens", pk, "", tokenForm("4242424242424242")); st != http.StatusOK {
			t.Fatalf("token %d with --rate-limit 0 = %d %s", i+1, st, raw)
		}
		if st, _, raw := call(t, "GET", p.base+"/api/v3/customer", pk, sk, nil); st != http.StatusOK {
			t.Fatalf("ChargeOver list %d with --rate-limit 0 = %d %s", i+1, st, raw)
		}
	}
}

// mustNotExist reports the path of name in dir and whether it does not exist.
func mustNotExist(dir, name string) (string, bool) {
	path := filepath.Join(dir, name)
	_, err := os.Stat(path)
	return path, errors.Is(err, os.ErrNotExist)
}
