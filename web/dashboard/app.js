// The Eddy dashboard: polls the REST API (docs/rest-api.md) and draws jobs, the selected job's
// graph, subtasks, checkpoints and exceptions, and the workers. No libraries, no network access
// beyond this server.
'use strict';

const state = { selected: null, checkpoint: null, token: sessionStorage.getItem('eddy-token') || '', refresh: 1000 };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  // The server needs a Content-Length on POST and PATCH, which fetch sends only with a body.
  if (body === undefined && method !== 'GET') body = {};
  const headers = {};
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch (e) { json = { errors: [text] }; }
  if (res.status === 401) $('auth').hidden = false;
  if (!res.ok) throw new Error((json && json.errors && json.errors.join('; ')) || res.statusText);
  return json;
}

function fmtNum(n) {
  if (n === null || n === undefined) return '';
  if (typeof n !== 'number') return String(n);
  return Math.abs(n) >= 100 || Number.isInteger(n) ? Math.round(n).toLocaleString('en-US')
                                                   : n.toFixed(1);
}
function fmtMs(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}
function fmtBytes(b) {
  if (b < 1024) return b + ' B';
  if (b < 1048576) return (b / 1024).toFixed(1) + ' KiB';
  return (b / 1048576).toFixed(1) + ' MiB';
}
function fmtWatermark(w) {
  if (w === null || w === undefined || w <= -9.2e18) return '';
  if (w >= 9.2e18) return 'end';
  return new Date(w).toISOString().replace('T', ' ').replace('Z', '');
}
function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}
function fillTable(id, rows, render) {
  const tbody = $(id).querySelector('tbody');
  tbody.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    render(tr, r);
    tbody.appendChild(tr);
  }
}

// Green (idle) to red (always waiting for credit), by backpressure ratio.
function pressureColour(ratio) {
  const r = Math.max(0, Math.min(1, ratio || 0));
  const hue = 120 * (1 - r);
  return 'hsl(' + hue + ', 65%, 80%)';
}

// Lays the plan's vertices out in columns by their distance from the sources.
function drawGraph(job) {
  const svg = $('graph');
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  const defs = document.createElementNS(ns, 'defs');
  defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
      'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6368"/></marker>';
  svg.appendChild(defs);
  const vertices = job.vertices || [];
  const byId = new Map(vertices.map((v) => [v.id, v]));
  const depth = new Map();
  const depthOf = (v, seen) => {
    if (depth.has(v.id)) return depth.get(v.id);
    if (seen.has(v.id)) return 0;
    seen.add(v.id);
    let d = 0;
    for (const i of v.inputs || []) if (byId.has(i.id)) d = Math.max(d, depthOf(byId.get(i.id), seen) + 1);
    depth.set(v.id, d);
    return d;
  };
  vertices.forEach((v) => depthOf(v, new Set()));
  const columns = [];
  vertices.forEach((v) => { const d = depth.get(v.id); (columns[d] = columns[d] || []).push(v); });
  const W = 250, H = 74, GX = 120, GY = 24;
  const pos = new Map();
  columns.forEach((col, c) => col.forEach((v, r) => pos.set(v.id, { x: 10 + c * (W + GX), y: 10 + r * (H + GY) })));
  const rows = Math.max(1, ...columns.map((c) => c.length));
  svg.setAttribute('viewBox', '0 0 ' + Math.max(1200, 20 + columns.length * (W + GX)) + ' ' + (20 + rows * (H + GY)));
  for (const v of vertices) {
    for (const i of v.inputs || []) {
      const a = pos.get(i.id), b = pos.get(v.id);
      if (!a || !b) continue;
      const path = document.createElementNS(ns, 'path');
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      path.setAttribute('d', 'M' + x1 + ',' + y1 + ' C' + (x1 + 40) + ',' + y1 + ' ' + (x2 - 40) + ',' + y2 + ' ' + x2 + ',' + y2);
      path.setAttribute('class', 'edge');
      svg.appendChild(path);
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', x1 + 8);
      label.setAttribute('y', (y1 + y2) / 2 - 4);
      label.setAttribute('class', 'edge-label');
      label.textContent = i.ship_strategy + (i.side_output ? ' [' + i.side_output + ']' : '');
      svg.appendChild(label);
    }
  }
  for (const v of vertices) {
    const p = pos.get(v.id);
    const g = document.createElementNS(ns, 'g');
    g.setAttribute('class', 'vertex');
    g.setAttribute('data-vertex', v.id);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', p.x); rect.setAttribute('y', p.y);
    rect.setAttribute('width', W); rect.setAttribute('height', H);
    rect.setAttribute('fill', pressureColour(v.backpressure_ratio));
    g.appendChild(rect);
    const ops = (v.operators || []).map((o) => o.name).join(' \u2192 ');
    const fused = (v.operators || []).some((o) => o.fused >= 2) ? ' (fused)' : '';
    const lines = [
      ops.length > 38 ? ops.slice(0, 37) + '\u2026' : ops,
      'parallelism ' + v.parallelism + fused + ' \u00b7 ' + v.state,
      'in ' + fmtNum(v.records_in_per_second) + '/s \u00b7 out ' + fmtNum(v.records_out_per_second) + '/s',
      'backpressure ' + Math.round(100 * (v.backpressure_ratio || 0)) + ' %' +
        (v.latency ? ' \u00b7 latency p99 ' + fmtMicros(v.latency.p99_us) : '') +
        (hasDeadLetters(v) ? ' \u00b7 dead letters ' + fmtNum(v.dead_letters || 0) : '') +
        (v.watermark_skew_ms != null ? ' \u00b7 watermark skew ' + fmtNum(v.watermark_skew_ms) + ' ms' : ''),
    ];
    lines.forEach((t, k) => {
      const text = document.createElementNS(ns, 'text');
      text.setAttribute('x', p.x + 8); text.setAttribute('y', p.y + 17 + k * 16);
      text.textContent = t;
      if (k === 0) { text.setAttribute('font-weight', 'bold'); text.setAttribute('class', 'vertex-name'); }
      g.appendChild(text);
    });
    const title = document.createElementNS(ns, 'title');
    title.textContent = v.name;
    g.appendChild(title);
    svg.appendChild(g);
  }
}

