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
	NewStore      bool   `name:"new-store" env:"CARDVAULT_NEW_STORE" help:"Create a new, empty store even though the data directory's marker says its database existed (it has been lost)."`
}

const devKeyFile = "master.key"

// open opens the store and the keyring. A store is created only where no
// database file exists and the data directory's marker does not say that one
// existed (unless --new-store); an existing file is opened, and refused by
// the store if it is not a sound database, before any master key is read or
// made. create false opens an existing store only.
func (s *Store) open(ctx context.Context, log *slog.Logger, create bool) (cardvault.Store, *keys.Keyring, error) {
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
	exists, err := fileExists(dbPath)
	if err != nil {
		return nil, nil, err
	}
	var db *sqlite.DB
	if exists {
		if db, err = openDB(ctx, dbPath); err != nil {
			return nil, nil, err
		}
	} else if lost, err := s.mayCreate(dbPath, create); err != nil {
		return nil, nil, err
	} else if lost != "" {
		log.Warn("--new-store: creating a new, empty store in place of a lost one; "+
			"remove --new-store / CARDVAULT_NEW_STORE once it has started", "db", dbPath, "lost", lost)
	}
	kr, err := s.keyring(!exists, log)
	if err == nil && db == nil {
		db, err = openDB(ctx, dbPath)
	}
	if err == nil {
		err = writeMarker(s.Data, dbPath, !exists)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, nil, err
	}
	return db, kr, nil
}

// mayCreate reports whether a new store may be created at dbPath, which does
// not exist. lost describes the store the marker recorded when --new-store
// replaces it.
func (s *Store) mayCreate(dbPath string, create bool) (lost string, err error) {
	m, err := readMarker(s.Data)
	switch {
	case err != nil:
		return "", err
	case m != "" && !(create && s.NewStore):
		return "", fmt.Errorf("the database file is missing: %s does not exist, but %s says a store was created in %s (%s); "+
			"restore the database file, or start with --new-store (CARDVAULT_NEW_STORE=1) to create a new, empty store",
			dbPath, filepath.Join(s.Data, markerFile), s.Data, m)
	case !create:
		return "", fmt.Errorf("no store: %s does not exist", dbPath)
	}
	return m, nil
}

// openDB opens the SQLite store at path, naming the file in any error.
func openDB(ctx context.Context, path string) (*sqlite.DB, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil && !strings.Contains(err.Error(), path) {
		err = fmt.Errorf("database %s: %w", path, err)
	}
	return db, err
}

// keyring builds the keyring from the master key.
func (s *Store) keyring(fresh bool, log *slog.Logger) (*keys.Keyring, error) {
	master, err := s.masterKey(fresh, log)
	if err != nil {
		return nil, err
	}
	defer clear(master)
	return keys.New(master)
}

// fileExists reports whether path exists (whatever it holds).
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
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
		if err := writeFileSync(dev, b, 0o600); errors.Is(err, os.ErrExist) {
			// Another process creating the same store made it first.
			if b, err = os.ReadFile(dev); err != nil {
				return nil, err
			}
		} else if err != nil {
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
	return syncDir(filepath.Dir(path))
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
