package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/keys"
)

// keyStatus is the JSON of keys status --json.
type keyStatus struct {
	CurrentKEKVersion int  `json:"current_kek_version"`
	Rotating          bool `json:"rotating"`
	KEKs              []struct {
		Version         int    `json:"version"`
		State           string `json:"state"`
		DataKeys        int    `json:"data_keys"`
		FingerprintKeys int    `json:"fingerprint_keys"`
		APISecrets      int    `json:"api_secrets"`
		AuditKeys       int    `json:"audit_keys"`
	} `json:"kek_versions"`
	Accounts []struct {
		Account  string `json:"account"`
		DataKeys []struct {
			Version int `json:"version"`
			Cards   int `json:"cards"`
		} `json:"data_keys"`
	} `json:"accounts"`
}

// run runs the binary and returns stdout and stderr, failing the test on an
// unexpected exit status.
func run(t *testing.T, wantOK bool, args ...string) (string, string) {
	t.Helper()
	cmd := command(nil, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("cardvault %s: %v (want success %v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, wantOK, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// status runs keys status --json and decodes exactly one JSON document.
func status(t *testing.T, data string) keyStatus {
	t.Helper()
	out, _ := run(t, true, "keys", "status", "--json", "--data", data)
	dec := json.NewDecoder(strings.NewReader(out))
	var st keyStatus
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("keys status --json: %v in %q", err, out)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("keys status --json printed more than one JSON document: %q", out)
	}
	return st
}

// TestKeysRotateMasterCommand runs the rotation as an operator does: status,
// rotate-master with both keys, restart with the new key, --finish, and the
// old key refused.
func TestKeysRotateMasterCommand(t *testing.T) {
	data := t.TempDir()
	oldFile, newFile := filepath.Join(t.TempDir(), "old.key"), filepath.Join(t.TempDir(), "new.key")
	for _, f := range []string{oldFile, newFile} {
		if err := os.WriteFile(f, []byte(keys.GenerateMasterKey()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old, nw := "--master-key-file="+oldFile, "--master-key-file="+newFile
	run(t, true, "account", "create", "--data", data, old, "--json")
	run(t, true, "account", "create", "--data", data, old, "--json")

	st := status(t, data)
	if st.CurrentKEKVersion != 1 || st.Rotating || len(st.KEKs) != 1 || st.KEKs[0].State != "current" ||
		st.KEKs[0].DataKeys != 2 || st.KEKs[0].FingerprintKeys != 2 || st.KEKs[0].APISecrets != 4 || len(st.Accounts) != 2 ||
		st.KEKs[0].AuditKeys != 1 {
		t.Errorf("status of a new store: %+v", st)
	}

	run(t, false, "keys", "rotate-master", "--data", data, old)                                               // neither
	run(t, false, "keys", "rotate-master", "--data", data, old, "--finish", "--new-master-key-file", newFile) // both
	_, errOut := run(t, false, "keys", "rotate-master", "--data", data, old, "--new-master-key-file", oldFile)
	if !strings.Contains(errOut, "never used") {
		t.Errorf("rotating to the current key: %s", errOut)
	}
	out, _ := run(t, true, "keys", "rotate-master", "--data", data, old, "--new-master-key-file", newFile)
	if !strings.Contains(out, "KEK version 2") || !strings.Contains(out, "--finish") {
		t.Errorf("rotate-master output: %s", out)
	}
	st = status(t, data)
	if st.CurrentKEKVersion != 2 || !st.Rotating || len(st.KEKs) != 2 || st.KEKs[0].State != "old" || st.KEKs[1].State != "rotating" ||
		st.KEKs[0].DataKeys+st.KEKs[0].FingerprintKeys+st.KEKs[0].APISecrets+st.KEKs[0].AuditKeys != 0 ||
		st.KEKs[1].DataKeys != 2 || st.KEKs[1].FingerprintKeys != 2 || st.KEKs[1].APISecrets != 4 || st.KEKs[1].AuditKeys != 1 {
		t.Errorf("status after rotate-master: %+v", st)
	}
	// Both keys start while the rotation is unfinished; a second run resumes
	// with nothing left to do.
	run(t, true, "account", "list", "--data", data, old)
	run(t, true, "account", "create", "--data", data, nw)
	run(t, true, "account", "create", "--data", data, old) // wraps under KEK 2, which it learns
	run(t, true, "keys", "rotate-master", "--data", data, old, "--new-master-key-file", newFile)

	_, errOut = run(t, false, "keys", "rotate-master", "--finish", "--data", data, old)
	if !strings.Contains(errOut, "finish it with the new master key") {
		t.Errorf("--finish with the old key: %s", errOut)
	}
	run(t, true, "keys", "rotate-master", "--finish", "--data", data, nw)
	// The audit trail verifies under the new key, and records every
	// account creation and the rotation by the operator.
	if out, _ := run(t, true, "audit", "verify", "--data", data, nw); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("audit verify after --finish: %s", out)
	}
	export, _ := run(t, true, "audit", "export", "--since", "2000-01-01", "--data", data)
	for action, n := range map[string]int{"key.account_create": 4, "key.rotate_master.begin": 2, "key.rotate_master.finish": 1} {
		if got := strings.Count(export, `"actor":"operator","action":"`+action+`"`); got != n {
			t.Errorf("%d %s records by the operator, want %d", got, action, n)
		}
	}
	st = status(t, data)
	if st.CurrentKEKVersion != 2 || st.Rotating || st.KEKs[0].State != "retired" || st.KEKs[1].State != "current" ||
		st.KEKs[1].DataKeys != 4 || len(st.Accounts) != 4 {
		t.Errorf("status after --finish: %+v", st)
	}
	_, errOut = run(t, false, "account", "create", "--data", data, old)
	if !strings.Contains(errOut, "rotated out") {
		t.Errorf("a start with the old key after --finish: %s", errOut)
	}
	run(t, true, "account", "create", "--data", data, nw)
}

// TestKeysRotateDataCommand: rotate-data gives the account a second data key
// and keys status shows it; an unknown account is named; status of a
// missing data directory creates nothing.
func TestKeysRotateDataCommand(t *testing.T) {
	data := t.TempDir()
	out, _ := run(t, true, "account", "create", "--data", data, "--json")
	var cr struct{ ID string }
	if err := json.Unmarshal([]byte(out), &cr); err != nil || cr.ID == "" {
		t.Fatalf("account create --json: %q, %v", out, err)
	}
	out, _ = run(t, true, "keys", "rotate-data", "--data", data, "--account", cr.ID)
	if !strings.Contains(out, "data key version 2") {
		t.Errorf("rotate-data output: %s", out)
	}
	run(t, true, "keys", "rotate-data", "--data", data, "--account", cr.ID, "--reencrypt-only")
	_, errOut := run(t, false, "keys", "rotate-data", "--data", data, "--account", "acct_0000000000000000000")
	if !strings.Contains(errOut, "no account acct_") {
		t.Errorf("rotate-data of an unknown account: %s", errOut)
	}
	st := status(t, data)
	if len(st.Accounts) != 1 || len(st.Accounts[0].DataKeys) != 2 || st.Accounts[0].DataKeys[1].Version != 2 {
		t.Errorf("status after rotate-data: %+v", st.Accounts)
	}
	missing := filepath.Join(t.TempDir(), "nothing")
	run(t, false, "keys", "status", "--data", missing)
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keys status created %s: %v", missing, err)
	}
}
