import type { FastifyInstance } from 'fastify';
import { isDateTime, type Reservation, type Facility } from '../../../emulator/store/calendar.js';
import { html, query } from '../html.js';
import { csrfField, page } from '../layout.js';
import { InputError, fieldsOf, id, queryOf, route, text, type Ctx, type Fields, type WebDeps } from '../context.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const WEEKDAYS = ['日', '月', '火', '水', '木', '金', '土'];

/** Today's date on the server's clock (the personal schedule frame's "today"). */
export function localDate(offsetDays = 0, from = new Date()): string {
  const d = new Date(from.getTime() + offsetDays * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return localDate(n, new Date(y, m - 1, d, 12));
}

function dateLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return `${y}年${m}月${d}日(${WEEKDAYS[new Date(y, m - 1, d, 12).getDay()]})`;
}

function dateOf(v: unknown, now: number): string {
  if (v === undefined || v === '') return localDate(0, new Date(now));
  if (typeof v !== 'string' || !DATE.test(v) || !isDateTime(`${v}T12:00`)) throw new InputError('日付は 2026-11-26 の形式で入力してください。');
  return v;
}

interface ReservationForm { title: string; date: string; start: string; end: string; note: string; facility: string }

function readForm(f: Fields): ReservationForm {
  return { title: text(f, 'title', 200), date: text(f, 'date', 10), start: text(f, 'start', 5), end: text(f, 'end', 5), note: text(f, 'note', 2000), facility: text(f, 'facility', 10) };
}

function formFromReservation(r: Reservation): ReservationForm {
  return { title: r.title, date: r.start.slice(0, 10), start: r.start.slice(11, 16), end: r.end.slice(11, 16), note: r.note, facility: r.facilityId ? String(r.facilityId) : '' };
}

function hhmm(r: Reservation): string {
  return `${r.start.slice(11, 16)}-${r.start.slice(0, 10) === r.end.slice(0, 10) ? r.end.slice(11, 16) : `${r.end.slice(5, 10).replace('-', '/')} ${r.end.slice(11, 16)}`}`;
}

