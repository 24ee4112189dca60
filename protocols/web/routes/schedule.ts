import type { FastifyInstance } from 'fastify';
import { isDateTime, type Reservation, type Facility } from '../../../emulator/store/calendar.js';
import type { CalendarDetail, CalendarRefusal, Located, Refused } from '../../../emulator/domain/index.js';
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

/** One posted field as it was sent, however long ('' when absent). */
function posted(f: Fields, name: string): string {
  const v = f[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s : '';
}

/** The form as posted, however long each field is (what a refused submission shows again; readForm checks the limits). */
function postedForm(f: Fields): ReservationForm {
  return { title: posted(f, 'title'), date: posted(f, 'date'), start: posted(f, 'start'), end: posted(f, 'end'), note: posted(f, 'note'), facility: posted(f, 'facility') };
}

function formFromReservation(r: Reservation): ReservationForm {
  return { title: r.title, date: r.start.slice(0, 10), start: r.start.slice(11, 16), end: r.end.slice(11, 16), note: r.note, facility: r.facilityId ? String(r.facilityId) : '' };
}

function hhmm(r: Reservation): string {
  return `${r.start.slice(11, 16)}-${r.start.slice(0, 10) === r.end.slice(0, 10) ? r.end.slice(11, 16) : `${r.end.slice(5, 10).replace('-', '/')} ${r.end.slice(11, 16)}`}`;
}

export function scheduleRoutes(app: FastifyInstance, deps: WebDeps): void {
  const site = deps.site;
  const calendar = site.domain.calendar;
  const homeAndShared = (c: Ctx) => calendar.serversOf(c.user);
  const facilities = () => calendar.facilities();
  const facilityName = (fid: number | null) => (fid ? calendar.facility(fid)?.name ?? `#${fid}` : '');
  const mine = (c: Ctx, range: { from: string; to: string }): Located[] => calendar.list(c.user, range);
  const ref = (r: Located) => ({ id: r.id, server: r.server });

  /** The page for a refusal of the calendar service (the rules are the domain's; the words are the web client's). */
  const refused = (r: Refused<CalendarRefusal> & CalendarDetail, back: string, what: 'reservation' | 'facility'): never => {
    switch (r.refused) {
      case 'clash': throw new InputError(`設備「${r.facility!.name}」はその時間帯に予約されています。(${hhmm(r.clash!)})`, 409, back);
      case 'not-permitted':
        if (r.facility) throw new InputError(`設備「${r.facility.name}」の利用は許可されていません。`, 403, back);
        throw new InputError('指定された予約はありません。', 404, '/schedule/list'); // another user's: no hint that it exists
      case 'not-found': throw new InputError(what === 'facility' ? '指定された設備はありません。' : '指定された予約はありません。', 404, what === 'facility' ? back : '/schedule/list');
      default: throw new InputError(`入力に誤りがあります。(${r.message})`, 400, back);
    }
  };

  /** The user's own reservation; another user's id is "not found" (no hint that it exists). */
  const own = (c: Ctx, fields: Fields): Located => {
    const r = calendar.own(c.user, { id: id(fields.id), server: text(fields, 'server', 40) || site.homeServer(c.user).name });
    return r.ok ? r.value : refused(r, '/schedule/list', 'reservation');
  };

  /** Checks the form's own fields and returns the reservation input (the facility's rules are the calendar service's). */
  const validate = (form: ReservationForm, back: string) => {
    if (!form.title.trim()) throw new InputError('件名を入力してください。', 400, back);
    if (!DATE.test(form.date) || !isDateTime(`${form.date}T12:00`)) throw new InputError('日付は 2026-11-26 の形式で入力してください。', 400, back);
    if (!TIME.test(form.start) || !TIME.test(form.end)) throw new InputError('時刻は 10:00 の形式で入力してください。', 400, back);
    if (form.end <= form.start) throw new InputError('終了時刻は開始時刻より後にしてください。', 400, back);
    return { title: form.title, start: `${form.date}T${form.start}`, end: `${form.date}T${form.end}`, note: form.note, facilityId: form.facility ? id(form.facility, 'facility') : null };
  };
  const facilityReservations = (fid: number): Located[] => calendar.facilityReservations(fid);

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

  const reservationFormHtml = (c: Ctx, title: string, action: string, form: ReservationForm, extra: ReturnType<typeof html>) => html`<h1>${title}</h1>
<form method="post" action="${action}">${csrfField(c.session.csrf)}${extra}
<table class="form">
<tr><th>件名</th><td><input type="text" name="title" size="40" maxlength="200" value="${form.title}"></td></tr>
<tr><th>日付</th><td><input type="date" name="date" value="${form.date}"></td></tr>
<tr><th>時刻</th><td><input type="time" name="start" value="${form.start}"> - <input type="time" name="end" value="${form.end}"></td></tr>
<tr><th>設備</th><td><select name="facility"><option value="">なし</option>${facilities().filter((f: Facility) => calendar.mayReserve(c.user, f) || String(f.id) === form.facility)
    .map((f: Facility) => html`<option value="${f.id}"${String(f.id) === form.facility ? html` selected` : ''}>${f.name}</option>`)}</select></td></tr>
<tr><th>メモ</th><td><textarea name="note" rows="4" cols="40">
${form.note}</textarea></td></tr>
</table>
<div class="buttons"><button type="submit">登録</button> <a href="/schedule/list">キャンセル</a></div>
</form>`;
  const reservationForm = (c: Ctx, title: string, action: string, form: ReservationForm, extra: ReturnType<typeof html>) => page(title, reservationFormHtml(c, title, action, form, extra));
  /** The hidden fields of a change: which reservation, on which server (as posted). */
  const changeFields = (f: Fields) => html`<input type="hidden" name="id" value="${posted(f, 'id')}"><input type="hidden" name="server" value="${posted(f, 'server')}">`;

  route(app, deps, 'GET', '/schedule/new', { data: homeAndShared, back: () => '/schedule/list' }, (c) => {
    const q = queryOf(c.req);
    const form = readForm(q);
    return reservationForm(c, '新規予約', '/schedule/create', { ...form, date: form.date || dateOf(undefined, site.clock.now()), start: form.start || '09:00', end: form.end || '10:00' }, html``);
  });
  route(app, deps, 'POST', '/schedule/create', { data: homeAndShared, form: (c, f) => reservationFormHtml(c, '新規予約', '/schedule/create', postedForm(f), html``) }, (c) => {
    const form = readForm(fieldsOf(c.req));
    const back = `/schedule/new${query({ ...form })}`;
    const r = calendar.create(c.user, validate(form, back));
    if (!r.ok) return refused(r, back, 'facility');
    return { redirect: `/schedule/view${query(ref(r.value))}` };
  });

  route(app, deps, 'GET', '/schedule/edit', { data: homeAndShared, back: (c) => `/schedule/view${query({ id: text(queryOf(c.req), 'id', 10), server: text(queryOf(c.req), 'server', 40) })}` }, (c) => {
    const r = own(c, queryOf(c.req));
    return reservationForm(c, '予約の変更', '/schedule/update', formFromReservation(r), html`<input type="hidden" name="id" value="${r.id}"><input type="hidden" name="server" value="${r.server}">`);
  });
  route(app, deps, 'POST', '/schedule/update', { data: homeAndShared, form: (c, f) => reservationFormHtml(c, '予約の変更', '/schedule/update', postedForm(f), changeFields(f)) }, (c) => {
    const r = own(c, fieldsOf(c.req));
    const back = `/schedule/edit${query(ref(r))}`;
    // A facility added or removed moves the reservation between the home and the shared server (the calendar service's placement).
    const updated = calendar.update(c.user, ref(r), validate(readForm(fieldsOf(c.req)), back));
    if (!updated.ok) return refused(updated, back, 'facility');
    return { redirect: `/schedule/view${query(ref(updated.value))}` };
  });
  route(app, deps, 'POST', '/schedule/delete', { data: homeAndShared, back: (c) => `/schedule/view${query({ id: text(fieldsOf(c.req), 'id', 10), server: text(fieldsOf(c.req), 'server', 40) })}` }, (c) => {
    const r = own(c, fieldsOf(c.req));
    const deleted = calendar.delete(c.user, ref(r));
    if (!deleted.ok) return refused(deleted, '/schedule/list', 'reservation');
    return { redirect: `/schedule/list${query({ date: r.start.slice(0, 10) })}` };
  });

  // 設備予約: the facilities' calendars for a day, and reserving one.
  route(app, deps, 'GET', '/facility/list', { data: () => [calendar.facilityServer] }, (c) => {
    const date = dateOf(queryOf(c.req).date, site.clock.now());
    const all = facilities();
    return page('設備予約', html`<h1>設備予約 - ${dateLabel(date)}</h1>
<p><a href="/facility/list${query({ date: addDays(date, -1) })}">&lt;&lt; 前日</a> | <a href="/facility/list">今日</a> | <a href="/facility/list${query({ date: addDays(date, 1) })}">翌日 &gt;&gt;</a></p>
<table class="list" id="facility-list"><tr><th>設備</th><th>部門</th><th>予約</th><th></th></tr>
${all.map((f) => {
    const rs = facilityReservations(f.id).filter((r) => r.start.slice(0, 10) === date);
    return html`<tr><td>${f.name}</td><td>${f.department}</td><td>${rs.length ? rs.map((r) => html`${hhmm(r)} ${r.owner}<br>`) : html`<span class="muted">なし</span>`}</td>
<td>${calendar.mayReserve(c.user, f) ? html`<a href="/facility/reserve${query({ id: f.id, date })}">予約</a>` : html`<span class="muted">利用不可</span>`}</td></tr>\n`;
  })}</table>`);
  });
  route(app, deps, 'GET', '/facility/reserve', { data: homeAndShared, back: () => '/facility/list' }, (c) => {
    const q = queryOf(c.req);
    const fid = id(q.id, 'id');
    const fac = calendar.facility(fid);
    if (!fac) throw new InputError('指定された設備はありません。', 404, '/facility/list');
    const form = readForm(q);
    return reservationForm(c, `設備予約 - ${fac.name}`, '/schedule/create',
      { ...form, date: dateOf(q.date, site.clock.now()), start: form.start || '09:00', end: form.end || '10:00', title: form.title || `${fac.name} 利用`, facility: String(fac.id) }, html``);
  });
}
