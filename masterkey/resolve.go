package masterkey

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is how the master key is configured on the command line; the
// environment is read by Resolve.
type Config struct {
	File  string   // --master-key-file
	Parts []string // --master-key-part, repeated
}

// Resolve returns the configured source of the master key, or nil when
// none is configured (the caller then uses the development key, Dev).
// Flags beat the environment, and within each, one kind of source:
//
//  1. --master-key-file or --master-key-part (2 or 3 times); both: refused.
//  2. $CARDVAULT_MASTER_KEY and/or $CARDVAULT_MASTER_KEY_FILE (both set:
//     they must hold the same key), or $CARDVAULT_MASTER_KEY_PARTS; the
//     parts with either of the others: refused.
//
// An empty variable counts as unset. $CARDVAULT_MASTER_KEY is removed
// from the process environment here, whichever source is used, so that
// nothing the process starts or prints later can see it; Go cannot erase
// the copy in the environment block the process was started with
// (/proc/PID/environ, readable by its user and root).
func Resolve(c Config) (Provider, error) {
	envKey := takeEnv(EnvKey)
	envFile, envParts := os.Getenv(EnvFile), os.Getenv(EnvParts)
	switch {
	case c.File != "" && len(c.Parts) > 0:
		return nil, errors.New("--master-key-file and --master-key-part both given: " +
			"the master key comes from one source; give either the whole key or its parts")
	case c.File != "":
		return File{Path: c.File, Name: "--master-key-file"}, nil
	case len(c.Parts) > 0:
		return parts(c.Parts, "--master-key-part")
	case envParts != "" && (envKey != nil || envFile != ""):
		return nil, fmt.Errorf("%s set together with %s or %s: the master key comes from one source; "+
			"unset either the parts or the whole key", EnvParts, EnvKey, EnvFile)
	case envParts != "":
		return parts(filepath.SplitList(envParts), EnvParts)
	case envKey != nil && envFile != "":
		return agree{envKey, File{Path: envFile, Name: EnvFile}}, nil
	case envKey != nil:
		return envKey, nil
	case envFile != "":
		return File{Path: envFile, Name: EnvFile}, nil
	}
	return nil, nil
}

// takeEnv removes the variable name from the process environment and
// returns its value, or nil when it was unset or empty.
func takeEnv(name string) *env {
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil
	}
	os.Unsetenv(name)
	if v == "" {
		return nil
	}
	return &env{name: name, value: []byte(v)}
}

// parts is Parts{paths, name} if their number is split knowledge.
func parts(paths []string, name string) (Provider, error) {
	p := Parts{Paths: paths, Name: name}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}
