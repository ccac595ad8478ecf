// The sandbox console of notify_push's embedded mode: one WebSocket client,
// a log of everything that crosses it, and one form per Redis channel that
// posts the channel's payload to /embedded/publish/{channel}.

const $ = (id) => document.getElementById(id);

// ---- the log -------------------------------------------------------------

const logList = $('log');
const maxEntries = 500; // an afternoon of clicking; older entries go

const badges = {in: 'received', out: 'sent', http: 'publish', close: 'closed', error: 'error', info: 'info'};

// What each server message means, shown beside it so the log teaches.
const meanings = [
  [/^authenticated$/, 'login accepted'],
  [/^err: /, 'login refused; the server closes'],
  [/^Authentication timeout$/, 'no login within 15 s'],
  [/^notify_file$/, 'files changed; ids unknown or not asked for'],
  [/^notify_file_id /, 'files changed, with their ids'],
  [/^notify_activity$/, 'new activity'],
  [/^notify_notification$/, 'a notification changed'],
];

const closeNames = {
  1000: 'normal closure',
  1001: 'going away',
  1005: 'no status',
  1006: 'abnormal closure, no close frame',
  1008: 'policy violation',
  1011: 'server error',
  1012: 'service restart',
};

const pad = (n, w = 2) => String(n).padStart(w, '0');

// log adds an entry on top and returns it, so an outcome can be added later.
function log(kind, text, note) {
  const now = new Date();
  const li = document.createElement('li');
  li.className = kind;
  const time = document.createElement('time');
  time.dateTime = now.toISOString();
  time.textContent = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = badges[kind];
  const body = document.createElement('code');
  body.textContent = text;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.append(time, badge);
  li.append(meta, body);
  if (note) addNote(li, note);
  logList.prepend(li);
  while (logList.children.length > maxEntries) logList.lastElementChild.remove();
  return li;
}

function addNote(li, note) {
  const span = document.createElement('span');
  span.className = 'note';
  span.textContent = note;
  li.append(span);
}

$('log-clear').addEventListener('click', () => logList.replaceChildren());

// ---- the WebSocket client --------------------------------------------------

let socket = null; // the current connection; older ones may still be closing
let authenticated = false;

function setState(state, text) {
  const out = $('state');
  out.dataset.state = state;
  out.textContent = text;
  $('connect').disabled = state !== 'closed';
  $('disconnect').disabled = state === 'closed';
}

function send(ws, text, shown, note) {
  if (ws.readyState !== WebSocket.OPEN) {
    log('error', `not sent, the socket is not open: ${shown ?? text}`);
    return;
  }
  ws.send(text);
  log('out', shown ?? text, note);
}

function listenFileIDs(ws) {
  send(ws, 'listen notify_file_id', undefined, 'file changes now come with their ids');
}

function connect(url, login, password, who) {
  if (socket) {
    socket.close(1000, 'replaced by a new connection');
    log('out', 'close 1000 (normal closure)', 'the previous connection makes way for the new one');
  }
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    log('error', `cannot open ${url}: ${e.message}`);
    return;
  }
  ws.binaryType = 'arraybuffer';
  socket = ws;
  authenticated = false;
  setState('connecting', `connecting to ${url}`);
  log('info', `connecting to ${url}`);

  ws.addEventListener('open', () => {
    if (ws !== socket) return;
    setState('authenticating', `open, logging in ${who}`);
    send(ws, login, login === '' ? '(empty login)' : login, 'frame 1: the login');
    send(ws, password, '•'.repeat(8), 'frame 2: the password, hidden here');
  });
  ws.addEventListener('message', (ev) => {
    if (typeof ev.data !== 'string') {
      log('in', `(binary frame, ${ev.data.byteLength} bytes)`);
      return;
    }
    const meaning = meanings.find(([re]) => re.test(ev.data));
    log('in', ev.data, meaning ? meaning[1] : 'custom message');
    if (ws === socket && !authenticated && ev.data === 'authenticated') {
      authenticated = true;
      setState('authenticated', `authenticated ${who}`);
      if ($('listen-ids').checked) listenFileIDs(ws);
    }
  });
  ws.addEventListener('close', (ev) => {
    const name = closeNames[ev.code] ?? 'see RFC 6455';
    const reason = ev.reason ? `, reason "${ev.reason}"` : '';
    log('close', `${ev.code} (${name})${reason}`);
    if (ws !== socket) return;
    socket = null;
    authenticated = false;
    setState('closed', `closed with ${ev.code} (${name})${reason}`);
  });
  ws.addEventListener('error', () => {
    log('error', 'WebSocket error; the close that follows says more');
  });
}

