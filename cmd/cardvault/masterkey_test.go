package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newMasterKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// runWithKey starts cardvault with env and waits for it to exit or to serve.
func runWithKey(t *testing.T, data string, env []string, args ...string) (served bool, stderr string) {
	t.Helper()
	served, _, stderr = runOnce(t, data, env, args...)
	return served, stderr
}

// runOnce runs cardvault with env and args on a free port until it exits or
// serves (then it is killed), and returns what it printed.
func runOnce(t *testing.T, data string, env []string, args ...string) (served bool, stdout, stderr string) {
	t.Helper()
	cmd := command(env, append([]string{"--data", data, "--addr", "127.0.0.1:0"}, args...)...)
	var out, errOut syncBuffer
	cmd.Stderr, cmd.Stdout = &errOut, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-done:
			return false, out.String(), errOut.String()
		case <-deadline:
			cmd.Process.Kill()
			<-done
			t.Fatalf("neither served nor exited: %s", errOut.String())
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(errOut.String(), "cardvault serving") {
				cmd.Process.Kill()
				<-done
				return true, out.String(), errOut.String()
			}
		}
	}
}

// TestMasterKeyHandling: a configured key is used and nothing is written next
// to the data; a different key on the same store refuses to start (instead of
// answering 500 to every card operation); a store without its key refuses too.
func TestMasterKeyHandling(t *testing.T) {
	data := t.TempDir()
	key := newMasterKey()
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + key}); !served {
		t.Fatalf("did not serve with CARDVAULT_MASTER_KEY: %s", log)
	}
	if _, err := os.Stat(filepath.Join(data, "master.key")); !os.IsNotExist(err) {
		t.Errorf("a development key was written although a master key was configured (%v)", err)
	}
	served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()})
	if served || !strings.Contains(log, "master key does not open") {
		t.Errorf("another master key: served=%v, log %s", served, log)
	}
	if strings.Contains(log, key) {
		t.Error("the log contains the master key")
	}
	served, log = runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY="})
	if served || !strings.Contains(log, "no master key") {
		t.Errorf("no master key for an existing store: served=%v, log %s", served, log)
	}
	keyFile := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY="}, "--master-key-file", keyFile); !served {
		t.Errorf("did not serve with --master-key-file: %s", log)
	}
	if served, log := runWithKey(t, data, []string{"CARDVAULT_MASTER_KEY=not-base64"}); served || strings.Contains(log, "not-base64") {
		t.Errorf("malformed master key: served=%v, log %s", served, log)
	}
	if out, err := command(nil, "--data", data, "account", "create").CombinedOutput(); err == nil {
		t.Errorf("account create with the wrong (development) key succeeded: %s", out)
	}
}
