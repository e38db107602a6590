package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// markerFile, in the data directory, records that a store was created there.
// Without it an operator's deleted or lost database file would be taken for
// a new installation: a fresh store, new keys, and every old key answering
// 401 with nothing saying why.
//
// It is a hidden file, so that `rm cardvault.*` (the database and its WAL)
// or `rm data/*` leaves it in place.
const markerFile = ".cardvault-store"

// markerText is the marker's content; the database path and the time the
// store was created (or, for an older store, first opened with a marker) are
// for the operator and for the refusal message.
const markerText = `# cardvault: a store was created in this data directory.
# While this file exists, cardvault refuses to start if the database below is
# missing, instead of creating an empty store. Restore the database, or start
# once with --new-store (CARDVAULT_NEW_STORE=1) to create a new, empty store.
database: %s
recorded: %s
`

// writeMarker records a store at dbPath in dir: always when created (a new
// store replaces the record of a lost one), otherwise only if no marker
// exists yet (a store made before markers existed).
func writeMarker(dir, dbPath string, created bool) error {
	path := filepath.Join(dir, markerFile)
	if !created {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, fmt.Appendf(nil, markerText, abs, time.Now().UTC().Format(time.RFC3339)), 0o600)
	if err != nil {
		return fmt.Errorf("store marker: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store marker: %w", err)
	}
	return syncDir(dir)
}

// readMarker returns a description of the store recorded in dir's marker
// ("database …, recorded …"), or "" when there is no marker.
func readMarker(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, markerFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store marker: %w", err)
	}
	defer f.Close()
	var fields []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") && strings.Contains(line, ": ") {
			fields = append(fields, strings.Replace(line, ": ", " ", 1))
		}
	}
	if len(fields) == 0 {
		return "no details recorded", nil
	}
	return strings.Join(fields, ", "), nil
}
