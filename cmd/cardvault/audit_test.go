package main_test

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	binenc "encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/storetest"
)

// writeKeyFile writes master in the --master-key-file format and returns the
// file's path.
func writeKeyFile(t *testing.T, master []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(master)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// auditVerify runs cardvault audit verify on the SQLite file at path with
// the master key in keyFile and returns its exit status and output.
func auditVerify(t *testing.T, path, keyFile string) (int, string) {
	t.Helper()
	cmd := command(nil, "audit", "verify", "--data", filepath.Dir(path), "--db", path, "--master-key-file", keyFile)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String() + errb.String()
	}
	t.Fatalf("audit verify: %v", err)
	return -1, ""
}

// mustVerifyAudit runs audit verify and fails unless the chain is intact.
func mustVerifyAudit(t *testing.T, what, path, keyFile string) {
	t.Helper()
	if code, out := auditVerify(t, path, keyFile); code != 0 || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("audit verify %s: exit %d\n%s", what, code, out)
	}
}

// wantBroken runs audit verify and wants exit status 2 naming record seq.
func wantBroken(t *testing.T, what, path, keyFile string, seq int64) {
	t.Helper()
	code, out := auditVerify(t, path, keyFile)
	if code != 2 || !strings.Contains(out, "BROKEN: audit record "+strconv.FormatInt(seq, 10)+":") {
		t.Errorf("audit verify after %s: exit %d, want 2 naming record %d\n%s", what, code, seq, out)
	}
}

