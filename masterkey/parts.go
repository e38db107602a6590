package masterkey

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/cardvault/cardvault/keys"
)

// Parts is a master key held in split knowledge: MinParts to MaxParts
// files, each a full-length component (base64 of 32 random bytes, the
// --master-key-file format) kept by a different custodian, combined by
// XOR. Any set of parts short of all of them says nothing about the key —
// unlike a key split in halves, where each half gives away 128 bits.
type Parts struct {
	Paths []string
	Name  string // how the operator gave them, e.g. "--master-key-part"
}

// Split returns n random parts whose XOR is key (base64, the part-file
// format), for an operator making parts of an existing key; n must be
// from MinParts to MaxParts.
func Split(key []byte, n int) ([]string, error) {
	if len(key) != keys.KeySize || n < MinParts || n > MaxParts {
		return nil, fmt.Errorf("split: a %d-byte key into %d to %d parts", keys.KeySize, MinParts, MaxParts)
	}
	last := make([]byte, keys.KeySize)
	defer clear(last)
	copy(last, key)
	var out []string
	for range n - 1 {
		p, err := keys.ParseMasterKey(keys.GenerateMasterKey())
		if err != nil {
			return nil, err
		}
		subtle.XORBytes(last, last, p)
		out = append(out, encode(p))
		clear(p)
	}
	return append(out, encode(last)), nil
}

// check refuses a number of parts that is not split knowledge.
func (p Parts) check() error {
	switch n := len(p.Paths); {
	case n < MinParts:
		return fmt.Errorf("%s: %d part given; a split master key has %d to %d parts (one part alone is not a key; "+
			"a whole key goes in --master-key-file)", p.Name, n, MinParts, MaxParts)
	case n > MaxParts:
		return fmt.Errorf("%s: %d parts given; a split master key has at most %d", p.Name, n, MaxParts)
	}
	for i, path := range p.Paths {
		if strings.TrimSpace(path) == "" {
			return fmt.Errorf("%s: part %d has an empty file name", p.Name, i+1)
		}
	}
	return nil
}

// Key reads every part and returns their XOR. It refuses a part that is
// all zeros (it would add nothing), two identical parts (they would cancel
// out) and a combined key of all zeros.
func (p Parts) Key() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	parts := make([][]byte, 0, len(p.Paths))
	defer func() {
		for _, b := range parts {
			clear(b)
		}
	}()
	zero := make([]byte, keys.KeySize)
	for i, path := range p.Paths {
		b, err := readKey(path)
		if err != nil {
			return nil, fmt.Errorf("%s %s (part %d): %w", p.Name, path, i+1, err)
		}
		parts = append(parts, b)
		if subtle.ConstantTimeCompare(b, zero) == 1 {
			return nil, fmt.Errorf("%s %s (part %d) is all zeros: each part must be random", p.Name, path, i+1)
		}
		for j, earlier := range parts[:i] {
			if subtle.ConstantTimeCompare(b, earlier) == 1 {
				return nil, fmt.Errorf("%s: parts %d (%s) and %d (%s) are identical and would cancel out: each part must be random",
					p.Name, j+1, p.Paths[j], i+1, path)
			}
		}
	}
	key := make([]byte, keys.KeySize)
	for _, b := range parts {
		subtle.XORBytes(key, key, b)
	}
	if subtle.ConstantTimeCompare(key, zero) == 1 {
		return nil, fmt.Errorf("%s: the parts combine to a key of all zeros: each part must be random", p.Name)
	}
	return key, nil
}

func (p Parts) String() string {
	return fmt.Sprintf("%s (%d parts)", p.Name, len(p.Paths))
}

// encode is the part-file format of b: standard base64.
func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
