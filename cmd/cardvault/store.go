package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
)

// Store holds the flags that locate the data and the master key.
type Store struct {
	Data          string `name:"data" env:"CARDVAULT_DATA" default:"./cardvault-data" help:"Data directory."`
	DB            string `name:"db" env:"CARDVAULT_DB" help:"Database: an SQLite file path (default: cardvault.db in the data directory)."`
	MasterKeyFile string `name:"master-key-file" env:"CARDVAULT_MASTER_KEY_FILE" help:"File holding the base64 master key."`
}

const devKeyFile = "master.key"

// open opens the store and the keyring.
func (s *Store) open(ctx context.Context, log *slog.Logger) (cardvault.Store, *keys.Keyring, error) {
	if err := os.MkdirAll(s.Data, 0o700); err != nil {
		return nil, nil, err
	}
	dbPath := s.DB
	if strings.HasPrefix(dbPath, "postgres://") || strings.HasPrefix(dbPath, "postgresql://") {
		return nil, nil, errors.New("PostgreSQL is not supported by this build yet")
	}
	if dbPath == "" {
		dbPath = filepath.Join(s.Data, "cardvault.db")
	}
	_, statErr := os.Stat(dbPath)
	fresh := errors.Is(statErr, os.ErrNotExist)
	master, err := s.masterKey(fresh, log)
	if err != nil {
		return nil, nil, err
	}
	kr, err := keys.New(master)
	clear(master)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	return db, kr, nil
}

// masterKey reads the master key from CARDVAULT_MASTER_KEY, the key file, or
// the development key in the data directory, creating that one for a new store.
func (s *Store) masterKey(fresh bool, log *slog.Logger) ([]byte, error) {
	if v := os.Getenv("CARDVAULT_MASTER_KEY"); v != "" {
		return keys.ParseMasterKey(strings.TrimSpace(v))
	}
	if s.MasterKeyFile != "" {
		b, err := os.ReadFile(s.MasterKeyFile)
		if err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		return keys.ParseMasterKey(strings.TrimSpace(string(b)))
	}
	dev := filepath.Join(s.Data, devKeyFile)
	b, err := os.ReadFile(dev)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist) && fresh:
		b = []byte(keys.GenerateMasterKey())
		if err := writeFileSync(dev, b, 0o600); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist):
		return nil, errors.New("no master key: set CARDVAULT_MASTER_KEY or --master-key-file")
	default:
		return nil, err
	}
	log.Warn("DEVELOPMENT ONLY: using a master key stored next to the data it protects; "+
		"set CARDVAULT_MASTER_KEY or --master-key-file in production", "file", dev)
	return keys.ParseMasterKey(strings.TrimSpace(string(b)))
}

func writeFileSync(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Make the new directory entry durable too: a database that survives a
	// power loss without its key would be unreadable.
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
