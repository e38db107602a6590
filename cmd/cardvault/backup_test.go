package main_test

import (
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ackedCard is a card the server acknowledged: how to read it back and what
// it must show.
type ackedCard struct {
	path  string // GET path
	omise bool   // an Omise customer (else a ChargeOver credit card)
	last4 string
	bin   string // ChargeOver: the first 6 digits
	fp    string // Omise: the fingerprint the token showed
	acked time.Time
}

// backupLoad creates cards through both dialects from several clients until
// stop is closed, recording every acknowledged card with the time its answer
// arrived, and every failed request (none may fail).
type backupLoad struct {
	mu    sync.Mutex
	cards []ackedCard
	errs  []error
	wg    sync.WaitGroup
}

func (l *backupLoad) ack(c ackedCard) {
	c.acked = time.Now()
	l.mu.Lock()
	l.cards = append(l.cards, c)
	l.mu.Unlock()
}

func (l *backupLoad) fail(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *backupLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cards)
}

// omiseWorker tokenizes and creates a customer with the token, repeatedly.
func (l *backupLoad) omiseWorker(t *testing.T, c *http.Client, base, pk, sk string, stop <-chan struct{}) {
	defer l.wg.Done()
	for {
		select {
		case <-stop:
			return
		default:
		}
		pan := randomPAN(t)
		tok, fp, err := tokenize(c, base, pk, pan)
		if err != nil {
			l.fail(err)
			continue
		}
		st, m, err := doReq(c, "POST", base+"/customers", sk, "", formType, "card="+tok)
		id, _ := m["id"].(string)
		if err != nil || st != 200 || id == "" {
			l.fail(fmt.Errorf("POST /customers: %d %v %v", st, m, err))
			continue
		}
		l.ack(ackedCard{path: "/customers/" + id, omise: true, last4: pan[12:], fp: fp})
	}
}

// coWorker creates a ChargeOver customer, then stores cards on it repeatedly.
func (l *backupLoad) coWorker(t *testing.T, c *http.Client, base, pk, sk string, stop <-chan struct{}) {
	defer l.wg.Done()
	st, m, err := doReq(c, "POST", base+"/api/v3/customer", pk, sk, jsonType, `{"company":"Backup Load"}`)
	resp, _ := m["response"].(map[string]any)
	cust, _ := resp["id"].(float64)
	if err != nil || st != 201 || cust == 0 {
		l.fail(fmt.Errorf("POST /api/v3/customer: %d %v %v", st, m, err))
		return
	}
	a := &rotAccount{pk: pk, sk: sk, coCust: cust}
	for {
		select {
		case <-stop:
			return
		default:
		}
		pan := randomPAN(t)
		id, err := coStore(c, base, a, pan)
		if err != nil {
			l.fail(err)
			continue
		}
		l.ack(ackedCard{path: fmt.Sprintf("/api/v3/creditcard/%.0f", id), last4: pan[12:], bin: pan[:6]})
	}
}

// check reads c back from the server at base and reports what differs.
func (c ackedCard) check(client *http.Client, base, pk, sk string) error {
	if c.omise {
		st, m, err := doReq(client, "GET", base+c.path, sk, "", formType, "")
		cards, _ := m["cards"].(map[string]any)
		data, _ := cards["data"].([]any)
		if err != nil || st != 200 || len(data) != 1 {
			return fmt.Errorf("GET %s: %d, %d cards, %v", c.path, st, len(data), err)
		}
		card, _ := data[0].(map[string]any)
		if card["last_digits"] != c.last4 || card["fingerprint"] != c.fp {
			return fmt.Errorf("GET %s: last_digits %v, fingerprint %v; want %s, %s", c.path, card["last_digits"], card["fingerprint"], c.last4, c.fp)
		}
		return nil
	}
	st, m, err := doReq(client, "GET", base+c.path, pk, sk, jsonType, "")
	resp, _ := m["response"].(map[string]any)
	if err != nil || st != 200 {
		return fmt.Errorf("GET %s: %d %v", c.path, st, err)
	}
	if resp["mask_and_bin_number"] != c.bin+"xxx"+c.last4 {
		return fmt.Errorf("GET %s: mask_and_bin_number %v; want %sxxx%s", c.path, resp["mask_and_bin_number"], c.bin, c.last4)
	}
	return nil
}

