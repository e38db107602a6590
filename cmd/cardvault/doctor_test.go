package main_test

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// doctorJSON is doctor --json's document.
type doctorJSON struct {
	Healthy bool `json:"healthy"`
	Checks  []struct {
		Check, Status, Detail string
	} `json:"checks"`
}

// runDoctor runs doctor --json on data and decodes its report.
func runDoctor(t *testing.T, data string, env []string, args ...string) (bool, doctorJSON, string) {
	t.Helper()
	ok, out, errOut := runAdmin(t, data, env, append([]string{"doctor", "--json"}, args...)...)
	var rep doctorJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json: %v in %q (stderr %s)", err, out, errOut)
	}
	if ok != rep.Healthy {
		t.Errorf("exit status success %v, report healthy %v: %s", ok, rep.Healthy, out)
	}
	return ok, rep, out + errOut
}

// status returns the status of the named check ("" if absent).
func (r doctorJSON) status(name string) string {
	for _, c := range r.Checks {
		if c.Check == name {
			return c.Status
		}
	}
	return ""
}

// snapshot is every file under dir with its mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b := []byte{}
		if !fi.IsDir() {
			if b, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		m[p] = fi.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if w, ok := after[p]; !ok {
			t.Errorf("doctor removed %s", p)
		} else if v != w {
			t.Errorf("doctor changed %s", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("doctor left %s behind", p)
		}
	}
}

// TestDoctorHealthy: a store a server made passes (exit 0) with every
// check present, and doctor changes nothing in the data directory.
func TestDoctorHealthy(t *testing.T) {
	data, _ := mustStore(t)
	before := snapshot(t, data)
	ok, rep, out := runDoctor(t, data, nil)
	if !ok {
		t.Fatalf("doctor of a healthy store failed: %s", out)
	}
	for _, name := range []string{"config", "permissions", "disk", "store", "migrations", "integrity", "master key", "clock"} {
		st := rep.status(name)
		if st == "" || st == "FAIL" {
			t.Errorf("check %q: %q", name, st)
		}
	}
	for _, name := range []string{"store", "migrations", "integrity", "clock"} {
		if rep.status(name) != "ok" {
			t.Errorf("check %q: %q, want ok: %s", name, rep.status(name), out)
		}
	}
	if rep.status("master key") != "warn" || !strings.Contains(out, "DEVELOPMENT") {
		t.Errorf("development key not warned of: %s", out)
	}
	sameSnapshot(t, before, snapshot(t, data))

	// The human report: one line per check.
	ok, text, _ := runAdmin(t, data, nil, "doctor")
	if !ok || len(strings.Split(strings.TrimSpace(text), "\n")) != len(rep.Checks) || !strings.HasPrefix(text, "ok") {
		t.Errorf("human report (ok %v):\n%s", ok, text)
	}
	sameSnapshot(t, before, snapshot(t, data))

	// A configuration serve would refuse is a problem in the report.
	if ok, rep, out := runDoctor(t, data, nil, "--token-ttl", "0"); ok || rep.status("config") != "FAIL" {
		t.Errorf("--token-ttl 0: %s", out)
	}
}

// TestDoctorWrongKey: another master key fails, and no key is printed.
func TestDoctorWrongKey(t *testing.T) {
	data, _ := mustStore(t)
	dev, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	other := base64.StdEncoding.EncodeToString(raw)
	before := snapshot(t, data)
	ok, rep, out := runDoctor(t, data, []string{"CARDVAULT_MASTER_KEY=" + other})
	if ok || rep.status("master key") != "FAIL" {
		t.Errorf("wrong master key: %s", out)
	}
	for _, k := range []string{other, strings.TrimSpace(string(dev))} {
		if strings.Contains(out, k) {
			t.Errorf("a master key in doctor's output: %s", out)
		}
	}
	sameSnapshot(t, before, snapshot(t, data))

	// The right key, configured: healthy, and no development-key warning.
	ok, rep, out = runDoctor(t, data, []string{"CARDVAULT_MASTER_KEY=" + strings.TrimSpace(string(dev))})
	if !ok || rep.status("master key") != "ok" {
		t.Errorf("right master key: %s", out)
	}
}

