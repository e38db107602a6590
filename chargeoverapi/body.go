package chargeoverapi

import (
	"bytes"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
)

// maxText is the longest free-text value, in characters after trimming (§1.5).
const maxText = 255

// jsonBody reads a POST body: a JSON object (Content-Type is not checked)
// holding at least one of the known fields with a value. Numbers are kept as
// their literal text, never float64 (param.ParseJSON decodes with UseNumber).
func (c *call) jsonBody(r *http.Request, known []string) (param.Params, error) {
	b, err := c.readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errNoData
	}
	p, err := param.ParseJSON(b)
	c.done()
	if err == param.ErrNotJSON {
		return nil, errNotObject
	}
	if err != nil {
		return nil, err
	}
	for _, k := range known {
		if p.Has(k) {
			return p, nil
		}
	}
	return nil, errNoData
}

// texts reads optional free-text fields in the given order: trimmed, nil when
// absent ("", null or only whitespace). A value that is not a string or
// number, or not storable text (invalid UTF-8, NUL), is invalid; one longer
// than maxText is too long.
func texts(p param.Params, keys ...string) (map[string]*string, error) {
	out := make(map[string]*string, len(keys))
	for _, k := range keys {
		v, st := p.String(k)
		if st == param.Invalid || !httpx.StorableText(v) {
			return nil, badParam(k, "invalid")
		}
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) > maxText {
			return nil, badParam(k, "too long")
		}
		if v != "" {
			out[k] = &v
		}
	}
	return out, nil
}

// str returns *p, or "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// secret reads a field that may hold a card number or security code: a
// string or a JSON number, kept as its literal text.
func secret(p param.Params, key string) (cardvault.Secret, error) {
	v, st := p.String(key)
	if st == param.Invalid {
		return cardvault.Secret{}, badParam(key, "invalid")
	}
	return cardvault.NewSecret(v), nil
}

// intInput reads an integer or digit-string field for card validation.
func intInput(p param.Params, key string) cardvault.IntInput {
	n, st := p.Int(key)
	return cardvault.IntInput{N: n, Given: st != param.Absent, Invalid: st == param.Invalid}
}
