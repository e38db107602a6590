package main_test

// Helpers of the tests that run several cardvault processes on PostgreSQL
// (multiinstance_test.go) and stop the database under them
// (pgrestart_test.go).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var servingRE = regexp.MustCompile(`"msg":"cardvault serving","addr":"[^"]+","url":"([^"]+)"`)

// startTogether starts one `cardvault serve` per args at the same moment and
// waits until every one serves; a process that exits first fails t.
func startTogether(t *testing.T, env []string, args ...[]string) []*proc {
	t.Helper()
	ps := make([]*proc, len(args))
	for i, a := range args {
		ps[i] = &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
		ps[i].cmd = command(env, a...)
		ps[i].cmd.Stdout, ps[i].cmd.Stderr = ps[i].stdout, ps[i].stderr
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	gate := make(chan struct{})
	for i, p := range ps {
		wg.Go(func() { <-gate; errs[i] = p.cmd.Start() })
	}
	close(gate)
	wg.Wait()
	for i, p := range ps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	}
	for i, p := range ps {
		for deadline := time.Now().Add(20 * time.Second); p.base == ""; {
			if m := servingRE.FindStringSubmatch(p.stderr.String()); m != nil {
				p.base = m[1]
				break
			}
			select {
			case <-p.done:
				t.Fatalf("instance %d exited before serving: %v\nstderr: %s", i, p.err, p.stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d did not serve within 20s; stderr: %s", i, p.stderr.String())
			}
		}
	}
	return ps
}

// serveArgs are the arguments of one instance on the database dsn.
func serveArgs(t *testing.T, dsn string, extra ...string) []string {
	return append([]string{"--data", filepath.Join(t.TempDir(), "data"), "--addr", "127.0.0.1:0",
		"--rate-limit", "0", "--db", dsn}, extra...)
}

// errorLines returns the lines of a process's log at level ERROR.
func errorLines(p *proc) []string {
	var out []string
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

// pgQueryInt runs a query answering one integer on dsn.
func pgQueryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// pgBin holds PostgreSQL 15's server programs (Debian's layout).
const pgBin = "/usr/lib/postgresql/15/bin"

// pgCluster is a PostgreSQL server of the test's own, in a temporary
// directory on a free port: it can be stopped and started without touching
// the machine's shared server.
type pgCluster struct {
	dir  string // owned by the user the server runs as
	port int
	asPG bool // running as root: the programs run as the postgres user
}

// newCluster creates and starts a private PostgreSQL server, stopped and
// removed when t ends. It skips loudly when PostgreSQL's programs are not
// installed or cannot be run (initdb refuses root: as root, they run as the
// postgres user).
func newCluster(t *testing.T) *pgCluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Skip("no " + pgBin + "/initdb: the database-restart test NOT run (apt-get install postgresql)")
	}
	c := &pgCluster{asPG: os.Geteuid() == 0}
	dir, err := os.MkdirTemp("", "cardvault-pg")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if c.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run initdb: the database-restart test NOT run")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "cardvault", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		t.Skipf("initdb failed: the database-restart test NOT run: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.start(t)
	t.Cleanup(func() { c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") })
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of PostgreSQL's programs (as the postgres user when root).
func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
	name, argv := filepath.Join(pgBin, prog), args
	if c.asPG {
		name, argv = "runuser", append([]string{"-u", "postgres", "--", name}, args...)
	}
	cmd := exec.Command(name, argv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// URL is the server's database, as cardvault's --db takes it.
func (c *pgCluster) URL() string {
	return fmt.Sprintf("postgres://cardvault@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server (fast: sessions are ended) and waits until it has.
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// signal sends sig to every process of the server: the postmaster (its pid
// is the first line of postmaster.pid) first, then its children, again
// until no new child appears (one may fork while the others are signalled).
func (c *pgCluster) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %q", first)
	}
	if err := syscall.Kill(pm, sig); err != nil {
		t.Fatalf("kill %d: %v", pm, err)
	}
	done := map[int]bool{pm: true}
	for found := true; found; {
		found = false
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || done[pid] {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid …: comm may hold spaces, so read after its ')'.
			i := bytes.LastIndexByte(stat, ')')
			if f := strings.Fields(string(stat[i+1:])); i < 0 || len(f) < 2 || f[1] != strconv.Itoa(pm) {
				continue
			}
			done[pid], found = true, true
			if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
				t.Fatalf("kill %d: %v", pid, err)
			}
		}
	}
}

// acked is a write the server acknowledged, to find again later.
type acked struct {
	path     string // where to read it back: an Omise customer or a ChargeOver customer
	user, pw string
}

// ackLog collects acknowledged writes from several goroutines.
type ackLog struct {
	mu   sync.Mutex
	acks []acked
}

func (a *ackLog) add(x acked) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acks = append(a.acks, x)
}

func (a *ackLog) all() []acked {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]acked(nil), a.acks...)
}

func (a *ackLog) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acks)
}

// checkAcked reads every acknowledged write back from base: each must be
// there (an Omise customer with its one card, a ChargeOver customer).
func checkAcked(client *http.Client, base string, acks []acked) error {
	var errs []error
	for _, a := range acks {
		st, m, err := doReq(client, "GET", base+a.path, a.user, a.pw, "", "")
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("GET %s: %v", a.path, err))
		case st != 200:
			errs = append(errs, fmt.Errorf("GET %s: %d %v", a.path, st, m))
		case strings.HasPrefix(a.path, "/customers/"):
			if cards, _ := m["cards"].(map[string]any); cards["total"] != float64(1) {
				errs = append(errs, fmt.Errorf("GET %s: cards %v, want its one card", a.path, m["cards"]))
			}
		}
		if len(errs) > 5 {
			break
		}
	}
	return errors.Join(errs...)
}

// waitUntil polls cond every 10 ms until it holds or d has passed.
func waitUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
