// Package openapitest checks HTTP responses against cardvault's OpenAPI documents; for tests only (it imports kin-openapi, which the server must not).
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/cardvault/cardvault/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// Doc is one loaded, resolved and validated document.
type Doc struct {
	T *openapi3.T
}

var (
	loadOnce sync.Once
	omise    *Doc
	co       *Doc
	loadErr  error
)

// Load parses both embedded documents and checks them as OpenAPI 3.1.
func Load() (omiseDoc, chargeOverDoc *Doc, err error) {
	loadOnce.Do(func() {
		omise, loadErr = load("omise.json", openapi.Omise)
		if loadErr == nil {
			co, loadErr = load("chargeover.json", openapi.ChargeOver)
		}
	})
	return omise, co, loadErr
}

func load(name string, b []byte) (*Doc, error) {
	l := openapi3.NewLoader()
	t, err := l.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !t.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("%s: not an OpenAPI 3.1 document", name)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Doc{T: t}, nil
}

// Check validates one response to method and target (path and query, as
// sent) against the document of the dialect the path belongs to: the status
// must be documented for the operation, required headers present and valid,
// and the body must be of a documented Content-Type and match its schema (a
// JSON body as JSON; any other, a page or a script, as one string). A request
// no operation describes (unknown path or method) is checked against the
// document's shared error responses (components.responses), by status. The
// error never holds the body or a value from it that could be a card number.
func Check(method, target string, status int, header http.Header, body []byte) error {
	od, cd, err := Load()
	if err != nil {
		return err
	}
	path, _, _ := strings.Cut(target, "?")
	// The server picks the dialect by the decoded path, as net/http decodes it.
	decoded, err := url.PathUnescape(path)
	if err != nil {
		decoded = path
	}
	d := od
	if strings.HasPrefix(decoded, "/api/") {
		d = cd
	}
	return d.Check(method, path, status, header, body)
}

// statusResponses names the shared error responses by status.
var statusResponses = map[int]string{400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
	417: "ExpectationFailed", 429: "TooManyRequests", 431: "HeadersTooLarge", 500: "InternalError",
	501: "NotImplemented", 503: "TimedOut", 505: "VersionNotSupported"}

// Check is the package Check for one document; path is escaped, without a
// query.
func (d *Doc) Check(method, path string, status int, header http.Header, body []byte) error {
	var resp *openapi3.Response
	where := "unrouted " + method
	if op, tmpl := d.Operation(method, path); op != nil {
		where = method + " " + tmpl
		ref := op.Responses.Status(status)
		if ref == nil || ref.Value == nil {
			return fmt.Errorf("%s: status %d is not documented", where, status)
		}
		resp = ref.Value
	} else {
		name, ok := statusResponses[status]
		ref := d.T.Components.Responses[name]
		if !ok || ref == nil || ref.Value == nil {
			return fmt.Errorf("%s: status %d is not documented for requests no operation describes", where, status)
		}
		resp = ref.Value
	}
	for name, h := range resp.Headers {
		v := header.Get(name)
		if v == "" {
			if h.Value.Required {
				return fmt.Errorf("%s %d: header %s missing", where, status, name)
			}
			continue
		}
		if s := h.Value.Schema; s != nil && s.Value != nil {
			if err := s.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
				return fmt.Errorf("%s %d: header %s: %s", where, status, name, redact(err))
			}
		}
	}
	if method == http.MethodHead {
		return nil
	}
	if len(resp.Content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("%s %d: a body where the document has none", where, status)
		}
		return nil
	}
	ct := header.Get("Content-Type")
	mt := resp.Content.Get(ct)
	if ct == "" || mt == nil {
		return fmt.Errorf("%s %d: Content-Type %q, want %s", where, status, ct, strings.Join(slices.Sorted(maps.Keys(resp.Content)), " or "))
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	if base, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(base), "application/json") {
		// Another type (a page, a script): its body is one string.
		if err := mt.Schema.Value.VisitJSON(string(body), openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
			return fmt.Errorf("%s %d: body does not match the document: %s", where, status, describe(err))
		}
		return nil
	}
	// json.Number keeps numbers float64 cannot hold (metadata may have 1e400).
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s %d: body is not JSON", where, status)
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("%s %d: body does not match the document: %s", where, status, describe(err))
	}
	return nil
}

// Operation finds the operation for method and escaped path (one trailing slash is
// ignored, as both dialects ignore it). Literal segments win over template
// parameters (/api/v3/customer/_count over /api/v3/customer/{ref}).
func (d *Doc) Operation(method, path string) (*openapi3.Operation, string) {
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	// Segments are decoded one by one: an escaped / stays inside its segment.
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if d, err := url.PathUnescape(seg); err == nil {
			segs[i] = d
		}
	}
	best, bestScore, bestTmpl := (*openapi3.Operation)(nil), -1, ""
	for tmpl, item := range d.T.Paths.Map() {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		score := 0
		for i := range ts {
			switch {
			case ts[i] == segs[i]:
				score++
			case strings.HasPrefix(ts[i], "{") && segs[i] != "":
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > bestScore {
			if op := item.GetOperation(strings.ToUpper(method)); op != nil {
				best, bestScore, bestTmpl = op, score, tmpl
			}
		}
	}
	return best, bestTmpl
}

// describe names where and why a body failed its schema, without the
// schema or the value kin-openapi's own message carries.
func describe(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return redact(fmt.Errorf("at /%s: %s", strings.Join(se.JSONPointer(), "/"), se.Reason))
	}
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, describe(e))
		}
		return strings.Join(parts, "; ")
	}
	return redact(err)
}

var digitRun = regexp.MustCompile(`[0-9]{12,}`)

// redact shortens a validation error and removes digit runs that could be a
// card number.
func redact(err error) string {
	s := digitRun.ReplaceAllString(err.Error(), "[digits]")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// Failures collects what Wrap found wrong.
type Failures struct {
	mu   sync.Mutex
	errs []string
}

// Err returns every failure seen so far, or nil.
func (f *Failures) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(f.errs, "\n"))
}

func (f *Failures) add(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) < 20 {
		f.errs = append(f.errs, err.Error())
	}
}

// maxRecorded bounds the copy of a body Wrap keeps; every answer of the
// server is far smaller.
const maxRecorded = 4 << 20

// Wrap returns h with every response it writes checked with Check once h
// returns, whoever sent the request (a client library, a raw connection, a
// recorder). A request whose client went away before anything was written
// is not checked: no one receives its answer.
func Wrap(h http.Handler) (http.Handler, *Failures) {
	f := &Failures{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, target := r.Method, r.URL.EscapedPath() // before a dialect rewrites r.URL
		rw := &recorder{ResponseWriter: w}
		h.ServeHTTP(rw, r)
		if !rw.wrote && r.Context().Err() != nil {
			return
		}
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		if rw.overflow {
			f.add(fmt.Errorf("%s %.60s: body larger than %d bytes", method, target, maxRecorded))
			return
		}
		if err := Check(method, target, rw.status, w.Header(), rw.body.Bytes()); err != nil {
			f.add(fmt.Errorf("%s %.60s: %w", method, target, err))
		}
	}), f
}

// recorder passes a response through and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	overflow bool
	body     bytes.Buffer
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 && code >= 200 {
		rw.status = code
	}
	rw.wrote = true
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	rw.wrote = true
	if rw.body.Len()+len(p) > maxRecorded {
		rw.overflow = true
	} else {
		rw.body.Write(p)
	}
	return rw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
