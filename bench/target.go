package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// keyPair is an account's test key pair, as `cardvault account create
// --json` prints it.
type keyPair struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

// accountJSON is the output of `cardvault account create --json`.
type accountJSON struct {
	ID   string  `json:"id"`
	Test keyPair `json:"test"`
}

// target is the cardvault server under test and the keys of its account.
type target struct {
	*process
	keys keyPair
	args []string // serve's command line, for a restart; nil in process
}

// restart stops the server and serves the same store again (on a new
// port), to measure how long serve takes to be ready on a loaded store.
func (t *target) restart(ctx context.Context) error {
	if err := t.stop(); err != nil {
		return err
	}
	serve := exec.Command(t.args[0], t.args[1:]...)
	serve.Env = childEnv()
	p, err := startProcess(ctx, "cardvault", serve)
	if err != nil {
		return err
	}
	t.process = p
	return nil
}

// moduleRoot is the directory of the main module (where ./cmd/cardvault is).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the bench inside the cardvault module (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// buildCardvault builds ./cmd/cardvault into dir and returns the binary.
func buildCardvault(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cardvault")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/cardvault")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/cardvault: %w\n%s", err, out)
	}
	return bin, nil
}

// writeMasterKey writes a new random master key, base64, to dir/master.key
// (outside the data directory, as a configured key would be).
func writeMasterKey(dir string) (string, error) {
	k := make([]byte, 32)
	rand.Read(k)
	path := filepath.Join(dir, "master.key")
	return path, os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600)
}

// startCardvault creates an account on a new store in dir and serves it on
// a loopback port with every rate limit off.
func startCardvault(ctx context.Context, bin, dir, db string) (*target, error) {
	keyFile, err := writeMasterKey(dir)
	if err != nil {
		return nil, err
	}
	store := []string{"--data", filepath.Join(dir, "data"), "--master-key-file", keyFile}
	if db != "" {
		store = append(store, "--db", db)
	}
	create := exec.CommandContext(ctx, bin, append([]string{"account", "create", "--json", "--name", "bench"}, store...)...)
	create.Env = childEnv()
	var stderr bytes.Buffer
	create.Stderr = &stderr
	out, err := create.Output()
	if err != nil {
		return nil, fmt.Errorf("cardvault account create: %w\n%s", err, redact(stderr.String()))
	}
	var acct accountJSON
	if err := json.Unmarshal(out, &acct); err != nil || acct.Test.PublicKey == "" {
		return nil, errors.New("cardvault account create --json: unexpected output")
	}
	args := append([]string{bin, "serve", "--addr", "127.0.0.1:0", "--rate-limit", "0"}, store...)
	serve := exec.Command(args[0], args[1:]...)
	serve.Env = childEnv()
	p, err := startProcess(ctx, "cardvault", serve)
	if err != nil {
		return nil, err
	}
	return &target{process: p, keys: acct.Test, args: args}, nil
}

// startInProcess serves a new store in dir from this program's own binary
// (role inproc), which can write CPU profiles of the measured windows.
func startInProcess(ctx context.Context, dir string) (*target, error) {
	keyFile, err := writeMasterKey(dir)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	creds := filepath.Join(dir, "account.json")
	cmd := exec.Command(self)
	cmd.Env = childEnv(roleEnv+"=inproc", "CVBENCH_DATA="+filepath.Join(dir, "data"),
		"CVBENCH_KEY="+keyFile, "CVBENCH_CREDS="+creds)
	p, err := startProcess(ctx, "cardvault (in process)", cmd)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(creds)
	var acct accountJSON
	if err == nil {
		err = json.Unmarshal(b, &acct)
	}
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("in-process server's account: %w", err)
	}
	return &target{process: p, keys: acct.Test}, nil
}

// startCeiling starts the ceiling server: this program's own binary in
// role ceiling.
func startCeiling(ctx context.Context) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = childEnv(roleEnv + "=ceiling")
	return startProcess(ctx, "ceiling", cmd)
}

// revision names the commit the module's working tree is at, "+dirty"
// when tracked files differ from it; "" outside a git checkout.
func revision(ctx context.Context) string {
	root, err := moduleRoot(ctx)
	if err != nil {
		return ""
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err != nil || len(st) > 0 {
		rev += "+dirty"
	}
	return rev
}
