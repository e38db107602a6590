package main_test

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLogConfigRefused: a bad log format or level, from a flag or the
// environment, stops every command before it touches the data directory,
// naming the setting; a flag beats its variable.
func TestLogConfigRefused(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"format from the environment", []string{"CARDVAULT_LOG_FORMAT=xml"}, nil, `--log-format (or $CARDVAULT_LOG_FORMAT) "xml": must be json or text`},
		{"level flag", nil, []string{"--log-level", "loud"}, `--log-level (or $CARDVAULT_LOG_LEVEL) "loud": must be debug, info, warn or error`},
		{"level from the environment", []string{"CARDVAULT_LOG_LEVEL=verbose"}, []string{"--log-format", "text"}, `"verbose": must be`},
	}
	for _, tt := range tests {
		data := t.TempDir()
		served, _, stderr := runOnce(t, data, tt.env, tt.args...)
		if served || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: served=%v, stderr %s; want a refusal saying %q", tt.name, served, stderr, tt.want)
		}
		if _, db := mustNotExist(data, "cardvault.db"); !db {
			t.Errorf("%s: a store was created although the configuration is invalid", tt.name)
		}
	}
	served, _, stderr := runOnce(t, t.TempDir(), []string{"CARDVAULT_LOG_FORMAT=xml", "CARDVAULT_LOG_LEVEL=warn"},
		"--log-format", "text", "--log-level", "info")
	if !served || !strings.Contains(stderr, `level=INFO msg="cardvault serving"`) {
		t.Errorf("--log-format text --log-level info did not beat the environment: served=%v\n%s", served, stderr)
	}
}

// TestTextLogLeak is TestLeakScan's log half in the text format, at debug
// level: card numbers sent in paths, queries, forms and JSON bodies of both
// dialects, and the API keys, never reach the log; every line is key=value.
func TestTextLogLeak(t *testing.T) {
	p := startProc(t, nil, "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--rate-limit", "0",
		"--log-format", "text", "--log-level", "debug")
	urlRE := regexp.MustCompile(`level=INFO msg="cardvault serving" addr=\S+ url=(\S+)`)
	for deadline := time.Now().Add(20 * time.Second); p.base == ""; {
		if m := urlRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("not serving in text format:\n%s", p.stderr.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	pk, sk := p.testKeys(t)
	var pans []string
	for i := range 6 {
		pan := randomPAN(t)
		pans = append(pans, pan)
		if i%2 == 0 {
			if _, ok := createCustomer(p.base, pk, sk, pan); !ok {
				t.Fatalf("customer %d not created", i)
			}
		} else {
			post(p.base+"/tokens", pk, tokenForm(pan[:4]+" "+pan[4:8]+" "+pan[8:12]+" "+pan[12:]))
		}
		call(t, "GET", p.base+"/tokens/"+pan, pk, "", nil)
		call(t, "GET", p.base+"/customers?limit="+pan, sk, "", nil)
		call(t, "GET", p.base+"/api/v3/creditcard?where=number:EQUALS:"+pan, pk, sk, nil)
		call(t, "GET", p.base+"/api/v3/creditcard/external_key:"+pan, pk, sk, nil)
		coPost(t, p.base+"/api/v3/creditcard", pk, sk, `{"customer_external_key":"`+pan+`","number":"`+pan+`","expdate":"2031-01-01","cvv":"123"}`)
		call(t, "GET", p.base+"/customers", pan, "", nil) // the number as the key
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 15*time.Second)
	logs := p.stderr.String()
	lineRE := regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN|ERROR) msg=("[^"]*"|\S+)( [a-z_]+=("([^"\\]|\\.)*"|\S+))*$`)
	requests := 0
	for l := range strings.Lines(logs) {
		l = strings.TrimSuffix(l, "\n")
		if !lineRE.MatchString(l) {
			t.Errorf("not a text log line: %s", l)
		}
		if strings.Contains(l, "msg=request ") && strings.Contains(l, " request_id=req_") {
			requests++
		}
	}
	if requests < 6*7 {
		t.Errorf("%d access-log lines with a request id, want at least %d:\n%s", requests, 6*7, logs)
	}
	for _, pan := range pans {
		if strings.Contains(logs, pan) || strings.Contains(logs, pan[:4]+" "+pan[4:8]) {
			t.Errorf("the text log contains a card number")
		}
	}
	for _, run := range luhnRuns(logs) {
		t.Errorf("the text log contains a Luhn-valid digit run of length %d", len(run))
	}
	if strings.Contains(logs, sk) || strings.Contains(logs, pk) {
		t.Errorf("the text log contains an API key")
	}
}