// TestBackupRestoreUnderLoad: `cardvault backup` of a serving store while
// clients create cards through both dialects (not one request fails), then
// `cardvault restore` into a fresh data directory (refused with another
// master key, refused a second time, the store existing): a server started on
// it with the same key serves every card acknowledged before the backup
// began, with its last digits and fingerprint; a start with another key is
// refused.
func TestBackupRestoreUnderLoad(t *testing.T) {
	key := newMasterKey()
	env := []string{"CARDVAULT_MASTER_KEY=" + key}
	data := t.TempDir()
	p := mustStartEnv(t, data, env)
	pk, sk := p.testKeys(t)
	client := &http.Client{Timeout: 30 * time.Second}
	load := &backupLoad{}
	stop := make(chan struct{})
	for w := range 4 {
		load.wg.Add(1)
		if w%2 == 0 {
			go load.omiseWorker(t, client, p.base, pk, sk, stop)
		} else {
			go load.coWorker(t, client, p.base, pk, sk, stop)
		}
	}
	stopLoad := sync.OnceFunc(func() { close(stop); load.wg.Wait() })
	defer stopLoad()
	waitCount(t, load, 300)

	backup := filepath.Join(t.TempDir(), "cardvault-backup.db")
	began := time.Now()
	ackedBefore := load.count()
	out, err := command(env, "backup", "--data", data, "--to", backup).CombinedOutput()
	ended := time.Now()
	ackedDuring := load.count() - ackedBefore
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	// The load goes on after the backup too: the server was not stalled.
	waitCount(t, load, load.count()+10)
	stopLoad()
	if len(load.errs) > 0 {
		t.Fatalf("%d requests failed during the load, the first: %v", len(load.errs), load.errs[0])
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", fi, err)
	}
	if strings.Contains(string(out), key) {
		t.Error("backup printed the master key")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, 15*time.Second); err != nil {
		t.Fatalf("serve exited with %v", err)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	otherEnv := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
	out, err = command(otherEnv, "restore", "--data", restored, "--from", backup).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "master key does not open") {
		t.Fatalf("restore with another master key: %v; want a refusal naming the master key\n%s", err, out)
	}
	if m, _ := filepath.Glob(filepath.Join(restored, "*")); len(m) != 0 {
		t.Fatalf("a refused restore left %v", m)
	}
	if out, err := command(env, "restore", "--data", restored, "--from", backup).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	dbPath := filepath.Join(restored, "cardvault.db")
	out, err = command(env, "restore", "--data", restored, "--from", backup).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "a store exists: "+dbPath) {
		t.Errorf("second restore: %v; want a refusal naming %s\n%s", err, dbPath, out)
	}

	q := mustStartEnv(t, restored, env)
	var before, after, present int
	for _, c := range load.cards {
		if c.acked.Before(began) {
			before++
			if err := c.check(client, q.base, pk, sk); err != nil {
				t.Errorf("card acknowledged before the backup: %v", err)
			}
			continue
		}
		after++
		if c.check(client, q.base, pk, sk) == nil {
			present++
		}
	}
	// No ChargeOver id the lost server issued, even after the backup, is
	// issued again.
	var maxID float64
	for _, c := range load.cards {
		var id float64
		if _, err := fmt.Sscanf(c.path, "/api/v3/creditcard/%g", &id); err == nil {
			maxID = max(maxID, id)
		}
	}
	st, m, err := doReq(client, "POST", q.base+"/api/v3/customer", pk, sk, jsonType, `{"company":"After Restore"}`)
	resp, _ := m["response"].(map[string]any)
	cust, _ := resp["id"].(float64)
	if err != nil || st != 201 || cust == 0 {
		t.Fatalf("POST /api/v3/customer after restore: %d %v %v", st, m, err)
	}
	if id, err := coStore(client, q.base, &rotAccount{pk: pk, sk: sk, coCust: cust}, randomPAN(t)); err != nil || id <= maxID || maxID == 0 {
		t.Errorf("first ChargeOver card after restore: id %.0f, %v; want above every id issued before (%.0f)", id, err, maxID)
	}
	if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	q.wait(t, 15*time.Second)
	t.Logf("backup took %v while %d cards were acknowledged; %d cards acknowledged before it all served after restore; "+
		"%d of the %d acknowledged after it began are in it", ended.Sub(began).Round(time.Millisecond), ackedDuring, before, present, after)

	served, stderr := runWithKey(t, restored, otherEnv)
	if served || !strings.Contains(stderr, "master key does not open") {
		t.Errorf("serve on the restored store with another master key: served %v; want refused\n%s", served, stderr)
	}
}

