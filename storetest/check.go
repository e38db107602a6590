package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// wantCode fails t unless err is a cardvault error with code, and, when kind
// is not "", with that Kind.
func wantCode(t testing.TB, what string, err error, code cardvault.Code, kind string) {
	t.Helper()
	if got := cardvault.ErrorCode(err); got != code {
		t.Errorf("%s: error code = %q (%v), want %q", what, got, err, code)
		return
	}
	if kind != "" {
		if got := cardvault.AsError(err).Kind; got != kind {
			t.Errorf("%s: error Kind = %q, want %q", what, got, kind)
		}
	}
}

// wantNotFound fails t unless err is ENotFound of kind.
func wantNotFound(t testing.TB, what string, err error, kind string) {
	t.Helper()
	wantCode(t, what, err, cardvault.ENotFound, kind)
}

// noErr stops t if err is not nil.
func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantSame fails t with one line per differing field of got and want.
func wantSame(t testing.TB, what string, got, want any) {
	t.Helper()
	var out []string
	diff("", reflect.ValueOf(got), reflect.ValueOf(want), &out)
	for _, d := range out {
		t.Errorf("%s: %s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// diff appends "path: got …, want …" for every exported field that differs.
// Times compare with Equal; nil and empty byte slices are equal.
func diff(path string, got, want reflect.Value, out *[]string) {
	if !got.IsValid() || !want.IsValid() {
		if got.IsValid() != want.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: got %v, want %v", orRoot(path), got, want))
		}
		return
	}
	switch {
	case got.Type() == timeType:
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", orRoot(path), g.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano)))
		}
	case got.Kind() == reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got nil=%t, want nil=%t", orRoot(path), got.IsNil(), want.IsNil()))
			}
			return
		}
		diff(path, got.Elem(), want.Elem(), out)
	case got.Kind() == reflect.Struct:
		for i := 0; i < got.NumField(); i++ {
			if f := got.Type().Field(i); f.IsExported() {
				diff(path+"."+f.Name, got.Field(i), want.Field(i), out)
			}
		}
	case got.Kind() == reflect.Slice && got.Type().Elem().Kind() == reflect.Uint8:
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			*out = append(*out, fmt.Sprintf("%s: got %q, want %q", orRoot(path), got.Bytes(), want.Bytes()))
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", orRoot(path), show(got), show(want)))
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "value"
	}
	return path[1:]
}

func show(v reflect.Value) string {
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprintf("%v", v.Interface())
}

// ms returns t as a store keeps it: UTC, millisecond resolution.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// storedToken returns tok as a store should return it: times at millisecond resolution.
func storedToken(tok *cardvault.Token) *cardvault.Token {
	t := *tok
	t.CreatedAt, t.ExpiresAt = ms(t.CreatedAt), ms(t.ExpiresAt)
	if t.Card != nil {
		t.Card = storedCard(t.Card)
	}
	return &t
}

// storedCard returns a copy of c with times at millisecond resolution.
func storedCard(c *cardvault.Card) *cardvault.Card {
	cc := *c
	cc.CreatedAt, cc.ModifiedAt = ms(cc.CreatedAt), ms(cc.ModifiedAt)
	return &cc
}

// storedCustomer returns a copy of c with times at millisecond resolution.
func storedCustomer(c *cardvault.Customer) *cardvault.Customer {
	cc := *c
	cc.CreatedAt, cc.ModifiedAt = ms(cc.CreatedAt), ms(cc.ModifiedAt)
	return &cc
}

var objectToken = regexp.MustCompile(`^[a-z0-9]{12}$`)

// cardIDs returns the ids of cards, for got/want messages.
func cardIDs(cards []*cardvault.Card) []string {
	out := make([]string, len(cards))
	for i, c := range cards {
		out[i] = c.ID
	}
	return out
}

// customerIDs returns the ids of customers.
func customerIDs(cs []*cardvault.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// wantIDs fails t unless got and want hold the same ids in the same order.
func wantIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: ids\n got  %v\n want %v", what, got, want)
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
