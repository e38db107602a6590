-- Ping's write probe rewrites this one row when no commit has shown recently
-- whether the writer works (disk full, file system gone).
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
