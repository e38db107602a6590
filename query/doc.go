// Package query parses the ChargeOver REST v3 list parameters (where, order,
// limit, offset) into a typed query checked against a per-resource whitelist
// (API.md §3.6).
//
// The package is pure: it knows nothing about HTTP, SQL or storage. The HTTP
// layer decodes the query string once as application/x-www-form-urlencoded
// (url.ParseQuery, decoding step 1) and hands the url.Values to [Parse] or
// [ParseCount]; each storage package renders the resulting [Query] to its own
// SQL with placeholders. Values never reach SQL text.
//
// Parse also bounds what a client may make a store evaluate: at most
// [MaxConditions] conditions across all where parameters, [MaxOrderKeys] order
// keys and [MaxValueBytes] per value, so a renderer never meets a query too
// large for its database.
//
// # Semantics renderers MUST implement
//
// Every store must give the same answer for the same Query:
//
//   - Conditions in Query.Where are AND-combined; an empty Where selects all.
//   - Int fields compare as signed 64-bit integers.
//   - String [Equals] and [NotEquals] are exact and case-sensitive (no
//     collation, no trimming, no Unicode normalisation).
//   - String [GT], [LT], [GTE] and [LTE] compare byte-wise (memcmp order of
//     the UTF-8 bytes; SQLite's BINARY collation, PostgreSQL COLLATE "C").
//   - [Contains] is an ASCII case-insensitive substring match: only A–Z and
//     a–z fold, other bytes compare exactly. '%' and '_' (and the renderer's
//     LIKE escape character, if it uses LIKE) are ordinary characters and must
//     be escaped. An empty value matches every non-null value.
//   - [IsNull] and [IsNotNull] test for an unset (NULL) value.
//   - Every other operator never matches NULL; in particular [NotEquals]
//     excludes rows whose field is NULL (plain SQL "col <> ?" already does).
//   - Ordering follows Query.Order key by key. NULLs sort first for an
//     ascending key and last for a descending key, in every store (SQLite's
//     default; PostgreSQL needs explicit NULLS FIRST / NULLS LAST).
//   - Query.Order always contains the schema's id field (appended ascending
//     when the client did not name it), so ties are broken by the primary id
//     ascending and pages are stable. Render the keys as given.
//   - Query.Offset rows are skipped, then at most Query.Limit rows are
//     returned; an offset past the end gives an empty list.
package query
