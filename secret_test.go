package cardvault_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
)

func TestSecretRedacts(t *testing.T) {
	const pan = "4242424242424242"
	s := cardvault.NewSecret(pan)
	holder := struct {
		PAN cardvault.Secret
		P   *cardvault.Secret
	}{s, &s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, holder))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(holder), s.String())
	j, _ := json.Marshal(holder)
	outs = append(outs, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "pan", s, "holder", holder)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "pan", s)
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, pan) || strings.Contains(o, "4242") || strings.Contains(o, "34323432") {
			t.Errorf("leaked: %q", o)
		}
	}
	if s.Reveal() != pan {
		t.Error("Reveal lost the value")
	}
	if !s.Equal(cardvault.NewSecret(pan)) || s.Equal(cardvault.NewSecret(pan+"0")) {
		t.Error("Equal is wrong")
	}
}
