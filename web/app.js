// The sfs browser app: log in, browse, download (folders as zip), new folder, rename, move,
// delete, log out (uploads: upload.js; previews: preview.js). Plain JavaScript, no library. Every name a user stored
// is shown with textContent (never as HTML). State-changing calls carry
// the session's CSRF token, which only this origin can read.
'use strict';

const state = { user: '', csrf: '', path: '', entries: [], sort: 'name', ascending: true };
const $ = (id) => document.getElementById(id);

class Quiet extends Error {}  // already shown to the user

// ---- talking to the server ----

function explain(status, text) {
  const known = {
    403: 'Not allowed: ' + (text || 'refused'),
    404: 'Not found: it may have been moved or deleted.',
    405: 'That name is taken.',
    409: 'The folder does not exist (any more).',
    412: 'That name is taken.',
    423: 'It is locked by a WebDAV client; try again later.',
    507: 'Quota full: ' + text,
  };
  return known[status] || text || 'The server answered ' + status + '.';
}

async function api(method, call, params) {
  const options = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  let url = '/app/api/' + call;
  if (method === 'GET') {
    if (params) url += '?' + new URLSearchParams(params);
  } else {
    options.headers['X-SFS-CSRF'] = state.csrf;
    options.body = new URLSearchParams(params || {});
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (e) {
    throw new Error('The server cannot be reached. Check the connection and try again.');
  }
  if (response.status === 401 && call !== 'login') {
    forget('Your session has ended; please log in again.');
    throw new Quiet();
  }
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new Error(call === 'login' ? text : explain(response.status, text));
  }
  return response;
}

// ---- messages and views ----

function say(text, ok) {
  const box = $('message');
  box.textContent = text || '';
  box.hidden = !text;
  box.classList.toggle('ok', Boolean(ok));
}

function fail(error) {
  if (!(error instanceof Quiet)) say(error.message);
}

function show(view) {
  $('login-view').hidden = view !== 'login';
  $('files-view').hidden = view !== 'files';
  $('logout').hidden = view !== 'files';
  $('who').textContent = view === 'files' ? state.user : '';
}

// Drops everything private from the page and shows the login form (with
// `loggedOut`, the user name typed earlier too).
function forget(why, loggedOut) {
  state.user = '';
  state.csrf = '';
  state.entries = [];
  $('rows').replaceChildren();
  $('crumbs').replaceChildren();
  $('upload-list').replaceChildren();  // the names of uploaded files are private too
  $('uploads').hidden = true;
  $('usage').textContent = '';
  $('password').value = '';
  if (loggedOut) $('user').value = '';
  show('login');
  say(why || '', loggedOut);
  $('user').focus();
}

// ---- units ----

function size(bytes) {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  if (bytes < 1000) return bytes + (bytes === 1 ? ' byte' : ' bytes');
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return (value < 10 ? value.toFixed(1) : Math.round(value)) + ' ' + units[unit];
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// ---- folders ----

function join(folder, name) {
  return folder ? folder + '/' + name : name;
}

function folderHash(path) {
  return '#/' + path.split('/').map(encodeURIComponent).join('/');
}

function pathFromHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  try {
    return raw.split('/').filter((p) => p).map(decodeURIComponent).join('/');
  } catch (e) {
    return '';
  }
}

function crumbs(path) {
  const nav = $('crumbs');
  nav.replaceChildren();
  const parts = path ? path.split('/') : [];
  const add = (label, target, last) => {
    const item = document.createElement(last ? 'strong' : 'a');
    item.textContent = label;
    if (!last) item.href = folderHash(target);
    else item.setAttribute('aria-current', 'page');
    nav.append(item);
  };
  add('Home', '', parts.length === 0);
  parts.forEach((part, i) => {
    const sep = document.createElement('span');
    sep.className = 'sep';
    sep.textContent = '/';
    nav.append(sep);
    add(part, parts.slice(0, i + 1).join('/'), i === parts.length - 1);
  });
}

