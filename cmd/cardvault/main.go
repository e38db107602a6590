// Command cardvault runs the card vault server and its administration
// commands. With no subcommand it serves.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// CLI is the command line: global storage flags and the subcommands. Flags
// beat environment variables.
type CLI struct {
	Store
	Logging
	Version kong.VersionFlag `name:"version" short:"v" help:"Print the version and exit."`

	Serve      ServeCmd      `cmd:"" default:"withargs" help:"Serve the HTTP API (the default command). Its flags: --addr, --tls-cert, --tls-key, --token-ttl, --rate-limit, --rate-burst; see cardvault serve --help."`
	Account    AccountCmd    `cmd:"" help:"Manage accounts and their API keys."`
	Keys       KeyCustodyCmd `cmd:"" help:"Key custody: rotate the master key, show the keys in use."`
	Audit      AuditCmd      `cmd:"" help:"The audit trail: verify its chain, export its records."`
	Backup     BackupCmd     `cmd:"" help:"Write a consistent snapshot of the SQLite store (it may be serving) to a new file: cardvault backup --to FILE. The master key is not in it."`
	Restore    RestoreCmd    `cmd:"" help:"Restore a backup into a data directory that has no store, after checking that the configured master key opens it: cardvault restore --from FILE."`
	Doctor     DoctorCmd     `cmd:"" help:"Check the store and its configuration without changing anything: configuration, master key, migrations, integrity, permissions, disk space, clock. Exit status 1 on a problem."`
	VersionCmd VersionCmd    `cmd:"" name:"version" help:"Print the version."`
	Help       HelpCmd       `cmd:"" help:"Show help for cardvault or for a command (cardvault help account keys)."`
}

// AccountCmd groups account subcommands.
type AccountCmd struct {
	Create AccountCreateCmd `cmd:"" help:"Create an account and print its key pairs."`
	List   AccountListCmd   `cmd:"" help:"List accounts (ids, names, creation times; never keys)."`
	Keys   AccountKeysCmd   `cmd:"" help:"List an account's API keys by id, or reissue a secret key."`
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("cardvault", versionString())
	return nil
}

// HelpCmd prints the help of the program or of a command.
type HelpCmd struct {
	Command []string `arg:"" optional:"" help:"The command, e.g. account create."`
}

// Run prints the help as --help would, and exits.
func (h *HelpCmd) Run(k *kong.Context) error {
	_, err := k.Kong.Parse(append(h.Command, "--help"))
	return err
}

// versionString is the version set at build time, else the module version,
// else "dev"; followed by the VCS revision the binary was built from (12
// hex digits, "+dirty" for uncommitted changes) when the build recorded it.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	v := version
	if v == "" {
		v = "dev"
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if !ok {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+dirty"
	}
	return v + " (" + rev + ")"
}

func main() {
	var cli CLI
	parser := kong.Must(&cli, kong.Name("cardvault"),
		kong.Description("A self-hosted card vault speaking the Omise and ChargeOver REST v3 APIs. "+
			"Every flag can also be set by the environment variable shown with it; a flag beats its variable."),
		kong.Vars{"version": "cardvault " + versionString()})
	kctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		parser.FatalIfErrorf(suggest(err, parser.Model.Node))
	}
	log, err := cli.Logging.logger(os.Stderr)
	if err != nil {
		parser.FatalIfErrorf(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(log, &cli.Store); err != nil {
		log.Error("cardvault failed", "err", err)
		var es *exitStatus
		if errors.As(err, &es) {
			os.Exit(es.code)
		}
		os.Exit(1)
	}
}

// suggest adds the nearest command to kong's "unexpected argument X" error,
// which is what a mistyped top-level command gives (serve, the default
// command, takes the word as its argument). Kong suggests for subcommands
// itself.
func suggest(err error, app *kong.Node) error {
	const prefix = "unexpected argument "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || strings.Contains(msg, "did you mean") {
		return err
	}
	word := strings.TrimPrefix(msg, prefix)
	best, bestDist := "", 3 // suggest only within two edits
	for _, c := range app.Children {
		if d := editDistance(word, c.Name); d < bestDist || (strings.HasPrefix(c.Name, word) && best == "") {
			best, bestDist = c.Name, d
		}
	}
	if best == "" {
		return fmt.Errorf("%w (commands: serve, account, keys, audit, backup, restore, doctor, version, help)", err)
	}
	return fmt.Errorf("%w, did you mean %q?", err, best)
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