$('ws-url').value = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

$('connect-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const login = $('login').value;
  connect($('ws-url').value, login, $('password').value, `as ${login.trim() || '(empty login)'}`);
});

$('disconnect').addEventListener('click', () => {
  if (!socket) return;
  socket.close(1000, 'closed by the console');
  log('out', 'close 1000 (normal closure)');
  setState('closing', 'closing');
});

$('listen-ids').addEventListener('change', (e) => {
  if (!socket || !authenticated) return; // sent right after the next login
  if (e.target.checked) {
    listenFileIDs(socket);
  } else {
    log('info', 'file ids stay on for this connection: the protocol has no way back; reconnect to get notify_file again');
  }
});

// ---- publishing ----------------------------------------------------------

// InputError is a field the page refuses before anything is sent.
class InputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

const str = (id) => JSON.stringify($(id).value);

// Ids are spliced in as digits, not through a JS number: file ids are 64-bit
// and would lose precision. The server judges the range.
function whole(id, what) {
  const v = $(id).value.trim();
  if (!/^[0-9]+$/.test(v)) throw new InputError(id, `${what} must be a whole number, not "${v}".`);
  return v;
}

const user = (id) => () => `{"user":${str(id)}}`;

const payloads = {
  'form-storage': () =>
    `{"storage":${whole('storage-id', 'The storage id')},"path":${str('storage-path')},` +
    `"file_id":${whole('storage-file-id', 'The file id')}}`,
  'form-group': () => `{"user":${str('group-user')},"group":${str('group-group')}}`,
  'form-share': user('share-user'),
  'form-activity': user('activity-user'),
  'form-notification': user('notification-user'),
  'form-custom': () => {
    let p = `{"user":${str('custom-user')},"message":${str('custom-message')}`;
    const body = $('custom-body').value.trim();
    if (body !== '') {
      try {
        JSON.parse(body);
      } catch (e) {
        throw new InputError('custom-body', `The body is not valid JSON (${e.message}). Nothing was published.`);
      }
      p += `,"body":${body}`; // as typed: it parsed, so it is one JSON value
    }
    return p + '}';
  },
  'form-preauth': () => `{"user":${str('preauth-user')},"token":${str('preauth-token')}}`,
  'form-reset': () => '"reset"',
};

const after = {
  'form-preauth': 'log in with it within 15 s',
  'form-reset': 'every connection is closed',
};

function showResult(out, state, text) {
  out.dataset.state = state;
  out.textContent = text;
}

async function publish(form) {
  const out = form.querySelector('output');
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  let payload;
  try {
    payload = payloads[form.id]();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    $(e.field).setAttribute('aria-invalid', 'true');
    $(e.field).focus();
    showResult(out, 'error', e.message);
    return;
  }
  const path = `/embedded/publish/${form.dataset.channel}`;
  const entry = log('http', `POST ${path}\n${payload}`);
  showResult(out, 'pending', 'publishing…');
  let resp;
  try {
    resp = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: payload});
  } catch (e) {
    addNote(entry, 'no answer');
    showResult(out, 'error', `The server did not answer (${e.message}).`);
    return;
  }
  if (resp.ok) {
    addNote(entry, `${resp.status} published`);
    showResult(out, 'ok', `Published (${resp.status})${after[form.id] ? `: ${after[form.id]}` : ''}.`);
    return;
  }
  const text = (await resp.text()).trim();
  addNote(entry, `${resp.status} refused`);
  log('error', `${resp.status} ${resp.statusText}: ${text}`);
  showResult(out, 'error', `Refused with ${resp.status}: ${text}`);
}

for (const form of document.querySelectorAll('form[data-channel]')) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    publish(form);
  });
}

function newToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  $('preauth-token').value = Array.from(bytes, (b) => pad(b.toString(16))).join('');
}
newToken();
$('preauth-new').addEventListener('click', newToken);

$('login-preauth').addEventListener('click', () => {
  connect($('ws-url').value, '', $('preauth-token').value, 'with the pre-auth token');
});

setState('closed', 'not connected');
