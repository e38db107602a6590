//go:build !race

// The race detector multiplies memory use, so the peak-RSS bound is only
// meaningful (and only checked) in builds without it.

package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
// parses rssClients concurrent worst-case bodies (issue 6, item 1), and
// also while it is sent rssBurst of them at once (the default rate-limit
// burst: what one key may send at once).
const (
	maxRSSGrowth = 256 << 20
	rssClients   = 16
	rssBurst     = 200
	rssRounds    = 4
	rssBodySize  = 1<<20 - 64 // just under the 1 MiB body limit
)

// rssShot is one kind of request TestPeakRSS sends.
type rssShot struct {
	path, user, pass, ctype string
	body                    []byte
}

// TestPeakRSS sends concurrent 1 MiB bodies built to cost the most once
// parsed (deep bracket keys in a form, JSON with many keys, JSON arrays of
// empty objects) or once handled (a customer whose metadata holds ~10k keys
// of ~96 bytes) to /tokens, /customers and ChargeOver POSTs, and checks the
// real binary's peak RSS (VmHWM) grows by at most maxRSSGrowth and that no
// request is answered with a 5xx. Each case starts its own server:
//
//   - mixed: rounds of rssClients concurrent bodies of every shape;
//   - metadata: rounds of rssClients concurrent metadata-heavy customers;
//   - burst: one round of rssBurst concurrent bodies of every shape;
//   - metadata burst: one round of rssBurst metadata-heavy customers.
//
// Every client sends from its own loopback address (127.0.0.x), so that the
// per-address bound on large bodies (httpx.MaxReadsPerAddress) does not hide
// the cost of the process-wide bounds.
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
	form, keys, objects := deepForm(rssBodySize), manyKeysJSON(rssBodySize), emptyObjectsJSON(rssBodySize)
	// Bodies just within the parameter limit, padded to 1 MiB: these are decoded in full.
	formMax, keysMax := padForm(deepFormNodes(param.MaxNodes-2)), padJSON(manyKeysJSONNodes(param.MaxNodes-2))
	meta := metadataJSON(rssBodySize, param.MaxNodes-10)
	mixed := func(pk, sk string) []rssShot {
		return []rssShot{
			{"/tokens", pk, "", "application/x-www-form-urlencoded", formMax},
			{"/customers", sk, "", "application/json", keysMax},
			{"/api/v3/customer", pk, sk, "application/json", keysMax},
			{"/tokens", pk, "", "application/x-www-form-urlencoded", form},
			{"/customers", sk, "", "application/json", meta},
			{"/customers", sk, "", "application/json", keys},
			{"/api/v3/customer", pk, sk, "application/json", objects},
			{"/customers", sk, "", "application/x-www-form-urlencoded", form},
			{"/tokens", pk, "", "application/json", objects},
			{"/api/v3/creditcard", pk, sk, "application/json", keys},
		}
	}
	for _, tc := range []struct {
		name            string
		clients, rounds int
		shots           func(pk, sk string) []rssShot
	}{
		{"mixed", rssClients, rssRounds, mixed},
		{"metadata", rssClients, rssRounds, func(pk, sk string) []rssShot {
			return []rssShot{{"/customers", sk, "", "application/json", meta}}
		}},
		{"burst", rssBurst, 1, mixed},
		{"metadata burst", rssBurst, 1, func(pk, sk string) []rssShot {
			return []rssShot{{"/customers", sk, "", "application/json", meta}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peakRSS(t, tc.clients, tc.rounds, tc.shots)
		})
	}
}

// peakRSS starts a server, sends it rounds of clients concurrent requests
// (client i sends shot (round+i) mod len(shots)) and checks its peak RSS.
func peakRSS(t *testing.T, clients, rounds int, shots func(pk, sk string) []rssShot) {
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
	all := shots(pk, sk)
	// Client i sends from 127.0.0.(2+i mod 250), over its own connection.
	cs := make([]*http.Client, clients)
	for i := range cs {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))}}
		tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		cs[i] = &http.Client{Transport: tr}
	}
	var mu sync.Mutex
	statuses, messages := map[int]int{}, map[string]int{}
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			s := all[(round+i)%len(all)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", p.base+s.path, bytes.NewReader(s.body))
				req.Header.Set("Content-Type", s.ctype)
				req.SetBasicAuth(s.user, s.pass)
				res, err := cs[i].Do(req)
				if err != nil {
					t.Errorf("POST %s: %v", s.path, err)
					return
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("POST %s = %d %s", s.path, res.StatusCode, raw)
				}
				if testing.Verbose() && res.StatusCode != 200 {
					mu.Lock()
					var m map[string]any
					json.Unmarshal(raw, &m)
					messages[fmt.Sprintf("%d %v", res.StatusCode, m["message"])]++
					mu.Unlock()
				}
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	after := vmHWM(t, pid)
	t.Logf("%d clients: peak RSS %d MiB before, %d MiB after (growth %d MiB, bound %d MiB); statuses %v",
		clients, before>>20, after>>20, (after-before)>>20, maxRSSGrowth>>20, statuses)
	if len(messages) > 0 {
		t.Logf("answers other than 200: %v", messages)
	}
	if after-before > maxRSSGrowth {
		t.Errorf("peak RSS grew by %d MiB, want at most %d MiB", (after-before)>>20, maxRSSGrowth>>20)
	}
}

// metadataJSON is a customer whose metadata holds keys distinct keys of
// about equal length (~96 bytes each for 1 MiB and ~10k keys), padded to
// about size bytes: small enough in nodes to be decoded in full, far over
// the metadata limit once handled.
func metadataJSON(size, keys int) []byte {
	head, tail := `{"email":"a@example.com","metadata":{`, `}}`
	per := (size-len(head)-len(tail))/keys - len(`"0000":"v",`)
	pad := strings.Repeat("k", per)
	var b bytes.Buffer
	b.WriteString(head)
	for i := 0; i < keys; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%04d":"v"`, pad, i)
	}
	b.WriteString(tail)
	return b.Bytes()
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