function sorted(entries) {
  const key = state.sort;
  const sign = state.ascending ? 1 : -1;
  return [...entries].sort((a, b) => {
    if (a.dir !== b.dir) return a.dir ? -1 : 1;  // folders first
    const x = key === 'name' ? a.name.localeCompare(b.name) : a[key] - b[key];
    return sign * (x || a.name.localeCompare(b.name));
  });
}

function button(label, title, action, danger) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.title = title;
  b.setAttribute('aria-label', title);
  if (danger) b.className = 'danger';
  b.addEventListener('click', action);
  return b;
}

// A folder's "Zip" (GET /app/api/zip): a plain download link, so the
// browser streams the archive to disk itself.
function zipLink(entry, path) {
  const a = document.createElement('a');
  a.className = 'action';
  a.textContent = 'Zip';
  a.title = 'Download ' + entry.name + ' as a zip archive';
  a.setAttribute('aria-label', a.title);
  a.href = '/app/api/zip?' + new URLSearchParams({ path });
  a.setAttribute('download', entry.name + '.zip');
  return a;
}

function row(entry) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  name.className = 'name';
  const kind = document.createElement('span');
  kind.className = entry.dir ? 'kind dir' : 'kind file';  // drawn by app.css: no emoji font needed
  kind.setAttribute('aria-hidden', 'true');
  const link = document.createElement('a');
  link.textContent = entry.name;
  const path = join(state.path, entry.name);
  if (entry.dir) {
    link.href = folderHash(path);
  } else {
    link.href = '/app/api/download?' + new URLSearchParams({ path });
    link.setAttribute('download', entry.name);
    link.title = 'Download ' + entry.name;
  }
  name.append(kind, link);
  const bytes = document.createElement('td');
  bytes.className = 'num';
  bytes.textContent = entry.dir ? '' : size(entry.size);
  const date = document.createElement('td');
  date.className = 'when';
  date.textContent = when(entry.mtime);
  const actions = document.createElement('td');
  actions.className = 'actions';
  if (!entry.dir) actions.append(button('Preview', 'Preview ' + entry.name, () => previewFile(entry)));
  if (entry.dir) actions.append(zipLink(entry, path));
  actions.append(button('Rename', 'Rename ' + entry.name, () => rename(entry)),
                 button('Move', 'Move ' + entry.name, () => move(entry)),
                 button('Delete', 'Delete ' + entry.name, () => remove(entry), true));
  tr.append(name, bytes, date, actions);
  return tr;
}

function render() {
  $('rows').replaceChildren(...sorted(state.entries).map(row));
  $('empty').hidden = state.entries.length > 0;
  for (const key of ['name', 'size', 'mtime']) {
    const th = $('th-' + key);
    if (key === state.sort) th.setAttribute('aria-sort', state.ascending ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

function usage(listing) {
  const used = size(listing.used.bytes);
  $('usage').textContent = listing.quota.bytes > 0
    ? 'Using ' + used + ' of ' + size(listing.quota.bytes)
    : 'Using ' + used;
}

async function open(path) {
  try {
    const listing = await (await api('GET', 'list', { path })).json();
    state.path = listing.path;
    state.entries = listing.entries;
    crumbs(state.path);
    usage(listing);
    render();
    show('files');
  } catch (error) {
    fail(error);
  }
}

// ---- questions (a modal dialog: keyboard and screen readers work) ----

function ask(text, value, okLabel, danger) {
  const dialog = $('ask');
  $('ask-text').textContent = text;
  const input = $('ask-input');
  input.hidden = value === null;
  input.value = value || '';
  $('ask-ok').textContent = okLabel;
  $('ask-ok').classList.toggle('danger', Boolean(danger));
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener('close', closed);
      resolve(answer);
    };
    const closed = () => done(dialog.returnValue === 'ok' ? (value === null ? true : input.value) : null);
    dialog.addEventListener('close', closed);
    dialog.returnValue = '';
    dialog.showModal();
    (value === null ? $('ask-ok') : input).focus();
  });
}

function validName(name) {
  if (!name || name === '.' || name === '..' || name.includes('/')) {
    say('A name must not be empty, "." or "..", nor contain "/".');
    return false;
  }
  return true;
}

