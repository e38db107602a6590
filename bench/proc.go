package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// startTimeout bounds how long a server may take to say it is listening.
const startTimeout = 60 * time.Second

// roleEnv selects a hidden role when the bench re-executes itself: the
// ceiling server, or cardvault served in process for a CPU profile.
const roleEnv = "CVBENCH_ROLE"

// process is a server the bench started: cardvault, or the bench itself in
// a hidden role. It logs JSON lines to standard error, one of which,
// {"msg":"… serving","addr":…}, says where it listens.
type process struct {
	name  string
	cmd   *exec.Cmd
	addr  string // host:port
	ctl   string // control address of the in-process server, else ""
	tail  *tail
	done  chan error
	ready time.Duration // from exec to the "serving" line
}

// startProcess starts cmd and waits for its "serving" line.
func startProcess(ctx context.Context, name string, cmd *exec.Cmd) (*process, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, tail: &tail{}, done: make(chan error, 1)}
	ready := make(chan [2]string, 1)
	go p.readLog(stderr, ready)
	go func() { p.done <- cmd.Wait() }()
	select {
	case a := <-ready:
		p.addr, p.ctl, p.ready = a[0], a[1], time.Since(start)
		return p, nil
	case err := <-p.done:
		p.done <- err
		return nil, fmt.Errorf("%s exited before serving (%v); its last log lines:\n%s", name, err, p.tail)
	case <-time.After(startTimeout):
	case <-ctx.Done():
	}
	p.stop()
	return nil, fmt.Errorf("%s did not start serving within %v; its last log lines:\n%s", name, startTimeout, p.tail)
}

// readLog keeps the process's last log lines and reports its addresses once.
func (p *process) readLog(r io.Reader, ready chan<- [2]string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ctl string
	sent := false
	for sc.Scan() {
		line := sc.Text()
		p.tail.add(line)
		var m struct{ Msg, Addr string }
		if sent || json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		switch {
		case m.Msg == "bench control":
			ctl = m.Addr
		case strings.HasSuffix(m.Msg, " serving") && m.Addr != "":
			ready <- [2]string{m.Addr, ctl}
			sent = true
		}
	}
}

// pid is the server's process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// cpu returns the CPU time (user + system) the server has used so far; 0
// when it cannot be read.
func (p *process) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		return 0
	}
	d, _ := parseStatCPU(string(b))
	return d
}

// parseStatCPU reads utime + stime from the text of /proc/PID/stat.
func parseStatCPU(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	return time.Duration(u+s) * clockTick, nil
}

// peakRSS returns the server's peak resident set size in bytes (VmHWM); 0
// when it cannot be read.
func (p *process) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0
	}
	n, _ := parseHWM(string(b))
	return n
}

// parseHWM reads VmHWM from the text of /proc/PID/status.
func parseHWM(status string) (int64, error) {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("VmHWM: unexpected %q", strings.TrimSpace(v))
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("status: no VmHWM")
}

// stop asks the server to stop (SIGTERM), waits for it, and kills it if it
// has not stopped within a few seconds.
func (p *process) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
		return fmt.Errorf("%s did not stop within 15s of SIGTERM; killed", p.name)
	}
}

// alive reports an error if the server has exited.
func (p *process) alive() error {
	select {
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("%s exited (%v); its last log lines:\n%s", p.name, err, p.tail)
	default:
		return nil
	}
}

// tail keeps the last lines of a log.
type tail struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 20

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, redact(line))
	if len(t.lines) > tailLines {
		t.lines = t.lines[len(t.lines)-tailLines:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// childEnv is the environment of a started process: this one's without
// any CARDVAULT_ variable (which would point cardvault at another store or
// key), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARDVAULT_") && !strings.HasPrefix(kv, roleEnv+"=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
