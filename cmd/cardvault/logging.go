package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cardvault/cardvault/internal/httpx"
)

// Logging holds the flags that shape the log (standard error) of every
// command. Both formats go through redactAttr.
type Logging struct {
	LogFormat string `name:"log-format" env:"CARDVAULT_LOG_FORMAT" default:"json" help:"Log format: json (one JSON object a line) or text (key=value pairs)."`
	LogLevel  string `name:"log-level" env:"CARDVAULT_LOG_LEVEL" default:"info" help:"Lowest level logged: debug, info, warn or error."`
}

// logLevels are the accepted --log-level values.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// logger returns the log writing to w, or an error naming the setting when
// the format or the level is not one of the accepted words (any case).
func (l Logging) logger(w io.Writer) (*slog.Logger, error) {
	var errs []error
	level, ok := logLevels[strings.ToLower(l.LogLevel)]
	if !ok {
		errs = append(errs, fmt.Errorf("--log-level (or $CARDVAULT_LOG_LEVEL) %q: must be debug, info, warn or error", l.LogLevel))
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	var h slog.Handler
	switch strings.ToLower(l.LogFormat) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		errs = append(errs, fmt.Errorf("--log-format (or $CARDVAULT_LOG_FORMAT) %q: must be json or text", l.LogFormat))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return httpx.RequestLogger(slog.New(h)), nil
}
