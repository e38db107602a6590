package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeParts writes n random parts (the --master-key-file format) to files
// of their own and returns their paths and contents.
func writeParts(t *testing.T, n int) (paths, parts []string) {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		b := make([]byte, 32)
		rand.Read(b)
		part := base64.StdEncoding.EncodeToString(b)
		path := filepath.Join(dir, "part"+string(rune('1'+i)))
		if err := os.WriteFile(path, []byte(part+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths, parts = append(paths, path), append(parts, part)
	}
	return paths, parts
}

// partArgs repeats --master-key-part for each path.
func partArgs(paths ...string) []string {
	var args []string
	for _, p := range paths {
		args = append(args, "--master-key-part", p)
	}
	return args
}

// TestMasterKeyParts: a store made with two parts serves; a restart with the
// same parts in the other order (or given by CARDVAULT_MASTER_KEY_PARTS)
// opens it and reads its customer; a start with one wrong part is refused
// as a wrong master key, and no part reaches the log.
func TestMasterKeyParts(t *testing.T) {
	data := t.TempDir()
	paths, parts := writeParts(t, 2)
	p := mustStartEnv(t, data, nil, partArgs(paths[0], paths[1])...)
	pk, sk := p.testKeys(t)
	cust, ok := createCustomer(p.base, pk, sk, randomPAN(t))
	if !ok {
		t.Fatal("could not create a customer with a card")
	}
	mustStop(t, p)
	if _, err := os.Stat(filepath.Join(data, "master.key")); !os.IsNotExist(err) {
		t.Errorf("a development key was written although the key was given in parts (%v)", err)
	}

	p = mustStartEnv(t, data, nil, partArgs(paths[1], paths[0])...)
	if st, _, raw := call(t, "GET", p.base+"/customers/"+cust, sk, "", nil); st != http.StatusOK || !strings.Contains(raw, `"last_digits"`) {
		t.Errorf("customer after a restart with the parts swapped = %d %s", st, raw)
	}
	mustStop(t, p)
	p = mustStartEnv(t, data, []string{"CARDVAULT_MASTER_KEY_PARTS=" + paths[1] + ":" + paths[0]})
	mustStop(t, p)

	wrong, _ := writeParts(t, 1)
	served, log := runWithKey(t, data, nil, partArgs(paths[0], wrong[0])...)
	if served || !strings.Contains(log, "master key does not open") {
		t.Errorf("one wrong part: served=%v, log %s; want a wrong master key refusal", served, log)
	}
	for _, part := range parts {
		if strings.Contains(log+p.stderr.String()+p.stdout.String(), part) {
			t.Error("a part of the master key reached the output")
		}
	}
}

// TestMasterKeyPartsRefused: what is not split knowledge stops the command
// before it creates anything, naming the reason.
func TestMasterKeyPartsRefused(t *testing.T) {
	paths, _ := writeParts(t, 4)
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte(newMasterKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"one part alone", nil, partArgs(paths[0]), "--master-key-part: 1 part given"},
		{"four parts", nil, partArgs(paths...), "4 parts given; a split master key has at most 3"},
		{"the same part twice", nil, partArgs(paths[0], paths[0]), "are identical and would cancel out"},
		{"parts and a key file", nil, append(partArgs(paths[0], paths[1]), "--master-key-file", keyFile), "both given"},
		{"env parts and env key", []string{"CARDVAULT_MASTER_KEY_PARTS=" + paths[0] + ":" + paths[1], "CARDVAULT_MASTER_KEY=" + newMasterKey()}, nil, "the master key comes from one source"},
	}
	for _, tt := range tests {
		data := t.TempDir()
		served, log := runWithKey(t, data, tt.env, tt.args...)
		if served || !strings.Contains(log, tt.want) {
			t.Errorf("%s: served=%v, log %s; want a refusal saying %q", tt.name, served, log, tt.want)
		}
		if _, db := mustNotExist(data, "cardvault.db"); !db {
			t.Errorf("%s: a store was created", tt.name)
		}
	}
}