// waitCount waits until the load has n acknowledged cards.
func waitCount(t *testing.T, l *backupLoad, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); l.count() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d cards acknowledged in 30s; errors: %d", l.count(), n, len(l.errs))
		}
	}
}

// TestRestoreWhereTheStoreWasLost: backup leaves a stopped store's data
// directory as it was; a data directory whose marker says its database was
// lost (serve refuses to start there) takes a restore, which records the
// restored store; serve then starts without --new-store.
func TestRestoreWhereTheStoreWasLost(t *testing.T) {
	env := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
	data := t.TempDir()
	if out, err := command(env, "--data", data, "account", "create").CombinedOutput(); err != nil {
		t.Fatalf("account create: %v\n%s", err, out)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	before := snapshot(t, data)
	if out, err := command(env, "--data", data, "backup", "--to", backup).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if !maps.Equal(before, snapshot(t, data)) {
		t.Error("backup changed the data directory of a stopped store")
	}
	db := filepath.Join(data, "cardvault.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
	}
	if served, stderr := runWithKey(t, data, env); served || !strings.Contains(stderr, "database file is missing") {
		t.Fatalf("serve on a lost store: served %v; want the missing-database refusal\n%s", served, stderr)
	}
	if out, err := command(env, "--data", data, "restore", "--from", backup).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if served, stderr := runWithKey(t, data, env); !served {
		t.Fatalf("serve after restore did not start:\n%s", stderr)
	}
}

// TestBackupRestoreRefusals: a PostgreSQL --db points to pg_dump; an
// existing backup file is never overwritten; a data directory without a
// store has nothing to back up; restore refuses a file that is not a
// cardvault store, and a directory whose store exists, naming it.
func TestBackupRestoreRefusals(t *testing.T) {
	key := newMasterKey()
	env := []string{"CARDVAULT_MASTER_KEY=" + key}
	data := t.TempDir()
	if out, err := command(env, "--data", data, "account", "create").CombinedOutput(); err != nil {
		t.Fatalf("account create: %v\n%s", err, out)
	}
	existing := filepath.Join(t.TempDir(), "existing")
	os.WriteFile(existing, []byte("keep"), 0o600)
	notStore := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notStore, []byte("not a database"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"backup to postgres", []string{"backup", "--db", "postgres://u@h/db", "--to", filepath.Join(t.TempDir(), "b")}, "pg_dump"},
		{"restore to postgres", []string{"restore", "--db", "postgresql://u@h/db", "--from", existing}, "pg_dump"},
		{"backup onto a file", []string{"backup", "--data", data, "--to", existing}, existing + " exists"},
		{"backup without a store", []string{"backup", "--data", t.TempDir(), "--to", filepath.Join(t.TempDir(), "b")}, "no store"},
		{"restore of a text file", []string{"restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", notStore}, "not a usable SQLite database"},
		{"restore of a missing file", []string{"restore", "--data", filepath.Join(t.TempDir(), "d"), "--from", existing + "-missing"}, "no such file"},
		{"restore over a store", []string{"restore", "--data", data, "--from", existing}, "a store exists: " + filepath.Join(data, "cardvault.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := command(env, tc.args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("%v: %v; want a refusal containing %q\n%s", tc.args, err, tc.want, out)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Error("the existing file was overwritten")
	}
}
