"""Schema migrations, applied in order; the applied version is kept in `schema_version`.

Append new migrations; never edit one that has shipped. Must not contain anything but SQL.

One list serves SQLite and PostgreSQL (issue 17): each migration is written in SQLite's spelling
and `script_for` turns it into PostgreSQL's mechanically (64-bit integers, double precision,
bytea, identity keys, byte-order collation so that ORDER BY answers as SQLite does); a
migration whose PostgreSQL form is not that translation has it in `POSTGRES_FORMS`.
"""

import re

MIGRATIONS: tuple[str, ...] = (
    # 1: users, app passwords, connections, collections, items
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        email TEXT,
        created REAL NOT NULL
    );
    CREATE TABLE app_passwords (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        hash TEXT NOT NULL,
        created REAL NOT NULL,
        last_used REAL
    );
    CREATE TABLE connections (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        account TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}',
        secret BLOB,
        status TEXT NOT NULL DEFAULT 'ok',
        error TEXT,
        last_sync REAL,
        created REAL NOT NULL,
        UNIQUE (user_id, provider, account)
    );
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        color TEXT,
        read_only INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        seq INTEGER NOT NULL DEFAULT 0,
        token_prefix TEXT NOT NULL,
        cursor TEXT,
        refreshed_at REAL,
        UNIQUE (user_id, name),
        UNIQUE (connection_id, kind, remote_id)
    );
    CREATE TABLE items (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        uid TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        version TEXT NOT NULL,
        etag TEXT NOT NULL,
        text TEXT,
        component TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        modified REAL NOT NULL,
        PRIMARY KEY (collection_id, href)
    ) WITHOUT ROWID;
    CREATE INDEX items_remote ON items (collection_id, remote_id);
    CREATE INDEX items_uid ON items (collection_id, uid);
    CREATE INDEX items_seq ON items (collection_id, seq);
    CREATE TABLE members (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        member_id TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        PRIMARY KEY (collection_id, member_id)
    ) WITHOUT ROWID;
    CREATE INDEX members_remote ON members (collection_id, remote_id);
    """,
    # 2: UIDs chosen by DAV clients for events whose provider assigns its own (Graph iCalUId)
    """
    CREATE TABLE uid_aliases (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        remote_id TEXT NOT NULL,
        uid TEXT NOT NULL,
        PRIMARY KEY (collection_id, remote_id)
    ) WITHOUT ROWID;
    """,
    # 3: caller lookup (K4): every TEL of every mirrored contact in E.164, indexed for equality
    # and prefix (B-tree) and for substring search (FTS5 trigram), with what a lookup answers
    """
    CREATE TABLE phones (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        e164 TEXT NOT NULL,
        national TEXT NOT NULL,
        raw TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        org TEXT NOT NULL
    );
    CREATE INDEX phones_item ON phones (collection_id, href);
    CREATE INDEX phones_e164 ON phones (e164);
    CREATE INDEX phones_national ON phones (national);
    CREATE VIRTUAL TABLE phones_digits USING fts5(digits, tokenize = 'trigram');
    ALTER TABLE users ADD COLUMN region TEXT;
    """,
    # 4: the web portal (issue 5): local portal passwords, admins, groups with policy overrides
    # (P6), the organisation policy (one row) and server-side portal sessions (token sha256 only)
    """
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        overrides TEXT NOT NULL DEFAULT '{}'
    );
    ALTER TABLE users ADD COLUMN password_hash TEXT;
    ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL;
    ALTER TABLE users ADD COLUMN sign_ins INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX users_group ON users (group_id);
    CREATE INDEX users_email ON users (lower(email));
    CREATE TABLE org_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        policy TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE portal_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created REAL NOT NULL,
        expires REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX portal_sessions_expires ON portal_sessions (expires);
    CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
    """,
    # 5: round-trip fidelity (issue 10): what enrichment added to each mirrored item (JSON,
    # bridge.joinlinks.record), so the write path removes exactly that; and the per-user choice
    # to show "Not a Zoom meeting" with the host in DESCRIPTION (default on). Cursors are
    # dropped so that the next pull is a full one and every mirrored item gets its record.
    """
    ALTER TABLE items ADD COLUMN added TEXT;
    ALTER TABLE users ADD COLUMN not_zoom_line INTEGER NOT NULL DEFAULT 1;
    UPDATE collections SET cursor = NULL;
    """,
    # 6: items a DAV client wrote (issue 11): the sync window never drops them while the
    # provider still has them
    """
    ALTER TABLE items ADD COLUMN written INTEGER NOT NULL DEFAULT 0;
    """,
    # 7: the display name and colour a DAV client set on a collection (issue 11): served as
    # set (no " — <service>" label, no palette rounding) while the provider keeps what it made
    # of them; client_color_of is the provider's colour for the client's one (NULL until seen)
    """
    ALTER TABLE collections ADD COLUMN client_name TEXT;
    ALTER TABLE collections ADD COLUMN client_color TEXT;
    ALTER TABLE collections ADD COLUMN client_color_of TEXT;
    """,
    # 8 (branch postgres, issue 17): coordination of several bridge processes on one database:
    # pull leases per collection (holder, expiry) and state any process must see (pending
    # OAuth flows, one-time notices, login throttles, cache generations), each with an expiry
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT,
        expires REAL NOT NULL DEFAULT 0,
        taken INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE shared_state (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX shared_state_expires ON shared_state (expires);
    """,
    # 9 (branch views): the meeting views a user
    # switched on in the portal (C4), comma-separated: "zoom", "hosted"; '' = none
    # … and the name index of mirrored contacts (K5: the directory searched by name and email
    # from an index): FN / N / NICKNAME / ORG / EMAIL values case-folded, B-tree for equals and
    # starts-with, FTS5 trigram for contains; address books are pulled whole once to fill it
    """
    ALTER TABLE users ADD COLUMN meeting_views TEXT NOT NULL DEFAULT '';
    CREATE TABLE card_texts (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        prop TEXT NOT NULL,
        value TEXT NOT NULL
    );
    CREATE INDEX card_texts_item ON card_texts (collection_id, href);
    CREATE INDEX card_texts_value ON card_texts (collection_id, prop, value);
    CREATE VIRTUAL TABLE card_texts_trigram USING fts5(value, tokenize = 'trigram');
    UPDATE collections SET cursor = NULL WHERE kind = 'addressbook';
    """,
    # 10 (branch delegation): delegation (issue 15). Which mirrored calendars
    # hold private events as busy blocks only (the user is a delegate without private access),
    # and the bridge-level grants an admin gave: grantee may read (or read and write) owner's
    # calendars, with or without private access.
    """
    CREATE TABLE collection_privacy (
        collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
        redact INTEGER NOT NULL
    );
    CREATE TABLE calendar_grants (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        grantee_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        write INTEGER NOT NULL,
        private INTEGER NOT NULL,
        created REAL NOT NULL,
        created_by TEXT NOT NULL,
        UNIQUE (owner_id, grantee_id)
    );
    """,
    # 11 (branch delegation): a user's display name as the provider account calls them (the
    # owner's name on their own calendars), for labels such as "Calendar (Megan Bowen)".
    """
    ALTER TABLE users ADD COLUMN display_name TEXT;
    """,
    # 12 (branch serving, issue 14): a covering index for the bulk DAV answers' listings
    # (PROPFIND Depth 1, the etags of multiget and sync-collection): read from the index alone
    # instead of every item's row with its text (2,000 events: 0.9 ms instead of 4.7 ms)
    """
    CREATE INDEX items_listing ON items (collection_id, deleted, href, etag, component);
    """,
    # 13: a calendar's private-event setting counts its changes, so a pull converted under the
    # old setting finds out in its commit's transaction and stores nothing (issue 15)
    """
    ALTER TABLE collection_privacy ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
    """,
)

