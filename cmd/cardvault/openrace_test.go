package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentFirstStart: several processes creating the same new store at
// the same moment (two `account create`s and a server, say) all succeed: one
// creates the database, the others wait for its migrations instead of failing
// with "database is locked", and every account lands in the one store.
//
// Every other round runs without a configured master key, so that the
// processes also race to make the development key.
func TestConcurrentFirstStart(t *testing.T) {
	const procs, rounds = 6, 8
	withKey, withoutKey := childEnv("CARDVAULT_MASTER_KEY="+newMasterKey()), childEnv()
	for round := range rounds {
		env := withoutKey
		if round%2 == 0 {
			env = withKey
		}
		data := t.TempDir()
		var wg sync.WaitGroup
		errs := make([]string, procs)
		for i := range procs {
			wg.Go(func() {
				cmd := exec.Command(binary, "--data", data, "account", "create", "--json")
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					errs[i] = err.Error() + ": " + string(out)
				}
			})
		}
		wg.Wait()
		for i, e := range errs {
			if e != "" {
				t.Fatalf("round %d, process %d failed: %s", round, i, e)
			}
		}
		cmd := exec.Command(binary, "--data", data, "account", "list", "--json")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("round %d: account list: %v", round, err)
		}
		var accts []map[string]any
		if err := json.Unmarshal(out, &accts); err != nil || len(accts) != procs {
			t.Fatalf("round %d: %d accounts (%v), want %d: %s", round, len(accts), err, procs, out)
		}
	}
}

// TestNoKeyForAStoreThatCannotBe: a store whose database directory does not
// exist is refused before a development key is made for it.
func TestNoKeyForAStoreThatCannotBe(t *testing.T) {
	data := t.TempDir()
	ok, _, stderr := runAdmin(t, data, nil, "--db", data+"/missing/dir/x.db", "account", "create")
	if ok || !strings.Contains(stderr, "directory does not exist") {
		t.Errorf("account create with --db in a missing directory: ok %v, stderr %s", ok, stderr)
	}
	if name, gone := mustNotExist(data, "master.key"); !gone {
		t.Errorf("%s was made for a store that could not be created", name)
	}
}

// TestMarkerSurvivesAGlob: `rm cardvault.*` (the database and its WAL) leaves
// the marker, so the next start refuses instead of making a new store.
func TestMarkerSurvivesAGlob(t *testing.T) {
	data, _ := mustStore(t)
	matches, err := filepath.Glob(filepath.Join(data, "cardvault.*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("glob: %v %v", matches, err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
	ok, _, stderr := runAdmin(t, data, nil, "account", "create")
	if ok || !strings.Contains(stderr, "database file is missing") {
		t.Errorf("after rm cardvault.*: ok %v, stderr %s", ok, stderr)
	}
}
