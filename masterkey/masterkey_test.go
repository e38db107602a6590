package masterkey

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/keys"
)

// Fixed parts and the keys they combine to, computed independently
// (Python: bytes(a^b for a, b in zip(p1, p2))).
const (
	part1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // bytes 0..31
	part2 = "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU=" // 0xa5 × 32
	part3 = "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dw=" // 7i+3
	key12 = "paSnpqGgo6KtrK+uqairqrW0t7axsLOyvby/vrm4u7o="
	key3  = "pq62vr6GjpaW7ub+/vbOxsbONj4+Ji4WFg4Gfn52bmY="
	zero  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)

// write writes each content to a file of its own and returns the paths.
func write(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, "part"+string(rune('1'+i)))
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestPartsKnownAnswer: fixed parts give a fixed key, in any order, with
// or without a trailing newline and in either base64 alphabet.
func TestPartsKnownAnswer(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"two", []string{part1, part2}, key12},
		{"two, swapped", []string{part2, part1}, key12},
		{"two, newlines", []string{part1 + "\n", "\n" + part2 + "\r\n"}, key12},
		{"two, URL alphabet unpadded", []string{part1, strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(part2), "=")}, key12},
		{"three", []string{part1, part2, part3}, key3},
		{"three, reordered", []string{part3, part1, part2}, key3},
	}
	for _, tt := range tests {
		got, err := Parts{Paths: write(t, tt.parts...), Name: "--master-key-part"}.Key()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if b64(got) != tt.want {
			t.Errorf("%s: key %s, want %s", tt.name, b64(got), tt.want)
		}
	}
}

// TestPartsRefused: what is not split knowledge is refused, naming the
// reason, and no error contains a part.
func TestPartsRefused(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"none", nil, "0 part given"},
		{"one part alone", []string{part1}, "1 part given; a split master key has 2 to 3 parts"},
		{"four parts", []string{part1, part2, part3, key12}, "4 parts given; a split master key has at most 3"},
		{"identical", []string{part1, part1}, "parts 1 ("},
		{"identical, third", []string{part1, part2, part2}, "and 3 ("},
		{"all zeros", []string{part1, zero}, "(part 2) is all zeros"},
		{"combine to zero", []string{part1, part2, key12}, "combine to a key of all zeros"},
		{"not base64", []string{part1, "not a key"}, "base64 of exactly 32 bytes"},
		{"half a key", []string{part1, part2[:22]}, "base64 of exactly 32 bytes"},
		{"too long", []string{part1, strings.Repeat("A", maxKeyFile+1)}, "not a key file"},
	}
	for _, tt := range tests {
		paths := write(t, tt.parts...)
		_, err := Parts{Paths: paths, Name: "--master-key-part"}.Key()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one saying %q", tt.name, err, tt.want)
			continue
		}
		for _, p := range tt.parts {
			if len(p) > 8 && strings.Contains(err.Error(), strings.TrimSpace(p)) {
				t.Errorf("%s: the error contains a part: %v", tt.name, err)
			}
		}
	}
	if _, err := (Parts{Paths: []string{write(t, part1)[0], "/nonexistent/part"}, Name: "x"}).Key(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing part file: %v", err)
	}
}

// TestSplit: Split's parts combine to the key; its refusals.
func TestSplit(t *testing.T) {
	key, _ := keys.ParseMasterKey(key3)
	for n := MinParts; n <= MaxParts; n++ {
		ps, err := Split(key, n)
		if err != nil || len(ps) != n {
			t.Fatalf("Split(%d) = %d parts, %v", n, len(ps), err)
		}
		got, err := Parts{Paths: write(t, ps...), Name: "p"}.Key()
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("Split(%d): parts combine to %s, %v; want %s", n, b64(got), err, key3)
		}
	}
	for _, n := range []int{MinParts - 1, MaxParts + 1} {
		if _, err := Split(key, n); err == nil {
			t.Errorf("Split into %d parts succeeded", n)
		}
	}
}

