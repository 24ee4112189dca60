// Every server's database has the same schema; the site decides which server
// holds what (directory data on the directory server, a user's mail, schedule
// and web data on the user's home server, shared data on the first
// application server).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS staged_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, service TEXT NOT NULL,
  operation TEXT NOT NULL, object TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY, display_name TEXT NOT NULL, password TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0, home_server TEXT NOT NULL, department TEXT NOT NULL DEFAULT '',
  services TEXT NOT NULL, template TEXT, option_settings TEXT, option_settings_applied INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
  name TEXT PRIMARY KEY, services TEXT NOT NULL, option_settings TEXT,
  option_settings_applied INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, name TEXT NOT NULL,
  uid_validity INTEGER NOT NULL, uid_next INTEGER NOT NULL DEFAULT 1, subscribed INTEGER NOT NULL DEFAULT 1,
  UNIQUE (owner, name));
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT, folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL, size INTEGER NOT NULL, internal_date TEXT NOT NULL, flags TEXT NOT NULL DEFAULT '[]',
  raw BLOB NOT NULL, UNIQUE (folder_id, uid));
-- Derived from a message's bytes when it is written (or on first need, for messages stored before
-- this table existed): IMAP's ENVELOPE as the octets a FETCH sends. Its own table, so that reading
-- it never walks a large message's pages; it goes with its message (ids are never reused).
CREATE TABLE IF NOT EXISTS envelopes (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, octets BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS facilities (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, department TEXT NOT NULL DEFAULT '',
  permitted TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS reservations (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, title TEXT NOT NULL, start TEXT NOT NULL,
  end TEXT NOT NULL, facility_id INTEGER, note TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS forums (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, forum_id INTEGER NOT NULL REFERENCES forums(id) ON DELETE CASCADE,
  author TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
  locked_by TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (owner TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memos (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bookmarks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, url TEXT NOT NULL, created_by TEXT NOT NULL);
`;