/** Whether a vertex holds a dead-letter operator (as_dead_letters). */
function hasDeadLetters(v) {
  return (v.operators || []).some((o) => o.dead_letters);
}

/** A duration in microseconds, in the unit that reads best. */
function fmtMicros(us) {
  if (us < 1000) return us.toFixed(0) + ' \u00b5s';
  if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + ' ms';
  return (us / 1e6).toFixed(2) + ' s';
}

/** A sink's latency-marker figures (subtask "latency"), or empty without markers. */
function fmtLatency(l) {
  return l && l.count ? fmtMicros(l.p50_us) + ' / ' + fmtMicros(l.p99_us) : '';
}

function renderJob(job) {
  $('job').hidden = false;
  $('job-title').textContent = job.name + ' (' + job.id + ') \u2014 ' + job.state;
  const failure = job.failure || '';
  $('failure').hidden = !failure;
  $('failure').textContent = failure;
  drawGraph(job);
  fillVertexChoice(job);
  const names = new Map((job.vertices || []).map((v) => [v.name, v.id]));
  const deadTasks = new Set((job.vertices || []).filter(hasDeadLetters).map((v) => v.name));
  // Per subtask, how far its event time trails the most advanced subtask of its vertex.
  const newest = new Map();
  for (const s of job.subtasks || [])
    if (s.watermark > -9e18 && s.watermark < 9e18) newest.set(s.task, Math.max(newest.get(s.task) ?? -Infinity, s.watermark));
  const behind = (s) => {
    const top = newest.get(s.task);
    return s.watermark > -9e18 && top !== undefined && top > s.watermark ? ' (' + fmtNum(top - s.watermark) + ' ms behind)' : '';
  };
  fillTable('subtasks', job.subtasks || [], (tr, s) => {
    cell(tr, s.task); cell(tr, s.index, 'num'); cell(tr, s.state, 'state-' + s.state);
    cell(tr, fmtNum(s.records_in), 'num'); cell(tr, fmtNum(s.records_out), 'num');
    cell(tr, fmtNum(s.records_in_per_second), 'num'); cell(tr, fmtNum(s.records_out_per_second), 'num');
    cell(tr, Math.round(100 * (s.backpressure_ratio || 0)) + ' %', 'num');
    cell(tr, fmtWatermark(s.watermark) + behind(s), 'watermark');
    cell(tr, fmtLatency(s.latency), 'num');
    cell(tr, deadTasks.has(s.task) ? fmtNum(s.dead_letters || 0) : '', 'num dead-letters');
    tr.dataset.vertex = names.get(s.task);
  });
  const cps = (job.checkpoints || []).slice().reverse();
  if (state.checkpointJob !== job.id) {  // another job: its own checkpoints
    state.checkpointJob = job.id;
    state.checkpoint = null;
    $('checkpoint-detail').hidden = true;
  }
  $('checkpoint-counts').textContent = '(' + cps.length + ' completed, ' + (job.aborted_checkpoints || 0) + ' failed)';
  fillTable('checkpoints', cps, (tr, c) => {
    cell(tr, c.id, 'num'); cell(tr, new Date(c.timestamp_ms).toLocaleTimeString());
    cell(tr, c.duration_ms + ' ms', 'num'); cell(tr, fmtBytes(c.bytes), 'num'); cell(tr, c.savepoint_path || '');
    tr.dataset.checkpoint = c.id;
    if (c.id === state.checkpoint) tr.className = 'selected';
    if (c.details) {
      tr.classList.add('clickable');
      tr.title = 'show each subtask\'s part';
      tr.onclick = () => showCheckpoint(job, c.id);
    }
  });
  const ex = $('exceptions');
  ex.replaceChildren();
  for (const e of (job.exceptions || []).slice().reverse()) {
    const li = document.createElement('li');
    li.textContent = new Date(e.timestamp_ms).toLocaleString() + ' (attempt ' + e.attempt + '): ' + e.message;
    ex.appendChild(li);
  }
  if (!ex.children.length) ex.innerHTML = '<li class="hint">none</li>';
}

