package packaging_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// installedBinary is where the unit and the image expect the binary.
const installedBinary = "/usr/local/bin/cardvault"

var (
	binOnce string // path of the binary built by TestMain
	envVar  = regexp.MustCompile(`CARDVAULT_[A-Z0-9_]+`)
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cardvault-packaging-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binOnce = filepath.Join(dir, "cardvault")
	cmd := exec.Command("go", "build", "-o", binOnce, "./cmd/cardvault")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/cardvault: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serveHelp returns the output of `cardvault serve --help`, with an
// environment free of CARDVAULT_* variables.
func serveHelp(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(binOnce, "serve", "--help")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cardvault serve --help: %v\n%s", err, out)
	}
	return string(out)
}

// readmeVars returns the CARDVAULT_* variables of the README's
// configuration table (its Environment column).
func readmeVars(t *testing.T) []string {
	t.Helper()
	readme := mustRead(t, "README.md")
	_, after, ok := strings.Cut(readme, "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md: no Configuration section")
	}
	var vars []string
	inTable := false
	for line := range strings.Lines(after) {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cols := strings.Split(line, "|")
		if len(cols) < 3 {
			continue
		}
		vars = append(vars, envVar.FindAllString(cols[2], -1)...)
	}
	if len(vars) == 0 {
		t.Fatal("README.md: no CARDVAULT_* variable in the configuration table")
	}
	slices.Sort(vars)
	return slices.Compact(vars)
}

// envExampleVars returns the variables cardvault.env.example assigns,
// commented out or not.
func envExampleVars(t *testing.T) []string {
	t.Helper()
	assign := regexp.MustCompile(`^#?\s*(CARDVAULT_[A-Z0-9_]+)=`)
	var vars []string
	for line := range strings.Lines(mustRead(t, "packaging/cardvault.env.example")) {
		if m := assign.FindStringSubmatch(line); m != nil {
			vars = append(vars, m[1])
		}
	}
	slices.Sort(vars)
	return slices.Compact(vars)
}

func TestEnvExampleListsTheREADMEVariables(t *testing.T) {
	readme, example := readmeVars(t), envExampleVars(t)
	for _, v := range readme {
		if !slices.Contains(example, v) {
			t.Errorf("%s is in the README's configuration table but not in cardvault.env.example", v)
		}
	}
	for _, v := range example {
		if !slices.Contains(readme, v) {
			t.Errorf("cardvault.env.example sets %s, which the README's configuration table does not list", v)
		}
	}
}

// TestREADMEVariablesReachTheBinary: a variable the env file may set is one
// `serve` reads (its help names each, as a flag's variable or in a text).
func TestREADMEVariablesReachTheBinary(t *testing.T) {
	help := serveHelp(t)
	for _, v := range readmeVars(t) {
		if !strings.Contains(help, "$"+v) {
			t.Errorf("cardvault serve --help does not mention $%s", v)
		}
	}
}

// unit is a parsed systemd unit: section → key → values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, text string) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("cardvault.service:%d: not a key=value line in a section: %q", n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// one returns the single value of key in [Service].
func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	v := u["Service"][key]
	if len(v) != 1 {
		t.Fatalf("cardvault.service: [Service] %s= given %d times, want once", key, len(v))
	}
	return v[0]
}

// helpFlags returns the long flags a --help output names.
func helpFlags(help string) []string {
	return regexp.MustCompile(`--[a-z][a-z0-9-]*`).FindAllString(help, -1)
}

// checkCommand checks that args (without the binary) are `serve` and flags
// that `cardvault serve --help` names.
func checkCommand(t *testing.T, where string, args []string, flags []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("%s: runs %q, want the serve command", where, args)
	}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") || !slices.Contains(flags, name) {
			t.Errorf("%s: argument %q is not a flag of cardvault serve", where, a)
		}
	}
}

func TestUnitRunsServeWithKnownFlagsAndVariables(t *testing.T) {
	u := parseUnit(t, mustRead(t, "packaging/cardvault.service"))
	help := serveHelp(t)
	exec := strings.Fields(u.one(t, "ExecStart"))
	if exec[0] != installedBinary {
		t.Errorf("ExecStart runs %s, want %s (docs/DEPLOY.md installs it there)", exec[0], installedBinary)
	}
	checkCommand(t, "cardvault.service ExecStart", exec[1:], helpFlags(help))
	known := readmeVars(t)
	for _, e := range u["Service"]["Environment"] {
		name, _, _ := strings.Cut(e, "=")
		if !slices.Contains(known, name) {
			t.Errorf("cardvault.service sets %s, not a variable of the README's configuration table", name)
		}
	}
	if got := u.one(t, "EnvironmentFile"); got != "/etc/cardvault/cardvault.env" {
		t.Errorf("EnvironmentFile=%s, want /etc/cardvault/cardvault.env", got)
	}
}

