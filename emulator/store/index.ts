import { join } from 'node:path';
import { ServerDatabase, DB_FILE } from './database.js';
import { DirectoryRepo } from './directory.js';
import { MailRepo, type MessageIndex } from './mail.js';
import { CalendarRepo } from './calendar.js';
import { ForumRepo } from './forum.js';
import { LibraryRepo } from './library.js';
import { WebDataRepo } from './webdata.js';
import type { Clock } from '../clock.js';

export * from './database.js';
export * from './directory.js';
export * from './mail.js';
export * from './calendar.js';
export * from './forum.js';
export * from './library.js';
export * from './webdata.js';

/** One server's store: the database and the domain repositories over it. */
export class Store {
  readonly database: ServerDatabase;
  readonly directory: DirectoryRepo;
  readonly mail: MailRepo;
  readonly calendar: CalendarRepo;
  readonly forum: ForumRepo;
  readonly library: LibraryRepo;
  readonly webdata: WebDataRepo;

  /** `dir`: the server's folder (its twoffice.db); `':memory:'`: an in-memory SQLite database (unit tests; no backup, no staging area). */
  constructor(dir: string, opts: { staging?: boolean; clock?: Clock; index?: MessageIndex } = {}) {
    this.database = new ServerDatabase(dir === ':memory:' ? dir : join(dir, DB_FILE), opts);
    this.directory = new DirectoryRepo(this.database);
    this.mail = new MailRepo(this.database, opts.index);
    this.calendar = new CalendarRepo(this.database);
    this.forum = new ForumRepo(this.database);
    this.library = new LibraryRepo(this.database);
    this.webdata = new WebDataRepo(this.database);
  }

  close(): void {
    this.database.close();
  }
}