/** Fills the flame graph's vertex choice with the job's vertices (keeping the chosen one). */
function fillVertexChoice(job) {
  const sel = $('fg-vertex');
  const ids = (job.vertices || []).map((v) => String(v.id)).join(',');
  if (sel.dataset.ids === ids && sel.dataset.job === job.id) return;
  const chosen = sel.value;
  sel.replaceChildren();
  for (const v of job.vertices || []) {
    const o = document.createElement('option');
    o.value = v.id; o.textContent = v.name;
    sel.appendChild(o);
  }
  if ([...sel.options].some((o) => o.value === chosen)) sel.value = chosen;
  sel.dataset.ids = ids; sel.dataset.job = job.id;
}

/** A stable colour per frame name. */
function frameColour(name) {
  let h = 0;
  for (let i = 0; i < name.length; ++i) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return 'hsl(' + (20 + h % 40) + ', 80%, ' + (55 + (h >> 8) % 20) + '%)';
}

/** Draws Flink's flame graph JSON (/jobs/ID/vertices/VID/flamegraph) as an icicle: callers on top. */
function drawFlameGraph(fg) {
  const box = $('flamegraph');
  box.replaceChildren();
  const row = 18;
  let depth = 0;
  const place = (node, x, width, level) => {
    depth = Math.max(depth, level + 1);
    const d = document.createElement('div');
    d.className = 'frame';
    d.style.left = (100 * x) + '%'; d.style.width = (100 * width) + '%'; d.style.top = (level * row) + 'px';
    d.style.background = level ? frameColour(node.name) : '#ddd';
    d.textContent = node.name;
    d.title = node.name + ': ' + node.value + ' samples (' + (100 * node.value / fg.data.value).toFixed(1) + ' %)';
    box.appendChild(d);
    let at = x;
    for (const c of node.children || []) {
      const w = width * c.value / node.value;
      if (w > 0.001) place(c, at, w, level + 1);
      at += w;
    }
  };
  if (fg.data && fg.data.value) place(fg.data, 0, 1, 0);
  box.style.height = (depth * row) + 'px';
}

/** Shows checkpoint `id` of `job` per subtask (/jobs/ID/checkpoints/details/CID). */
async function showCheckpoint(job, id) {
  state.checkpoint = id;
  for (const tr of $('checkpoints').querySelectorAll('tbody tr'))
    tr.classList.toggle('selected', Number(tr.dataset.checkpoint) === id);
  const base = '/jobs/' + encodeURIComponent(job.id) + '/checkpoints/details/' + id;
  const d = await api('GET', base);
  const rows = [];
  for (const v of d.vertices) {
    if (!v.num_acknowledged_subtasks) continue;
    const sv = await api('GET', base + '/subtasks/' + v.id);
    for (const s of sv.subtasks) rows.push([v.name, s]);
  }
  $('checkpoint-detail').hidden = false;
  $('checkpoint-detail-title').textContent = 'Checkpoint ' + id + ': ' + d.num_acknowledged_subtasks + ' of ' +
    d.num_subtasks + ' subtasks, ' + fmtBytes(d.bytes) + ' in ' + d.duration_ms + ' ms';
  fillTable('checkpoint-subtasks', rows, (tr, [name, s]) => {
    cell(tr, name); cell(tr, s.index, 'num'); cell(tr, s.status, 'state-' + s.status);
    const finished = s.status === 'FINISHED';
    for (const us of [s.end_to_end_duration_us, s.alignment_duration_us, s.sync_duration_us, s.async_duration_us])
      cell(tr, finished ? '' : fmtMicros(us), 'num');
    cell(tr, fmtBytes(s.bytes), 'num');
  });
}