// clearEnv unsets every variable Resolve reads, restoring them after t.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvKey, EnvFile, EnvParts} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// TestResolve: the precedence of the sources and the refusals of mixed
// ones.
func TestResolve(t *testing.T) {
	keyFile := write(t, key3)[0]
	other := write(t, key12)[0]
	parts := write(t, part1, part2, part3)
	tests := []struct {
		name    string
		env     map[string]string
		c       Config
		want    string // the key, or "" for none configured
		wantErr string
	}{
		{"nothing", nil, Config{}, "", ""},
		{"empty variables", map[string]string{EnvKey: "", EnvFile: "", EnvParts: ""}, Config{}, "", ""},
		{"env key", map[string]string{EnvKey: key3}, Config{}, key3, ""},
		{"env file", map[string]string{EnvFile: keyFile}, Config{}, key3, ""},
		{"env key and file agree", map[string]string{EnvKey: key3, EnvFile: keyFile}, Config{}, key3, ""},
		{"env key and file differ", map[string]string{EnvKey: key12, EnvFile: keyFile}, Config{}, "", "hold different master keys"},
		{"env parts", map[string]string{EnvParts: strings.Join(parts, string(os.PathListSeparator))}, Config{}, key3, ""},
		{"env parts, one", map[string]string{EnvParts: parts[0]}, Config{}, "", "CARDVAULT_MASTER_KEY_PARTS: 1 part given"},
		{"env parts, empty name", map[string]string{EnvParts: parts[0] + "::" + parts[1]}, Config{}, "", "part 2 has an empty file name"},
		{"env parts and key", map[string]string{EnvParts: parts[0] + ":" + parts[1], EnvKey: key3}, Config{}, "", "from one source"},
		{"env parts and file", map[string]string{EnvParts: parts[0] + ":" + parts[1], EnvFile: keyFile}, Config{}, "", "from one source"},
		{"flag file beats env", map[string]string{EnvKey: "garbage", EnvFile: "/nonexistent", EnvParts: "/a:/b"}, Config{File: other}, key12, ""},
		{"flag parts beat env", map[string]string{EnvKey: "garbage", EnvFile: "/nonexistent", EnvParts: "/a"}, Config{Parts: parts[:2]}, key12, ""},
		{"flag parts, three", nil, Config{Parts: parts}, key3, ""},
		{"flag parts, one", nil, Config{Parts: parts[:1]}, "", "--master-key-part: 1 part given"},
		{"flag parts, four", nil, Config{Parts: append(parts, keyFile)}, "", "4 parts given"},
		{"flag file and parts", nil, Config{File: keyFile, Parts: parts[:2]}, "", "both given"},
		{"flag file missing", nil, Config{File: "/nonexistent/key"}, "", "--master-key-file /nonexistent/key: no such file"},
	}
	for _, tt := range tests {
		clearEnv(t)
		for k, v := range tt.env {
			os.Setenv(k, v)
		}
		p, err := Resolve(tt.c)
		var got []byte
		if err == nil && p != nil {
			got, err = p.Key()
		}
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want one saying %q", tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "" && p != nil:
			t.Errorf("%s: source %s, want none", tt.name, p)
		case tt.want != "" && b64(got) != tt.want:
			t.Errorf("%s: key %s, want %s", tt.name, b64(got), tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "garbage") {
			t.Errorf("%s: the error shows the variable's value: %v", tt.name, err)
		}
		if v, ok := os.LookupEnv(EnvKey); ok {
			t.Errorf("%s: %s is still in the environment (%q) after Resolve", tt.name, EnvKey, v)
		}
	}
}

// TestEnvKeyRemoved: once resolved, the key is gone from os.Environ, and
// the provider's copy is cleared once read.
func TestEnvKeyRemoved(t *testing.T) {
	clearEnv(t)
	os.Setenv(EnvKey, key3)
	p, err := Resolve(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, EnvKey+"=") || strings.Contains(kv, key3) {
			t.Fatalf("os.Environ still holds the key after Resolve: %s", kv)
		}
	}
	if got, err := p.Key(); err != nil || b64(got) != key3 {
		t.Fatalf("Key() = %s, %v", b64(got), err)
	}
	if _, err := p.Key(); err == nil || !strings.Contains(err.Error(), "already read") {
		t.Errorf("second Key() = %v, want already read (the value is cleared)", err)
	}
}

// TestDev: the development key is made once, then read back; without
// Create a missing one is an error naming the other sources.
func TestDev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := (Dev{Path: path}).Key(); err == nil || !strings.Contains(err.Error(), "--master-key-part") {
		t.Errorf("missing development key without Create: %v", err)
	}
	create := func(path string, b []byte) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		return errors.Join(err, f.Close())
	}
	first, err := Dev{Path: path, Create: create}.Key()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Dev{Path: path, Create: create}.Key()
	if err != nil || !bytes.Equal(first, again) {
		t.Errorf("the development key read back differs: %v", err)
	}
	// Another process makes the file between the read and the create.
	lost := func(p string, _ []byte) error { return errors.Join(create(p, []byte(key3)), os.ErrExist) }
	raced := filepath.Join(t.TempDir(), "master.key")
	if got, err := (Dev{Path: raced, Create: lost}).Key(); err != nil || b64(got) != key3 {
		t.Errorf("after losing the race to create: %s, %v; want the other process's key", b64(got), err)
	}
}
