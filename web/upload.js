// Uploads for the sfs browser app: many files and whole folders (picker or
// drag and drop), per-file progress, speed and cancel, over tus 1.0 at
// /tus/ (docs/tus.md) with the app's session cookie and CSRF token. Each
// upload's URL is kept in localStorage under its folder, name, size and
// date, so that after a dropped connection or a reload, choosing the same
// file again continues from the offset the server has (HEAD). Plain
// JavaScript, no library; app.js provides state, api helpers and open().
'use strict';

const uploads = {
  queue: [],      // jobs waiting
  running: 0,     // jobs being sent
  parallel: 2,    // at most this many at once
  chunk: 16 * 1024 * 1024,  // bytes per PATCH: a cut loses at most the server's last piece
  retries: 8,     // attempts after a lost connection or a busy upload, per file
};

class UploadStop extends Error {}  // the user cancelled, or the session ended

// ---- tus requests (XMLHttpRequest: fetch cannot report upload progress) ----

function tusRequest(job, method, url, headers, body) {
  return new Promise((resolve, reject) => {
    if (job.cancelled) {
      reject(new UploadStop('cancelled'));
      return;
    }
    const xhr = new XMLHttpRequest();
    job.xhr = xhr;
    xhr.open(method, url);
    xhr.setRequestHeader('Tus-Resumable', '1.0.0');
    xhr.setRequestHeader('X-SFS-CSRF', state.csrf);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (body) xhr.upload.onprogress = (event) => progressed(job, event.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new Error('connection lost'));
    xhr.onabort = () => reject(new UploadStop('cancelled'));
    xhr.timeout = 0;  // a big PATCH takes as long as it takes; the server bounds a stall
    xhr.send(body || null);
  });
}

function base64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

// The server's one-line reason, in words for a person.
function uploadProblem(xhr, creating) {
  const text = (xhr.responseText || '').trim();
  switch (xhr.status) {
    case 401: return 'session expired; log in again';
    case 403: return 'refused: ' + (text || 'not allowed');
    case 409: return creating ? 'the name is taken by a folder (or a file is where a folder should be)'
                              : 'the server lost the stored part; choose the file again';
    case 413: return 'too large: ' + text;
    case 429: return 'too many uploads at once; try again later';
    case 507: return 'quota full: ' + text;
    default: return text || 'the server answered ' + xhr.status;
  }
}

// ---- the list on the page ----

function uploadRow(job) {
  const li = document.createElement('li');
  li.className = 'upload';
  const name = document.createElement('span');
  name.className = 'up-name';
  name.textContent = job.label;
  const bar = document.createElement('progress');
  bar.max = Math.max(job.file.size, 1);
  bar.value = 0;
  bar.setAttribute('aria-label', 'Upload of ' + job.label);
  const status = document.createElement('span');
  status.className = 'up-status';
  status.setAttribute('aria-live', 'polite');
  const cancel = button('Cancel', 'Cancel the upload of ' + job.label, () => cancelUpload(job), true);
  li.append(name, bar, status, cancel);
  job.row = { li, bar, status, cancel };
  $('upload-list').append(li);
  $('uploads').hidden = false;
}

function setStatus(job, phase, text) {
  job.phase = phase;
  job.row.li.dataset.state = phase;
  job.row.status.textContent = text;
  job.row.cancel.hidden = phase === 'done' || phase === 'failed' || phase === 'cancelled';
}

function speedText(job) {
  const seconds = (performance.now() - job.since) / 1000;
  return seconds > 0.2 ? size(Math.round(job.sent / seconds)) + '/s' : '';
}

function progressed(job, loaded) {
  const at = job.patchFrom + loaded;
  job.sent = job.sentBefore + loaded;
  job.row.bar.value = at;
  const percent = job.file.size ? Math.floor((100 * at) / job.file.size) : 100;
  setStatus(job, 'running', percent + '% · ' + speedText(job));
}

// ---- one file ----

function uploadKey(folder, file) {
  return 'sfs-upload:' + JSON.stringify([state.user, folder, file.name, file.size, file.lastModified]);
}

// The offset the server has for the upload at `url`, or -1 when it has
// none (expired, finished long ago, another user's).
async function serverOffset(job, url) {
  const xhr = await tusRequest(job, 'HEAD', url, {});
  if (xhr.status === 401) throw new UploadStop(uploadProblem(xhr));
  if (xhr.status !== 200) return -1;
  const length = Number(xhr.getResponseHeader('Upload-Length'));
  const offset = Number(xhr.getResponseHeader('Upload-Offset'));
  return length === job.file.size && offset >= 0 && offset <= length ? offset : -1;
}