async function refresh() {
  try {
    const [overview, jobs, workers] = await Promise.all([
      api('GET', '/overview'), api('GET', '/jobs/overview'), api('GET', '/taskmanagers')]);
    $('mode').textContent = overview.mode;
    // A worker's server only reads: its jobs are changed at the coordinator.
    $('submit-panel').hidden = $('job-actions').hidden = overview.mode === 'worker';
    // A coordinator runs no subtasks: flame graphs are taken at the workers' own pages.
    $('flamegraph-actions').hidden = overview.mode === 'cluster';
    $('flamegraph-hint').hidden = overview.mode !== 'cluster';
    $('overview').textContent = overview['jobs-running'] + ' running, ' + overview['jobs-finished'] +
        ' finished, ' + overview['jobs-cancelled'] + ' canceled, ' + overview['jobs-failed'] +
        ' failed \u00b7 ' + overview['slots-available'] + '/' + overview['slots-total'] + ' slots free';
    const list = jobs.jobs;
    if (!state.selected && list.length) state.selected = list[list.length - 1].id;
    fillTable('jobs', list, (tr, j) => {
      cell(tr, j.name); cell(tr, j.id); cell(tr, j.state, 'state-' + j.state);
      cell(tr, fmtMs(j.uptime_ms), 'num'); cell(tr, j.parallelism, 'num');
      cell(tr, fmtNum(j.records_in), 'num'); cell(tr, fmtNum(j.records_out), 'num');
      cell(tr, fmtNum(j.restarts), 'num'); cell(tr, j.last_checkpoint || '', 'num');
      tr.dataset.job = j.id;
      if (j.id === state.selected) tr.className = 'selected';
      tr.onclick = () => { state.selected = j.id; refresh(); };
    });
    fillTable('workers', workers.taskmanagers, (tr, w) => {
      cell(tr, w.name); cell(tr, w.address); cell(tr, w.slots, 'num'); cell(tr, w.used, 'num');
      cell(tr, w.free, 'num'); cell(tr, w.heartbeat_ms_ago + ' ms ago', 'num');
    });
    if (state.selected && list.some((j) => j.id === state.selected))
      renderJob(await api('GET', '/jobs/' + encodeURIComponent(state.selected)));
    $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  } catch (e) {
    $('status').textContent = 'error: ' + e.message;
  }
}

async function action(fn) {
  $('action-result').textContent = '\u2026';
  try { $('action-result').textContent = await fn(); } catch (e) { $('action-result').textContent = 'error: ' + e.message; }
  refresh();
}
const jobPath = () => '/jobs/' + encodeURIComponent(state.selected);
$('cancel').onclick = () => action(async () => { await api('PATCH', jobPath() + '?mode=cancel'); return 'cancel requested'; });
$('savepoint').onclick = () => action(async () =>
  'savepoint: ' + (await api('POST', jobPath() + '/savepoints', { 'target-directory': $('sp-dir').value })).operation.location);
$('stop').onclick = () => action(async () =>
  'stopped, savepoint: ' + (await api('POST', jobPath() + '/stop', { targetDirectory: $('sp-dir').value, drain: $('drain').checked })).operation.location);
$('rescale').onclick = () => action(async () => {
  const r = await api('PATCH', jobPath() + '/rescaling?parallelism=' + encodeURIComponent($('rescale-p').value));
  state.selected = r.jobid;
  return 'rescaled: new job ' + r.jobid;
});
$('fg-sample').onclick = () => action(async () => {
  const vid = $('fg-vertex').value;
  $('fg-result').textContent = 'sampling\u2026';
  let fg;
  try {
    fg = await api('GET', jobPath() + '/vertices/' + vid + '/flamegraph?type=on_cpu&duration_ms=1000');
  } catch (e) {
    $('fg-result').textContent = '';
    throw e;
  }
  drawFlameGraph(fg);
  $('fg-result').textContent = fg.samples + ' samples';
  return 'flame graph of vertex ' + vid + ': ' + fg.samples + ' samples';
});
$('submit-job').onclick = () => action(async () => {
  const args = $('submit-args').value.split('\n').map((s) => s.trim()).filter((s) => s.length);
  const r = await api('POST', '/jobs', { program: $('submit-program').value.trim(), args });
  state.selected = r.jobid;
  return 'submitted ' + r.jobid;
});
$('submit-sql').onclick = () => action(async () => {
  const r = await api('POST', '/jobs', { program: 'sql', args: [$('sql-text').value] });
  state.selected = r.jobid;
  return 'submitted ' + r.jobid;
});
$('token-save').onclick = () => {
  state.token = $('token').value.trim();
  sessionStorage.setItem('eddy-token', state.token);
  $('auth').hidden = true;
  refresh();
};

(async () => {
  try { state.refresh = (await api('GET', '/config'))['refresh-interval'] || 1000; } catch (e) { /* shown by refresh */ }
  refresh();
  setInterval(refresh, state.refresh);
})();
