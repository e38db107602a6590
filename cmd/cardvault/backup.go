package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// BackupCmd writes a consistent snapshot of the SQLite store, which may be
// serving, to a new file (docs/DEPLOY.md, "Backups").
type BackupCmd struct {
	To string `name:"to" required:"" placeholder:"FILE" help:"The backup file to create; an existing file is never overwritten. It holds the store's cards encrypted, never the master key: back the key up separately."`
}

// RestoreCmd brings a backup back into a data directory that has no store.
type RestoreCmd struct {
	From string `name:"from" required:"" placeholder:"FILE" help:"The backup file (written by cardvault backup)."`
}

// refusePostgres refuses a PostgreSQL --db for the SQLite backup commands.
func (s *Store) refusePostgres(cmd string) error {
	if strings.HasPrefix(s.DB, "postgres://") || strings.HasPrefix(s.DB, "postgresql://") {
		return fmt.Errorf("%s: --db is a PostgreSQL database: cardvault %s works on an SQLite store only; "+
			"back PostgreSQL up with pg_dump or with a base backup and WAL archiving (docs/DEPLOY.md, Backups)", cmd, cmd)
	}
	return nil
}

// Run takes the snapshot. It needs no master key and writes nothing into the
// data directory.
func (c *BackupCmd) Run(ctx context.Context, log *slog.Logger, s *Store) error {
	if err := s.refusePostgres("backup"); err != nil {
		return err
	}
	src, err := s.dbPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: no store: %s does not exist (check --data / --db)", src)
	}
	start := time.Now()
	size, err := sqlite.Backup(ctx, src, c.To)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s exists: give the name of a new file (a backup never overwrites one)", c.To)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	log.Info("backup written", "db", src, "to", c.To, "bytes", size, "duration", time.Since(start).Round(time.Millisecond).String())
	fmt.Printf("backup of %s written to %s (%d bytes)\n"+
		"It holds the cards encrypted, not the master key: keep the key that opens this store backed up separately.\n",
		src, c.To, size)
	return nil
}

// Run restores the backup where the data directory has no database, after
// checking that the configured master key opens it (the check serve makes at
// start), and records the store in the data directory's marker.
func (c *RestoreCmd) Run(ctx context.Context, log *slog.Logger, s *Store) error {
	if err := s.refusePostgres("restore"); err != nil {
		return err
	}
	dst, err := s.dbPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Data, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if fi, err := os.Stat(filepath.Dir(dst)); err != nil || !fi.IsDir() {
		return fmt.Errorf("restore: --db %s: its directory does not exist", dst)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Lstat(dst + suffix); err == nil {
			return fmt.Errorf("restore: a store exists: %s; restore only into a data directory without one "+
				"(move the existing database and its -wal and -shm files away first)", dst+suffix)
		}
	}
	if _, err := os.Stat(c.From); err != nil {
		return fmt.Errorf("restore: --from %s: %w", c.From, err)
	}
	err = sqlite.Restore(ctx, c.From, dst, func(ctx context.Context, db *sqlite.DB) error {
		kr, _, err := s.keyring(false, log)
		if err != nil {
			return err
		}
		return vault.New(db, kr, time.Hour, log).CheckMasterKey(ctx)
	})
	if err != nil {
		return fmt.Errorf("restore: %s not restored: %w", c.From, err)
	}
	// The database exists again: the marker records it (as a new store
	// does), so that losing it later is noticed as before.
	if err := writeMarker(s.Data, dst, true); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	log.Info("store restored", "from", c.From, "db", dst)
	fmt.Printf("restored %s to %s; the configured master key opens it: start cardvault serve with the same key\n", c.From, dst)
	return nil
}
