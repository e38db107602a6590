package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fence is one fenced block of the README.
type fence struct {
	info string // the word after ```
	text string
}

// readmeFences returns the README's fenced blocks in order.
func readmeFences(t *testing.T) []fence {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{info: strings.TrimPrefix(line, "```")}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return out
}

// walkStep is a README shell block and the output the README shows for it.
type walkStep struct {
	script, want string
}

// readmeWalkthrough returns the README's example blocks: every ```sh block
// except those that run go itself (the build and test commands), each with
// the plain ``` block that follows it, if any, as its expected output.
func readmeWalkthrough(t *testing.T) []walkStep {
	fences := readmeFences(t)
	var steps []walkStep
	for i, f := range fences {
		if f.info != "sh" || regexp.MustCompile(`(?m)^go `).MatchString(f.text) {
			continue
		}
		s := walkStep{script: f.text}
		if i+1 < len(fences) && fences[i+1].info == "" {
			s.want = fences[i+1].text
		}
		steps = append(steps, s)
	}
	if len(steps) < 2 {
		t.Fatalf("the README has %d example blocks; want the Omise and the ChargeOver walk-through", len(steps))
	}
	return steps
}

// matchLine reports whether got matches want, where "…" in want stands for
// any text.
func matchLine(want, got string) bool {
	parts := strings.Split(want, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// TestREADME runs the README's examples as a reader would: against a fresh
// server, in one shell (sh), after pasting the export line the server
// printed, in order. Each block's output must match the output the README
// shows, and the cards must be on the customers the walk-through created.
// It needs curl and sed, as the README says.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"curl", "sed", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the README's examples need it", tool)
		}
	}
	steps := readmeWalkthrough(t)
	p := mustStart(t, t.TempDir())
	p.testKeys(t)
	_, _, export := parseKeys(p.stdout.String())
	if !strings.Contains(strings.Join(func() []string {
		var all []string
		for _, f := range readmeFences(t) {
			all = append(all, f.text)
		}
		return all
	}(), ""), "export CV=http://127.0.0.1:8080 PKEY=pkey_test_… SKEY=skey_test_…") {
		t.Error("the README does not show the export line the server prints")
	}
	const marker = "@@ end of README block @@"
	script := "set -e\n" + export + "\n"
	for _, s := range steps {
		script += s.script + "echo '" + marker + "'\n"
	}
	script += `echo "$CUSTOMER $CO_CUSTOMER"` + "\n"
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "sh", "-c", script)
	sh.Env, sh.Dir = childEnv(), t.TempDir()
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's examples failed: %v\n%s", err, out)
	}
	outputs := strings.Split(string(out), marker+"\n")
	if len(outputs) != len(steps)+1 {
		t.Fatalf("%d outputs for %d blocks:\n%s", len(outputs)-1, len(steps), out)
	}
	for i, s := range steps {
		got, want := strings.Split(strings.TrimSuffix(outputs[i], "\n"), "\n"), strings.Split(strings.TrimSuffix(s.want, "\n"), "\n")
		if len(got) != len(want) {
			t.Errorf("block %d printed %d lines, the README shows %d:\n%s", i+1, len(got), len(want), outputs[i])
			continue
		}
		for j := range want {
			if !matchLine(want[j], got[j]) {
				t.Errorf("block %d, line %d:\n got %s\nwant %s", i+1, j+1, got[j], want[j])
			}
		}
	}
	ids := strings.Fields(outputs[len(steps)])
	if len(ids) != 2 {
		t.Fatalf("CUSTOMER and CO_CUSTOMER = %q", outputs[len(steps)])
	}
	// The right cards on the right customers, whatever ids they got.
	pk, sk := p.testKeys(t)
	st, cards, raw := call(t, "GET", p.base+"/customers/"+ids[0]+"/cards", sk, "", nil)
	if st != 200 || cards["total"] != float64(1) || !strings.Contains(raw, `"last_digits":"4242"`) {
		t.Errorf("the Omise customer's cards: %d %s", st, raw)
	}
	q := url.Values{"where": {"customer_id:EQUALS:" + ids[1]}}
	st, _, raw = call(t, "GET", p.base+"/api/v3/creditcard?"+q.Encode(), pk, sk, nil)
	var list struct {
		Response []struct {
			CustomerID json.Number `json:"customer_id"`
			Mask       string      `json:"mask_number"`
		}
	}
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&list); st != 200 || err != nil || len(list.Response) != 1 ||
		list.Response[0].CustomerID.String() != ids[1] || list.Response[0].Mask != "x1111" {
		t.Errorf("the ChargeOver customer's cards: %d %s", st, raw)
	}
}

// TestMatchLine: the README's "…" matches any text, nothing else is loose.
func TestMatchLine(t *testing.T) {
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"tokn_test_… cust_test_…", "tokn_test_abc cust_test_def", true},
		{"tokn_test_… cust_test_…", "tokn_test_abc cust_live_def", false},
		{`{"id":…}`, `{"id":12}`, true},
		{`{"id":…}`, `{"id":12}x`, false},
		{"a.b", "axb", false},
	} {
		if got := matchLine(c.want, c.got); got != c.ok {
			t.Errorf("matchLine(%q, %q) = %v", c.want, c.got, got)
		}
	}
}
