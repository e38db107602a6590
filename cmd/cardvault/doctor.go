package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/masterkey"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// DoctorCmd checks a store and its configuration without changing anything
// (docs/OPERATIONS.md, "doctor"). It takes serve's flags, so that the
// configuration a server would start with is the one checked.
type DoctorCmd struct {
	ServeFlags `embed:""`
	JSON       bool `name:"json" help:"Print the report as one JSON document."`
}

// ServeFlags are serve's flags without serve's Validate, which kong would
// run before doctor could report what it found.
type ServeFlags ServeCmd

// Outcomes of a check.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "FAIL"
)

// Free space below which doctor fails, and below which it warns (the
// thresholds of the store's own health check, sqlite/health.go, scaled down
// the same way on a small file system).
const (
	doctorFailFree = 16 << 20
	doctorWarnFree = 64 << 20
)

// check is one line of the report. Detail never holds a key or a card
// number: only paths, counts, versions, times and the store's own messages.
type check struct {
	Name   string `json:"check"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// doctorReport is the --json document.
type doctorReport struct {
	Healthy bool    `json:"healthy"`
	Checks  []check `json:"checks"`
}

type doctor struct{ checks []check }

func (d *doctor) add(name, status, format string, args ...any) {
	d.checks = append(d.checks, check{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)})
}

// errDoctor is Run's error when a check failed: the report said why.
var errDoctor = errors.New("doctor: the store or its configuration has a problem (see the report)")

// Run checks and prints the report; a FAIL makes it return an error (exit
// status 1), warnings do not.
func (c *DoctorCmd) Run(ctx context.Context, st *Store) error {
	d := &doctor{}
	d.run(ctx, (*ServeCmd)(&c.ServeFlags), st)
	rep := doctorReport{Healthy: true, Checks: d.checks}
	for _, ch := range d.checks {
		if ch.Status == checkFail {
			rep.Healthy = false
		}
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, ch := range d.checks {
			fmt.Printf("%-4s  %-12s %s\n", ch.Status, ch.Name, ch.Detail)
		}
	}
	if !rep.Healthy {
		return errDoctor
	}
	return nil
}

func (d *doctor) run(ctx context.Context, serve *ServeCmd, st *Store) {
	// Configuration: serve's flags, the store's location.
	if err := serve.Validate(); err != nil {
		d.add("config", checkFail, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	} else {
		d.add("config", checkOK, "serve's flags are valid")
	}
	dbPath, err := st.dbPath()
	if err != nil {
		d.add("store", checkFail, "%v", err)
		return
	}
	if fi, err := os.Stat(st.Data); err != nil || !fi.IsDir() {
		d.add("store", checkFail, "no data directory %s (--data, $CARDVAULT_DATA)", st.Data)
		return
	}
	keyFiles := d.keyFiles(st)
	d.permissions(st.Data, dbPath, keyFiles)
	d.diskSpace(filepath.Dir(dbPath))

	db, err := sqlite.OpenReadOnly(ctx, dbPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			d.add("store", checkFail, "no store: %s does not exist (check --data / --db)", dbPath)
		} else {
			d.add("store", checkFail, "%v", err)
		}
		return
	}
	defer db.Close()
	d.add("store", checkOK, "%s opens (read-only)", dbPath)

	pending, unknown, err := db.PendingMigrations(ctx)
	switch {
	case err != nil:
		d.add("migrations", checkFail, "%v", err)
	case len(unknown) > 0:
		d.add("migrations", checkFail, "the store records %d migration(s) this build does not know (%s): a newer cardvault wrote it; run that version",
			len(unknown), strings.Join(unknown, ", "))
	case len(pending) > 0:
		d.add("migrations", checkWarn, "%d of %d not applied yet (%s): the next serve or administration command applies them; doctor does not",
			len(pending), len(sqlite.Migrations()), strings.Join(pending, ", "))
	default:
		d.add("migrations", checkOK, "all %d applied", len(sqlite.Migrations()))
	}

	start := time.Now()
	if problems, err := db.QuickCheck(ctx); err != nil {
		d.add("integrity", checkFail, "%v", err)
	} else if len(problems) > 0 {
		d.add("integrity", checkFail, "PRAGMA quick_check found %d problem(s), first: %s; restore from a backup", len(problems), problems[0])
	} else {
		d.add("integrity", checkOK, "PRAGMA quick_check passed (%s)", time.Since(start).Round(time.Millisecond))
	}

	if err == nil && len(pending) == 0 && len(unknown) == 0 {
		d.masterKey(ctx, st, db)
	} else {
		d.masterKeyOnly(st)
	}
	d.clock(ctx, db)
}

// keyFiles returns the files the master key is configured to come from
// (with the flag or variable naming each), or the development key file.
func (d *doctor) keyFiles(st *Store) map[string]string {
	files := map[string]string{}
	switch {
	case st.MasterKeyFile != "":
		files[st.MasterKeyFile] = "--master-key-file"
	case len(st.MasterKeyParts) > 0:
		for _, p := range st.MasterKeyParts {
			files[p] = "--master-key-part"
		}
	default:
		if f := os.Getenv(masterkey.EnvFile); f != "" {
			files[f] = masterkey.EnvFile
		}
		if ps := os.Getenv(masterkey.EnvParts); ps != "" {
			for _, p := range filepath.SplitList(ps) {
				files[p] = masterkey.EnvParts
			}
		}
		if len(files) == 0 && os.Getenv(masterkey.EnvKey) == "" {
			files[filepath.Join(st.Data, devKeyFile)] = "development key"
		}
	}
	return files
}

// permissions: the data directory 0700, the database files without group
// or other access (warnings: the data in them is encrypted); a key file
// readable or writable by group or others is a problem.
func (d *doctor) permissions(data, dbPath string, keyFiles map[string]string) {
	var warns, fails []string
	if fi, err := os.Stat(data); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warns = append(warns, fmt.Sprintf("data directory %s is %04o, want 0700", data, fi.Mode().Perm()))
	}
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			warns = append(warns, fmt.Sprintf("database file %s is %04o, want 0600", p, fi.Mode().Perm()))
		}
	}
	for p, from := range keyFiles {
		fi, err := os.Stat(p)
		if err != nil {
			continue // reported by the master key check
		}
		if fi.Mode().Perm()&0o077 != 0 {
			fails = append(fails, fmt.Sprintf("key file %s (%s) is %04o: group or others may read it; chmod 600 it and consider the key exposed",
				p, from, fi.Mode().Perm()))
		}
	}
	switch {
	case len(fails) > 0:
		d.add("permissions", checkFail, "%s", strings.Join(append(fails, warns...), "; "))
	case len(warns) > 0:
		d.add("permissions", checkWarn, "%s", strings.Join(warns, "; "))
	default:
		d.add("permissions", checkOK, "data directory, database and key files are private to their owner")
	}
}

func (d *doctor) diskSpace(dir string) {
	avail, size, err := sqlite.DiskSpace(dir)
	if errors.Is(err, sqlite.ErrNoStatfs) {
		d.add("disk", checkWarn, "free space cannot be read on this platform")
		return
	} else if err != nil {
		d.add("disk", checkFail, "free space of %s: %v", dir, err)
		return
	}
	mib := func(n uint64) string { return fmt.Sprintf("%d MiB", n>>20) }
	switch {
	case avail < min(doctorFailFree, size/16):
		d.add("disk", checkFail, "%s free of %s on %s: writes will fail", mib(avail), mib(size), dir)
	case avail < min(doctorWarnFree, size/4):
		d.add("disk", checkWarn, "%s free of %s on %s: nearly full", mib(avail), mib(size), dir)
	default:
		d.add("disk", checkOK, "%s free of %s on %s", mib(avail), mib(size), dir)
	}
}

// loadKey reads the master key as serve would, never creating a
// development key; it reports a problem and returns nil if it cannot.
func (d *doctor) loadKey(st *Store) (*keys.Keyring, bool) {
	master, dev, err := st.masterKey(false, slog.New(slog.DiscardHandler))
	if err != nil {
		d.add("master key", checkFail, "%v", err)
		return nil, false
	}
	defer clear(master)
	kr, err := keys.New(master)
	if err != nil {
		d.add("master key", checkFail, "%v", err)
		return nil, false
	}
	return kr, dev
}

// masterKeyOnly reads the master key of a store that cannot be checked
// against it before its migrations.
func (d *doctor) masterKeyOnly(st *Store) {
	if kr, dev := d.loadKey(st); kr != nil {
		d.add("master key", checkWarn, "read%s, but not checked against the store before its migrations are applied", devNote(dev))
	}
}

func devNote(dev bool) string {
	if dev {
		return " (the DEVELOPMENT key in the data directory: not for production)"
	}
	return ""
}

// masterKey is vault.CheckMasterKey without its writes: the key must be
// one of the store's KEK versions, not a retired one, and open the first
// data keys. Work CheckMasterKey would do at the next start (recording the
// first KEK version, re-wrapping keys) is reported, not done.
func (d *doctor) masterKey(ctx context.Context, st *Store, db *sqlite.DB) {
	kr, dev := d.loadKey(st)
	if kr == nil {
		return
	}
	status := checkOK
	if dev {
		status = checkWarn
	}
	recs, err := db.KEKs(ctx)
	if err != nil {
		d.add("master key", checkFail, "%v", err)
		return
	}
	dks, err := db.DataKeys(ctx, 3)
	if err != nil {
		d.add("master key", checkFail, "%v", err)
		return
	}
	if len(recs) == 0 {
		for _, dk := range dks {
			if kr.Check(dk) != nil {
				d.add("master key", checkFail, "%v", vault.ErrWrongMasterKey)
				return
			}
		}
		if len(dks) == 0 {
			d.add("master key", checkWarn, "read%s; the store holds no keys yet to check it against", devNote(dev))
		} else {
			d.add("master key", checkWarn, "opens the store's data keys%s; the next start records it as KEK version 1", devNote(dev))
		}
		return
	}
	own := -1
	for i, r := range recs {
		if kr.Matches(r) {
			own = i
		}
	}
	if own < 0 {
		msg := vault.ErrWrongMasterKey.Error()
		if r := recs[len(recs)-1]; len(r.Wrapped) > 0 {
			msg += fmt.Sprintf(" (a rotation to KEK version %d is under way: the current master key is still the old one)", r.Version)
		}
		d.add("master key", checkFail, "%s", msg)
		return
	}
	if r := recs[own]; !r.RetiredAt.IsZero() {
		d.add("master key", checkFail, "this master key (KEK version %d) was rotated out on %s and opens nothing in this store: use the newer master key (KEK version %d)",
			r.Version, r.RetiredAt.Format(time.RFC3339), recs[len(recs)-1].Version)
		return
	}
	kr.SetVersion(recs[own].Version)
	for _, r := range recs[own+1:] {
		if err := kr.AddKEK(r); err != nil && !errors.Is(err, keys.ErrOpen) {
			d.add("master key", checkFail, "KEK version %d: %v", r.Version, err)
			return
		}
	}
	for _, dk := range dks {
		if kr.Check(dk) != nil {
			d.add("master key", checkFail, "%v", vault.ErrWrongMasterKey)
			return
		}
	}
	var notes []string
	if own < len(recs)-1 {
		status = checkWarn
		notes = append(notes, fmt.Sprintf("a rotation to KEK version %d is under way (keys rotate-master)", recs[len(recs)-1].Version))
	} else if ks, err := db.KeyStatus(ctx); err == nil {
		n := 0
		for _, k := range ks.KEKs {
			if k.Version != recs[own].Version {
				n += k.DataKeys + k.FingerprintKeys + k.Seals
			}
		}
		if n > 0 {
			status = checkWarn
			notes = append(notes, fmt.Sprintf("%d stored key(s) are wrapped under an older KEK version: the next start re-wraps them", n))
		}
	}
	d.add("master key", status, "KEK version %d, opens the store's data keys%s%s", recs[own].Version, devNote(dev),
		strings.Join(append([]string{""}, notes...), "; "))
}

// clock: the system clock must not be behind the newest record in the store
// (ids, expiries and the janitor would misbehave) nor behind this binary's
// build.
func (d *doctor) clock(ctx context.Context, db *sqlite.DB) {
	now := time.Now()
	newest, err := db.NewestTime(ctx)
	if err != nil {
		d.add("clock", checkWarn, "newest record's time unknown: %v", err)
		return
	}
	if !newest.IsZero() && now.Before(newest.Add(-time.Second)) {
		d.add("clock", checkFail, "the system clock (%s) is behind the store's newest record (%s): correct the clock before serving",
			now.UTC().Format(time.RFC3339), newest.Format(time.RFC3339))
		return
	}
	if bt := buildTime(); !bt.IsZero() && now.Before(bt) {
		d.add("clock", checkFail, "the system clock (%s) is behind this binary's build (%s)",
			now.UTC().Format(time.RFC3339), bt.Format(time.RFC3339))
		return
	}
	d.add("clock", checkOK, "%s, not behind the store's newest record", now.UTC().Format(time.RFC3339))
}

// buildTime is the VCS commit time recorded in the binary, if any.
func buildTime() time.Time {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return time.Time{}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.time" {
			t, _ := time.Parse(time.RFC3339, s.Value)
			return t
		}
	}
	return time.Time{}
}
