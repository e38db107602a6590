package cardvault

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a sensitive string — a card number, a security code or an API key.
// It cannot leak through fmt (any verb), JSON, text marshalling or slog; the
// value is reached only through Reveal, which makes every use greppable.
// Secrets cannot be compared with ==; use Equal, which runs in constant time.
type Secret struct {
	_ [0]func() // makes Secret not comparable with ==
	v string
}

// NewSecret wraps a sensitive string.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the sensitive value.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Len returns the length of the value, which is not secret.
func (s Secret) Len() int { return len(s.v) }

// Equal compares two secrets in constant time.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.v), []byte(o.v)) == 1
}

// String redacts.
func (Secret) String() string { return redacted }

// GoString redacts.
func (Secret) GoString() string { return redacted }

// Format redacts under every verb, including %d and %x.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON redacts.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText redacts.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue redacts.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
