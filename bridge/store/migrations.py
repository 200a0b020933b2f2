"""Schema migrations, applied in order; the applied version is kept in `schema_version`.

Append new migrations; never edit one that has shipped. Must not contain anything but SQL.
"""

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
)
