-- What people searched the portal for and could not find, per ISO week and language, with
-- no personal data (see crocevia_app::search_demand).
--
-- A query's text is kept only once `visitors` reaches the threshold; until then the row is
-- known by `query_key`, a keyed hash under its week's secret. When a week closes, its rows
-- still without text are folded into the language's row with query_key '' (other queries),
-- its visitor marks are deleted and so is its secret: nothing links a count to a visitor or
-- to a rare query any more.

CREATE TABLE search_demand (
    week             TEXT NOT NULL,
    language         TEXT NOT NULL,
    query_key        TEXT NOT NULL,
    query_text       TEXT,
    searches         BIGINT NOT NULL DEFAULT 0,
    empty_searches   BIGINT NOT NULL DEFAULT 0,
    visitors         BIGINT NOT NULL DEFAULT 0,
    visitors_clicked BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (week, language, query_key)
);

-- One row per visitor of a query during the open week: distinct visitors, and whether this
-- visitor opened a result.
CREATE TABLE search_demand_visitor (
    week        TEXT NOT NULL,
    language    TEXT NOT NULL,
    query_key   TEXT NOT NULL,
    visitor_key TEXT NOT NULL,
    clicked     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (week, language, query_key, visitor_key)
);

-- The key of an open week's hashes, shared by every app server; deleted when the week closes.
CREATE TABLE search_demand_secret (
    week   TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