// TestAuditVerifyCommand: audit verify exits 0 on an intact chain; after a
// record is changed in the database file, deleted, or two records swap
// places, it exits 2 naming the first broken record; put back, the chain
// verifies again. audit export writes every record as one JSON line.
func TestAuditVerifyCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	master := make([]byte, keys.KeySize)
	rand.Read(master)
	keyFile := writeKeyFile(t, master)
	v := mustOpenVault(t, path, master)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	for range 3 {
		storetest.MustCustomer(t, v, s, storetest.MustToken(t, v, s, storetest.Visa).ID)
	}
	mustVerifyAudit(t, "of an intact chain", path, keyFile)

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int64
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n < 8 {
		t.Fatalf("%d audit records, %v; want at least 8", n, err)
	}

	// A changed field.
	var object string
	db.QueryRowContext(t.Context(), `SELECT object FROM audit_log WHERE seq = 5`).Scan(&object)
	sqlExec(`UPDATE audit_log SET object = 'cust_test_0000000000000000000' WHERE seq = 5`)
	wantBroken(t, "changing record 5's object", path, keyFile, 5)
	sqlExec(`UPDATE audit_log SET object = ? WHERE seq = 5`, object)
	sqlExec(`UPDATE audit_log SET at = at + 1 WHERE seq = 6`)
	wantBroken(t, "changing record 6's time by 1 ms", path, keyFile, 6)
	sqlExec(`UPDATE audit_log SET at = at - 1 WHERE seq = 6`)
	mustVerifyAudit(t, "with the records put back", path, keyFile)

	// A deleted record.
	sqlExec(`CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE seq = 4`)
	sqlExec(`DELETE FROM audit_log WHERE seq = 4`)
	wantBroken(t, "deleting record 4", path, keyFile, 4)
	sqlExec(`INSERT INTO audit_log SELECT * FROM saved`)
	mustVerifyAudit(t, "with record 4 back", path, keyFile)

	// Two records swapped (each takes the other's place in the order).
	sqlExec(`UPDATE audit_log SET seq = -2 WHERE seq = 2`)
	sqlExec(`UPDATE audit_log SET seq = 2 WHERE seq = 3`)
	sqlExec(`UPDATE audit_log SET seq = 3 WHERE seq = -2`)
	wantBroken(t, "swapping records 2 and 3", path, keyFile, 2)
	sqlExec(`UPDATE audit_log SET seq = -2 WHERE seq = 2`)
	sqlExec(`UPDATE audit_log SET seq = 2 WHERE seq = 3`)
	sqlExec(`UPDATE audit_log SET seq = 3 WHERE seq = -2`)
	mustVerifyAudit(t, "with records 2 and 3 back in order", path, keyFile)

	// A MAC copied from another record.
	sqlExec(`UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE seq = 1) WHERE seq = 7`)
	wantBroken(t, "copying record 1's MAC onto record 7", path, keyFile, 7)

	// The key scan finds a key where there is one.
	known := knownKeys(t, path, master)
	planted := t.TempDir()
	os.WriteFile(filepath.Join(planted, "a"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(planted, "b"), append([]byte("prefix"), known["audit key"]...), 0o600)
	if found := findKeys(t, planted, known); len(found) != 1 || !strings.Contains(found[0], "audit key") {
		t.Errorf("key scan of a file holding the audit key found %v", found)
	}
	scanForKeys(t, filepath.Dir(path), known)

	// Export: one JSON line per record, in order, needing no master key.
	cmd := command(nil, "audit", "export", "--since", "2000-01-01", "--data", filepath.Dir(path), "--db", path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("audit export: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	var seqs []int64
	for sc.Scan() {
		var rec struct {
			Seq    int64  `json:"seq"`
			At     string `json:"at"`
			Action string `json:"action"`
			MAC    string `json:"mac"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Action == "" || len(rec.MAC) != 44 || rec.At == "" {
			t.Fatalf("audit export line %q: %v", sc.Text(), err)
		}
		seqs = append(seqs, rec.Seq)
	}
	if int64(len(seqs)) != n || seqs[0] != 1 || seqs[len(seqs)-1] != n {
		t.Errorf("audit export wrote %d records (%v…), want %d from 1", len(seqs), seqs[:min(3, len(seqs))], n)
	}
	if out, err := command(nil, "audit", "export", "--since", "2999-01-01", "--data", filepath.Dir(path), "--db", path).Output(); err != nil || len(out) != 0 {
		t.Errorf("audit export of the future: %q, %v; want nothing", out, err)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--since", "2026-12-01", "--until", "2026-12-01"}} {
		if err := command(nil, append([]string{"audit", "export", "--data", filepath.Dir(path), "--db", path}, bad...)...).Run(); err == nil {
			t.Errorf("audit export %v succeeded", bad)
		}
	}
}

// knownKeys returns every key the store at path holds wrapped under the KEK
// of master, unwrapped here independently of keys/ (the wrap format of
// docs/DESIGN.md), with the master key and its KEK: what must never be found
// in the clear in the data directory.
func knownKeys(t *testing.T, path string, master []byte) map[string][]byte {
	t.Helper()
	kek, err := hkdf.Key(sha256.New, master, nil, "cardvault/kek/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(kek)
	gcm, _ := cipher.NewGCM(block)
	out := map[string][]byte{"master key": master, "KEK": kek}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unwrap := func(name string, wrapped []byte, purpose, owner string, version int) {
		t.Helper()
		if len(wrapped) < 17+16 || wrapped[0] != 2 {
			t.Fatalf("%s: not a scheme-2 wrapping", name)
		}
		aad := append([]byte("cardvault/wrap\x00"), wrapped[:5]...)
		for _, s := range []string{purpose, owner} {
			aad = binenc.BigEndian.AppendUint32(aad, uint32(len(s)))
			aad = append(aad, s...)
		}
		aad = binenc.BigEndian.AppendUint32(aad, uint32(version))
		raw, err := gcm.Open(nil, wrapped[5:17], wrapped[17:], aad)
		if err != nil {
			t.Fatalf("%s does not open under the KEK: %v", name, err)
		}
		out[name] = raw
	}
	query := func(q string, scan func(*sql.Rows)) {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			scan(rows)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	query(`SELECT account_id, version, wrapped FROM data_keys`, func(r *sql.Rows) {
		var acct string
		var v int
		var w []byte
		r.Scan(&acct, &v, &w)
		unwrap("data key "+acct+" v"+strconv.Itoa(v), w, "data-key", acct, v)
	})
	query(`SELECT account_id, wrapped FROM fingerprint_keys`, func(r *sql.Rows) {
		var acct string
		var w []byte
		r.Scan(&acct, &w)
		unwrap("fingerprint key "+acct, w, "fingerprint-key", acct, 1)
	})
	query(`SELECT hash, sealed_secret FROM api_keys WHERE sealed_secret IS NOT NULL`, func(r *sql.Rows) {
		var hash, w []byte
		r.Scan(&hash, &w)
		unwrap("API secret of "+strconv.Quote(base64.RawURLEncoding.EncodeToString(hash[:6])), w, "api-secret", string(hash), 1)
	})
	query(`SELECT wrapped FROM audit_key`, func(r *sql.Rows) {
		var w []byte
		r.Scan(&w)
		unwrap("audit key", w, "audit-key", "", 1)
	})
	if _, ok := out["audit key"]; !ok {
		t.Fatal("the store has no audit key")
	}
	return out
}

// scanForKeys fails if any file in dir holds one of the keys' bytes (raw,
// or base64 encoded).
func scanForKeys(t *testing.T, dir string, secrets map[string][]byte) {
	t.Helper()
	for _, f := range findKeys(t, dir, secrets) {
		t.Error(f)
	}
}

// findKeys returns what scanForKeys fails for.
func findKeys(t *testing.T, dir string, secrets map[string][]byte) []string {
	t.Helper()
	var found []string
	files := 0
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for name, k := range secrets {
			for _, enc := range [][]byte{k, []byte(base64.StdEncoding.EncodeToString(k)), []byte(base64.RawURLEncoding.EncodeToString(k))} {
				if bytes.Contains(b, enc) {
					found = append(found, filepath.Base(path)+" holds the "+name+" unwrapped")
				}
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("scanned %d files in %s", files, dir)
	}
	return found
}

// allAudit returns every record of a store's audit trail.
func allAudit(t *testing.T, s cardvault.Store) []cardvault.AuditRecord {
	t.Helper()
	var all []cardvault.AuditRecord
	for {
		f := cardvault.AuditFilter{Limit: cardvault.MaxAuditPage}
		if len(all) > 0 {
			f.After = all[len(all)-1].Seq
		}
		page, err := s.AuditRecords(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}