async function createUpload(job) {
  const metadata = 'filename ' + base64(job.file.name) + ',folder ' + base64(job.folder);
  const xhr = await tusRequest(job, 'POST', '/tus/', {
    'Upload-Length': String(job.file.size), 'Upload-Metadata': metadata });
  if (xhr.status === 401) throw new UploadStop(uploadProblem(xhr));
  if (xhr.status !== 201) throw new Error(uploadProblem(xhr, true));
  const url = xhr.getResponseHeader('Location');
  if (!url || !url.startsWith('/tus/')) throw new Error('the server gave no upload address');
  localStorage.setItem(job.key, url);
  return url;
}

// Where to send the file and from which byte: the stored upload if the
// server still has it, else a new one.
async function startUpload(job) {
  const stored = localStorage.getItem(job.key);
  if (stored && stored.startsWith('/tus/')) {
    const offset = await serverOffset(job, stored);
    if (offset >= 0) return { url: stored, offset };
    localStorage.removeItem(job.key);
  }
  return { url: await createUpload(job), offset: 0 };
}

// One PATCH from `offset`; the offset the server has after it.
async function sendPiece(job, url, offset) {
  const end = Math.min(job.file.size, offset + uploads.chunk);
  job.patchFrom = offset;
  job.sentBefore = job.sent;
  const xhr = await tusRequest(job, 'PATCH', url, {
    'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
  job.file.slice(offset, end));
  if (xhr.status === 204) return Number(xhr.getResponseHeader('Upload-Offset'));
  if (xhr.status === 401) throw new UploadStop(uploadProblem(xhr));
  if (xhr.status === 409 || xhr.status === 423) {
    const e = new Error(uploadProblem(xhr));
    e.retry = true;  // ask HEAD where the server is, then go on from there
    throw e;
  }
  throw new Error(uploadProblem(xhr));
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Sends the file from `offset`, asking HEAD again after a lost connection or
// a busy upload (the request cut before may still be ending on the server).
async function sendFrom(job, url, offset) {
  let failures = 0;
  while (offset < job.file.size) {
    try {
      offset = await sendPiece(job, url, offset);
      failures = 0;
    } catch (error) {
      if (error instanceof UploadStop || job.cancelled) throw error;
      const retry = error.retry || error.message === 'connection lost';
      failures += 1;
      if (!retry || failures > uploads.retries) throw error;
      setStatus(job, 'running', error.message + '; trying again…');
      await pause(250 * failures);
      let at;
      try {
        at = await serverOffset(job, url);
      } catch (lost) {
        if (lost instanceof UploadStop) throw lost;
        continue;  // still unreachable: the next PATCH fails or is told the offset
      }
      if (at < 0) throw new Error('the server forgot this upload; choose the file again');
      offset = at;
    }
  }
}

async function runUpload(job) {
  setStatus(job, 'running', 'starting…');
  try {
    const { url, offset } = await startUpload(job);
    job.url = url;
    job.row.li.dataset.resumedFrom = String(offset);
    job.row.bar.value = offset;
    if (offset > 0) setStatus(job, 'running', 'resuming at ' + size(offset) + '…');
    job.since = performance.now();
    await sendFrom(job, url, offset);
    localStorage.removeItem(job.key);
    job.row.bar.value = job.row.bar.max;
    setStatus(job, 'done', 'done' + (offset > 0 ? ' (resumed at ' + size(offset) + ')' : ''));
    uploads.changed = true;
  } catch (error) {
    if (job.cancelled) {
      setStatus(job, 'cancelled', 'cancelled');
    } else if (error instanceof UploadStop) {
      setStatus(job, 'failed', error.message);
      if (error.message.startsWith('session expired')) sessionEnded();
    } else {
      setStatus(job, 'failed', error.message);
    }
  }
}

async function cancelUpload(job) {
  if (job.cancelled || job.phase === 'done') return;
  job.cancelled = true;
  if (job.xhr) job.xhr.abort();
  setStatus(job, 'cancelled', 'cancelled');
  const url = job.url || localStorage.getItem(job.key);
  localStorage.removeItem(job.key);
  if (url) {
    try {
      await tusRequest({}, 'DELETE', url, {});  // the server drops what it stored
    } catch (error) {
      // It expires on the server in any case.
    }
  }
}

// The session ended under an upload: every upload stops (their URLs stay
// stored: after logging in again, choosing the files again resumes them).
function sessionEnded() {
  stopUploads();
  forget('Your session has ended; please log in again. Choose the files again to resume.');
}

// Logging out stops every upload (their URLs go with the site's storage,
// their rows with the rest of the page's private content).
function stopUploads() {
  uploads.queue = [];
  for (const job of uploads.live || []) {
    job.cancelled = true;
    if (job.xhr) job.xhr.abort();
  }
}

// ---- the queue ----

async function pump() {
  while (uploads.running < uploads.parallel && uploads.queue.length > 0) {
    const job = uploads.queue.shift();
    if (job.cancelled) continue;
    uploads.running += 1;
    uploads.live = uploads.live || new Set();
    uploads.live.add(job);
    runUpload(job).finally(() => {
      uploads.running -= 1;
      uploads.live.delete(job);
      if (uploads.running === 0 && uploads.queue.length === 0 && uploads.changed && state.csrf) {
        uploads.changed = false;
        open(state.path);  // the listing shows what arrived
      }
      pump();
    });
  }
}

// Queues `file` for `relative` (its path under the folder shown, "" for
// a file picked alone).
function enqueue(file, relative) {
  const slash = relative.lastIndexOf('/');
  const sub = slash > 0 ? relative.slice(0, slash) : '';
  const folder = [state.path, sub].filter((p) => p).join('/');
  const job = { file, folder, label: sub ? sub + '/' + file.name : file.name, sent: 0,
                sentBefore: 0, patchFrom: 0, since: performance.now() };
  job.key = uploadKey(folder, file);
  uploadRow(job);
  setStatus(job, 'waiting', 'waiting');
  uploads.queue.push(job);
}

function uploadFiles(files) {
  for (const file of files) enqueue(file, file.webkitRelativePath || '');
  pump();
}

// ---- drag and drop (folders through the entries API) ----

function readEntries(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOf(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

// Every file under `entry` with its path relative to the drop.
async function walk(entry, found) {
  if (entry.isFile) {
    found.push({ file: await fileOf(entry), relative: entry.fullPath.replace(/^\/+/, '') });
    return;
  }
  const reader = entry.createReader();
  for (;;) {  // readEntries gives a folder in batches, then an empty one
    const batch = await readEntries(reader);
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, found);
  }
}

async function dropped(event) {
  event.preventDefault();
  $('files-view').classList.remove('dropping');
  if (!state.csrf) return;
  const entries = [...event.dataTransfer.items]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (entries.some((e) => !e)) {
    uploadFiles(event.dataTransfer.files);
    return;
  }
  const found = [];
  try {
    for (const entry of entries) await walk(entry, found);
  } catch (error) {
    say('Could not read what was dropped: ' + error.message);
    return;
  }
  for (const { file, relative } of found) enqueue(file, relative);
  pump();
}

function setUpUploads() {
  const files = $('pick-files');
  const folder = $('pick-folder');
  $('upload-files').addEventListener('click', () => files.click());
  $('upload-folder').addEventListener('click', () => folder.click());
  for (const input of [files, folder]) {
    input.addEventListener('change', () => {
      uploadFiles([...input.files]);
      input.value = '';  // the same file may be chosen again (to resume it)
    });
  }
  const view = $('files-view');
  view.addEventListener('dragover', (event) => {
    event.preventDefault();
    view.classList.add('dropping');
  });
  view.addEventListener('dragleave', () => view.classList.remove('dropping'));
  view.addEventListener('drop', dropped);
  $('uploads-clear').addEventListener('click', () => {
    for (const li of [...$('upload-list').children]) {
      if (li.dataset.state !== 'running' && li.dataset.state !== 'waiting') li.remove();
    }
    $('uploads').hidden = $('upload-list').children.length === 0;
  });
}

// How many uploads of this user, kept from before (a reload, a cut), the
// server still has; the URLs of those it forgot (expired after
// --partial-ttl, or finished) are dropped.
async function unfinishedUploads() {
  const mine = [];
  const broken = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith('sfs-upload:')) continue;
    try {
      if (JSON.parse(key.slice('sfs-upload:'.length))[0] === state.user) mine.push(key);
    } catch (error) {
      broken.push(key);
    }
  }
  for (const key of broken) localStorage.removeItem(key);
  let count = 0;
  for (const key of mine) {
    const url = localStorage.getItem(key) || '';
    let xhr = null;
    try {
      if (url.startsWith('/tus/')) xhr = await tusRequest({}, 'HEAD', url, {});
    } catch (error) {
      count += 1;  // unreachable now: kept, and counted
      continue;
    }
    if (xhr && xhr.status === 200 && xhr.getResponseHeader('Upload-Offset') !==
        xhr.getResponseHeader('Upload-Length')) {
      count += 1;
    } else if (!xhr || xhr.status === 404 || xhr.status === 200) {
      localStorage.removeItem(key);
    }
  }
  return count;
}
