// Package masterkey is where the master key comes from: the environment, a
// file, split-knowledge parts combined by XOR, or the development key file
// in the data directory. A Provider hands the key to the caller, who builds
// the keyring and clears the key; nothing here keeps it.
package masterkey

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cardvault/cardvault/keys"
)

// The environment variables read by Resolve.
const (
	// EnvKey holds the base64 master key itself. Resolve removes it from the
	// process environment whether or not it is the source used.
	EnvKey = "CARDVAULT_MASTER_KEY"
	// EnvFile names a file holding the base64 master key.
	EnvFile = "CARDVAULT_MASTER_KEY_FILE"
	// EnvParts lists the files of the key's parts, separated by the
	// path-list separator (":" on Unix), like $PATH.
	EnvParts = "CARDVAULT_MASTER_KEY_PARTS"
)

// MinParts and MaxParts bound the number of parts of a split key: one part
// would be the key itself, and more than three custodians add handling
// without adding protection.
const (
	MinParts = 2
	MaxParts = 3
)

// Provider yields the master key.
type Provider interface {
	// Key returns the KeySize-byte master key in a new slice, which the
	// caller clears once it is used. Its errors never contain key material.
	Key() ([]byte, error)
	// String names the source for logs and errors (never the key).
	String() string
}

// maxKeyFile bounds what is read of a key or part file: base64 of 32 bytes
// is 44 characters; anything much longer is not a key file.
const maxKeyFile = 4096

// File is a file holding the base64 master key (--master-key-file,
// $CARDVAULT_MASTER_KEY_FILE).
type File struct {
	Path string
	Name string // how the operator gave it, e.g. "--master-key-file"
}

// Key reads and decodes the file.
func (f File) Key() ([]byte, error) {
	k, err := readKey(f.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	return k, nil
}

func (f File) String() string { return f.Name + " " + f.Path }

// env is the base64 master key of an environment variable, taken out of the
// environment by Resolve. Its Key can be had once: the value is cleared as
// it is decoded.
type env struct {
	name  string
	value []byte
}

func (e *env) Key() ([]byte, error) {
	if e.value == nil {
		return nil, fmt.Errorf("%s: already read", e.name)
	}
	k, err := Parse(e.value)
	clear(e.value)
	e.value = nil
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.name, err)
	}
	return k, nil
}

func (e *env) String() string { return e.name }

// agree is two sources that must hold the same key (CARDVAULT_MASTER_KEY
// and CARDVAULT_MASTER_KEY_FILE both set): refusing is safer than guessing
// which one the operator meant.
type agree struct{ a, b Provider }

func (g agree) Key() ([]byte, error) {
	a, err := g.a.Key()
	if err != nil {
		return nil, err
	}
	b, err := g.b.Key()
	if err != nil {
		clear(a)
		return nil, err
	}
	defer clear(b)
	if subtle.ConstantTimeCompare(a, b) != 1 {
		clear(a)
		return nil, fmt.Errorf("%s and %s hold different master keys: unset one of them", EnvKey, EnvFile)
	}
	return a, nil
}

func (g agree) String() string { return g.a.String() }

// Parse decodes a base64 master key (standard or URL alphabet, padded or
// not, surrounding white space ignored) without copying it into a string,
// so the caller can clear both input and output. Its error never contains
// the input.
func Parse(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out := make([]byte, enc.DecodedLen(len(b)))
		n, err := enc.Decode(out, b)
		if err == nil && n == keys.KeySize {
			return out[:n], nil
		}
		clear(out)
	}
	return nil, errors.New("the master key must be base64 of exactly 32 bytes")
}

// readKey reads a base64 key from a file and clears what it read.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the caller names the file
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, maxKeyFile+1)
	defer clear(buf)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	if n > maxKeyFile {
		return nil, fmt.Errorf("longer than %d bytes: not a key file", maxKeyFile)
	}
	return Parse(buf[:n])
}

// Dev is the development key: a key file in the data directory, next to
// the data it protects, made on first use for a new store.
type Dev struct {
	Path string
	// Create, when not nil, creates the missing file holding b, failing
	// with an error that wraps fs.ErrExist if another process made it
	// first. Nil: a missing file is an error (an existing store).
	Create func(path string, b []byte) error
}

// Key reads the development key, creating it if allowed.
func (d Dev) Key() ([]byte, error) {
	k, err := readKey(d.Path)
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, os.ErrNotExist) && d.Create != nil:
		b := []byte(keys.GenerateMasterKey())
		defer clear(b)
		if err := d.Create(d.Path, b); errors.Is(err, os.ErrExist) {
			return readKey(d.Path) // another process creating the same store made it first
		} else if err != nil {
			return nil, err
		}
		return Parse(b)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("no master key: %s holds no development key; set %s, %s, %s, "+
			"--master-key-file or --master-key-part", filepath.Dir(d.Path), EnvKey, EnvFile, EnvParts)
	}
	return nil, fmt.Errorf("development key %s: %w", d.Path, err)
}

func (d Dev) String() string { return "the development key file " + d.Path }
