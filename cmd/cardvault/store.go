package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/masterkey"
	"github.com/cardvault/cardvault/postgres"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// Store holds the flags that locate the data and the master key. Flags
// beat environment variables; the master key's sources and their
// precedence are described at masterkey.Resolve.
type Store struct {
	Data           string   `name:"data" env:"CARDVAULT_DATA" default:"./cardvault-data" help:"Data directory."`
	DB             string   `name:"db" env:"CARDVAULT_DB" help:"Database: an SQLite file path (default: cardvault.db in the data directory), or a PostgreSQL URL (postgres://user:password@host:5432/dbname), with which nothing is written to the data directory and a master key must be configured."`
	MasterKeyFile  string   `name:"master-key-file" placeholder:"FILE" help:"File holding the base64 master key. Without this flag or --master-key-part the key comes from $CARDVAULT_MASTER_KEY (the base64 key itself, removed from the environment once read) or $CARDVAULT_MASTER_KEY_FILE (a file; if both are set they must hold the same key), or from $CARDVAULT_MASTER_KEY_PARTS (part files separated by ':'), else from the development key in the data directory."`
	MasterKeyParts []string `name:"master-key-part" sep:"none" placeholder:"FILE" help:"File holding one part of a split master key (base64 of 32 bytes); give it 2 or 3 times: the parts are combined by XOR. Not with --master-key-file."`
	NewStore       bool     `name:"new-store" env:"CARDVAULT_NEW_STORE" help:"Create a new, empty store even though the data directory's marker says its database existed (it has been lost)."`
}

// openMode says what a command may do to the data directory.
type openMode int

const (
	// createStore (serve, account create) creates a store where none exists.
	createStore openMode = iota
	// existingStore opens an existing store with its master key.
	existingStore
	// readStore opens an existing store without a master key and writes
	// nothing into the data directory.
	readStore
)

const devKeyFile = "master.key"

// open opens the store and, unless mode is readStore, the keyring. A store
// is created only by createStore, where no database file exists and the data
// directory's marker does not say that one existed (unless --new-store); an
// existing file is opened, and refused by the store if it is not a sound
// database, before any master key is read or made. dev reports that the key
// is the development key kept in the data directory.
func (s *Store) open(ctx context.Context, log *slog.Logger, mode openMode) (_ cardvault.Store, _ *keys.Keyring, dev bool, err error) {
	if s.postgres() {
		store, kr, err := s.openPostgres(ctx, log, mode)
		return store, kr, false, err
	}
	dbPath, err := s.dbPath()
	if err != nil {
		return nil, nil, false, err
	}
	if mode == createStore {
		if err := os.MkdirAll(s.Data, 0o700); err != nil {
			return nil, nil, false, err
		}
	} else if fi, err := os.Stat(s.Data); err != nil || !fi.IsDir() {
		return nil, nil, false, fmt.Errorf("no data directory %s (--data, $CARDVAULT_DATA): it does not exist or is not a directory", s.Data)
	}
	exists, err := fileExists(dbPath)
	if err != nil {
		return nil, nil, false, err
	}
	var db *sqlite.DB
	if exists {
		if db, err = openDB(ctx, dbPath); err != nil {
			return nil, nil, false, err
		}
	} else if lost, err := s.mayCreate(dbPath, mode == createStore); err != nil {
		return nil, nil, false, err
	} else if lost != "" {
		log.Warn("--new-store: creating a new, empty store in place of a lost one; "+
			"remove --new-store / CARDVAULT_NEW_STORE once it has started", "db", dbPath, "lost", lost)
	}
	if mode == readStore {
		return db, nil, false, nil
	}
	if !exists {
		// Check before a development key is made for a store that cannot be.
		if fi, err := os.Stat(filepath.Dir(dbPath)); err != nil || !fi.IsDir() {
			return nil, nil, false, fmt.Errorf("--db %s: its directory does not exist", dbPath)
		}
	}
	kr, dev, err := s.keyring(!exists, log)
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
		return nil, nil, false, err
	}
	return db, kr, dev, nil
}

// postgres reports whether --db names a PostgreSQL database.
func (s *Store) postgres() bool {
	return strings.HasPrefix(s.DB, "postgres://") || strings.HasPrefix(s.DB, "postgresql://")
}

// openPostgres opens the PostgreSQL store --db names (migrating it) and,
// unless mode is readStore, the keyring. Nothing is read from or written to
// the data directory: the master key must be configured, since a
// development key beside the data cannot be shared by several instances.
func (s *Store) openPostgres(ctx context.Context, log *slog.Logger, mode openMode) (cardvault.Store, *keys.Keyring, error) {
	var kr *keys.Keyring
	if mode != readStore {
		p, err := masterkey.Resolve(masterkey.Config{File: s.MasterKeyFile, Parts: s.MasterKeyParts})
		if err != nil {
			return nil, nil, err
		}
		if p == nil {
			return nil, nil, errors.New("--db is a PostgreSQL database: a master key must be configured " +
				"(CARDVAULT_MASTER_KEY, CARDVAULT_MASTER_KEY_FILE, CARDVAULT_MASTER_KEY_PARTS, --master-key-file or " +
				"--master-key-part); the development key in the data directory is for SQLite stores only")
		}
		master, err := p.Key()
		if err != nil {
			return nil, nil, err
		}
		kr, err = keys.New(master)
		clear(master)
		if err != nil {
			return nil, nil, err
		}
	}
	db, err := postgres.Open(ctx, s.DB, postgres.Logger(log))
	if err != nil {
		return nil, nil, fmt.Errorf("database %s: %w", redactURL(s.DB), err)
	}
	return db, kr, nil
}

