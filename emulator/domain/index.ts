// The domain layer: one service per area, each rule written once. Front ends
// (POP3, IMAP, the web pages, the application execution module, the desktop
// clients' operations, SMTP) ask these services and translate the typed
// outcomes ({ok: true, value} or {ok: false, refused, message}) into their
// wire forms; they do not read or write a repository themselves.

import { AccessService } from './access.js';
import { CalendarService } from './calendar.js';
import { DirectoryService } from './directory.js';
import { ForumService } from './forum.js';
import { LibraryService } from './library.js';
import { MailService } from './mail.js';
import { WebDataService } from './webdata.js';
import type { DomainServer, DomainSite } from './ports.js';

export * from './outcome.js';
export type { DomainServer, DomainSite } from './ports.js';
export { AccessService, accessOptions, type AccessOptions, type LoginClient, type LoginFailure, type LoginOutcome, type LoginRequest } from './access.js';
export { CalendarService, type Located, type ReservationRef, type ReservationPatch, type CalendarOutcome, type CalendarRefusal, type CalendarDetail } from './calendar.js';
export { DirectoryService, entryOf, visibleAccount, type DirectoryEntry, type VisibleAccount } from './directory.js';
export { ForumService } from './forum.js';
export { LibraryService } from './library.js';
export { MailService, WASTEBOX } from './mail.js';
export { WebDataService } from './webdata.js';

export interface Domain<S extends DomainServer = DomainServer> {
  access: AccessService<S>;
  calendar: CalendarService<S>;
  directory: DirectoryService<S>;
  forum: ForumService<S>;
  library: LibraryService<S>;
  mail: MailService<S>;
  webdata: WebDataService<S>;
}

/** The site's domain services (checks `services.access` at once: a bad setting is one error at start). */
export function createDomain<S extends DomainServer>(site: DomainSite<S>): Domain<S> {
  return {
    access: new AccessService(site),
    calendar: new CalendarService(site),
    directory: new DirectoryService(site),
    forum: new ForumService(site),
    library: new LibraryService(site),
    mail: new MailService(site),
    webdata: new WebDataService(site),
  };
}
