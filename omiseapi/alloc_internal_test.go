package omiseapi

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/param"
)

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxCheckAlloc is the most checking a request's metadata or text may
// allocate beyond what is kept: far less than the 1 MiB a body may hold.
const maxCheckAlloc = 64 << 10

// TestLargeMetadataIsNotCopied: metadata far over its limit (a 1 MB body of
// ~10k keys of ~96 bytes) is refused without copying or serializing the
// tree; text over its limit without converting it to runes.
func TestLargeMetadataIsNotCopied(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"metadata":{`)
	for i := range param.MaxNodes - 10 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%04d":"v"`, strings.Repeat("k", 88), i)
	}
	b.WriteString(`},"description":"` + strings.Repeat("d", 1<<20-b.Len()-100) + `"}`)
	p, err := param.ParseJSON([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var perr error
	if n := allocated(func() { _, perr = parseCustomer(param.Params{"metadata": p["metadata"]}, false) }); n > maxCheckAlloc {
		t.Errorf("checking large metadata allocated %d bytes, want at most %d", n, maxCheckAlloc)
	}
	if e, ok := perr.(*apiError); !ok || e.Message != "metadata is too long" {
		t.Errorf("large metadata = %v, want metadata is too long", perr)
	}
	if n := allocated(func() { _, perr = text(p, "description", "description") }); n > maxCheckAlloc {
		t.Errorf("checking a long description allocated %d bytes, want at most %d", n, maxCheckAlloc)
	}
	if e, ok := perr.(*apiError); !ok || e.Message != "description is too long" {
		t.Errorf("long description = %v, want description is too long", perr)
	}
	// Text no store holds is reported before size, wherever it is.
	m := p["metadata"].(param.Params)
	m["zz"] = []any{"a\x00b"}
	if _, err := parseCustomer(param.Params{"metadata": m}, false); err == nil || err.(*apiError).Message != "metadata is invalid" {
		t.Errorf("large metadata with a NUL = %v, want metadata is invalid", err)
	}
}

// TestMetadataSize: the walk's size is a lower bound of the serialized
// length, exact without escapes, and stops just past the limit.
func TestMetadataSize(t *testing.T) {
	for _, js := range []string{
		`{}`, `{"a":"b"}`, `{"a":[1,2.5,true,false,null,"",{},[]],"b":{"c":{"d":"e"}}}`,
		`{"é":"ส😀","n":-12e3,"arr":[[[]]]}`, `{"k":"<&>\"\\\n\u2028"}`, `{"a":{"b":[{"c":null}]},"d":""}`,
	} {
		p, err := param.ParseJSON([]byte(`{"m":` + js + `}`))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		size, ok := metadataSize(p["m"])
		b, _ := json.Marshal(param.ToJSONValue(p["m"]))
		if !ok || size > len(b) || (!strings.ContainsAny(js, `<&>\`) && size != len(b)) {
			t.Errorf("%s: size %d (%v), serialized %d bytes", js, size, ok, len(b))
		}
	}
	big := param.Params{"k": strings.Repeat("x", 3*maxMetadata)}
	if size, ok := metadataSize(big); !ok || size != maxMetadata+1 {
		t.Errorf("size over the limit = %d, %v; want %d", size, ok, maxMetadata+1)
	}
}