// redactURL returns a PostgreSQL URL without its password, for messages.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(--db, not a valid URL)"
	}
	return u.Redacted()
}

// dbPath returns the database file's path, refusing what cannot be one.
func (s *Store) dbPath() (string, error) {
	p := s.DB
	if s.postgres() {
		return "", errors.New("--db names a PostgreSQL database: this command works on an SQLite store only " +
			"(for PostgreSQL, use the database's own tools: docs/DEPLOY.md)")
	}
	if p == "" {
		p = filepath.Join(s.Data, "cardvault.db")
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return "", fmt.Errorf("--db %s is a directory: give the database file's path (for example %s)",
			p, filepath.Join(p, "cardvault.db"))
	}
	return p, nil
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
		return "", fmt.Errorf("no store: %s does not exist (check --data / --db; serve or account create makes a new store)", dbPath)
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

// keyring builds the keyring from the master key, which is cleared once
// the keyring holds what it derived; dev reports the development key.
func (s *Store) keyring(fresh bool, log *slog.Logger) (*keys.Keyring, bool, error) {
	master, dev, err := s.masterKey(fresh, log)
	if err != nil {
		return nil, false, err
	}
	defer clear(master)
	kr, err := keys.New(master)
	return kr, dev, err
}

// fileExists reports whether path exists (whatever it holds).
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// masterKey returns the configured master key (masterkey.Resolve says
// which sources there are and which wins) or the development key in the
// data directory, creating that one for a new store.
func (s *Store) masterKey(fresh bool, log *slog.Logger) (key []byte, dev bool, err error) {
	devPath := filepath.Join(s.Data, devKeyFile)
	p, err := masterkey.Resolve(masterkey.Config{File: s.MasterKeyFile, Parts: s.MasterKeyParts})
	if err != nil {
		return nil, false, err
	}
	if p != nil {
		key, err := p.Key()
		if err == nil {
			if _, serr := os.Stat(devPath); serr == nil {
				log.Warn("the master key comes from "+p.String()+"; the development key file in the data directory is "+
					"not used: delete it once the configured key is known to open the store", "file", devPath)
			}
		}
		return key, false, err
	}
	d := masterkey.Dev{Path: devPath}
	if fresh {
		d.Create = func(path string, b []byte) error { return writeFileSync(path, b, 0o600) }
	}
	if key, err = d.Key(); err != nil {
		return nil, false, err
	}
	log.Warn("DEVELOPMENT ONLY: using a master key stored next to the data it protects; "+
		"set CARDVAULT_MASTER_KEY, --master-key-file or --master-key-part in production", "file", devPath)
	return key, true, nil
}

// readKeyFile reads a base64 master key from a file (the --master-key-file
// format); the caller names the flag or variable that gave path.
func readKeyFile(path string) ([]byte, error) {
	return masterkey.File{Path: path, Name: "master key file"}.Key()
}

// writeFileSync creates path holding b, durably, failing with an error that
// wraps fs.ErrExist if path exists. The file appears whole or not at all:
// it is written and synced under a name of its own and hard-linked into
// place, so a process starting beside this one never reads it half written.
func writeFileSync(path string, b []byte, mode os.FileMode) error {
	tmp, err := writeTemp(path, b, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	// Make the new directory entry durable too: a database that survives a
	// power loss without its key would be unreadable.
	return syncDir(filepath.Dir(path))
}

// writeTemp writes b, synced, to a new file beside path with a name of its
// own (several processes may create one store at once) and returns its name.
func writeTemp(path string, b []byte, mode os.FileMode) (string, error) {
	tmp := path + ".tmp-" + cardvault.RandomString(12)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
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

// openVault opens the store in mode and returns a vault over it for an
// administration command, its master key checked (which also brings an older
// store's keys up to date); closeStore releases the store.
func (s *Store) openVault(ctx context.Context, log *slog.Logger, mode openMode) (v *vault.Vault, closeStore func() error, err error) {
	store, kr, _, err := s.open(ctx, log, mode)
	if err != nil {
		return nil, nil, err
	}
	v = vault.New(store, kr, time.Hour, log)
	v.Actor = cardvault.ActorOperator
	if err := v.CheckMasterKey(ctx); err != nil {
		store.Close()
		return nil, nil, err
	}
	return v, store.Close, nil
}
