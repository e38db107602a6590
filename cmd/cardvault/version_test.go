package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersion: `cardvault version` prints the version set at build time and
// the VCS revision the binary was built from.
func TestVersion(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout: no revision to compare")
	}
	bin := filepath.Join(t.TempDir(), "cardvault")
	build := exec.Command("go", "build", "-buildvcs=true", "-ldflags=-X main.version=v9.9.9", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "cardvault v9.9.9 (" + strings.TrimSpace(string(head))[:12]
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("version printed %q, want it to start with %q", out, want)
	}
}
