// Command cardvault runs the card vault server and its administration
// commands. With no subcommand it serves.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// CLI is the command line: global storage flags and the subcommands.
type CLI struct {
	Store

	Serve   ServeCmd   `cmd:"" default:"withargs" help:"Serve the HTTP API (the default)."`
	Account AccountCmd `cmd:"" help:"Manage accounts."`
	Version VersionCmd `cmd:"" help:"Print the version."`
}

// AccountCmd groups account subcommands.
type AccountCmd struct {
	Create AccountCreateCmd `cmd:"" help:"Create an account and print its key pairs."`
	List   AccountListCmd   `cmd:"" help:"List accounts (ids, names, creation times; never keys)."`
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("cardvault", versionString())
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func main() {
	var cli CLI
	kctx := kong.Parse(&cli, kong.Name("cardvault"),
		kong.Description("A self-hosted card vault speaking the Omise and ChargeOver REST v3 APIs."))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: redactAttr}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	err := kctx.Run(log, &cli.Store)
	if err != nil {
		log.Error("cardvault failed", "err", err)
		os.Exit(1)
	}
}