export function scheduleRoutes(app: FastifyInstance, deps: WebDeps): void {
  const site = deps.site;
  const homeAndShared = (c: Ctx) => [site.homeServer(c.user), site.sharedServer];
  const facilities = () => site.sharedServer.store.calendar.facilities();
  const facilityName = (fid: number | null) => (fid ? site.sharedServer.store.calendar.facility(fid)?.name ?? `#${fid}` : '');
  /**
   * Where a user's reservations live: personal ones on the home server,
   * facility reservations with the facility (the shared server). One server
   * on a single-server site.
   */
  const servers = (c: Ctx) => [...new Set([site.homeServer(c.user), site.sharedServer])];
  type Located = Reservation & { server: string };
  const mine = (c: Ctx, range: { from: string; to: string }): Located[] => servers(c)
    .flatMap((s) => s.store.calendar.list(c.user, range).map((r) => ({ ...r, server: s.name })))
    .sort((a, b) => a.start.localeCompare(b.start) || a.id - b.id);
  const ref = (r: Located) => ({ id: r.id, server: r.server });

  /** The user's own reservation; another user's id is "not found" (no hint that it exists). */
  const own = (c: Ctx, fields: Fields): Located => {
    const rid = id(fields.id);
    const name = text(fields, 'server', 40) || site.homeServer(c.user).name;
    const server = servers(c).find((s) => s.name === name);
    const r = server?.store.calendar.get(rid);
    if (!server || !r || r.owner !== c.user) throw new InputError('指定された予約はありません。', 404, '/schedule/list');
    return { ...r, server: server.name };
  };
  /** The store a reservation belongs in. */
  const storeFor = (c: Ctx, facilityId: number | null) => (facilityId ? site.sharedServer : site.homeServer(c.user));

  /** Checks a form and returns the reservation input; a facility must be permitted and free. */
  const validate = (c: Ctx, form: ReservationForm, back: string, except?: Located) => {
    if (!form.title.trim()) throw new InputError('件名を入力してください。', 400, back);
    if (!DATE.test(form.date) || !isDateTime(`${form.date}T12:00`)) throw new InputError('日付は 2026-11-26 の形式で入力してください。', 400, back);
    if (!TIME.test(form.start) || !TIME.test(form.end)) throw new InputError('時刻は 10:00 の形式で入力してください。', 400, back);
    if (form.end <= form.start) throw new InputError('終了時刻は開始時刻より後にしてください。', 400, back);
    const start = `${form.date}T${form.start}`;
    const end = `${form.date}T${form.end}`;
    let facilityId: number | null = null;
    if (form.facility) {
      facilityId = id(form.facility, 'facility');
      const fac = site.sharedServer.store.calendar.facility(facilityId);
      if (!fac) throw new InputError('指定された設備はありません。', 404, back);
      if (!fac.permitted.includes(c.user)) throw new InputError(`設備「${fac.name}」の利用は許可されていません。`, 403, back);
      const clash = facilityReservations(facilityId).find((r) => !(except && r.id === except.id && r.server === except.server) && r.start < end && start < r.end);
      if (clash) throw new InputError(`設備「${fac.name}」はその時間帯に予約されています。(${hhmm(clash)})`, 409, back);
    }
    return { title: form.title, start, end, note: form.note, facilityId };
  };
  const facilityReservations = (fid: number): Located[] => site.mailServers.flatMap((s) => s.store.calendar.forFacility(fid).map((r) => ({ ...r, server: s.name })));

  const reservationRows = (rs: Located[]) => rs.length
    ? rs.map((r) => html`<tr><td>${hhmm(r)}</td><td><a href="/schedule/view${query(ref(r))}">${r.title}</a></td><td>${facilityName(r.facilityId)}</td></tr>\n`)
    : html`<tr><td colspan="3" class="muted">予定はありません。</td></tr>`;

  // The personal schedule frame of the top page: today's reservations.
  route(app, deps, 'GET', '/schedule/today', { data: homeAndShared }, (c) => {
    const today = localDate(0, new Date(site.clock.now()));
    const rs = mine(c, { from: `${today}T00:00`, to: `${addDays(today, 1)}T00:00` });
    return page('個人予約', html`<h1>個人予約 - ${dateLabel(today)}</h1>
<table class="list" id="today-list"><tr><th>時刻</th><th>件名</th><th>設備</th></tr>
${reservationRows(rs)}</table>
<div class="buttons"><a href="/schedule/new${query({ date: today })}">新規予約</a> <a href="/schedule/list">週の予定</a></div>`);
  });

  route(app, deps, 'GET', '/schedule/list', { data: homeAndShared }, (c) => {
    const from = dateOf(queryOf(c.req).date, site.clock.now());
    const days = Array.from({ length: 7 }, (_, i) => addDays(from, i));
    const rs = mine(c, { from: `${from}T00:00`, to: `${addDays(from, 7)}T00:00` });
    return page('スケジュール', html`<h1>スケジュール - ${dateLabel(from)} から 1週間</h1>
<p><a href="/schedule/list${query({ date: addDays(from, -7) })}">&lt;&lt; 前の週</a> | <a href="/schedule/list">今日</a> | <a href="/schedule/list${query({ date: addDays(from, 7) })}">次の週 &gt;&gt;</a></p>
<table class="list" id="schedule-list"><tr><th>日付</th><th>時刻</th><th>件名</th><th>設備</th></tr>
${days.map((d) => {
    const today = rs.filter((r) => r.start.slice(0, 10) === d);
    return today.length ? today.map((r, i) => html`<tr>${i === 0 ? html`<td rowspan="${today.length}">${dateLabel(d)}</td>` : ''}<td>${hhmm(r)}</td><td><a href="/schedule/view${query(ref(r))}">${r.title}</a></td><td>${facilityName(r.facilityId)}</td></tr>\n`)
      : html`<tr><td>${dateLabel(d)}</td><td colspan="3" class="muted">-</td></tr>\n`;
  })}</table>
<div class="buttons"><a href="/schedule/new${query({ date: from })}">新規予約</a></div>`);
  });

  route(app, deps, 'GET', '/schedule/view', { data: homeAndShared, back: () => '/schedule/list' }, (c) => {
    const r = own(c, queryOf(c.req));
    return page(`${r.title} - 予約`, html`<h1>予約の内容</h1>
<table class="form" id="reservation">
<tr><th>件名</th><td>${r.title}</td></tr><tr><th>日時</th><td>${dateLabel(r.start.slice(0, 10))} ${hhmm(r)}</td></tr>
<tr><th>設備</th><td>${facilityName(r.facilityId) || 'なし'}</td></tr><tr><th>メモ</th><td><pre class="body">${r.note}</pre></td></tr>
</table>
<div class="buttons"><a href="/schedule/edit${query(ref(r))}">変更</a>
<form method="post" action="/schedule/delete">${csrfField(c.session.csrf)}<input type="hidden" name="id" value="${r.id}"><input type="hidden" name="server" value="${r.server}"><button type="submit">削除</button></form>
<a href="/schedule/list${query({ date: r.start.slice(0, 10) })}">一覧へ戻る</a></div>`);
  });

  const reservationForm = (c: Ctx, title: string, action: string, form: ReservationForm, extra: ReturnType<typeof html>) => page(title, html`<h1>${title}</h1>
<form method="post" action="${action}">${csrfField(c.session.csrf)}${extra}
<table class="form">
<tr><th>件名</th><td><input type="text" name="title" size="40" maxlength="200" value="${form.title}"></td></tr>
<tr><th>日付</th><td><input type="date" name="date" value="${form.date}"></td></tr>
<tr><th>時刻</th><td><input type="time" name="start" value="${form.start}"> - <input type="time" name="end" value="${form.end}"></td></tr>
<tr><th>設備</th><td><select name="facility"><option value="">なし</option>${facilities().filter((f: Facility) => f.permitted.includes(c.user) || String(f.id) === form.facility)
    .map((f: Facility) => html`<option value="${f.id}"${String(f.id) === form.facility ? html` selected` : ''}>${f.name}</option>`)}</select></td></tr>
<tr><th>メモ</th><td><textarea name="note" rows="4" cols="40">
${form.note}</textarea></td></tr>
</table>
<div class="buttons"><button type="submit">登録</button> <a href="/schedule/list">キャンセル</a></div>
</form>`);

  route(app, deps, 'GET', '/schedule/new', { data: homeAndShared, back: () => '/schedule/list' }, (c) => {
    const q = queryOf(c.req);
    const form = readForm(q);
    return reservationForm(c, '新規予約', '/schedule/create', { ...form, date: form.date || dateOf(undefined, site.clock.now()), start: form.start || '09:00', end: form.end || '10:00' }, html``);
  });
  route(app, deps, 'POST', '/schedule/create', { data: homeAndShared, back: (c) => `/schedule/new${query({ ...readForm(fieldsOf(c.req)) })}` }, (c) => {
    const form = readForm(fieldsOf(c.req));
    const input = validate(c, form, `/schedule/new${query({ ...form })}`);
    const server = storeFor(c, input.facilityId);
    const r = server.store.calendar.create(c.user, input);
    return { redirect: `/schedule/view${query({ id: r.id, server: server.name })}` };
  });

  route(app, deps, 'GET', '/schedule/edit', { data: homeAndShared, back: (c) => `/schedule/view${query({ id: text(queryOf(c.req), 'id', 10), server: text(queryOf(c.req), 'server', 40) })}` }, (c) => {
    const r = own(c, queryOf(c.req));
    return reservationForm(c, '予約の変更', '/schedule/update', formFromReservation(r), html`<input type="hidden" name="id" value="${r.id}"><input type="hidden" name="server" value="${r.server}">`);
  });
  route(app, deps, 'POST', '/schedule/update', { data: homeAndShared, back: (c) => `/schedule/edit${query({ id: text(fieldsOf(c.req), 'id', 10), server: text(fieldsOf(c.req), 'server', 40) })}` }, (c) => {
    const r = own(c, fieldsOf(c.req));
    const input = validate(c, readForm(fieldsOf(c.req)), `/schedule/edit${query(ref(r))}`, r);
    const target = storeFor(c, input.facilityId);
    if (target.name === r.server) {
      target.store.calendar.update(r.id, input);
      return { redirect: `/schedule/view${query(ref(r))}` };
    }
    // A facility added or removed moves the reservation between the home and the shared server.
    const moved = target.store.calendar.create(c.user, input);
    site.server(r.server).store.calendar.delete(r.id);
    return { redirect: `/schedule/view${query({ id: moved.id, server: target.name })}` };
  });
  route(app, deps, 'POST', '/schedule/delete', { data: homeAndShared, back: (c) => `/schedule/view${query({ id: text(fieldsOf(c.req), 'id', 10), server: text(fieldsOf(c.req), 'server', 40) })}` }, (c) => {
    const r = own(c, fieldsOf(c.req));
    site.server(r.server).store.calendar.delete(r.id);
    return { redirect: `/schedule/list${query({ date: r.start.slice(0, 10) })}` };
  });

  // 設備予約: the facilities' calendars for a day, and reserving one.
  route(app, deps, 'GET', '/facility/list', { data: () => [site.sharedServer] }, (c) => {
    const date = dateOf(queryOf(c.req).date, site.clock.now());
    const all = facilities();
    return page('設備予約', html`<h1>設備予約 - ${dateLabel(date)}</h1>
<p><a href="/facility/list${query({ date: addDays(date, -1) })}">&lt;&lt; 前日</a> | <a href="/facility/list">今日</a> | <a href="/facility/list${query({ date: addDays(date, 1) })}">翌日 &gt;&gt;</a></p>
<table class="list" id="facility-list"><tr><th>設備</th><th>部門</th><th>予約</th><th></th></tr>
${all.map((f) => {
    const rs = facilityReservations(f.id).filter((r) => r.start.slice(0, 10) === date);
    return html`<tr><td>${f.name}</td><td>${f.department}</td><td>${rs.length ? rs.map((r) => html`${hhmm(r)} ${r.owner}<br>`) : html`<span class="muted">なし</span>`}</td>
<td>${f.permitted.includes(c.user) ? html`<a href="/facility/reserve${query({ id: f.id, date })}">予約</a>` : html`<span class="muted">利用不可</span>`}</td></tr>\n`;
  })}</table>`);
  });
  route(app, deps, 'GET', '/facility/reserve', { data: homeAndShared, back: () => '/facility/list' }, (c) => {
    const q = queryOf(c.req);
    const fid = id(q.id, 'id');
    const fac = site.sharedServer.store.calendar.facility(fid);
    if (!fac) throw new InputError('指定された設備はありません。', 404, '/facility/list');
    const form = readForm(q);
    return reservationForm(c, `設備予約 - ${fac.name}`, '/schedule/create',
      { ...form, date: dateOf(q.date, site.clock.now()), start: form.start || '09:00', end: form.end || '10:00', title: form.title || `${fac.name} 利用`, facility: String(fac.id) }, html``);
  });
}
