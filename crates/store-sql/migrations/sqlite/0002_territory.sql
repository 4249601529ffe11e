-- Italy's administrative tree (crocevia_core::territory), loaded from the shipped ISTAT data on
-- first start and replaced as a whole when that data changes. Codes are ISTAT's (region 2
-- digits, province 3, comune 6); coordinates are the centroid of the boundary, WGS84 degrees,
-- NULL where the boundary files lack the unit.
CREATE TABLE territory_region (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    latitude  REAL,
    longitude REAL
);

CREATE TABLE territory_province (
    code                        TEXT PRIMARY KEY,
    historical_code             TEXT NOT NULL,
    name                        TEXT NOT NULL,
    abbreviation                TEXT NOT NULL,
    region_code                 TEXT NOT NULL REFERENCES territory_region (code),
    kind                        TEXT NOT NULL,
    -- The office serving the province: its name, the province it belongs to (itself, or the
    -- one whose office serves this one), the comune it sits in, the source file's remark.
    prefecture_name             TEXT NOT NULL,
    prefecture_province_code    TEXT NOT NULL,
    prefecture_seat_comune_code TEXT,
    prefecture_note             TEXT,
    latitude                    REAL,
    longitude                   REAL
);

-- name_key and name_other_key are the names folded for comparison (lower case, no accents,
-- one kind of apostrophe: crocevia_core::territory::fold_name), so prefix search is
-- case- and accent-insensitive alike on both backends. Their collation orders by bytes
-- ("C" in PostgreSQL; NOCASE in SQLite, the same on lower-case keys and the one that lets
-- LIKE use an index there), so listing order does not depend on the server's locale.
CREATE TABLE territory_comune (
    code                  TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    name_other_language   TEXT,
    province_code         TEXT NOT NULL REFERENCES territory_province (code),
    region_code           TEXT NOT NULL REFERENCES territory_region (code),
    cadastral_code        TEXT NOT NULL,
    is_provincial_capital INTEGER NOT NULL CHECK (is_provincial_capital IN (0, 1)),
    latitude              REAL,
    longitude             REAL,
    name_key              TEXT NOT NULL COLLATE NOCASE,
    name_other_key        TEXT COLLATE NOCASE
);
CREATE INDEX territory_comune_province ON territory_comune (province_code, name_key);
CREATE INDEX territory_comune_name ON territory_comune (name_key);
CREATE INDEX territory_comune_latitude ON territory_comune (latitude);
