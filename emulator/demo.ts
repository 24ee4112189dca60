import type { Site } from './site.js';
import { localDate } from './clock.js';

export const DEMO_PASSWORD = 'teamware';

/** RFC 2047 B-encoding of a UTF-8 header value. */
const b64 = (text: string) => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

function message(from: string, to: string, subject: string, body: string, n: number): string {
  return [
    `From: ${from}@teamware.example`,
    `To: ${to}@teamware.example`,
    `Subject: ${subject}`,
    `Date: ${new Date(Date.UTC(2026, 10, 20 + n, 9, n * 7)).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <demo-${to}-${n}@teamware.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
    '',
  ].join('\r\n');
}

/** An ISO-2022-JP message, as Japanese mail clients of the period sent them. */
function iso2022jp(from: string, to: string): string {
  // 「会議室の予約について」 / 「明日の会議は第一会議室です。」 in ISO-2022-JP.
  const subject = '=?ISO-2022-JP?B?GyRCMnE1RDw8JE5NPUxzJEskRCQkJEYbKEI=?=';
  const body = Buffer.from('1b24424c40467c244e32713544244f4268306c327135443c3c2447243921231b2842', 'hex');
  return [
    `From: ${from}@teamware.example`, `To: ${to}@teamware.example`, `Subject: ${subject}`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0900', `Message-ID: <demo-${to}-jis@teamware.example>`, 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=ISO-2022-JP', 'Content-Transfer-Encoding: 7bit', '', body.toString('latin1'), '',
  ].join('\r\n');
}

/** Demo data (INTERFACE.md): alice and bob with mail, reservations, a forum, a facility calendar; ADMIN. */
export function seedDemoData(site: Site): void {
  const today = (offsetDays = 0) => localDate(site.clock.now(), offsetDays);
  site.createUser({ name: 'ADMIN', password: DEMO_PASSWORD, displayName: '管理者', isAdmin: true, department: '情報システム部' });
  site.createUser({ name: 'alice', password: DEMO_PASSWORD, displayName: '佐藤 亜里沙', department: '営業部' });
  site.createUser({ name: 'bob', password: DEMO_PASSWORD, displayName: '鈴木 文雄', department: '営業部' });
  for (const [user, other] of [['alice', 'bob'], ['bob', 'alice']] as const) {
    site.deliver(user, message(other, user, b64('週次報告のお願い'), '今週の報告を金曜日までに送ってください。\r\nよろしくお願いします。', 1), { asStored: true });
    site.deliver(user, message(other, user, 'Quarterly figures', 'Hello,\r\n\r\nThe figures are attached below.\r\n.\r\nA line with a single dot above.', 2), { asStored: true });
    site.deliver(user, iso2022jp(other, user), { asStored: true });
    const home = site.homeStore(user);
    home.calendar.create(user, { title: '定例会議', start: `${today()}T10:00`, end: `${today()}T11:00`, note: '第一会議室' });
    home.calendar.create(user, { title: '顧客訪問', start: `${today()}T14:00`, end: `${today()}T15:30` });
    home.calendar.create(user, { title: '出張', start: `${today(1)}T09:00`, end: `${today(1)}T18:00` });
    home.webdata.setSignature(user, `--\r\n${site.account(user)!.displayName}\r\n営業部`);
    home.webdata.createMemo(user, { title: '買い物', body: 'プリンタの用紙を注文する' });
  }
  const shared = site.sharedServer.store;
  const room = shared.calendar.createFacility({ name: '第一会議室', department: '営業部', permitted: ['alice', 'bob'] });
  shared.calendar.createFacility({ name: 'プロジェクタ', department: '営業部', permitted: ['alice'] });
  // Facility reservations live with the facility (the shared server), so a multi-server site keeps them together.
  shared.calendar.create('alice', { title: '会議室予約', start: `${today()}T13:00`, end: `${today()}T14:00`, facilityId: room.id });
  const forum = shared.forum.createForum('お知らせ');
  shared.forum.createPost(forum.id, 'ADMIN', { title: 'オンラインバックアップのお知らせ', body: '毎週金曜日の夜にオンラインバックアップを行います。' });
  shared.forum.createPost(forum.id, 'alice', { title: '会議室の利用について', body: '第一会議室は予約してから使ってください。' });
  shared.forum.createForum('雑談');
  shared.library.create({ title: '業務マニュアル', body: 'TeamWARE Office の使い方' });
  shared.library.create({ title: '就業規則', body: '第1条 ...' });
  site.directoryServer.store.webdata.createBookmark('ADMIN', { title: '社内ポータル', url: 'http://portal.teamware.example/' });
  site.directory.createTemplate({ name: 'standard', optionSettings: 'mail.quota=100MB\nweb.theme=classic' });
}
