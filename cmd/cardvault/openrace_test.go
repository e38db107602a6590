package main_test

import (
	"encoding/json"
	"os/exec"
	"sync"
	"testing"
)

// TestConcurrentFirstStart: several processes creating the same new store at
// the same moment (two `account create`s and a server, say) all succeed: one
// creates the database, the others wait for its migrations instead of failing
// with "database is locked", and every account lands in the one store.
func TestConcurrentFirstStart(t *testing.T) {
	const procs, rounds = 4, 5
	master := "CARDVAULT_MASTER_KEY=" + newMasterKey()
	env := childEnv(master)
	for round := range rounds {
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