// TestDoctorDamaged: a page of the database overwritten fails doctor.
func TestDoctorDamaged(t *testing.T) {
	data, db := mustStore(t)
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4*4096 {
		t.Fatalf("store of %d bytes", len(b))
	}
	// The last page (a table's or an index's): the store opens, quick_check fails.
	copy(b[len(b)-4096:], bytes.Repeat([]byte{0xA5}, 4096))
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, data)
	ok, rep, out := runDoctor(t, data, nil)
	if ok || rep.status("store") != "ok" || rep.status("integrity") != "FAIL" {
		t.Errorf("damaged store: %s", out)
	}
	sameSnapshot(t, before, snapshot(t, data))

	// A truncated file is refused at the store check.
	if err := os.WriteFile(db, b[:4096], 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, rep, out := runDoctor(t, data, nil); ok || rep.status("store") != "FAIL" {
		t.Errorf("truncated store: %s", out)
	}
}

// TestDoctorPermissions: a data directory or database open to others is a
// warning (exit 0); a key file readable by others is a problem.
func TestDoctorPermissions(t *testing.T) {
	data, db := mustStore(t)
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	ok, rep, out := runDoctor(t, data, nil)
	if !ok || rep.status("permissions") != "warn" || !strings.Contains(out, "0755") || !strings.Contains(out, "0644") {
		t.Errorf("loose data directory and database: %s", out)
	}
	if err := os.Chmod(filepath.Join(data, "master.key"), 0o640); err != nil {
		t.Fatal(err)
	}
	if ok, rep, out := runDoctor(t, data, nil); ok || rep.status("permissions") != "FAIL" {
		t.Errorf("key file readable by its group: %s", out)
	}
	// A configured key file, likewise.
	if err := os.Chmod(filepath.Join(data, "master.key"), 0o600); err != nil {
		t.Fatal(err)
	}
	kf := filepath.Join(t.TempDir(), "key")
	k, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, k, 0o604); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(kf, 0o604); err != nil {
		t.Fatal(err)
	}
	if ok, rep, out := runDoctor(t, data, nil, "--master-key-file", kf); ok || rep.status("permissions") != "FAIL" || !strings.Contains(out, kf) {
		t.Errorf("--master-key-file readable by others: %s", out)
	}
}

// TestDoctorOldStore: a store written before the latest migrations passes
// with a warning and is not migrated: its files are byte-identical after.
func TestDoctorOldStore(t *testing.T) {
	var fx struct{ MasterKey string }
	b, err := os.ReadFile("../../sqlite/testdata/v005.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile("../../sqlite/testdata/v005.db")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "cardvault.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, data)
	ok, rep, out := runDoctor(t, data, []string{"CARDVAULT_MASTER_KEY=" + fx.MasterKey})
	if !ok || rep.status("migrations") != "warn" || rep.status("integrity") != "ok" || rep.status("master key") != "warn" {
		t.Errorf("older store: %s", out)
	}
	if strings.Contains(out, fx.MasterKey) {
		t.Errorf("the master key in doctor's output")
	}
	sameSnapshot(t, before, snapshot(t, data))
}

// TestDoctorBesideServer: doctor runs on the store of a running server
// (its WAL open) and finds it healthy; the server keeps serving.
func TestDoctorBesideServer(t *testing.T) {
	data := t.TempDir()
	p := mustStart(t, data)
	p.testKeys(t)
	defer mustStop(t, p)
	if _, err := os.Stat(filepath.Join(data, "cardvault.db-wal")); err != nil {
		t.Fatalf("no WAL beside a running server: %v", err)
	}
	ok, rep, out := runDoctor(t, data, nil)
	if !ok || rep.status("integrity") != "ok" || rep.status("migrations") != "ok" {
		t.Errorf("doctor beside a server: %s", out)
	}
	resp, err := http.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz after doctor: %d", resp.StatusCode)
	}
}

// TestDoctorClockBehind: a store whose newest record is later than the
// system clock fails the clock check.
func TestDoctorClockBehind(t *testing.T) {
	data, db := mustStore(t)
	sdb, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(48 * time.Hour).UnixMilli()
	if _, err := sdb.Exec(`UPDATE accounts SET created_at = ?`, future); err != nil {
		t.Fatal(err)
	}
	if err := sdb.Close(); err != nil {
		t.Fatal(err)
	}
	ok, rep, out := runDoctor(t, data, nil)
	if ok || rep.status("clock") != "FAIL" || !strings.Contains(out, "behind the store's newest record") {
		t.Errorf("clock behind the store: %s", out)
	}
}