# Migrations whose PostgreSQL form is not the mechanical translation (by number).
POSTGRES_FORMS: dict[int, str] = {
    # 3: FTS5 does not exist there: `phones` gets the rowid SQLite gives every table, and the
    # substring index is a trigram GIN index (pg_trgm, a trusted extension) on phones_digits
    3: """
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE TABLE phones (
        rowid INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        e164 TEXT NOT NULL,
        national TEXT NOT NULL,
        raw TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        org TEXT NOT NULL
    );
    CREATE INDEX phones_item ON phones (collection_id, href);
    CREATE INDEX phones_e164 ON phones (e164);
    CREATE INDEX phones_national ON phones (national);
    CREATE TABLE phones_digits (rowid INTEGER PRIMARY KEY, digits TEXT NOT NULL);
    CREATE INDEX phones_digits_trgm ON phones_digits USING gin (digits gin_trgm_ops);
    ALTER TABLE users ADD COLUMN region TEXT;
    """,
    # 9: the name index's contains-search is a trigram GIN index instead of FTS5; card_texts
    # gets the rowid SQLite gives every table (the trigram rows share it)
    9: """
    ALTER TABLE users ADD COLUMN meeting_views TEXT NOT NULL DEFAULT '';
    CREATE TABLE card_texts (
        rowid INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        href TEXT NOT NULL,
        prop TEXT NOT NULL,
        value TEXT NOT NULL
    );
    CREATE INDEX card_texts_item ON card_texts (collection_id, href);
    CREATE INDEX card_texts_value ON card_texts (collection_id, prop, value);
    CREATE TABLE card_texts_trigram (rowid INTEGER PRIMARY KEY, value TEXT NOT NULL);
    CREATE INDEX card_texts_trigram_trgm ON card_texts_trigram USING gin (value gin_trgm_ops);
    UPDATE collections SET cursor = NULL WHERE kind = 'addressbook';
    """,
}

_TO_POSTGRES = (
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT ROWID"), ")"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def script_for(number: int, dialect: str) -> str:
    """Migration `number` (1-based) in the SQL of `dialect` ("sqlite" or "postgres")."""
    script = MIGRATIONS[number - 1]
    if dialect == "sqlite":
        return script
    script = POSTGRES_FORMS.get(number, script)
    for pattern, replacement in _TO_POSTGRES:
        script = pattern.sub(replacement, script)
    return script
