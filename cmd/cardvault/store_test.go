package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runAdmin runs an administration command (account …) to its end and returns
// whether it succeeded and what it printed.
func runAdmin(t *testing.T, data string, env []string, args ...string) (ok bool, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--data", data}, args...)...)
	cmd.Env = childEnv(env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish: %s", args, errOut.String())
	}
	return err == nil, out.String(), errOut.String()
}

// mustStop stops a server with SIGTERM and waits for it to exit.
func mustStop(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 20*time.Second)
}

// mustStore returns a data directory holding a store made by a server that
// has stopped, and the path of its database.
func mustStore(t *testing.T) (data, db string) {
	t.Helper()
	data = t.TempDir()
	p := mustStart(t, data)
	p.testKeys(t)
	mustStop(t, p)
	return data, filepath.Join(data, "cardvault.db")
}

// checkRefused checks that serve and account create refused to run on data
// (env added to the environment), that their messages contain every one of
// want, and that neither printed a key.
func checkRefused(t *testing.T, what, data string, env []string, want ...string) {
	t.Helper()
	served, stdout, stderr := runOnce(t, data, env)
	if served {
		t.Errorf("%s: serve started; want a refusal. stdout: %s", what, stdout)
	}
	ok, aout, aerr := runAdmin(t, data, env, "account", "create")
	if ok {
		t.Errorf("%s: account create succeeded; want a refusal", what)
	}
	for _, out := range []string{stdout, aout} {
		if strings.Contains(out, "key_") {
			t.Errorf("%s: keys printed although the store was refused: %s", what, out)
		}
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) || !strings.Contains(aerr, w) {
			t.Errorf("%s: messages do not say %q:\nserve: %s\naccount create: %s", what, w, stderr, aerr)
		}
	}
}

// TestMissingDatabaseRefused: a data directory whose marker says a store was
// created there, but whose database file is gone, is refused by serve,
// account create and account list; --new-store creates a new, empty store.
func TestMissingDatabaseRefused(t *testing.T) {
	data, db := mustStore(t)
	if _, err := os.Stat(filepath.Join(data, ".cardvault-store")); err != nil {
		t.Fatalf("no store marker: %v", err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	env := []string{"CARDVAULT_MASTER_KEY="}
	checkRefused(t, "deleted database", data, env, db, "--new-store")
	if ok, out, errOut := runAdmin(t, data, env, "account", "list"); ok || !strings.Contains(errOut, db) {
		t.Errorf("account list on a lost store: ok=%v %s %s", ok, out, errOut)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("a refused start created the database")
	}

	p := mustStart(t, data, "--new-store")
	if pk, _ := p.testKeys(t); !strings.HasPrefix(pk, "pkey_test_") {
		t.Errorf("new store printed public key %q", pk)
	}
	mustStop(t, p)
	if !strings.Contains(p.stderr.String(), "--new-store: creating a new, empty store") {
		t.Errorf("no warning that --new-store replaced a lost store: %s", p.stderr.String())
	}
	if served, _, stderr := runOnce(t, data, env); !served {
		t.Errorf("the new store does not serve: %s", stderr)
	}
}

// TestAccountListNeedsStore: account list never creates a store.
func TestAccountListNeedsStore(t *testing.T) {
	data := t.TempDir()
	if ok, _, errOut := runAdmin(t, data, nil, "account", "list"); ok || !strings.Contains(errOut, "does not exist") {
		t.Errorf("account list on an empty directory: ok=%v %s", ok, errOut)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("account list wrote %d files into an empty data directory", len(entries))
	}
}
