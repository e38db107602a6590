//go:build !race

// The race detector multiplies memory use, so the peak-RSS bound is only
// meaningful (and only checked) in builds without it.

package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault/param"
)

// maxRSSGrowth is the most the server's peak resident set may grow while it
// parses rssClients concurrent worst-case bodies (issue 6, item 1).
const (
	maxRSSGrowth = 256 << 20
	rssClients   = 16
	rssRounds    = 4
	rssBodySize  = 1<<20 - 64 // just under the 1 MiB body limit
)

// TestPeakRSS sends rounds of 16 concurrent 1 MiB bodies built to cost the
// most once parsed (deep bracket keys in a form, JSON with many keys, JSON
// arrays of empty objects) to /tokens, /customers and a ChargeOver POST, and
// checks the real binary's peak RSS (VmHWM) grows by at most maxRSSGrowth and
// that no request is answered with a 5xx.
//
// CARDVAULT_RSS_BINARY=/path/to/cardvault runs it against another build (to
// measure an older commit).
func TestPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/status")
	}
	if b := os.Getenv("CARDVAULT_RSS_BINARY"); b != "" {
		saved := binary
		binary = b
		t.Cleanup(func() { binary = saved })
	}
	p := mustStart(t, t.TempDir())
	// The keys go to stdout, the "serving" line mustStart waits for to stderr:
	// the two pipes are copied independently.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stdout.String(), "secret key:") &&
		time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	pk, sk := p.testKeys(t)
	if st, _, raw := call(t, "POST", p.base+"/tokens", pk, "", tokenForm("4242424242424242")); st != 200 {
		t.Fatalf("warm-up token = %d %s", st, raw)
	}
	pid := p.cmd.Process.Pid
	before := vmHWM(t, pid)

	type shot struct {
		path, user, pass, ctype string
		body                    []byte
	}
	form, keys, objects := deepForm(rssBodySize), manyKeysJSON(rssBodySize), emptyObjectsJSON(rssBodySize)
	// Bodies just within the parameter limit, padded to 1 MiB: these are decoded in full.
	formMax, keysMax := padForm(deepFormNodes(param.MaxNodes-2)), padJSON(manyKeysJSONNodes(param.MaxNodes-2))
	shots := []shot{
		{"/tokens", pk, "", "application/x-www-form-urlencoded", formMax},
		{"/customers", sk, "", "application/json", keysMax},
		{"/api/v3/customer", pk, sk, "application/json", keysMax},
		{"/tokens", pk, "", "application/x-www-form-urlencoded", form},
		{"/customers", sk, "", "application/json", keys},
		{"/api/v3/customer", pk, sk, "application/json", objects},
		{"/customers", sk, "", "application/x-www-form-urlencoded", form},
		{"/tokens", pk, "", "application/json", objects},
		{"/api/v3/creditcard", pk, sk, "application/json", keys},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: rssClients}}
	var mu sync.Mutex
	statuses := map[int]int{}
	for round := 0; round < rssRounds; round++ {
		var wg sync.WaitGroup
		for i := 0; i < rssClients; i++ {
			s := shots[(round+i)%len(shots)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", p.base+s.path, bytes.NewReader(s.body))
				req.Header.Set("Content-Type", s.ctype)
				req.SetBasicAuth(s.user, s.pass)
				res, err := client.Do(req)
				if err != nil {
					t.Errorf("POST %s: %v", s.path, err)
					return
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("POST %s = %d %s", s.path, res.StatusCode, raw)
				}
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	after := vmHWM(t, pid)
	t.Logf("peak RSS %d MiB before, %d MiB after (growth %d MiB, bound %d MiB); statuses %v",
		before>>20, after>>20, (after-before)>>20, maxRSSGrowth>>20, statuses)
	if after-before > maxRSSGrowth {
		t.Errorf("peak RSS grew by %d MiB, want at most %d MiB", (after-before)>>20, maxRSSGrowth>>20)
	}
}

// vmHWM returns the peak resident set size of process pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// deepForm is a form of pairs k0[a][a]…=&k1[a][a]…=: each pair builds a chain
// of 31 nested objects from a few bytes per level.
func deepForm(size int) []byte {
	chain := strings.Repeat("[a]", 31) + "=&"
	var b bytes.Buffer
	for i := 0; ; i++ {
		pair := "k" + strconv.Itoa(i) + chain
		if b.Len()+len(pair) > size {
			return b.Bytes()
		}
		b.WriteString(pair)
	}
}

// manyKeysJSON is one object with as many short distinct keys as fit.
func manyKeysJSON(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"email":"a@example.com"`)
	for i := 0; ; i++ {
		kv := `,"` + strconv.Itoa(i) + `":0`
		if b.Len()+len(kv)+1 > size {
			break
		}
		b.WriteString(kv)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// emptyObjectsJSON is {"company":[{},{},…]}: a map per three bytes.
func emptyObjectsJSON(size int) []byte {
	n := (size - len(`{"company":[]}`)) / 3
	var b bytes.Buffer
	b.WriteString(`{"company":[{}`)
	b.WriteString(strings.Repeat(",{}", n-1))
	b.WriteString(`]}`)
	return b.Bytes()
}

// deepFormNodes is a deep form that decodes to at most nodes values.
func deepFormNodes(nodes int) []byte {
	chain := strings.Repeat("[a]", 31) + "=&" // 31 objects and a value: 32 nodes
	var b bytes.Buffer
	for i := 0; 1+(i+1)*32 <= nodes; i++ {
		b.WriteString("k" + strconv.Itoa(i) + chain)
	}
	return b.Bytes()
}

// padForm pads a form to rssBodySize with one long value.
func padForm(b []byte) []byte {
	return append(b, "pad="+strings.Repeat("x", rssBodySize-len(b)-4)...)
}

// manyKeysJSONNodes is the members of an object with nodes-2 keys, without braces.
func manyKeysJSONNodes(nodes int) []byte {
	var b bytes.Buffer
	b.WriteString(`"email":"a@example.com"`)
	for i := 0; i < nodes-3; i++ {
		b.WriteString(`,"` + strconv.Itoa(i) + `":0`)
	}
	return b.Bytes()
}

// padJSON closes the members into an object padded to rssBodySize with one long string.
func padJSON(members []byte) []byte {
	pad := rssBodySize - len(members) - len(`{,"pad":""}`)
	return []byte("{" + string(members) + `,"pad":"` + strings.Repeat("x", pad) + `"}`)
}
