package param

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseJSON decodes a body that must be exactly one JSON object (surrounding whitespace
// allowed). Numbers are kept as json.Number with their literal text, never float64; nested
// objects become Params and arrays []any. Duplicate keys: the last one wins. An empty body,
// a syntax error, a top-level value other than an object, trailing data, or nesting deeper
// than MaxDepth gives ErrNotJSON; more than MaxNodes values ErrTooMany; input longer than
// MaxBytes ErrTooLarge.
//
// Strings are kept byte for byte, unlike encoding/json, which silently replaces invalid UTF-8
// with U+FFFD: raw invalid UTF-8 stays as it is, and an escaped lone surrogate (\ud800) is
// written as its 3-byte WTF-8 form, which is invalid UTF-8 too, so callers can refuse such text
// instead of storing a changed value. On valid UTF-8 without lone surrogates the tree is what
// encoding/json with UseNumber would build.
func ParseJSON(body []byte) (Params, error) {
	if len(body) > MaxBytes {
		return nil, ErrTooLarge
	}
	if !json.Valid(body) || firstNonSpace(body) != '{' {
		return nil, ErrNotJSON
	}
	d := jsonDecoder{b: body}
	v, err := d.value(1)
	if err != nil {
		return nil, err
	}
	return v.(Params), nil
}

// firstNonSpace returns the first byte of b that is not JSON whitespace, or 0.
func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// jsonDecoder builds a tree from input that json.Valid has accepted, so it checks only the
// limits, never the syntax. Its recursion is bounded by MaxDepth.
type jsonDecoder struct {
	b     []byte
	i     int
	nodes int
}

// value decodes the value at d.i, at nesting depth depth (for objects and arrays).
func (d *jsonDecoder) value(depth int) (any, error) {
	if d.nodes++; d.nodes > MaxNodes {
		return nil, ErrTooMany
	}
	d.space()
	switch c := d.b[d.i]; c {
	case '{':
		if depth > MaxDepth {
			return nil, ErrNotJSON
		}
		return d.object(depth)
	case '[':
		if depth > MaxDepth {
			return nil, ErrNotJSON
		}
		return d.array(depth)
	case '"':
		return d.str(), nil
	case 't':
		d.i += len("true")
		return true, nil
	case 'f':
		d.i += len("false")
		return false, nil
	case 'n':
		d.i += len("null")
		return nil, nil
	}
	start := d.i
	for d.i < len(d.b) && isNumberByte(d.b[d.i]) {
		d.i++
	}
	return json.Number(d.b[start:d.i]), nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// space skips JSON whitespace.
func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// object decodes {…} at d.i.
func (d *jsonDecoder) object(depth int) (Params, error) {
	obj := Params{}
	d.i++ // {
	for {
		d.space()
		if d.b[d.i] == '}' {
			d.i++
			return obj, nil
		}
		if d.b[d.i] == ',' {
			d.i++
			d.space()
		}
		key := d.str()
		d.space()
		d.i++ // :
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v
	}
}

// array decodes […] at d.i; an empty array is an empty, non-nil slice.
func (d *jsonDecoder) array(depth int) ([]any, error) {
	arr := []any{}
	d.i++ // [
	for {
		d.space()
		switch d.b[d.i] {
		case ']':
			d.i++
			return arr, nil
		case ',':
			d.i++
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
}

// str decodes the string literal at d.i. Without escapes it is the bytes between the quotes.
func (d *jsonDecoder) str() string {
	d.i++ // opening quote
	start := d.i
	for d.b[d.i] != '"' && d.b[d.i] != '\\' {
		d.i++
	}
	if d.b[d.i] == '"' {
		d.i++
		return string(d.b[start : d.i-1])
	}
	out := append(make([]byte, 0, d.i-start+16), d.b[start:d.i]...)
	for {
		switch c := d.b[d.i]; c {
		case '"':
			d.i++
			return string(out)
		case '\\':
			out = d.escape(out)
		default:
			out = append(out, c)
			d.i++
		}
	}
}

// escape appends the escape sequence at d.i (a backslash) to out, decoded.
func (d *jsonDecoder) escape(out []byte) []byte {
	c := d.b[d.i+1]
	d.i += 2
	switch c {
	case 'b':
		return append(out, '\b')
	case 'f':
		return append(out, '\f')
	case 'n':
		return append(out, '\n')
	case 'r':
		return append(out, '\r')
	case 't':
		return append(out, '\t')
	case 'u':
		r := d.hex4()
		if utf16.IsSurrogate(r) && d.i+6 <= len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
			save := d.i
			d.i += 2
			if pair := utf16.DecodeRune(r, d.hex4()); pair != utf8.RuneError {
				return utf8.AppendRune(out, pair)
			}
			d.i = save
		}
		if utf16.IsSurrogate(r) {
			// WTF-8: the bytes UTF-8 would use for the code point, which is not valid UTF-8.
			return append(out, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
		}
		return utf8.AppendRune(out, r)
	}
	return append(out, c) // " \ /
}

// hex4 reads the four hex digits at d.i.
func (d *jsonDecoder) hex4() rune {
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r
}
