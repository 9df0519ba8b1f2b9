// Previews for the sfs browser app (the original design's `view`): the
// first 1024 bytes of a file as text or as a hex dump, and pictures
// inline. Nothing a user stored ever runs here: bytes are shown with
// textContent, and a picture is a blob: URL of an image type in an <img>
// (which runs no script, even for SVG; SVG and HTML are shown as text).
// The bytes come from the download call (a Range GET for the first bytes).
'use strict';

const preview = {
  bytes: 1024,             // shown as text or hex
  maxImage: 20 * 1000 * 1000,  // a bigger picture is shown as hex instead
  types: { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif',
           webp: 'image/webp', bmp: 'image/bmp', avif: 'image/avif' },
  url: '',                 // the blob: URL shown, revoked on close
};

function imageType(name) {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : preview.types[name.slice(dot + 1).toLowerCase()] || '';
}

function downloadUrl(path) {
  return '/app/api/download?' + new URLSearchParams({ path });
}

async function fetchBytes(path, range) {
  const headers = range ? { Range: 'bytes=0-' + (preview.bytes - 1) } : {};
  let response;
  try {
    response = await fetch(downloadUrl(path), { credentials: 'same-origin', cache: 'no-store', headers });
  } catch (e) {
    throw new Error('The server cannot be reached. Check the connection and try again.');
  }
  if (response.status === 401) {
    forget('Your session has ended; please log in again.');
    throw new Quiet();
  }
  if (response.status === 416) return new Uint8Array(0);  // an empty file
  if (!response.ok) throw new Error(explain(response.status, (await response.text()).trim()));
  return new Uint8Array(await response.arrayBuffer());
}

// The bytes as text, or null when they are not (invalid UTF-8, or control
// characters other than tab, newline, carriage return and form feed). A
// character cut by the 1024-byte limit at the end does not count.
function asText(bytes, cut) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let drop = 0; drop <= (cut ? 3 : 0); drop += 1) {
    try {
      const text = decoder.decode(bytes.subarray(0, bytes.length - drop));
      return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? null : text;
    } catch (e) {
      // try one byte shorter
    }
  }
  return null;
}

function hexDump(bytes) {
  const lines = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(at.toString(16).padStart(8, '0') + '  ' + hex.padEnd(47) + '  ' + ascii);
  }
  return lines.join('\n');
}

function closePreview() {
  $('preview-img').removeAttribute('src');
  if (preview.url) URL.revokeObjectURL(preview.url);
  preview.url = '';
}

function showPreview(entry, kind, text) {
  $('preview-title').textContent = entry.name;
  $('preview-kind').textContent = kind;
  $('preview-text').textContent = text;
  $('preview-text').hidden = text === null;
  $('preview-img').hidden = text !== null;
  const dialog = $('preview');
  if (!dialog.open) dialog.showModal();
  $('preview-close').focus();
}

async function showImage(entry, path, type) {
  const bytes = await fetchBytes(path, false);
  closePreview();
  preview.url = URL.createObjectURL(new Blob([bytes], { type }));
  const img = $('preview-img');
  img.alt = entry.name;
  img.src = preview.url;
  showPreview(entry, 'Picture, ' + size(entry.size), null);
}

async function showStart(entry, path) {
  const bytes = (await fetchBytes(path, true)).subarray(0, preview.bytes);
  const cut = entry.size > bytes.length;
  const text = asText(bytes, cut);
  const shown = cut ? 'the first ' + size(bytes.length) + ' of ' + size(entry.size) : size(entry.size);
  if (text !== null) showPreview(entry, 'Text, ' + shown, text);
  else showPreview(entry, 'Hex, ' + shown, hexDump(bytes));
}

async function previewFile(entry) {
  const path = join(state.path, entry.name);
  const type = imageType(entry.name);
  try {
    if (type && entry.size > 0 && entry.size <= preview.maxImage) await showImage(entry, path, type);
    else await showStart(entry, path);
  } catch (error) {
    fail(error);
  }
}

function setUpPreview() {
  $('preview-close').addEventListener('click', () => $('preview').close());
  $('preview').addEventListener('close', closePreview);
}
