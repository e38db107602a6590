package chargeoverapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cardvault/cardvault/query"
)

// ok writes a 200 envelope around resp.
func ok(w http.ResponseWriter, resp any) {
	writeEnvelope(w, http.StatusOK, "", nil, resp)
}

// createdJSON is the response of a POST.
type createdJSON struct {
	ID int64 `json:"id"`
}

// created writes 201 {"id":N} with the object's absolute URL in Location:
// http://{Host}/api/v3/{type}/{id}, https when this server serves TLS.
func (s *Server) created(w http.ResponseWriter, r *http.Request, typ string, id int64) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Location", scheme+"://"+r.Host+apiPrefix+typ+"/"+strconv.FormatInt(id, 10))
	writeEnvelope(w, http.StatusCreated, "", nil, createdJSON{ID: id})
}

// queryValues decodes the query string once as
// application/x-www-form-urlencoded (§3.6 step 1): pairs split at '&' only (a
// ';' is an ordinary character), '+' is a space, %XX is decoded. Invalid
// percent-encoding makes the whole query malformed: guessing would change
// which rows a filter selects.
func queryValues(r *http.Request) (url.Values, error) {
	v := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, errQuery
		}
		v[k] = append(v[k], val)
	}
	return v, nil
}

// listQuery parses where/order/limit/offset for a list.
func listQuery(r *http.Request, s query.Schema) (query.Query, error) {
	v, err := queryValues(r)
	if err != nil {
		return query.Query{}, err
	}
	return query.Parse(v, s)
}

// countQuery parses the where parameters for _count.
func countQuery(r *http.Request, s query.Schema) ([]query.Cond, error) {
	v, err := queryValues(r)
	if err != nil {
		return nil, err
	}
	return query.ParseCount(v, s)
}