// TestUnitHardening pins the directives docs/DEPLOY.md promises.
func TestUnitHardening(t *testing.T) {
	u := parseUnit(t, mustRead(t, "packaging/cardvault.service"))
	want := map[string]string{
		"DynamicUser": "yes", "StateDirectory": "cardvault", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "NoNewPrivileges": "yes",
		"CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"MemoryDenyWriteExecute": "yes", "LockPersonality": "yes", "RestrictNamespaces": "yes",
		"ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
		"ProtectControlGroups": "yes", "UMask": "0077", "KillSignal": "SIGTERM", "Restart": "on-failure",
		"LoadCredential": "master.key:/etc/cardvault/master.key",
		"Environment":    "CARDVAULT_DATA=%S/cardvault",
	}
	for k, v := range want {
		if !slices.Contains(u["Service"][k], v) {
			t.Errorf("cardvault.service: want %s=%s in [Service], have %q", k, v, u["Service"][k])
		}
	}
	if f := u["Service"]["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%q, want @system-service first", f)
	}
	if !slices.Contains(u["Service"]["Environment"], "CARDVAULT_MASTER_KEY_FILE=%d/master.key") {
		t.Error("cardvault.service: CARDVAULT_MASTER_KEY_FILE is not the credential master.key in the credentials directory")
	}
}

// TestUnitOutwaitsTheDrain: systemd must not SIGKILL the server while it
// drains requests after SIGTERM.
func TestUnitOutwaitsTheDrain(t *testing.T) {
	src := mustRead(t, "cmd/cardvault/serve.go")
	m := regexp.MustCompile(`shutdownDrain\s*=\s*(\d+)\s*\*\s*time\.Second`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("cmd/cardvault/serve.go: shutdownDrain = N * time.Second not found; update this test")
	}
	drain, _ := strconv.Atoi(m[1])
	u := parseUnit(t, mustRead(t, "packaging/cardvault.service"))
	stop, err := time.ParseDuration(u.one(t, "TimeoutStopSec") + "s")
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v (give plain seconds)", err)
	}
	if stop <= time.Duration(drain)*time.Second {
		t.Errorf("TimeoutStopSec=%v, want above the server's %d s drain", stop, drain)
	}
}

// TestUnitVerifies runs systemd-analyze verify, when present, on the unit
// with ExecStart pointing at the freshly built binary (verify checks that the
// binary exists).
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	text := mustRead(t, "packaging/cardvault.service")
	if !strings.Contains(text, "ExecStart="+installedBinary+" ") {
		t.Fatalf("cardvault.service: ExecStart does not run %s", installedBinary)
	}
	path := filepath.Join(t.TempDir(), "cardvault.service")
	text = strings.Replace(text, "ExecStart="+installedBinary, "ExecStart="+binOnce, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// dockerfile is the Dockerfile's instructions, continuation lines joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	var ins []string
	cur := ""
	for line := range strings.Lines(mustRead(t, "Dockerfile")) {
		line = strings.TrimSpace(line)
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur += s + " "
			continue
		}
		ins = append(ins, cur+line)
		cur = ""
	}
	return ins
}

// instructions returns the arguments of every instruction named name.
func instructions(ins []string, name string) []string {
	var args []string
	for _, i := range ins {
		if n, a, _ := strings.Cut(i, " "); strings.EqualFold(n, name) {
			args = append(args, strings.TrimSpace(a))
		}
	}
	return args
}

