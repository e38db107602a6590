package main

import (
	"log/slog"
	"regexp"
)

// cardLike matches runs of 12 or more digits, optionally separated by spaces
// or dashes, and API keys.
var cardLike = regexp.MustCompile(`\d(?:[ -]?\d){11,}|[ps]key_(?:test_)?[0-9a-z]{32}`)

// redactAttr is the log's second line of defence behind the redacting types:
// any string attribute that looks like a card number or key is masked.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	var s string
	switch a.Value.Kind() {
	case slog.KindString:
		s = a.Value.String()
	case slog.KindAny:
		err, ok := a.Value.Any().(error)
		if !ok {
			return a
		}
		s = err.Error()
	default:
		return a
	}
	if cardLike.MatchString(s) {
		a.Value = slog.StringValue(cardLike.ReplaceAllString(s, "[redacted]"))
	}
	return a
}