async function change(call, params, done) {
  try {
    await api('POST', call, params);
    say(done, true);
    await open(state.path);
  } catch (error) {
    fail(error);
  }
}

async function newFolder() {
  const name = await ask('Name of the new folder:', '', 'Create');
  if (name === null || !validName(name.trim())) return;
  await change('mkdir', { path: join(state.path, name.trim()) }, 'Folder created.');
}

// Moves `entry` into another folder, named from the top ("docs/2026";
// empty or "/" for Home). The name stays; a name taken there is refused.
async function move(entry) {
  const where = await ask('Move "' + entry.name + '" to the folder (from Home, e.g. docs/2026):',
                          state.path, 'Move');
  if (where === null) return;
  const folder = where.trim().replace(/^\/+|\/+$/g, '');
  if (folder.split('/').some(part => part === '.' || part === '..')) {
    say('A folder is named from Home, without "." or "..".');
    return;
  }
  if (folder === state.path) return;
  await change('move', { path: join(state.path, entry.name), to: join(folder, entry.name) },
               'Moved to ' + (folder || 'Home') + '.');
}

async function rename(entry) {
  const name = await ask('New name for "' + entry.name + '":', entry.name, 'Rename');
  if (name === null || name === entry.name || !validName(name.trim())) return;
  await change('move', { path: join(state.path, entry.name), to: join(state.path, name.trim()) },
               'Renamed.');
}

async function remove(entry) {
  const what = entry.dir ? 'the folder "' + entry.name + '" and everything in it' : '"' + entry.name + '"';
  const sure = await ask('Delete ' + what + '? This cannot be undone.', null, 'Delete', true);
  if (!sure) return;
  await change('delete', { path: join(state.path, entry.name) }, 'Deleted.');
}

// ---- log in and out ----

async function logIn(event) {
  event.preventDefault();
  const button = $('login-button');
  button.disabled = true;
  say('');
  try {
    const form = { user: $('user').value, password: $('password').value };
    const session = await (await api('POST', 'login', form)).json();
    $('password').value = '';
    state.user = session.user;
    state.csrf = session.csrf;
    await open(pathFromHash());
  } catch (error) {
    fail(error.message === 'login failed'
      ? new Error('Login failed: wrong user name or password.') : error);
    $('password').select();
  } finally {
    button.disabled = false;
  }
}

async function logOut() {
  stopUploads();
  try {
    await api('POST', 'logout');
  } catch (error) {
    // The page forgets everything in any case.
  }
  history.replaceState(null, '', '/app/');
  forget('You are logged out.', true);
}

async function start() {
  try {
    const response = await fetch('/app/api/session', { credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) {
      forget('');
      return;
    }
    if (!response.ok) throw new Error((await response.text()).trim());
    const session = await response.json();
    state.user = session.user;
    state.csrf = session.csrf;
    await open(pathFromHash());
    const left = await unfinishedUploads();
    if (left > 0) {
      say(left + (left === 1 ? ' upload was' : ' uploads were') +
          ' interrupted; choose the same files again to continue where they stopped.', true);
    }
  } catch (error) {
    forget('');
    say(error.message || 'The server cannot be reached. Check the connection and try again.');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', logIn);
  $('logout').addEventListener('click', logOut);
  $('new-folder').addEventListener('click', newFolder);
  setUpUploads();
  setUpPreview();
  $('ask-cancel').addEventListener('click', () => $('ask').close('cancel'));
  $('ask-form').addEventListener('submit', (event) => {
    event.preventDefault();
    $('ask').close('ok');
  });
  for (const b of document.querySelectorAll('th button[data-sort]')) {
    b.addEventListener('click', () => {
      const key = b.dataset.sort;
      state.ascending = state.sort === key ? !state.ascending : true;
      state.sort = key;
      render();
    });
  }
  window.addEventListener('hashchange', () => {
    if (state.csrf) open(pathFromHash());
  });
  // A page restored from the back-forward cache asks the server again: after
  // a logout it shows the login form, never the old listing.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) {
      forget('');
      start();
    }
  });
  start();
});