func TestDockerfileBuildsWithGoModsGo(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(mustRead(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod: no go line")
	}
	if tc := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindStringSubmatch(mustRead(t, "go.mod")); tc != nil {
		m = tc // a toolchain line names the Go that builds it
	}
	from := instructions(dockerfile(t), "FROM")
	if len(from) != 2 {
		t.Fatalf("Dockerfile: %d stages, want 2 (build, run): %q", len(from), from)
	}
	if want := "golang:" + m[1] + " AS build"; from[0] != want {
		t.Errorf("Dockerfile build stage: FROM %s, want FROM %s (go.mod's Go)", from[0], want)
	}
	if !strings.HasPrefix(from[1], "gcr.io/distroless/static") || !strings.HasSuffix(from[1], ":nonroot") {
		t.Errorf("Dockerfile final stage: FROM %s, want distroless static nonroot", from[1])
	}
}

func TestDockerfileBuildAndRuntime(t *testing.T) {
	ins := dockerfile(t)
	build := strings.Join(instructions(ins, "RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/cardvault"} {
		if !strings.Contains(build, want) {
			t.Errorf("Dockerfile: the build does not use %s", want)
		}
	}
	if !slices.Contains(instructions(ins, "ARG"), "VERSION=dev") {
		t.Error("Dockerfile: no ARG VERSION=dev")
	}
	user := instructions(ins, "USER")
	if len(user) != 1 || !regexp.MustCompile(`^[1-9][0-9]*:[1-9][0-9]*$`).MatchString(user[0]) {
		t.Errorf("Dockerfile: USER %q, want one numeric non-root uid:gid", user)
	}
	if v := instructions(ins, "VOLUME"); len(v) != 1 || v[0] != `["/data"]` {
		t.Errorf("Dockerfile: VOLUME %q, want [\"/data\"]", v)
	}
	env := strings.Join(instructions(ins, "ENV"), " ")
	for _, want := range []string{"CARDVAULT_DATA=/data", "CARDVAULT_ADDR=0.0.0.0:8080"} {
		if !strings.Contains(env, want) {
			t.Errorf("Dockerfile: ENV lacks %s", want)
		}
	}
	known := readmeVars(t)
	for _, v := range envVar.FindAllString(env, -1) {
		if !slices.Contains(known, v) {
			t.Errorf("Dockerfile sets %s, not a variable of the README's configuration table", v)
		}
	}
	ep, cmd := instructions(ins, "ENTRYPOINT"), instructions(ins, "CMD")
	if len(ep) != 1 || ep[0] != `["`+installedBinary+`"]` {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want [%q]", ep, installedBinary)
	}
	if len(cmd) != 1 {
		t.Fatalf("Dockerfile: CMD %q, want one", cmd)
	}
	var args []string
	for _, a := range strings.Split(strings.Trim(cmd[0], "[]"), ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
	}
	checkCommand(t, "Dockerfile CMD", args, helpFlags(serveHelp(t)))
	if !slices.ContainsFunc(instructions(ins, "COPY"), func(c string) bool {
		return strings.HasSuffix(c, " "+installedBinary)
	}) {
		t.Errorf("Dockerfile: no COPY of the binary to %s", installedBinary)
	}
}

// TestDockerignoreKeepsTheBuildInputs: the context excludes history and
// local data but nothing the build needs.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	var pats []string
	for line := range strings.Lines(mustRead(t, ".dockerignore")) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			pats = append(pats, strings.TrimPrefix(line, "/"))
		}
	}
	for _, must := range []string{".git", "cardvault-data", "*.db"} {
		if !slices.Contains(pats, must) {
			t.Errorf(".dockerignore does not exclude %s", must)
		}
	}
	// Every tracked file the binary's build reads must stay in the context.
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		filepath.Join(root, "cmd/cardvault")).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	abs, _ := filepath.Abs(root)
	inputs := []string{"go.mod", "go.sum"}
	for f := range strings.FieldsSeq(string(out)) {
		if rel, err := filepath.Rel(abs, f); err == nil && !strings.HasPrefix(rel, "..") {
			inputs = append(inputs, rel)
		}
	}
	for _, in := range inputs {
		for _, p := range pats {
			if excluded(p, in) {
				t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", p, in)
			}
		}
	}
}

// excluded reports whether a .dockerignore pattern matches path or one of
// its parent directories; as in Docker, patterns are anchored at the
// context root (a leading slash changes nothing) and use filepath.Match.
func excluded(pattern, path string) bool {
	for p := path; p != "." && p != "/"; p = filepath.Dir(p) {
		if ok, _ := filepath.Match(pattern, p); ok {
			return true
		}
	}
	return false
}

// TestDeployDocNamesKnownSettings: every variable docs/DEPLOY.md names is
// one of the README's, and every cardvault flag it names is a serve flag.
func TestDeployDocNamesKnownSettings(t *testing.T) {
	doc := mustRead(t, "docs/DEPLOY.md")
	known := readmeVars(t)
	for _, v := range envVar.FindAllString(doc, -1) {
		if !slices.Contains(known, v) {
			t.Errorf("docs/DEPLOY.md names %s, not a variable of the README's configuration table", v)
		}
	}
	flags := helpFlags(serveHelp(t))
	for _, f := range regexp.MustCompile("`(--(?:tls|master|data|db|addr|token|rate|new)[a-z-]*)").FindAllStringSubmatch(doc, -1) {
		if !slices.Contains(flags, f[1]) {
			t.Errorf("docs/DEPLOY.md names %s, not a flag of cardvault serve", f[1])
		}
	}
}
